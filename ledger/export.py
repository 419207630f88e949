"""Export the whole ledger as an hledger or beancount journal, or as CSV.

Everything is read inside one REPEATABLE READ, READ ONLY transaction, so the file is one
consistent snapshot: the closing balance assertions (taken from the accounts' cached balances)
describe exactly the transfers written above them, and checking the journal with `bean-check` or
`hledger check` proves that the cached balances equal the sums of the entries.

The ledger may hold millions of entries: rows come through server-side cursors, `CHUNK_SIZE` at a
time, in transfer id order, and are written as they arrive. Only currencies (a handful) are held
in memory. Amounts are integers in minor units and are formatted with integer arithmetic, never
through floats.

Journal account names fit both tools: beancount wants the roots Assets, Liabilities, Equity,
Income or Expenses and capitalised components, so the issuer (whose balance is minus the supply)
is `Equity:Issuer:<CODE>` and every other account `Assets:<Kind>:A<id>`. Human names, kinds and
statuses go into metadata (beancount) or tags (hledger).
"""

import csv
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any, Protocol

from django.db import connection, transaction

from .models import AccountKind

FORMATS = ("hledger", "beancount", "csv")
CHUNK_SIZE = 2000  # rows per round trip of a server-side cursor

CSV_HEADER = (
    "transfer_id",
    "created_at",
    "kind",
    "currency",
    "account_id",
    "account_kind",
    "amount",
    "balance_after",
    "account_version",
    "reverses_id",
    "idempotency_scope",
    "idempotency_key",
)

_ACCOUNT_PREFIX: dict[str, str] = {
    AccountKind.ISSUER: "Equity:Issuer",
    AccountKind.BUDGET: "Assets:Budget",
    AccountKind.WALLET: "Assets:Wallet",
    AccountKind.SHOP: "Assets:Shop",
    AccountKind.SETTLEMENT: "Assets:Settlement",
    AccountKind.EXPIRY: "Assets:Expiry",
    AccountKind.FUND: "Assets:Fund",
}


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
class _Currency:
    id: int
    code: str
    name: str
    decimals: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class _Leg:
    account_id: int
    account_kind: str
    amount: int
    balance_after: int
    account_version: int


@dataclass(frozen=True, slots=True)
class _Transfer:
    id: int
    created_at: str  # ISO 8601 in UTC, to the microsecond: 2025-05-01T09:30:00.000000Z
    day: date  # in UTC
    kind: str
    currency: _Currency
    reverses_id: int | None
    reversed_by_id: int | None
    idempotency_scope: str
    idempotency_key: str | None
    metadata: str  # as PostgreSQL prints jsonb; "{}" when empty
    legs: tuple[_Leg, ...]


@dataclass(frozen=True, slots=True)
class _Account:
    id: int
    currency: _Currency
    kind: str
    name: str
    status: str
    balance: int
    opened_on: date


# --- formatting helpers -----------------------------------------------------------------------


def format_minor(*, amount: int, decimals: int) -> str:
    """`amount` minor units as a decimal string with exactly `decimals` places: -5, 2 -> "-0.05"."""
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**decimals)
    return f"{sign}{whole}.{fraction:0{decimals}d}" if decimals else f"{sign}{whole}"


def journal_account_name(*, kind: str, account_id: int, currency_code: str) -> str:
    """The account's name in a journal, valid for beancount and hledger alike.

    The issuer, one per currency, is `Equity:Issuer:<CODE>`; any other account is
    `Assets:<Kind>:A<id>`, unique through the id.
    """
    if kind == AccountKind.ISSUER:
        return f"{_ACCOUNT_PREFIX[kind]}:{currency_code}"
    prefix = _ACCOUNT_PREFIX.get(kind)
    if prefix is None:  # a kind added to the model after this mapping: still a valid name
        component = re.sub(r"[^A-Za-z0-9]", "", kind).capitalize()
        prefix = f"Assets:{component if component[:1].isalpha() else 'Other'}"
    return f"{prefix}:A{account_id}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _compact_json(text: str) -> str:
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _bean_string(value: str) -> str:
    """A beancount string literal: quotes, backslashes and line breaks escaped."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _tag_value(value: str) -> str:
    """An hledger tag value: it would end at a comma or a line break, so those are %-escaped."""
    return (
        value.replace("%", "%25")
        .replace(",", "%2C")
        .replace("\n", "%0A")
        .replace("\r", "%0D")
        .strip()
    )


def _hledger_commodity(code: str) -> str:
    """hledger wants symbols with anything but letters in double quotes."""
    return code if code.isalpha() else f'"{code}"'


# --- reading ----------------------------------------------------------------------------------


@contextmanager
def _snapshot() -> Iterator[None]:
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


def _stream(sql: str) -> Iterator[tuple[Any, ...]]:
    """The rows of `sql` through a server-side cursor, `CHUNK_SIZE` per round trip."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(CHUNK_SIZE):
            yield from rows


