"""Recompute everything the ledger claims, from its rows, in one consistent snapshot.

The ledger knows nothing above it, yet the apps above it record what each transfer was for (a
payment, a refund, a claim's payout). They register cross-checks here (`verify_check_register`,
from their AppConfig.ready()); `ledger_verify` runs them in the same snapshot and reports what
they find next to its own problems."""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from . import sealing
from .models import Block
from .progress import tracked


@dataclass
class VerifyReport:
    transfers: int = 0
    entries: int = 0
    accounts: int = 0
    blocks: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        state = "ok" if self.ok else f"BROKEN ({len(self.problems)} problems)"
        return (
            f"ledger {state}: {self.transfers} transfers, {self.entries} entries, "
            f"{self.accounts} accounts, {self.blocks} blocks checked"
        )


_UNBALANCED_SQL = """
SELECT t.id, count(e.id), coalesce(sum(e.amount), 0), count(DISTINCT a.currency_id)
  FROM ledger_transfer t
  LEFT JOIN ledger_entry e ON e.transfer_id = t.id
  LEFT JOIN ledger_account a ON a.id = e.account_id
 GROUP BY t.id
HAVING count(e.id) < 2 OR coalesce(sum(e.amount), 0) <> 0 OR count(DISTINCT a.currency_id) <> 1
    OR bool_or(a.currency_id <> t.currency_id)
 ORDER BY t.id
"""

_ORPHANS_SQL = """
SELECT e.transfer_id, count(*)
  FROM ledger_entry e LEFT JOIN ledger_transfer t ON t.id = e.transfer_id
 WHERE t.id IS NULL
 GROUP BY e.transfer_id ORDER BY e.transfer_id
"""

_CACHED_SQL = """
SELECT a.id, a.balance, a.version, coalesce(s.total, 0), coalesce(s.n, 0), coalesce(s.top, 0)
  FROM ledger_account a
  LEFT JOIN (SELECT account_id, sum(amount) AS total, count(*) AS n, max(account_version) AS top
               FROM ledger_entry GROUP BY account_id) s ON s.account_id = a.id
 WHERE a.balance <> coalesce(s.total, 0) OR a.version <> coalesce(s.n, 0)
    OR a.version <> coalesce(s.top, 0) OR (a.balance < 0 AND NOT a.allow_negative)
 ORDER BY a.id
"""

_CHAIN_SQL = """
SELECT x.account_id, x.account_version, x.transfer_id
  FROM (SELECT e.account_id, e.account_version, e.transfer_id, e.amount, e.balance_after,
               lag(e.balance_after, 1, 0::bigint) OVER w AS prev_after,
               lag(e.account_version, 1, 0::bigint) OVER w AS prev_version,
               lag(e.transfer_id, 1, 0::bigint) OVER w AS prev_transfer,
               a.allow_negative
          FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
        WINDOW w AS (PARTITION BY e.account_id ORDER BY e.account_version)) x
 WHERE x.balance_after <> x.prev_after + x.amount
    OR x.account_version <> x.prev_version + 1
    OR x.transfer_id <= x.prev_transfer
    OR (x.balance_after < 0 AND NOT x.allow_negative)
 ORDER BY x.account_id, x.account_version
"""

_CURRENCY_SQL = """
SELECT c.code, coalesce(sum(a.balance), 0),
       coalesce((SELECT sum(e.amount)
                   FROM ledger_entry e JOIN ledger_account b ON b.id = e.account_id
                  WHERE b.currency_id = c.id), 0)
  FROM ledger_currency c LEFT JOIN ledger_account a ON a.currency_id = c.id
 GROUP BY c.id, c.code ORDER BY c.code
"""

_COUNTS_SQL = """
SELECT (SELECT count(*) FROM ledger_transfer), (SELECT count(*) FROM ledger_entry),
       (SELECT count(*) FROM ledger_account)
"""

LIST_AT_MOST = 50  # per kind of problem; the count says how many more

VerifyCheck = Callable[[], Iterable[str]]
_CHECKS: dict[str, VerifyCheck] = {}


def verify_check_register(*, name: str, check: VerifyCheck) -> None:
    """Add a cross-check to `ledger_verify`: a callable that reads (in the verify's snapshot)
    and yields one sentence per problem, naming the row. Registering a name again replaces
    the check, so a reloaded app does not run it twice."""
    _CHECKS[name] = check


@dataclass(frozen=True, slots=True)
class TransferMismatch:
    """A row above the ledger whose transfer does not move what the row says."""

    row_id: int
    amount: int
    source_id: int | None
    destination_id: int | None
    transfer_id: int
    legs: str  # what the transfer moves instead, e.g. "-500 on #3, 500 on #7"

    def describe(self, label: str) -> str:
        return (
            f"{label} #{self.row_id}: {self.amount} from account #{self.source_id} to account "
            f"#{self.destination_id}, but its transfer #{self.transfer_id} moves {self.legs}"
        )


