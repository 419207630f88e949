"""The earning rules per year, for finance and administrators (under /api/v1/staff/): read a
year's rules (staff's own, else the settings' defaults) and set this year's or a later year's
(rewards.earning.rules_set, audited)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import NotFound
from accounts.permissions import staff_permission
from core.api import validated
from core.routes import Routes

from .. import earning
from .common import request_user

routes = Routes()

RulesStaff = staff_permission(*earning.RULES_ROLES)


def _amount(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=earning.AMOUNT_MAX, help_text=help_text + " Minor units."
    )


class RulesWriteSerializer(serializers.Serializer):
    hourly_cap = _amount("The most per estimated hour of a task.")
    youth_hourly_cap = _amount("The most per estimated hour below `youth_under_age`.")
    youth_under_age = serializers.IntegerField(min_value=1, max_value=99)
    monthly_cap = _amount("The most paid for claims in one calendar month.")
    annual_cap = _amount("The most paid for claims in one calendar year.")


class RulesSerializer(RulesWriteSerializer):
    year = serializers.IntegerField()
    monthly_cap = serializers.IntegerField(help_text="Minor units; 0: no monthly cap.")
    configured = serializers.BooleanField(
        help_text="True when staff set this year's rules; false for the settings' defaults."
    )


def _year(year: int) -> int:
    if not earning.FIRST_YEAR <= year <= earning.LAST_YEAR:
        raise NotFound(_("There are no earning rules for that year."))
    return year


@routes("staff/earning-rules/<int:year>/", name="api-staff-earning-rules")
class RulesView(APIView):
    permission_classes = (RulesStaff,)

    @extend_schema(responses=RulesSerializer, tags=["earning rules"])
    def get(self, request: Request, year: int) -> Response:
        """The earning rules of a year (2000 to 2100): staff's own, else the settings'."""
        rules = earning.rules_for_year(year=_year(year))
        return Response(RulesSerializer(rules).data)

    @extend_schema(request=RulesWriteSerializer, responses=RulesSerializer, tags=["earning rules"])
    def put(self, request: Request, year: int) -> Response:
        """Set the earning rules of this year or a later one (finance and administrators;
        audited). A past year, a youth rate above the hourly rate or a monthly cap above the
        yearly cap is refused (422 rules-refused)."""
        rules = earning.rules_set(
            actor=request_user(request),
            year=_year(year),
            **validated(request, RulesWriteSerializer),
        )
        return Response(RulesSerializer(rules).data)
