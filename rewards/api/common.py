"""What the rewards API modules share: the staff and resident permissions, a documented plain
choice, the page (limit and offset) and the request's user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import staff_permission
from core.api import page_response

AnyStaff = staff_permission()


@extend_schema_field(OpenApiTypes.STR)
class PlainChoiceField(serializers.ChoiceField):
    """A choice documented as a plain string with its values in the help text, so that the
    schema's enums of the same field name in other apps (shop category, ...) do not collide."""

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        values = [value for value, _label in choices]
        kwargs.setdefault("help_text", "One of: " + ", ".join(values) + ".")
        super().__init__(choices=choices, **kwargs)


def request_user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def paginated(request: Request, view: APIView, qs: QuerySet[Any], body: Any) -> Response:
    """One page of `qs` (core.api: `limit` and `offset` checked), each row written by `body`."""
    return page_response(view, request, qs, body=body)
