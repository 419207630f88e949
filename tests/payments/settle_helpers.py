"""Helpers of the voucher and settlement tests (pay-settle): an approved shop, tokens put in a
shop, balances."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from payments import voucher_batches
from rewards.models import Campaign
from shops.models import Shop
from tests.factories import ShopFactory, balance, mint

__all__ = ["approved_shop", "balance", "shop_fund"]


def approved_shop(owner: User, approver: User, **changes) -> Shop:
    return ShopFactory.create(owner=owner, approver=approver, **changes)


def shop_fund(shop: Shop, amount: int) -> None:
    """Put tokens in a shop's account straight from the issuer (set-up only)."""
    assert shop.account_id is not None, "only an approved shop has an account"
    mint(shop.account_id, amount)


def vouchers_issued(
    manager: User, approver: User, campaign: Campaign, **fields: Any
) -> voucher_batches.VoucherSheet:
    """A printed batch (set-up only): the manager requests it, the approver approves it, the
    manager prints the sheet; its vouchers can be redeemed."""
    fields = {
        "name": "Winter",
        "value": 500,
        "count": 1,
        "expires_at": timezone.now() + timedelta(days=30),
        **fields,
    }
    batch = voucher_batches.voucher_batch_request(actor=manager, campaign_id=campaign.pk, **fields)
    voucher_batches.voucher_batch_approve(actor=approver, batch_id=batch.pk)
    return voucher_batches.voucher_batch_sheet(actor=manager, batch_id=batch.pk)
