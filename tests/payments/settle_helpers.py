"""Helpers of the voucher and settlement tests (pay-settle): an approved shop, tokens put in a
shop, balances."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from payments import voucher_batches
from rewards.models import Campaign
from shops import services as shop_services
from shops.models import Shop

SHOP = {
    "name": "Bakkerij Kerkrade",
    "address": "Saroleastraat 1, 6411 Heerlen",
    "category": "bakery",
    "iban": "NL91ABNA0417164300",
}


def approved_shop(owner: User, approver: User, **changes) -> Shop:
    shop = shop_services.shop_apply(owner=owner, **{**SHOP, **changes})
    return shop_services.shop_approve(staff=approver, shop_id=shop.pk)


def shop_fund(shop: Shop, amount: int) -> None:
    """Put tokens in a shop's account straight from the issuer (set-up only)."""
    currency = ledger_services.currency_get_or_create(
        code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
    )
    issuer = ledger_selectors.issuer_account(currency=currency)
    assert shop.account_id is not None, "only an approved shop has an account"
    ledger_services.transfer_post(
        kind="mint",
        legs=ledger_services.legs_between(
            source_id=issuer.pk, destination_id=shop.account_id, amount=amount
        ),
    )


def balance(account_id: int) -> int:
    return ledger_selectors.account_balance(account_id=account_id)


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
