"""What shops hold about a person, for their data export and their erasure (accounts.privacy
sends accounts.signals.data_exporting and account_erasing; connected in shops.apps)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.errors import DeletionRefused
from accounts.models import User
from accounts.privacy import erased_email

from .models import CashierInvite, ShopMember, ShopRole


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def data_exporting(sender: object, *, user: User, **kwargs: Any) -> dict[str, Any]:
    """Receiver of accounts.signals.data_exporting: the person's memberships of shops and the
    cashier invitations sent to their address, under "shop_memberships" and
    "cashier_invitations"."""
    return {
        "shop_memberships": [
            {
                "shop_id": m.shop_id,
                "shop": m.shop.name,
                "role": m.role,
                "since": _when(m.created_at),
                "shop_status": m.shop.status,
            }
            for m in ShopMember.objects.select_related("shop").filter(user=user).order_by("id")
        ],
        "cashier_invitations": [
            {
                "shop": i.shop.name,
                "email": i.email,
                "sent_at": _when(i.created_at),
                "accepted_at": _when(i.accepted_at),
                "revoked_at": _when(i.revoked_at),
            }
            for i in CashierInvite.objects.select_related("shop")
            .filter(email__iexact=user.email)
            .order_by("id")
        ],
    }


def account_erasing(sender: object, *, user: User, **kwargs: Any) -> None:
    """Receiver of accounts.signals.account_erasing (the person's row is locked, their email not
    yet pseudonymised): someone who owns a shop must hand it over first, which refuses the whole
    deletion; a cashier stops being one; invitations sent to their address keep only the
    pseudonym."""
    if ShopMember.objects.filter(user=user, role=ShopRole.OWNER).exists():
        raise DeletionRefused(
            _(
                "You own a shop. Hand the shop over to someone else, or ask the "
                "municipality to close it, before you delete your account."
            )
        )
    ShopMember.objects.filter(user=user, role=ShopRole.CASHIER).delete()
    CashierInvite.objects.filter(email__iexact=user.email).update(email=erased_email(user))
