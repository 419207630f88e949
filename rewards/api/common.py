"""What the rewards API modules share: the staff permission, a documented plain choice, a stored
latitude or longitude and the request's user."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from accounts.models import User
from accounts.permissions import staff_permission
from core import api

AnyStaff = staff_permission()


@extend_schema_field(OpenApiTypes.STR)
class PlainChoiceField(serializers.ChoiceField):
    """A choice documented as a plain string with its values in the help text, so that the
    schema's enums of the same field name in other apps (shop category, ...) do not collide."""

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        values = [value for value, _label in choices]
        kwargs.setdefault("help_text", "One of: " + ", ".join(values) + ".")
        super().__init__(choices=choices, **kwargs)


def stored_degrees() -> serializers.DecimalField:
    """A latitude or longitude as stored (six decimals, of a task or a claim), or null."""
    return serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)


def request_user(request: Request) -> User:
    return api.request_user(request, User)
