"""Reads of the ledger. Balances are O(1) (cached on the account, kept by the writer);
statements page by keyset on the account's version, so page N costs what page 1 costs."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Sum

from .errors import UnknownAccount
from .models import Account, AccountKind, Block, Currency, Entry


def account_balance(*, account_id: int) -> int:
    """The account's balance in minor units: one primary-key lookup, whatever its history."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT balance FROM ledger_account WHERE id = %s", [account_id])
        row = cursor.fetchone()
    if row is None:
        raise UnknownAccount([account_id])
    return int(row[0])


def account_balance_at(*, account_id: int, transfer_id: int) -> int:
    """The account's balance right after transfer `transfer_id` (whether or not it touched it).

    Per account, transfer ids grow with the version (ids are drawn while the account is
    locked), so the last entry with a transfer id up to the given one holds the answer.
    """
    if not Account.objects.filter(pk=account_id).exists():
        raise UnknownAccount([account_id])
    row = (
        Entry.objects.filter(account_id=account_id, transfer_id__lte=transfer_id)
        .order_by("-transfer_id")
        .values_list("balance_after", flat=True)
        .first()
    )
    return int(row or 0)


@dataclass(frozen=True, slots=True)
class StatementLine:
    version: int
    transfer_id: int
    kind: str
    created_at: datetime
    amount: int
    balance_after: int
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StatementPage:
    lines: list[StatementLine]
    next_before: int | None  # pass as `before_version` for the next (older) page


def account_statement(
    *, account_id: int, before_version: int | None = None, limit: int = 50
) -> StatementPage:
    """The account's entries, newest first, `limit` at a time (keyset pagination)."""
    if not Account.objects.filter(pk=account_id).exists():
        raise UnknownAccount([account_id])
    limit = max(1, min(limit, 500))
    qs = Entry.objects.filter(account_id=account_id)
    if before_version is not None:
        qs = qs.filter(account_version__lt=before_version)
    rows = list(
        qs.order_by("-account_version").values_list(
            "account_version",
            "transfer_id",
            "transfer__kind",
            "transfer__created_at",
            "amount",
            "balance_after",
            "transfer__metadata",
        )[: limit + 1]
    )
    lines = [StatementLine(*row) for row in rows[:limit]]
    next_before = lines[-1].version if len(rows) > limit else None
    return StatementPage(lines=lines, next_before=next_before)


def currency_supply(*, currency: Currency) -> int:
    """Tokens in circulation: what the issuer has put out, minus what came back to it."""
    total = Account.objects.filter(currency=currency, kind=AccountKind.ISSUER).aggregate(
        s=Sum("balance")
    )["s"]
    return -int(total or 0)


def currency_supplies() -> list[tuple[Currency, int]]:
    return [(c, currency_supply(currency=c)) for c in Currency.objects.order_by("code")]


def issuer_account(*, currency: Currency) -> Account:
    return Account.objects.get(currency=currency, kind=AccountKind.ISSUER)


def block_head() -> Block | None:
    """The latest sealed block, or None before the first seal."""
    return Block.objects.order_by("-height").first()
