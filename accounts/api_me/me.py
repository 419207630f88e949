"""The person's profile, password, email address and sessions, and privacy (export,
deletion)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout, update_session_auth_hash
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import validated
from core.routes import Routes

from .. import identity, privacy, tokens
from ..authentication import request_token
from ..models import User
from .auth import EmailLinkView
from .auth import routes as auth_routes
from .serializers import (
    TAGS,
    DeleteSerializer,
    EmailChangeSerializer,
    MeSerializer,
    MeUpdateSerializer,
    PasswordChangeSerializer,
    SessionSerializer,
    _django,
    _session_key,
    _user,
    me_data,
)

# The person's own things, under me/; their sessions under me/sessions/.
routes = Routes()
sessions = routes.group("sessions/")

# --- Me ------------------------------------------------------------------------------------


@routes("", name="api-me")
class MeView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses=MeSerializer, tags=TAGS)
    def get(self, request: Request) -> Response:
        """Who I am: profile, roles and whether my email address is verified."""
        return Response(me_data(_user(request)))

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer, tags=TAGS)
    def patch(self, request: Request) -> Response:
        """Change my display name, neighbourhood (residents) or language."""
        data = validated(request, MeUpdateSerializer)
        user = identity.profile_update(user=_user(request), data=data)
        return Response(me_data(user))


@routes("password/", name="api-me-password")
class PasswordView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=PasswordChangeSerializer, responses={204: None}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Change my password (the current one first). Every other session ends."""
        old_key = _session_key(request)
        user = identity.password_change(
            user=_user(request),
            request=_django(request),
            current_key=old_key,
            current_token=request_token(request),
            **validated(request, PasswordChangeSerializer),
        )
        if old_key:
            update_session_auth_hash(_django(request), user)
            identity.session_rekey(old_key=old_key, new_key=_django(request).session.session_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


@routes("email/", name="api-me-email")
class EmailView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=EmailChangeSerializer, responses={202: None}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Ask to change my email address (password first). It changes when the link mailed to
        the new address is followed; the old address is told."""
        identity.email_change_request(
            user=_user(request),
            request=_django(request),
            **validated(request, EmailChangeSerializer),
        )
        return Response(status=status.HTTP_202_ACCEPTED)


@auth_routes("confirm-email/", name="api-confirm-email")
@extend_schema(tags=TAGS)
class EmailConfirmView(EmailLinkView):
    """Confirm a new email address with the token from the link mailed to it."""

    def act(self, user: Any, **arguments: Any) -> User:
        return identity.email_change_confirm(**arguments)


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


@sessions("", name="api-me-sessions")
class SessionsView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses=SessionSerializer(many=True), tags=TAGS)
    def get(self, request: Request) -> Response:
        """Where I am signed in: browser sessions that have not ended, then API tokens that
        still work (newest first); the current one marked."""
        return _sessions(request)


@sessions("<int:session_id>/", name="api-me-session")
class SessionView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: None, 404: OpenApiResponse()}, tags=TAGS)
    def delete(self, request: Request, session_id: int) -> Response:
        """End one of my sessions (someone else's answers 404)."""
        record = identity.session_end(user=_user(request), session_id=session_id)
        if record.session_key == _session_key(request):
            logout(_django(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@sessions("tokens/<int:token_id>/", name="api-me-token")
class TokenRevokeView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: None, 404: OpenApiResponse()}, tags=TAGS)
    def delete(self, request: Request, token_id: int) -> Response:
        """Revoke one of my API tokens: it stops working at once (someone else's answers
        404)."""
        tokens.api_token_revoke(user=_user(request), token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@sessions("end-others/", name="api-me-sessions-end-others")
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


@routes("data/", name="api-me-data")
class DataView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: OpenApiResponse(description="All my data, as JSON.")}, tags=TAGS)
    def get(self, request: Request) -> Response:
        """Download everything held about me (GDPR), as a JSON attachment."""
        return Response(
            privacy.data_export(user=_user(request)),
            headers={"Content-Disposition": 'attachment; filename="heitje-my-data.json"'},
        )


@routes("delete/", name="api-me-delete")
class DeleteView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=DeleteSerializer, responses={204: None}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Delete my account for good (password and `confirm: true`). Tokens left in the wallet
        go to the community fund; a shop owner must hand the shop over first (409)."""
        privacy.person_erase(
            user=_user(request), request=_django(request), **validated(request, DeleteSerializer)
        )
        logout(_django(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
