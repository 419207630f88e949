"""Staff API of wallet expiry (tag "expiry", finance and administrators, a TOTP-verified
session): read a currency's rule with the wallets within a month of expiry and their tokens,
and switch it on (1 to 120 months) or off, audited as `currency.expiry` (payments.expiry).
An unknown currency answers 404."""

from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_me.serializers import StrictSerializer
from accounts.models import User
from accounts.permissions import staff_permission
from core.api import request_user, validated
from core.routes import Routes
from ledger.models import Currency

from . import expiry

routes = Routes()

TAGS = ["expiry"]
CODE_PATTERN = r"^[A-Z][A-Z0-9]{1,22}[A-Z0-9]$"
ExpiryPermission = staff_permission(*expiry.SWITCH_ROLES)


class ExpiryRuleSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="The currency's code.")
    months = serializers.IntegerField(
        allow_null=True,
        help_text="Months without a payment or reward after which a wallet expires; null: off.",
    )
    wallets_due = serializers.IntegerField(
        help_text="Wallets within a month of expiry (told already, or told at the next run)."
    )
    amount_due = serializers.IntegerField(help_text="The tokens they hold, in minor units.")


class ExpiryRuleSetSerializer(StrictSerializer):
    months = serializers.IntegerField(
        min_value=1,
        max_value=120,
        allow_null=True,
        help_text="1 to 120 to switch expiry on (or change it); null to switch it off.",
    )


def _rule(currency: Currency) -> dict[str, Any]:
    outlook = expiry.expiry_outlook(currency=currency)
    return {
        "currency": currency.code,
        "months": currency.expiry_months,
        "wallets_due": outlook.wallets,
        "amount_due": outlook.amount,
    }


def _currency(code: str) -> Currency:
    found = Currency.objects.filter(code=code).first()
    if found is None:
        raise Http404
    return found


CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    pattern=CODE_PATTERN,
    description="The currency's code.",
    examples=[OpenApiExample("the town's currency", value=settings.CURRENCY_CODE)],
)


@routes("staff/currencies/<str:code>/expiry/", name="api-staff-currency-expiry")
class StaffCurrencyExpiryView(APIView):
    permission_classes = (ExpiryPermission,)
    parser_classes = (JSONParser,)

    @extend_schema(parameters=[CODE], responses=ExpiryRuleSerializer, tags=TAGS)
    def get(self, request: Request, code: str) -> Response:
        """A currency's expiry rule, and the wallets within a month of expiry."""
        return Response(ExpiryRuleSerializer(_rule(_currency(code))).data)

    @extend_schema(
        parameters=[CODE],
        request=ExpiryRuleSetSerializer,
        responses=ExpiryRuleSerializer,
        tags=TAGS,
    )
    def put(self, request: Request, code: str) -> Response:
        """Switch expiry on (`months`) or off (null). Residents are told a month before their
        wallet expires, so switching on takes nobody's tokens sooner than a month from now."""
        _currency(code)
        currency = expiry.currency_expiry_switch(
            actor=request_user(request, User),
            code=code,
            **validated(request, ExpiryRuleSetSerializer),
        )
        return Response(ExpiryRuleSerializer(_rule(currency)).data)
