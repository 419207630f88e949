"""Reading shops: a person's memberships, the owner's cashiers, the staff's queues. Only members
see a shop; to anyone else it does not exist (NotFound, never "forbidden")."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import NotAllowed, NotFound
from accounts.models import User
from core.rows import Columns, cache_relation, fetch_one
from ledger.models import Account, Currency

from .models import CashierInvite, Shop, ShopMember, ShopRole, ShopStatus


@dataclass(frozen=True)
class Membership:
    shop: Shop
    role: str

    @property
    def is_owner(self) -> bool:
        return self.role == ShopRole.OWNER


def shop_memberships(*, user: User) -> list[Membership]:
    """The shops this person belongs to, with their role in each."""
    if not user.is_authenticated:
        return []
    rows = ShopMember.objects.filter(user=user).select_related("shop").order_by("shop__name")
    return [Membership(shop=m.shop, role=m.role) for m in rows]


_SHOP = Columns(Shop, "s")
_ACCOUNT = Columns(Account, "a")
_CURRENCY = Columns(Currency, "c")


@functools.cache
def _membership_sql() -> str:
    # Every column of the shop, its account and the account's currency, as
    # select_related("shop", "shop__account__currency") loads them; written as SQL because
    # compiling that 4-table select cost more CPU than the rest of a till's lookup.
    # The column lists come from the models, nothing from a request (hence the noqa).
    return f"""
        SELECT m.role, {_SHOP.sql}, {_ACCOUNT.sql}, {_CURRENCY.sql}
          FROM accounts_shopmember m
          JOIN accounts_shop s ON s.id = m.shop_id
          LEFT JOIN ledger_account a ON a.id = s.account_id
          LEFT JOIN ledger_currency c ON c.id = a.currency_id
         WHERE m.user_id = %s AND m.shop_id = %s
         LIMIT 1
    """  # noqa: S608


def shop_membership(*, user: User, shop_id: int) -> Membership:
    """The shop (with its account and currency loaded) and this person's role in it; NotFound
    when they are not a member. One statement on every till request: see _membership_sql."""
    if not user.is_authenticated:
        raise NotFound(_("There is no such shop."))
    row = fetch_one(_membership_sql(), (user.pk, shop_id))
    if row is None:
        raise NotFound(_("There is no such shop."))
    shop = _SHOP.load(row, 1)
    assert shop is not None
    account = _ACCOUNT.load(row, 1 + _SHOP.width)
    if account is not None:
        cache_relation(account, "currency", _CURRENCY.load(row, 1 + _SHOP.width + _ACCOUNT.width))
    cache_relation(shop, "account", account)
    return Membership(shop=shop, role=row[0])


def shop_owned(*, owner: User, shop_id: int, lock: bool = False) -> Shop:
    """The shop if `owner` owns it. A cashier asking gets NotAllowed (they can see the shop);
    anyone else NotFound."""
    membership = shop_membership(user=owner, shop_id=shop_id)
    if not membership.is_owner:
        raise NotAllowed(_("Only the shop's owner may do this."))
    if lock:
        return Shop.objects.select_for_update().get(pk=shop_id)
    return membership.shop


def shop_cashiers(*, owner: User, shop_id: int) -> tuple[list[ShopMember], list[CashierInvite]]:
    """The shop's cashiers and its open invitations (owner only)."""
    shop = shop_owned(owner=owner, shop_id=shop_id)
    cashiers = list(
        shop.members.filter(role=ShopRole.CASHIER).select_related("user").order_by("created_at")
    )
    invites = list(
        shop.cashier_invites.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).order_by("created_at")
    )
    return cashiers, invites


def shops_for_staff(*, status: str | None = None) -> QuerySet[Shop]:
    """Every shop, oldest first (by id, which the database gives out in the order shops apply,
    so the list pages by cursor on the primary key's index), optionally of one status (for the
    staff's approval queue)."""
    shops = Shop.objects.select_related("created_by", "account").order_by("id")
    if status:
        shops = shops.filter(status=status)
    return shops


def shops_with_pending_changes() -> QuerySet[Shop]:
    """Shops whose new name or address waits for review, oldest request first."""
    return (
        Shop.objects.filter(change_requested_at__isnull=False)
        .select_related("created_by", "account")
        .order_by("change_requested_at", "id")
    )


def shops_accepting() -> QuerySet[Shop]:
    """Shops a resident can pay now: approved, with their ledger account open."""
    return (
        Shop.objects.select_related("neighbourhood")
        .filter(status=ShopStatus.APPROVED, account__isnull=False, account__status="open")
        .order_by("name", "id")
    )
