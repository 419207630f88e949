"""API token authentication: django-rest-knox's per-device tokens (`Authorization: Token <key>`),
which records when a token was last used, and answers a refused token with 401."""

from __future__ import annotations

import binascii
import functools
from datetime import timedelta
from hmac import compare_digest
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.request import Request

from core.rows import Columns, cache_relation

from .models import ApiToken, User

_TOUCH_EVERY = timedelta(minutes=1)
# knox's answer to an unknown token, word for word; translated in DRF's catalogs (a variable,
# so that makemessages does not copy it into ours).
_REFUSED = "Invalid token."
_TOKEN = Columns(ApiToken, "t")
_USER = Columns(User, "u")


@functools.cache
def _token_sql() -> str:
    # What knox's filter(token_key=...).select_related("user") runs, every column of both.
    return f"""
        SELECT {_TOKEN.sql}, {_USER.sql}
          FROM accounts_apitoken t
          JOIN accounts_user u ON u.id = t.user_id
         WHERE t.token_key = %s
    """  # noqa: S608 - the column lists come from the models, nothing from a request


def carries_token(request: Request) -> bool:
    """True when the request names a token (`Authorization: Token ...`), valid or not."""
    scheme = get_authorization_header(request).split(b" ", 1)[0]
    return scheme.lower() == knox_settings.AUTH_HEADER_PREFIX.lower().encode()


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token check (hash compared in constant time, expired tokens refused and deleted,
    inactive people refused). A token request never counts as two-factor verified: the user
    it yields comes from the token, not from a session django-otp has checked."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        if not carries_token(request):
            return None  # a session, or nobody: the next authenticator's turn
        return super().authenticate(request)

    def authenticate_header(self, request: Request) -> str | None:
        # DRF asks the first authenticator how to challenge: a caller that sent a token learns
        # it was refused (401, `WWW-Authenticate: Token`); one without stays at 403, as the
        # session-based API always answered.
        return knox_settings.AUTH_HEADER_PREFIX if carries_token(request) else None

    def authenticate_credentials(self, token: bytes) -> tuple[User, ApiToken]:
        """knox's own check, with its one query (the tokens of this key prefix, each with its
        person) written as SQL: compiling that 2-table select was a sixth of a till request's
        CPU. Expired tokens are refused and deleted, the hash compared in constant time."""
        msg = gettext_lazy(_REFUSED)
        text = token.decode("utf-8")
        with connection.cursor() as cursor:
            cursor.execute(_token_sql(), (text[: CONSTANTS.TOKEN_KEY_LENGTH],))
            rows = cursor.fetchall()
        for row in rows:
            auth_token = _TOKEN.load(row)
            assert auth_token is not None
            cache_relation(auth_token, "user", _USER.load(row, _TOKEN.width))
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(msg) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def _cleanup_token(self, auth_token: ApiToken) -> bool:
        """Refuse (and delete) this token once expired. knox also loads every other token of
        the person on every request to delete their expired ones: one query per API request,
        for rows nothing reads (lists show live tokens only; a new sign-in deletes them)."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False

    def validate_user(self, auth_token: ApiToken) -> tuple[User, ApiToken]:
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        # At most one write a minute per token, as for sessions (last_seen_at).
        if token.last_used_at is None or token.last_used_at < now - _TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token


def request_token(request: Request) -> ApiToken | None:
    """The token the request was authenticated with, if any."""
    auth: Any = request.auth
    return auth if isinstance(auth, ApiToken) else None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token: `Authorization: Token <token>`."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=knox_settings.AUTH_HEADER_PREFIX
        )