def _currencies() -> dict[int, _Currency]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, code, name, decimals, created_at FROM ledger_currency ORDER BY code"
        )
        return {row[0]: _Currency(*row) for row in cursor.fetchall()}


# An account opens on the earlier of its creation and its first entry: created_at of accounts is
# the application's clock and that of transfers the database's (its transaction's start), so
# either may come first.
_ACCOUNTS_SQL = """
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
_BALANCES_SQL = """
SELECT a.id, a.currency_id, a.kind, a.name, a.status, a.balance, a.created_at
  FROM ledger_account a
 ORDER BY a.currency_id, a.id
"""

_ENTRIES_SQL = """
SELECT t.id, t.created_at, t.kind, t.currency_id, t.reverses_id, r.id,
       t.idempotency_scope, t.idempotency_key, t.metadata::text,
       e.account_id, a.kind, e.amount, e.balance_after, e.account_version
  FROM ledger_transfer t
  JOIN ledger_entry e ON e.transfer_id = t.id
  JOIN ledger_account a ON a.id = e.account_id
  LEFT JOIN ledger_transfer r ON r.reverses_id = t.id
 ORDER BY t.id, e.id
"""


def _accounts(sql: str, currencies: dict[int, _Currency]) -> Iterator[_Account]:
    for aid, currency_id, kind, name, status, balance, opened_at in _stream(sql):
        yield _Account(
            id=aid,
            currency=currencies[currency_id],
            kind=kind,
            name=name,
            status=status,
            balance=balance,
            opened_on=_utc(opened_at).date(),
        )


def _transfers(currencies: dict[int, _Currency]) -> Iterator[_Transfer]:
    for _tid, group in groupby(_stream(_ENTRIES_SQL), key=lambda row: row[0]):
        rows = list(group)
        first = rows[0]
        yield _Transfer(
            id=first[0],
            created_at=_iso(first[1]),
            day=_utc(first[1]).date(),
            kind=first[2],
            currency=currencies[first[3]],
            reverses_id=first[4],
            reversed_by_id=first[5],
            idempotency_scope=first[6],
            idempotency_key=first[7],
            metadata=first[8],
            legs=tuple(_Leg(*row[9:14]) for row in rows),
        )


# --- writers ----------------------------------------------------------------------------------


@dataclass
class _Counter:
    accounts: int = 0
    transfers: int = 0
    entries: int = 0
    last_transfer_id: int | None = None
    last_date: date | None = None

    def saw_transfer(self, t: _Transfer) -> None:
        self.transfers += 1
        self.entries += len(t.legs)
        self.last_transfer_id = t.id
        if self.last_date is None or t.day > self.last_date:
            self.last_date = t.day

    def saw_date(self, day: date) -> None:
        if self.last_date is None or day > self.last_date:
            self.last_date = day


def _posting_name(t: _Transfer, leg: _Leg) -> str:
    return journal_account_name(
        kind=leg.account_kind, account_id=leg.account_id, currency_code=t.currency.code
    )


def _account_name(a: _Account) -> str:
    return journal_account_name(kind=a.kind, account_id=a.id, currency_code=a.currency.code)


def _write_csv(out: TextSink, currencies: dict[int, _Currency], n: _Counter) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for t in _transfers(currencies):
        n.saw_transfer(t)
        decimals = t.currency.decimals
        writer.writerows(
            (
                t.id,
                t.created_at,
                t.kind,
                t.currency.code,
                leg.account_id,
                leg.account_kind,
                format_minor(amount=leg.amount, decimals=decimals),
                format_minor(amount=leg.balance_after, decimals=decimals),
                leg.account_version,
                "" if t.reverses_id is None else t.reverses_id,
                t.idempotency_scope,
                t.idempotency_key or "",
            )
            for leg in t.legs
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_account")
        (n.accounts,) = cursor.fetchone()


def _write_beancount(out: TextSink, currencies: dict[int, _Currency], n: _Counter) -> None:
    out.write(
        "; The whole ledger, one consistent snapshot, written by `manage.py ledger_export`.\n"
        "; Amounts are in tokens; the issuer's balance is minus the supply in circulation.\n"
        'option "title" "Ledger export"\n\n'
    )
    for c in sorted(currencies.values(), key=lambda c: c.code):
        out.write(
            f"{_utc(c.created_at).date().isoformat()} commodity {c.code}\n"
            f"  name: {_bean_string(c.name)}\n"
            f"  decimals: {c.decimals}\n"
        )
    out.write("\n")
    for a in _accounts(_ACCOUNTS_SQL, currencies):
        n.accounts += 1
        n.saw_date(a.opened_on)
        out.write(
            f"{a.opened_on.isoformat()} open {_account_name(a)} {a.currency.code}\n"
            f"  ledger-account-id: {a.id}\n"
            f"  kind: {_bean_string(a.kind)}\n"
            f"  name: {_bean_string(a.name)}\n"
            f"  status: {_bean_string(a.status)}\n"
        )
    for t in _transfers(currencies):
        n.saw_transfer(t)
        out.write(_beancount_transaction(t))
    # Beancount checks a balance at the start of its day: the day after everything above. It
    # would tolerate a difference of one minor unit by default; `~ 0` makes the check exact.
    when = (n.last_date or datetime.now(UTC).date()) + timedelta(days=1)
    out.write(f"\n; Balances after transfer #{n.last_transfer_id or 0}, exact (~ 0).\n")
    for a in _accounts(_BALANCES_SQL, currencies):
        amount = format_minor(amount=a.balance, decimals=a.currency.decimals)
        out.write(
            f"{when.isoformat()} balance {_account_name(a)}  {amount} ~ 0 {a.currency.code}\n"
        )


def _transfer_fields(t: _Transfer) -> list[tuple[str, int | str]]:
    """What both journal formats record about a transfer, before each format's escaping."""
    fields: list[tuple[str, int | str]] = [
        ("transfer_id", t.id),
        ("kind", t.kind),
        ("created_at", t.created_at),
    ]
    if t.reverses_id is not None:
        fields.append(("reverses", t.reverses_id))
    if t.reversed_by_id is not None:
        fields.append(("reversed_by", t.reversed_by_id))
    if t.idempotency_key is not None:
        fields.append(("idempotency_scope", t.idempotency_scope))
        fields.append(("idempotency_key", t.idempotency_key))
    if t.metadata != "{}":
        fields.append(("metadata", _compact_json(t.metadata)))
    return fields


