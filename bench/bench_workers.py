"""What runs inside the benchmark's worker processes (spawned, each with its own connection).

- `pair_worker`: random two-account transfers for a fixed time, either as hand-written SQL over
  psycopg2 (the reference) or through `ledger.services.transfer_post` (Django).
- `batch_worker`: bulk payouts through `ledger.services.transfers_post_batch`, reporting its own
  peak RSS.
"""

import hashlib
import os
import random
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any, Literal

import psycopg2

Engine = Literal["raw", "django"]

WARMUP_TRANSFERS = 30


@dataclass(frozen=True, slots=True)
class PairRun:
    """One timed run of random two-account transfers."""

    engine: Engine
    url: str
    account_ids: tuple[int, ...]
    duration: float
    tag: str  # makes this run's idempotency keys unique
    max_amount: int
    patches: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkerResult:
    worker: int
    count: int
    elapsed: float
    latencies_ns: list[int]
    error: str = ""


def django_setup(url: str, patches: Sequence[str] = ()) -> None:
    """Point Django at `url`, set it up (in this process) and install proposed changes."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


# The reference: what a careful hand-written transfer costs. BEGIN (psycopg2 sends it before the
# first statement), lock both accounts in id order, move balances and versions, insert the
# transfer and its two entries, COMMIT. The rows satisfy the same triggers and constraints.
_RAW_LOCK = """
SELECT id, currency_id, balance, version, allow_negative, status
  FROM ledger_account
 WHERE id IN (%s, %s)
 ORDER BY id
   FOR NO KEY UPDATE
"""
_RAW_UPDATE = """
UPDATE ledger_account AS acc
   SET balance = v.balance, version = v.version
  FROM (VALUES (%s::bigint, %s::bigint, %s::bigint), (%s, %s, %s)) AS v(id, balance, version)
 WHERE acc.id = v.id
"""
# The transfer and its entries in one statement, as the guards require (ledger 0006).
_RAW_TRANSFER_AND_ENTRIES = """
WITH t AS (
    INSERT INTO ledger_transfer
        (currency_id, kind, idempotency_scope, idempotency_key, request_hash, metadata)
    VALUES (%s, 'payment', %s, %s, %s, '{}')
    RETURNING id
)
INSERT INTO ledger_entry (transfer_id, account_id, amount, balance_after, account_version)
SELECT t.id, e.account_id, e.amount, e.balance_after, e.version
  FROM t CROSS JOIN (VALUES (%s::bigint, %s::bigint, %s::bigint, %s::bigint),
                            (%s, %s, %s, %s)) AS e(account_id, amount, balance_after, version)
"""


class Refused(Exception):
    """The reference refuses a transfer (closed account, overdraft): nothing was written."""


def _raw_poster(run: PairRun, scope: str) -> Callable[[int, int, int, str], None]:
    conn = psycopg2.connect(run.url)
    cursor = conn.cursor()

    def post(source: int, destination: int, amount: int, key: str) -> None:
        try:
            cursor.execute(_RAW_LOCK, (min(source, destination), max(source, destination)))
            rows = {row[0]: row for row in cursor.fetchall()}
            src, dst = rows[source], rows[destination]
            if src[1] != dst[1] or src[5] != "open" or dst[5] != "open":
                raise Refused("closed account or currency mismatch")
            if src[2] - amount < 0 and not src[4]:
                raise Refused("insufficient funds")
            src_balance, src_version = src[2] - amount, src[3] + 1
            dst_balance, dst_version = dst[2] + amount, dst[3] + 1
            request_hash = hashlib.sha256(
                f"payment|{source}:{-amount}|{destination}:{amount}".encode()
            ).hexdigest()
            cursor.execute(
                _RAW_UPDATE,
                (source, src_balance, src_version, destination, dst_balance, dst_version),
            )
            cursor.execute(
                _RAW_TRANSFER_AND_ENTRIES,
                (
                    *(src[1], scope, key, request_hash),
                    *(source, -amount, src_balance, src_version),
                    *(destination, amount, dst_balance, dst_version),
                ),
            )
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    return post


def _django_poster(run: PairRun, scope: str) -> Callable[[int, int, int, str], None]:
    django_setup(run.url, run.patches)
    from ledger import services

    def post(source: int, destination: int, amount: int, key: str) -> None:
        services.transfer_post(
            kind="payment",
            legs=services.legs_between(source_id=source, destination_id=destination, amount=amount),
            idempotency_key=key,
            idempotency_scope=scope,
        )

    return post


def pair_worker(run: PairRun, worker: int, start: Barrier, out: "Queue[WorkerResult]") -> None:
    """Warm up, wait for the others, then post random transfers until the time is up."""
    try:
        scope = f"bench-{run.engine}"
        post = (_raw_poster if run.engine == "raw" else _django_poster)(run, scope)
        rng = random.Random(f"{run.tag}:{worker}")
        ids = run.account_ids

        def one(n: int) -> None:
            source, destination = rng.sample(ids, 2)
            post(source, destination, rng.randint(1, run.max_amount), f"{run.tag}:{worker}:{n}")

        for n in range(WARMUP_TRANSFERS):
            one(-1 - n)
    except BaseException as exc:
        start.abort()
        out.put(WorkerResult(worker, 0, 0.0, [], error=repr(exc)))
        raise
    start.wait()
    latencies: list[int] = []
    clock = time.perf_counter_ns
    began = clock()
    deadline = began + int(run.duration * 1e9)
    count = 0
    try:
        now = began
        while now < deadline:
            one(count)
            after = clock()
            latencies.append(after - now)
            now = after
            count += 1
    except BaseException as exc:
        out.put(WorkerResult(worker, count, (clock() - began) / 1e9, latencies, error=repr(exc)))
        raise
    out.put(WorkerResult(worker, count, (clock() - began) / 1e9, latencies))


@dataclass(frozen=True, slots=True)
class BatchRun:
    url: str
    budget_id: int
    wallet_ids: tuple[int, ...]
    batches: int
    amount: int
    patches: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchResult:
    seconds: list[float]  # per batch, the transfers_post_batch call only
    transfers: int
    rss_before_kib: int  # after django.setup() and building the first batch's requests
    rss_peak_kib: int
    error: str = ""


def batch_worker(run: BatchRun, out: "Queue[BatchResult]") -> None:
    """Post `batches` batches of one payout budget -> wallet per wallet, timing each call."""
    try:
        django_setup(run.url, run.patches)
        from ledger import services

        seconds: list[float] = []
        rss_before = 0
        transfers = 0
        for b in range(run.batches):
            requests: list[Any] = [
                services.TransferRequest(
                    kind="payout",
                    legs=services.legs_between(
                        source_id=run.budget_id, destination_id=wallet, amount=run.amount
                    ),
                    idempotency_key=f"payout:{b}:{i}",
                    idempotency_scope="bench-batch",
                    metadata={"claim": b * len(run.wallet_ids) + i},
                )
                for i, wallet in enumerate(run.wallet_ids)
            ]
            if b == 0:
                rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            began = time.perf_counter()
            posted = services.transfers_post_batch(requests=requests)
            seconds.append(time.perf_counter() - began)
            transfers += len(posted)
            del requests, posted
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out.put(BatchResult(seconds, transfers, rss_before, peak))
    except Exception as exc:
        out.put(BatchResult([], 0, 0, 0, error=repr(exc)))
        raise
