"""The person's own API: signing in and out (session or token), email verification, their
profile, password and email changes, sessions, and privacy (export, deletion)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout, password_validation, update_session_auth_hash
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.http import client_address

from . import identity, privacy, tokens
from .authentication import request_token
from .models import ResidentProfile, User
from .permissions import roles_of

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
    user = request.user
    assert isinstance(user, User)
    return user


def _django(request: Request) -> HttpRequest:
    return request._request


def _session_key(request: Request) -> str | None:
    if request_token(request) is not None:
        return None
    return _django(request).session.session_key


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> Any:
    form = serializer_class(data=request.data)
    form.is_valid(raise_exception=True)
    return form.validated_data


# --- Signing in ----------------------------------------------------------------------------


class LoginView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(request=CredentialsSerializer, responses=MeSerializer, tags=AUTH_TAGS)
    def post(self, request: Request) -> Response:
        """Sign in with email and password; the session cookie carries it from here. Five
        failures for one email address from one address lock it for 15 minutes (429); many
        from anywhere make the email address wait (429 with Retry-After). Like any session
        request, it needs the CSRF token (cookie `csrftoken`, header `X-CSRFToken`) and, over
        HTTPS, a same-origin `Origin` or `Referer`: another site cannot sign a browser in to
        an account of its choosing. API clients without a browser use `auth/token/`."""
        SessionAuthentication().enforce_csrf(request)
        data = _validated(CredentialsSerializer, request)
        user = identity.sign_in(
            request=_django(request), email=data["email"], password=data["password"]
        )
        login(_django(request), user)
        return Response(me_data(user))


class LogoutView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(request=None, responses={204: None}, tags=AUTH_TAGS)
    def post(self, request: Request) -> Response:
        """Sign out of this session, or revoke the API token this request uses."""
        token = request_token(request)
        if token is not None:
            tokens.api_token_revoke(user=_user(request), token_id=token.pk)
        key = _session_key(request)
        if key:
            identity.session_mark_ended(session_key=key)
        logout(_django(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer, tags=AUTH_TAGS)
    def post(self, request: Request) -> Response:
        """A new API token for this device, for email and password (the same rules as signing
        in); every call makes another. Send it as `Authorization: Token <token>`. It expires
        after API_TOKEN_TTL_HOURS (12 by default), is listed under /me/sessions/ and can be
        revoked there; a password change ends it."""
        data = _validated(TokenRequestSerializer, request)
        user = identity.sign_in(
            request=_django(request), email=data["email"], password=data["password"]
        )
        issued = tokens.api_token_create(
            user=user,
            device_name=data.get("device_name", ""),
            ip_address=client_address(_django(request)),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        record = issued.record
        return Response(
            TokenSerializer(
                {
                    "id": record.pk,
                    "token": issued.key,
                    "device_name": record.device_name,
                    "created_at": record.created,
                    "expires_at": record.expiry,
                }
            ).data
        )


class VerifyEmailView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(request=LinkTokenSerializer, responses=EmailVerifiedSerializer, tags=AUTH_TAGS)
    def post(self, request: Request) -> Response:
        """Confirm an email address with the token from the link mailed at sign-up."""
        data = _validated(LinkTokenSerializer, request)
        user = identity.email_verify(token=data["token"])
        return Response(EmailVerifiedSerializer({"email": user.email, "email_verified": True}).data)


class VerifyEmailResendView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(request=EmailSerializer, responses={202: None}, tags=AUTH_TAGS)
    def post(self, request: Request) -> Response:
        """Mail the verification link again. Always 202, whether or not the address has an
        account waiting for verification."""
        data = _validated(EmailSerializer, request)
        identity.email_verification_resend(email=data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


# --- Me ------------------------------------------------------------------------------------


class MeView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses=MeSerializer, tags=TAGS)
    def get(self, request: Request) -> Response:
        """Who I am: profile, roles and whether my email address is verified."""
        return Response(me_data(_user(request)))

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer, tags=TAGS)
    def patch(self, request: Request) -> Response:
        """Change my display name, neighbourhood (residents) or language."""
        data = _validated(MeUpdateSerializer, request)
        user = identity.profile_update(user=_user(request), data=data)
        return Response(me_data(user))


class PasswordView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=PasswordChangeSerializer, responses={204: None}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Change my password (the current one first). Every other session ends."""
        data = _validated(PasswordChangeSerializer, request)
        old_key = _session_key(request)
        user = identity.password_change(
            user=_user(request),
            current_password=data["current_password"],
            new_password=data["new_password"],
            request=_django(request),
            current_key=old_key,
            current_token=request_token(request),
        )
        if old_key:
            update_session_auth_hash(_django(request), user)
            identity.session_rekey(old_key=old_key, new_key=_django(request).session.session_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=EmailChangeSerializer, responses={202: None}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Ask to change my email address (password first). It changes when the link mailed to
        the new address is followed; the old address is told."""
        data = _validated(EmailChangeSerializer, request)
        identity.email_change_request(
            user=_user(request),
            password=data["password"],
            new_email=data["new_email"],
            request=_django(request),
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class EmailConfirmView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(request=LinkTokenSerializer, responses=EmailVerifiedSerializer, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Confirm a new email address with the token from the link mailed to it."""
        data = _validated(LinkTokenSerializer, request)
        user = identity.email_change_confirm(token=data["token"])
        return Response(EmailVerifiedSerializer({"email": user.email, "email_verified": True}).data)


def _sessions(request: Request) -> Response:
    user = _user(request)
    current_key, current_token = _session_key(request), request_token(request)
    sessions = [
        {
            "id": r.pk,
            "kind": "session",
            "device_name": "",
            "created_at": r.created_at,
            "last_seen_at": r.last_seen_at,
            "expires_at": None,
            "ip_address": r.ip_address,
            "user_agent": r.user_agent,
            "current": r.session_key == current_key,
        }
        for r in identity.session_list(user=user)
    ]
    api_tokens = [
        {
            "id": t.pk,
            "kind": "token",
            "device_name": t.device_name,
            "created_at": t.created,
            "last_seen_at": t.last_used_at,
            "expires_at": t.expiry,
            "ip_address": t.ip_address,
            "user_agent": t.user_agent,
            "current": current_token is not None and t.pk == current_token.pk,
        }
        for t in tokens.api_token_list(user=user)
    ]
    return Response(SessionSerializer(sessions + api_tokens, many=True).data)


class SessionsView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses=SessionSerializer(many=True), tags=TAGS)
    def get(self, request: Request) -> Response:
        """Where I am signed in: browser sessions that have not ended, then API tokens that
        still work (newest first); the current one marked."""
        return _sessions(request)


