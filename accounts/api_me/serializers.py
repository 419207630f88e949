"""The bodies of the person's own API, each refusing fields it does not know, and the
helpers its views share."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.http import HttpRequest
from rest_framework import serializers
from rest_framework.request import Request

from core.api import request_user

from ..authentication import request_token
from ..models import ResidentProfile, User
from ..permissions import roles_of

TAGS = ["me"]
AUTH_TAGS = ["auth"]


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo or a read-only field (`email`) is an error
    rather than silently ignored."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if isinstance(self.initial_data, dict):
            unknown = set(self.initial_data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be set here."] for name in sorted(unknown)}
                )
        return attrs


# The shortest password the validators accept (AUTH_PASSWORD_VALIDATORS), so the schema says it.
PASSWORD_MIN_LENGTH: int | None = next(
    (
        validator.min_length
        for validator in password_validation.get_default_password_validators()
        if isinstance(validator, password_validation.MinimumLengthValidator)
    ),
    None,
)


def _password(*, new: bool = False) -> serializers.CharField:
    """A password field; a new one documents the shortest length the validators accept."""
    return serializers.CharField(
        min_length=PASSWORD_MIN_LENGTH if new else None,
        max_length=128,
        trim_whitespace=False,
        write_only=True,
        style={"input_type": "password"},
    )


class CredentialsSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = _password()


class TokenRequestSerializer(CredentialsSerializer):
    device_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="What the token is for (a till, an app), shown in the list of sessions.",
    )


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Its id in the list of sessions (kind `token`).")
    token = serializers.CharField(help_text="Shown once: only its hash is kept.")
    device_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class LinkTokenSerializer(StrictSerializer):
    token = serializers.CharField(max_length=1000)


class EmailSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)


class EmailVerifiedSerializer(serializers.Serializer):
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    neighbourhood = serializers.IntegerField(allow_null=True)
    # A plain string (nl, de, en): a second choice field over LANGUAGES would give the schema
    # two names for one enum.
    preferred_language = serializers.CharField(help_text="nl, de or en")
    roles = serializers.ListField(
        child=serializers.CharField(),
        help_text="Staff and resident roles, plus shop_owner / cashier for shop memberships.",
    )
    email_verified = serializers.BooleanField()


class MeUpdateSerializer(StrictSerializer):
    display_name = serializers.CharField(max_length=100, required=False)
    neighbourhood = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**62
    )
    preferred_language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)


class PasswordChangeSerializer(StrictSerializer):
    current_password = _password()
    new_password = _password(new=True)


class EmailChangeSerializer(StrictSerializer):
    password = _password()
    new_email = serializers.EmailField(max_length=254)


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Unique within its kind.")
    kind = serializers.CharField(
        help_text="`session`: a browser, ended with DELETE /me/sessions/{id}/; `token`: an API "
        "token, revoked with DELETE /me/sessions/tokens/{id}/.",
    )
    device_name = serializers.CharField(help_text="Tokens: the name given when it was made.")
    created_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField(
        allow_null=True, help_text="Tokens: null until first used."
    )
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Tokens only.")
    ip_address = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()
    current = serializers.BooleanField()


class DeleteSerializer(StrictSerializer):
    password = _password()
    confirm = serializers.BooleanField()

    def validate_confirm(self, value: bool) -> bool:
        if value is not True:
            raise serializers.ValidationError("Confirm that you want to delete your account.")
        return value


def me_data(user: User) -> dict[str, Any]:
    roles = set(roles_of(user))
    # Shops sit above accounts: their memberships are read through the relation's name.
    shop_roles = user.shop_memberships.values_list("role", flat=True)
    roles |= {"shop_owner" if r == "owner" else "cashier" for r in shop_roles}
    profile = ResidentProfile.objects.filter(user=user).only("neighbourhood_id").first()
    return MeSerializer(
        {
            "id": user.pk,
            "email": user.email,
            "display_name": user.display_name,
            "neighbourhood": profile.neighbourhood_id if profile else None,
            "preferred_language": user.preferred_language,
            "roles": sorted(roles),
            "email_verified": user.email_verified_at is not None,
        }
    ).data


def _user(request: Request) -> User:
    return request_user(request, User)


def _django(request: Request) -> HttpRequest:
    return request._request


def _session_key(request: Request) -> str | None:
    if request_token(request) is not None:
        return None
    return _django(request).session.session_key