def _beancount_transaction(t: _Transfer) -> str:
    links = ""
    if t.reverses_id is not None or t.reversed_by_id is not None:
        links = f" ^transfer-{t.reverses_id or t.id}"  # an original and its reversal, linked
    lines = [f"\n{t.day.isoformat()} * {_bean_string(f'{t.kind} #{t.id}')} #{t.kind}{links}"]
    for name, value in _transfer_fields(t):
        shown = str(value) if isinstance(value, int) else _bean_string(value)
        lines.append(f"  {name.replace('_', '-')}: {shown}")
    for leg in t.legs:
        amount = format_minor(amount=leg.amount, decimals=t.currency.decimals)
        lines.append(f"  {_posting_name(t, leg)}  {amount} {t.currency.code}")
    return "\n".join(lines) + "\n"


def _write_hledger(out: TextSink, currencies: dict[int, _Currency], n: _Counter) -> None:
    out.write(
        "; The whole ledger, one consistent snapshot, written by `manage.py ledger_export`.\n"
        "; Amounts are in tokens; the issuer's balance is minus the supply in circulation.\n"
        "; Tag values have %, commas and line breaks %-escaped.\n"
        "decimal-mark .\n\n"
    )
    for c in sorted(currencies.values(), key=lambda c: c.code):
        sample = format_minor(amount=1000 * 10**c.decimals, decimals=c.decimals)
        out.write(
            f"commodity {sample} {_hledger_commodity(c.code)}  ; name: {_tag_value(c.name)}\n"
        )
    out.write("\n")
    for a in _accounts(_BALANCES_SQL, currencies):
        n.accounts += 1
        out.write(
            f"account {_account_name(a)}  ; ledger_account_id: {a.id}, kind: {_tag_value(a.kind)}, "
            f"status: {_tag_value(a.status)}, name: {_tag_value(a.name)}\n"
        )
    for t in _transfers(currencies):
        n.saw_transfer(t)
        out.write(_hledger_transaction(t))
    when = (n.last_date or datetime.now(UTC).date()) + timedelta(days=1)
    current: _Currency | None = None
    for a in _accounts(_BALANCES_SQL, currencies):
        if a.currency is not current:
            current = a.currency
            out.write(
                f"\n{when.isoformat()} * closing balance assertions {current.code}\n"
                f"    ; after transfer #{n.last_transfer_id or 0}\n"
            )
        symbol = _hledger_commodity(a.currency.code)
        zero = format_minor(amount=0, decimals=a.currency.decimals)
        amount = format_minor(amount=a.balance, decimals=a.currency.decimals)
        out.write(f"    {_account_name(a)}  {zero} {symbol} = {amount} {symbol}\n")


