"""API tokens: one per sign-in of a device, stored hashed (django-rest-knox), expiring after
API_TOKEN_TTL_HOURS, listed with the person's sessions and revoked like them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import get_digest_token
from knox.settings import CONSTANTS

from .errors import NotFound, TooManyTokens
from .models import ApiToken, User


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `key` is shown this once and kept nowhere (only its hash is stored)."""

    record: ApiToken
    key: str


def _live(user: User) -> Q:
    return Q(user=user) & (Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))


def api_token_create(
    *,
    user: User,
    device_name: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> IssuedToken:
    """Issue a new API token for one device of a signed-in person; every call gives a new one.
    It expires API_TOKEN_TTL_HOURS from now and is never renewed by use. A person holds at most
    API_TOKEN_LIMIT live tokens: beyond that they end one first (their expired ones go here)."""
    device_name = " ".join(str(device_name or "").split())[:100]
    with transaction.atomic():
        # The person's row serialises their token sign-ins, so two at once cannot pass the limit.
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        ApiToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
        if ApiToken.objects.filter(_live(user)).count() >= settings.API_TOKEN_LIMIT:
            raise TooManyTokens(
                _(
                    "You have %(count)d API tokens in use, the most there can be. End one under "
                    "your sessions first."
                )
                % {"count": settings.API_TOKEN_LIMIT}
            )
        digest, key = get_digest_token()
        record = ApiToken.objects.create(
            user=user,
            digest=digest,
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            expiry=timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
            device_name=device_name,
            ip_address=ip_address,
            user_agent=str(user_agent or "")[:300],
        )
    return IssuedToken(record=record, key=key)


def api_token_list(*, user: User) -> list[ApiToken]:
    """One's own tokens that still work, newest first."""
    return list(ApiToken.objects.filter(_live(user)).order_by("-created", "-id"))


def api_token_revoke(*, user: User, token_id: int) -> None:
    """Revoke one of one's own tokens: it stops working at once. Someone else's token is not
    found, never revoked."""
    deleted, _rows = ApiToken.objects.filter(_live(user), pk=token_id).delete()
    if not deleted:
        raise NotFound(_("There is no such API token."))


def api_tokens_revoke_all(*, user: User, keep: ApiToken | None = None) -> int:
    """Revoke every token of the person but `keep` (the one the current request uses, if any).
    Returns how many that still worked were revoked."""
    tokens = ApiToken.objects.filter(user=user)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    live = tokens.filter(_live(user)).count()
    tokens.delete()
    return live