_MISMATCH_SQL = """
WITH expected (row_id, amount, source_id, destination_id, transfer_id) AS ({expected})
SELECT x.row_id, x.amount, x.source_id, x.destination_id, x.transfer_id,
       coalesce(m.legs, 'nothing')
  FROM expected x
 CROSS JOIN LATERAL (
       SELECT count(*) AS n,
              coalesce(bool_or(e.account_id = x.source_id AND e.amount = -x.amount), false)
                  AS paid,
              coalesce(bool_or(e.account_id = x.destination_id AND e.amount = x.amount), false)
                  AS received,
              string_agg(e.amount || ' on #' || e.account_id, ', ' ORDER BY e.account_id) AS legs
         FROM ledger_entry e
        WHERE e.transfer_id = x.transfer_id) m
 WHERE m.n <> 2 OR NOT m.paid OR NOT m.received
 ORDER BY x.row_id
"""


def transfers_mismatching(*, expected_sql: str) -> list[TransferMismatch]:
    """For cross-checks: `expected_sql` selects (row id, amount, source account, destination
    account, transfer id) for rows that say "this transfer moved `amount` from source to
    destination"; returns those whose transfer has other legs than exactly those two."""
    with connection.cursor() as cursor:
        cursor.execute(_MISMATCH_SQL.format(expected=expected_sql))
        return [TransferMismatch(*row) for row in cursor.fetchall()]


def _report(report: VerifyReport, rows: list[Any], describe: Callable[[Any], str]) -> None:
    for row in rows[:LIST_AT_MOST]:
        report.problems.append(describe(row))
    if len(rows) > LIST_AT_MOST:
        report.problems.append(f"... and {len(rows) - LIST_AT_MOST} more like the one above")


def ledger_verify() -> VerifyReport:
    """Check that every transfer balances in one currency, per-currency balances and entries sum
    to zero, every cached balance and version equals its entries, every account's
    `balance_after` chain is gap-free and consistent, and every sealed block's Merkle root, link
    and signature verify; then run every registered cross-check (payments, refunds, payouts
    against their transfers). Reads only."""
    report = VerifyReport()
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if not nested:  # inside a caller's transaction, its snapshot is the one we can have
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute(_COUNTS_SQL)
        report.transfers, report.entries, report.accounts = cursor.fetchone()

        cursor.execute(_UNBALANCED_SQL)
        _report(
            report,
            cursor.fetchall(),
            lambda r: (
                f"transfer #{r[0]} does not balance: {r[1]} entries, sum {r[2]}, {r[3]} currencies"
            ),
        )
        cursor.execute(_ORPHANS_SQL)
        _report(
            report,
            cursor.fetchall(),
            lambda r: f"transfer #{r[0]} is missing but {r[1]} of its entries remain",
        )
        cursor.execute(_CACHED_SQL)
        _report(
            report,
            cursor.fetchall(),
            lambda r: (
                f"account #{r[0]}: cached balance {r[1]} / version {r[2]}, "
                f"but its entries sum to {r[3]} over {r[4]} entries (last version {r[5]})"
            ),
        )
        cursor.execute(_CHAIN_SQL)
        _report(
            report,
            cursor.fetchall(),
            lambda r: f"account #{r[0]}: history breaks at version {r[1]} (transfer #{r[2]})",
        )
        cursor.execute(_CURRENCY_SQL)
        for code, balances, entries in cursor.fetchall():
            if balances != 0 or entries != 0:
                report.problems.append(
                    f"currency {code}: balances sum to {balances} and entries to {entries}, "
                    "not zero"
                )
        _verify_blocks(report)
        for check in _CHECKS.values():
            _report(report, list(check()), str)
    return report


def _verify_blocks(report: VerifyReport) -> None:
    keys = sealing.verify_keys()
    prev_hash, prev_to = sealing.GENESIS_HASH, 0
    blocks = Block.objects.order_by("height").iterator()
    for block in tracked(blocks, total=Block.objects.count, what="blocks"):
        report.blocks += 1
        name = f"block {block.height}"
        if block.prev_hash != prev_hash:
            report.problems.append(f"{name}: does not link to the block before it")
        if block.txid_from != prev_to:
            report.problems.append(f"{name}: its range does not follow the block before it")
        count, root, first, last = sealing.block_recompute(block)
        if (count, root, first, last) != (
            block.transfer_count,
            block.merkle_root,
            block.first_transfer_id,
            block.last_transfer_id,
        ):
            report.problems.append(
                f"{name}: sealed {block.transfer_count} transfers #{block.first_transfer_id}..#"
                f"{block.last_transfer_id}, now holds {count} (#{first}..#{last}); "
                f"Merkle root {'matches' if root == block.merkle_root else 'differs'}"
            )
        if hashlib.sha256(sealing.block_header(block)).hexdigest() != block.hash:
            report.problems.append(f"{name}: header does not match its hash")
        if not sealing.signature_valid(block, keys):
            report.problems.append(f"{name}: signature does not verify (key {block.key_id})")
        prev_hash, prev_to = block.hash, block.txid_to
