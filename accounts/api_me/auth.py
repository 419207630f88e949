"""Signing in and out (session or token) and verifying an email address."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login, logout
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ActionView, validated
from core.http import client_address
from core.routes import Routes

from .. import identity, tokens
from ..authentication import request_token
from ..models import User
from .serializers import (
    AUTH_TAGS,
    CredentialsSerializer,
    EmailSerializer,
    EmailVerifiedSerializer,
    LinkTokenSerializer,
    MeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    _django,
    _session_key,
    _user,
    me_data,
)

# Signing in and out, under auth/ (me.py adds confirming a changed address).
routes = Routes()

# --- Signing in ----------------------------------------------------------------------------


@routes("login/", name="api-login")
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
        fields = validated(request, CredentialsSerializer)
        user = identity.sign_in(request=_django(request), **fields)
        login(_django(request), user)
        return Response(me_data(user))


@routes("logout/", name="api-logout")
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


@routes("token/", name="api-token")
class TokenView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer, tags=AUTH_TAGS)
    def post(self, request: Request) -> Response:
        """A new API token for this device, for email and password (the same rules as signing
        in); every call makes another. Send it as `Authorization: Token <token>`. It expires
        after API_TOKEN_TTL_HOURS (12 by default), is listed under /me/sessions/ and can be
        revoked there; a password change ends it."""
        data = validated(request, TokenRequestSerializer)
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


# Following a link mailed to an address (its token, from anyone who has the link); the answer is
# the address, now verified.
@extend_schema(request=LinkTokenSerializer, responses=EmailVerifiedSerializer)
class EmailLinkView(ActionView):
    permission_classes = (AllowAny,)
    form = LinkTokenSerializer

    def answer(self, user: User) -> dict[str, Any]:
        return EmailVerifiedSerializer({"email": user.email, "email_verified": True}).data


@routes("verify-email/", name="api-verify-email")
@extend_schema(tags=AUTH_TAGS)
class VerifyEmailView(EmailLinkView):
    """Confirm an email address with the token from the link mailed at sign-up."""

    def act(self, user: Any, **arguments: Any) -> User:
        return identity.email_verify(**arguments)


@routes("verify-email/resend/", name="api-verify-email-resend")
class VerifyEmailResendView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(request=EmailSerializer, responses={202: None}, tags=AUTH_TAGS)
    def post(self, request: Request) -> Response:
        """Mail the verification link again. Always 202, whether or not the address has an
        account waiting for verification."""
        identity.email_verification_resend(**validated(request, EmailSerializer))
        return Response(status=status.HTTP_202_ACCEPTED)