def _hledger_transaction(t: _Transfer) -> str:
    tags = [
        f"{name}: {value if isinstance(value, int) else _tag_value(value)}"
        for name, value in _transfer_fields(t)
    ]
    symbol = _hledger_commodity(t.currency.code)
    lines = [f"\n{t.day.isoformat()} * {t.kind} #{t.id}"]
    lines.extend(f"    ; {tag}" for tag in tags)
    for leg in t.legs:
        amount = format_minor(amount=leg.amount, decimals=t.currency.decimals)
        lines.append(f"    {_posting_name(t, leg)}  {amount} {symbol}")
    return "\n".join(lines) + "\n"


_WRITERS = {"hledger": _write_hledger, "beancount": _write_beancount, "csv": _write_csv}


# --- entry points -----------------------------------------------------------------------------


def ledger_export(*, fmt: str, out: TextSink) -> ExportSummary:
    """Write the whole ledger to `out` as `fmt` (one of `FORMATS`) and say what was written.

    hledger and beancount get a journal: a commodity per currency, an account declaration per
    ledger account, a transaction per transfer (dated by its `created_at` in UTC, with its id,
    kind, idempotency key and reversal links as metadata) and a closing balance assertion per
    account. csv gets one row per entry under `CSV_HEADER`. Reads one REPEATABLE READ snapshot,
    streaming; call it outside any transaction (or inside a REPEATABLE READ one).
    """
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    n = _Counter()
    with _snapshot():
        currencies = _currencies()
        writer(out, currencies, n)
    return ExportSummary(
        fmt=fmt,
        currencies=len(currencies),
        accounts=n.accounts,
        transfers=n.transfers,
        entries=n.entries,
        last_transfer_id=n.last_transfer_id,
    )


def ledger_export_to_path(*, fmt: str, path: Path) -> ExportSummary:
    """Write the export to the file `path`, all or nothing.

    The export goes to a temporary file in the same directory, is flushed to disk and then
    renamed over `path`, so `path` is either the complete export or untouched. Raises
    `ExportError` with a readable message if the file cannot be written.
    """
    if path.is_dir():
        raise ExportError(f"Cannot write the export to {path}: it is a directory.")
    directory = path.parent
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, renamed or removed)
            mode="w",
            encoding="utf-8",
            newline="",
            dir=directory,
            prefix=f".{path.name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as exc:
        raise ExportError(
            f"Cannot write the export to {path}: {exc.strerror or exc} ({directory})."
        ) from exc
    temp = Path(handle.name)
    try:
        with handle:
            summary = ledger_export(fmt=fmt, out=handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, _new_file_mode(path))
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ExportError(f"Cannot write the export to {path}: {exc.strerror or exc}.") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return summary


def _new_file_mode(path: Path) -> int:
    """The mode `path` keeps (if it exists) or would get from a plain `open()` (umask applied);
    a temporary file is created private (0600)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
