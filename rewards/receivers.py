"""Rewards listening to people and access: a resident's residency verified releases the claims
that waited for it (accounts.signals.residency_verified is sent after commit)."""

from typing import Any

from accounts.models import User

from . import review


def residency_verified(sender: object, *, user: User, **kwargs: Any) -> None:
    review.claims_release_verified(user_id=user.pk)