class SessionView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: None, 404: OpenApiResponse()}, tags=TAGS)
    def delete(self, request: Request, session_id: int) -> Response:
        """End one of my sessions (someone else's answers 404)."""
        record = identity.session_end(user=_user(request), session_id=session_id)
        if record.session_key == _session_key(request):
            logout(_django(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: None, 404: OpenApiResponse()}, tags=TAGS)
    def delete(self, request: Request, token_id: int) -> Response:
        """Revoke one of my API tokens: it stops working at once (someone else's answers
        404)."""
        tokens.api_token_revoke(user=_user(request), token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionsEndOthersView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=None,
        responses=inline_serializer("SessionsEnded", {"ended": serializers.IntegerField()}),
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        """End every session and revoke every API token of mine except this one."""
        ended = identity.sessions_end_others(
            user=_user(request),
            current_key=_session_key(request),
            current_token=request_token(request),
        )
        return Response({"ended": ended})


# --- Privacy -------------------------------------------------------------------------------


class DataView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: OpenApiResponse(description="All my data, as JSON.")}, tags=TAGS)
    def get(self, request: Request) -> Response:
        """Download everything held about me (GDPR), as a JSON attachment."""
        return Response(
            privacy.data_export(user=_user(request)),
            headers={"Content-Disposition": 'attachment; filename="heitje-my-data.json"'},
        )


class DeleteView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=DeleteSerializer, responses={204: None}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Delete my account for good (password and `confirm: true`). Tokens left in the wallet
        go to the community fund; a shop owner must hand the shop over first (409)."""
        data = _validated(DeleteSerializer, request)
        privacy.account_delete(
            user=_user(request),
            password=data["password"],
            confirm=data["confirm"],
            request=_django(request),
        )
        logout(_django(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/login/", LoginView.as_view(), name="api-login"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/verify-email/", VerifyEmailView.as_view(), name="api-verify-email"),
    path(
        "auth/verify-email/resend/",
        VerifyEmailResendView.as_view(),
        name="api-verify-email-resend",
    ),
    path("auth/confirm-email/", EmailConfirmView.as_view(), name="api-confirm-email"),
    path("me/", MeView.as_view(), name="api-me"),
    path("me/password/", PasswordView.as_view(), name="api-me-password"),
    path("me/email/", EmailView.as_view(), name="api-me-email"),
    path("me/sessions/", SessionsView.as_view(), name="api-me-sessions"),
    path("me/sessions/<int:session_id>/", SessionView.as_view(), name="api-me-session"),
    path("me/sessions/tokens/<int:token_id>/", TokenRevokeView.as_view(), name="api-me-token"),
    path(
        "me/sessions/end-others/",
        SessionsEndOthersView.as_view(),
        name="api-me-sessions-end-others",
    ),
    path("me/data/", DataView.as_view(), name="api-me-data"),
    path("me/delete/", DeleteView.as_view(), name="api-me-delete"),
]
