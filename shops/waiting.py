"""What the shops queue holds for the staff home, the badge and the digest (registered in
ShopsConfig.ready): shops that applied and wait for approval."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from accounts.waiting import staff_waiting_register

from .models import Shop, ShopStatus
from .services import SHOP_STAFF_ROLES


def waiting_register() -> None:
    staff_waiting_register(
        key="shops",
        label=gettext_lazy("Shops to approve"),
        roles=SHOP_STAFF_ROLES,
        url_name="staff-shops",
        query="status=pending",
        count=lambda: Shop.objects.filter(status=ShopStatus.PENDING).count(),
    )
