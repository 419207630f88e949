"""Refusals of the shop rules, with stable codes and HTTP statuses for problem+json."""

from core.errors import DomainError


class ShopRefused(DomainError, code="shop-refused"): ...


class InviteRefused(DomainError, code="invite-refused"): ...


class TooManyInvites(InviteRefused, code="too-many-invites", status=429): ...


class ShopStateConflict(DomainError, code="shop-state-conflict", status=409):
    """The shop is not in a state that allows this (already approved, already suspended)."""
