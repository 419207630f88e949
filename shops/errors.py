"""Refusals of the shop rules, with stable codes and HTTP statuses for problem+json."""

from accounts.errors import AccountsError


class ShopRefused(AccountsError):
    code = "shop-refused"


class InviteRefused(AccountsError):
    code = "invite-refused"


class TooManyInvites(InviteRefused):
    code = "too-many-invites"
    status = 429


class ShopStateConflict(AccountsError):
    """The shop is not in a state that allows this (already approved, already suspended)."""

    code = "shop-state-conflict"
    status = 409
