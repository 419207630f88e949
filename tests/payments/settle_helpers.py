"""Helpers of the voucher and settlement tests (pay-settle): an approved shop, tokens put in a
shop, balances."""

from accounts.models import Shop, User
from tests.factories import ShopFactory, balance, mint

__all__ = ["approved_shop", "balance", "shop_fund"]


def approved_shop(owner: User, approver: User, **changes) -> Shop:
    return ShopFactory.create(owner=owner, approver=approver, **changes)


def shop_fund(shop: Shop, amount: int) -> None:
    """Put tokens in a shop's account straight from the issuer (set-up only)."""
    assert shop.account_id is not None, "only an approved shop has an account"
    mint(shop.account_id, amount)
