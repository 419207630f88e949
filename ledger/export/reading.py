"""What every export format reads: one consistent snapshot of the ledger, streamed.

Everything is read inside one REPEATABLE READ, READ ONLY transaction; rows come through
server-side cursors, `CHUNK_SIZE` at a time, in transfer id order. Only currencies (a handful)
are held in memory.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from typing import Any, Protocol

from django.db import connection, transaction

from ..models import Transfer
from ..progress import tracked
from .names import iso, utc

CHUNK_SIZE = 2000  # rows per round trip of a server-side cursor


class ExportError(Exception):
    """The export could not be written; the message says why, for a human."""


class TextSink(Protocol):
    """Anything with `write(str)`: a text file, `io.StringIO`, a command's stdout."""

    def write(self, s: str, /) -> object: ...


@dataclass(frozen=True, slots=True)
class ExportSummary:
    fmt: str
    currencies: int
    accounts: int
    transfers: int
    entries: int
    last_transfer_id: int | None

    def summary(self) -> str:
        last = f", up to transfer #{self.last_transfer_id}" if self.last_transfer_id else ""
        return (
            f"exported {self.transfers} transfers, {self.entries} entries, {self.accounts} "
            f"accounts and {self.currencies} currencies as {self.fmt}{last}"
        )


@dataclass(frozen=True, slots=True)
class CurrencyRow:
    id: int
    code: str
    name: str
    decimals: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LegRow:
    account_id: int
    account_kind: str
    amount: int
    balance_after: int
    account_version: int


@dataclass(frozen=True, slots=True)
class TransferRow:
    id: int
    created_at: str  # ISO 8601 in UTC, to the microsecond: 2025-05-01T09:30:00.000000Z
    day: date  # in UTC
    kind: str
    currency: CurrencyRow
    reverses_id: int | None
    reversed_by_id: int | None
    idempotency_scope: str
    idempotency_key: str | None
    metadata: str  # as PostgreSQL prints jsonb; "{}" when empty
    legs: tuple[LegRow, ...]


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: int
    currency: CurrencyRow
    kind: str
    name: str
    status: str
    balance: int
    opened_on: date


@contextmanager
def snapshot() -> Iterator[None]:
    """One REPEATABLE READ, READ ONLY transaction: every query below sees the same ledger."""
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('transaction_isolation')")
            (isolation,) = cursor.fetchone()
        if isolation not in ("repeatable read", "serializable"):
            raise ExportError(
                "The ledger export needs its own REPEATABLE READ transaction for a consistent "
                f"snapshot; it was called inside a {isolation} transaction."
            )
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def stream(sql: str) -> Iterator[tuple[Any, ...]]:
    """The rows of `sql` through a server-side cursor, `CHUNK_SIZE` per round trip."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(CHUNK_SIZE):
            yield from rows


def currency_rows() -> dict[int, CurrencyRow]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, code, name, decimals, created_at FROM ledger_currency ORDER BY code"
        )
        return {row[0]: CurrencyRow(*row) for row in cursor.fetchall()}


# An account opens on the earlier of its creation and its first entry: created_at of accounts is
# the application's clock and that of transfers the database's (its transaction's start), so
# either may come first.
ACCOUNTS_SQL = """
SELECT a.id, a.currency_id, a.kind, a.name, a.status, a.balance,
       LEAST(a.created_at, f.first_at)
  FROM ledger_account a
  LEFT JOIN (SELECT e.account_id, min(t.created_at) AS first_at
               FROM ledger_entry e JOIN ledger_transfer t ON t.id = e.transfer_id
              GROUP BY e.account_id) f ON f.account_id = a.id
 ORDER BY a.id
"""

# Cheaper, for what needs no opening date (hledger's declarations, the closing balance
# assertions): created_at stands in for it.
BALANCES_SQL = """
SELECT a.id, a.currency_id, a.kind, a.name, a.status, a.balance, a.created_at
  FROM ledger_account a
 ORDER BY a.currency_id, a.id
"""

ENTRIES_SQL = """
SELECT t.id, t.created_at, t.kind, t.currency_id, t.reverses_id, r.id,
       t.idempotency_scope, t.idempotency_key, t.metadata::text,
       e.account_id, a.kind, e.amount, e.balance_after, e.account_version
  FROM ledger_transfer t
  JOIN ledger_entry e ON e.transfer_id = t.id
  JOIN ledger_account a ON a.id = e.account_id
  LEFT JOIN ledger_transfer r ON r.reverses_id = t.id
 ORDER BY t.id, e.id
"""


def accounts(sql: str, currencies: dict[int, CurrencyRow]) -> Iterator[AccountRow]:
    for aid, currency_id, kind, name, status, balance, opened_at in stream(sql):
        yield AccountRow(
            id=aid,
            currency=currencies[currency_id],
            kind=kind,
            name=name,
            status=status,
            balance=balance,
            opened_on=utc(opened_at).date(),
        )


def transfers(currencies: dict[int, CurrencyRow]) -> Iterator[TransferRow]:
    grouped = groupby(stream(ENTRIES_SQL), key=lambda row: row[0])
    for _tid, group in tracked(grouped, total=Transfer.objects.count, what="transfers"):
        rows = list(group)
        first = rows[0]
        yield TransferRow(
            id=first[0],
            created_at=iso(first[1]),
            day=utc(first[1]).date(),
            kind=first[2],
            currency=currencies[first[3]],
            reverses_id=first[4],
            reversed_by_id=first[5],
            idempotency_scope=first[6],
            idempotency_key=first[7],
            metadata=first[8],
            legs=tuple(LegRow(*row[9:14]) for row in rows),
        )


@dataclass
class Counter:
    accounts: int = 0
    transfers: int = 0
    entries: int = 0
    last_transfer_id: int | None = None
    last_date: date | None = None

    def saw_transfer(self, t: TransferRow) -> None:
        self.transfers += 1
        self.entries += len(t.legs)
        self.last_transfer_id = t.id
        if self.last_date is None or t.day > self.last_date:
            self.last_date = t.day

    def saw_date(self, day: date) -> None:
        if self.last_date is None or day > self.last_date:
            self.last_date = day
