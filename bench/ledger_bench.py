"""The ledger benchmark: prints figures, not a pass/fail test.

    python3 dev.py bench                      # embedded PostgreSQL unless DATABASE_URL is set
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heitje python3 dev.py bench
    python3 dev.py bench --duration 5 --rounds 1 --history 100000   # quicker
    python3 dev.py bench --variant immediate-entry-fks                 # measure a proposal

On one PostgreSQL, in a database of its own (dropped and recreated each run, migrated by
Django), it measures:

1. random two-account transfers among a pool of funded accounts, at 1 and 4 concurrent worker
   processes: (a) a hand-written psycopg2 reference that writes the same rows into the same
   tables (same triggers, same indexes), (b) `ledger.services.transfer_post`, (c) the physical
   reference: pgbench running bench/pgbench_transfer.sql (a lean two-account transfer, one
   durable COMMIT each) on a lean database of its own (`<db>_lean`); the ratios b/a and b/c
   (the target is on b/c);
2. bulk payouts budget -> wallets through `ledger.services.transfers_post_batch`: transfers/s and
   the peak RSS of the process posting them;
3. reads on an account with a long history (1,000,000 entries by default): account_balance,
   account_balance_at at the deep end and the deepest account_statement page.

See docs/performance.md for recorded figures.
"""

import argparse
import multiprocessing as mp
import os
import platform
import queue
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from threading import BrokenBarrierError
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # config.settings.test uses tests.pgbackend
    sys.path.insert(0, str(ROOT))

import bench_db  # noqa: E402
import bench_variants  # noqa: E402
from bench_workers import (  # noqa: E402
    BatchResult,
    BatchRun,
    Engine,
    PairRun,
    WorkerResult,
    batch_worker,
    django_setup,
    pair_worker,
)

SPAWN = mp.get_context("spawn")
FUNDING = 10**12  # minor units per pool account: no transfer in the run can overdraw one


# --- figures ------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class PairFigure:
    engine: Engine
    workers: int
    transfers: int = 0
    seconds: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.transfers / self.seconds if self.seconds else 0.0

    def latency_ms(self, q: float) -> float:
        return percentile(sorted(self.latencies_ns), q) / 1e6


@dataclass(frozen=True)
class Timings:
    """Latencies of repeated calls, in milliseconds."""

    values_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values_ms)

    @property
    def p99(self) -> float:
        return percentile(sorted(self.values_ms), 99)


def time_calls(fn: Callable[[], object], n: int, warmup: int = 50) -> Timings:
    for _ in range(warmup):
        fn()
    clock = time.perf_counter_ns
    values: list[float] = []
    for _ in range(n):
        began = clock()
        fn()
        values.append((clock() - began) / 1e6)
    return Timings(values)


# --- setup --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    currency_id: int
    issuer_id: int
    pool_ids: tuple[int, ...]
    budget_id: int
    wallet_ids: tuple[int, ...]
    history_id: int


def build_fixture(*, pool: int, wallets: int, budget_amount: int) -> Fixture:
    """Currency, a funded pool for transfers, a funded budget and wallets for payouts, and an
    empty account to receive the long history. Funding goes through ledger.services."""
    from ledger import selectors, services
    from ledger.models import Account, AccountKind

    currency = services.currency_get_or_create(code="BENCH", name="Bench token")
    issuer = selectors.issuer_account(currency=currency)
    pool_accounts = Account.objects.bulk_create(
        Account(currency=currency, kind=AccountKind.WALLET, name=f"bench pool {i}")
        for i in range(pool)
    )
    payout_wallets = Account.objects.bulk_create(
        Account(currency=currency, kind=AccountKind.WALLET, name=f"bench payee {i}")
        for i in range(wallets)
    )
    budget = services.account_open(currency=currency, kind=AccountKind.BUDGET, name="bench budget")
    history = services.account_open(
        currency=currency, kind=AccountKind.WALLET, name="bench history"
    )
    mints = [
        services.TransferRequest(
            kind="mint",
            legs=services.legs_between(source_id=issuer.id, destination_id=acc.id, amount=FUNDING),
            idempotency_key=f"fund:{acc.id}",
            idempotency_scope="bench-setup",
        )
        for acc in pool_accounts
    ]
    mints.append(
        services.TransferRequest(
            kind="mint",
            legs=services.legs_between(
                source_id=issuer.id, destination_id=budget.id, amount=budget_amount
            ),
            idempotency_key=f"fund:{budget.id}",
            idempotency_scope="bench-setup",
        )
    )
    services.transfers_post_batch(requests=mints)
    return Fixture(
        currency_id=currency.id,
        issuer_id=issuer.id,
        pool_ids=tuple(a.id for a in pool_accounts),
        budget_id=budget.id,
        wallet_ids=tuple(a.id for a in payout_wallets),
        history_id=history.id,
    )


# --- 1. single transfers ------------------------------------------------------------------


def run_pairs(run: PairRun, workers: int) -> PairFigure:
    """Start `workers` processes, release them together, collect what each posted."""
    start = SPAWN.Barrier(workers + 1)
    out: Any = SPAWN.Queue()
    procs = [
        SPAWN.Process(target=pair_worker, args=(run, i, start, out), daemon=True)
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    results: list[WorkerResult] = []
    try:
        start.wait(timeout=180)
        for _ in procs:
            results.append(out.get(timeout=run.duration + 120))
    except (BrokenBarrierError, queue.Empty):
        while True:
            try:
                results.append(out.get(timeout=1))
            except queue.Empty:
                break
    for proc in procs:
        proc.join(timeout=30)
    errors = [r.error for r in results if r.error]
    if errors or len(results) != workers:
        raise RuntimeError(f"{run.engine} x{workers}: workers failed: {errors or 'no result'}")
    figure = PairFigure(run.engine, workers)
    figure.transfers = sum(r.count for r in results)
    figure.seconds = max(r.elapsed for r in results)
    figure.latencies_ns = [ns for r in results for ns in r.latencies_ns]
    return figure


def bench_pairs(
    url: str,
    fixture: Fixture,
    *,
    duration: float,
    rounds: int,
    concurrency: Sequence[int],
    patches: tuple[str, ...],
    lean: tuple[str, str] | None = None,
    lean_rates: dict[int, list[float]] | None = None,
) -> dict[tuple[Engine, int], PairFigure]:
    """Alternate raw and Django runs, so drift on the server (checkpoints, a busy neighbour,
    table growth) hits both alike; sum over the rounds. With `lean` (pgbench binary, lean
    database URL), each round also runs pgbench's lean transfer (bench/pgbench_transfer.sql)
    with as many clients, its transfers/s collected in `lean_rates`."""
    figures: dict[tuple[Engine, int], PairFigure] = {}
    engines: tuple[Engine, ...] = ("raw", "django")
    for r in range(rounds):
        for workers in concurrency:
            if lean is not None and lean_rates is not None:
                rate = bench_db.pgbench_run(
                    lean[0],
                    lean[1],
                    clients=workers,
                    seconds=duration,
                    accounts=len(fixture.pool_ids),
                )
                lean_rates.setdefault(workers, []).append(rate)
                print(f"  round {r + 1}: pgbench x{workers}: {rate:26,.0f}/s", flush=True)
            for engine in engines if r % 2 == 0 else engines[::-1]:
                run = PairRun(
                    engine=engine,
                    url=url,
                    account_ids=fixture.pool_ids,
                    duration=duration,
                    tag=f"r{r}-{engine}-{workers}",
                    max_amount=10_000,
                    patches=patches,
                )
                fig = run_pairs(run, workers)
                print(
                    f"  round {r + 1}: {engine:>6} x{workers}: {fig.transfers:>7,} transfers "
                    f"in {fig.seconds:5.1f} s = {fig.rate:8,.0f}/s",
                    flush=True,
                )
                total = figures.setdefault((engine, workers), PairFigure(engine, workers))
                total.transfers += fig.transfers
                total.seconds += fig.seconds
                total.latencies_ns.extend(fig.latencies_ns)
    return figures


# --- 2. batches ---------------------------------------------------------------------------


def bench_batches(
    url: str, fixture: Fixture, *, batches: int, amount: int, patches: tuple[str, ...]
) -> BatchResult:
    out: Any = SPAWN.Queue()
    run = BatchRun(url, fixture.budget_id, fixture.wallet_ids, batches, amount, patches)
    proc = SPAWN.Process(target=batch_worker, args=(run, out), daemon=True)
    proc.start()
    result: BatchResult = out.get(timeout=1800)
    proc.join(timeout=60)
    if result.error:
        raise RuntimeError(f"batch posting failed: {result.error}")
    return result


# --- 3. reads on a long history -----------------------------------------------------------


@dataclass(frozen=True)
class ReadFigures:
    history: bench_db.HistoryTiming
    entries: int
    balance: Timings
    balance_at_deep: Timings
    balance_at_recent: Timings
    statement_first: Timings
    statement_deep: Timings


def bench_reads(url: str, fixture: Fixture, *, entries: int, reads: int) -> ReadFigures:
    from django.db import connection

    from ledger import selectors

    history = bench_db.write_history(
        url,
        issuer_id=fixture.issuer_id,
        account_id=fixture.history_id,
        n=entries,
        chunks=max(1, min(4, os.cpu_count() or 1)),
    )
    account = fixture.history_id
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_version, transfer_id FROM ledger_entry "
            "WHERE account_id = %s AND account_version IN (10, %s)",
            [account, entries - 10],
        )
        transfer_at = dict(cursor.fetchall())
    deep, recent = transfer_at[10], transfer_at[entries - 10]

    # The answers are right before they are timed.
    assert selectors.account_balance(account_id=account) == entries
    assert selectors.account_balance_at(account_id=account, transfer_id=deep) == 10
    assert selectors.account_balance_at(account_id=account, transfer_id=recent) == entries - 10
    page = selectors.account_statement(account_id=account, before_version=51, limit=50)
    assert [line.version for line in page.lines] == list(range(50, 0, -1))
    assert page.next_before is None
    first = selectors.account_statement(account_id=account, limit=50)
    assert first.lines[0].version == entries
    assert first.next_before == entries - 49

    few = max(100, reads // 4)
    return ReadFigures(
        history=history,
        entries=entries,
        balance=time_calls(lambda: selectors.account_balance(account_id=account), reads),
        balance_at_deep=time_calls(
            lambda: selectors.account_balance_at(account_id=account, transfer_id=deep), few
        ),
        balance_at_recent=time_calls(
            lambda: selectors.account_balance_at(account_id=account, transfer_id=recent), few
        ),
        statement_first=time_calls(
            lambda: selectors.account_statement(account_id=account, limit=50), few
        ),
        statement_deep=time_calls(
            lambda: selectors.account_statement(account_id=account, before_version=51, limit=50),
            few,
        ),
    )


# --- report -------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def ms(value: float) -> str:
    return f"{value:.3f} ms" if value < 10 else f"{value:.1f} ms"


def report(
    *,
    args: argparse.Namespace,
    facts: bench_db.ServerFacts,
    target: str,
    pairs: dict[tuple[Engine, int], PairFigure],
    lean_rates: dict[int, list[float]],
    batch: BatchResult | None,
    reads: ReadFigures | None,
    consistency: bench_db.Consistency,
    total_seconds: float,
) -> str:
    out: list[str] = []
    variant = ", ".join(args.variant) if args.variant else "none (ledger as it is)"
    out.append(
        f"Ledger benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}\n"
        f"PostgreSQL {facts.version} at {target} ("
        + ", ".join(f"{k}={v}" for k, v in facts.settings.items())
        + f")\nvariant: {variant}\n"
    )
    rows: list[list[str]] = []
    for workers in args.concurrency:
        raw, dj = pairs[("raw", workers)], pairs[("django", workers)]
        for fig, label in ((raw, "(a) raw psycopg2 reference"), (dj, "(b) services.transfer_post")):
            rows.append(
                [
                    f"transfer, {workers} worker{'s' if workers > 1 else ''}: {label}",
                    f"{fig.rate:,.0f}/s",
                    f"p50 {ms(fig.latency_ms(50))}, p99 {ms(fig.latency_ms(99))}",
                    "",
                    "",
                ]
            )
        ratio = dj.rate / raw.rate if raw.rate else 0.0
        target_ratio = workers >= 4
        lean = lean_rates.get(workers)
        rows.append(
            [
                f"transfer, {workers} worker{'s' if workers > 1 else ''}: ratio (b)/(a)",
                f"{ratio:.2f}",
                "",
                "",
                "",
            ]
        )
        if lean:
            lean_rate = statistics.median(lean)
            lean_ratio = dj.rate / lean_rate
            rows.append(
                [
                    f"transfer, {workers} worker{'s' if workers > 1 else ''}: "
                    "(c) pgbench lean transfer",
                    f"{lean_rate:,.0f}/s",
                    "median of rounds; bench/pgbench_transfer.sql",
                    "",
                    "",
                ]
            )
            rows.append(
                [
                    f"transfer, {workers} worker{'s' if workers > 1 else ''}: ratio (b)/(c)",
                    f"**{lean_ratio:.2f}**",
                    "against the physical reference",
                    ">= 0.5" if target_ratio else "",
                    verdict(lean_ratio >= 0.5) if target_ratio else "",
                ]
            )
    if batch is not None:
        size = len(batch.seconds) and batch.transfers // len(batch.seconds)
        rate = batch.transfers / sum(batch.seconds)
        rows.append(
            [
                f"batch payouts ({len(batch.seconds)} x {size:,}): transfers_post_batch",
                f"{rate:,.0f}/s",
                f"per batch {min(batch.seconds):.2f}-{max(batch.seconds):.2f} s",
                ">= 10,000/s",
                verdict(rate >= 10_000),
            ]
        )
        rows.append(
            [
                "batch payouts: peak RSS of the posting process",
                f"{batch.rss_peak_kib / 1024:.0f} MB",
                f"{batch.rss_before_kib / 1024:.0f} MB before the first batch",
                "< 300 MB",
                verdict(batch.rss_peak_kib < 300 * 1024),
            ]
        )
    if reads is not None:
        h = reads.history
        rows.append(
            [
                f"history: {reads.entries:,} transfers issuer -> account (SQL)",
                f"{h.seconds:.1f} s",
                f"INSERT {h.insert_seconds:.1f} s, COMMIT (deferred checks) "
                f"{h.commit_seconds:.1f} s, summed over chunks",
                "",
                "",
            ]
        )
        for label, t, target_ms in (
            ("selectors.account_balance", reads.balance, 1.0),
            ("selectors.account_balance_at, deep end (v10)", reads.balance_at_deep, None),
            ("selectors.account_balance_at, recent", reads.balance_at_recent, None),
            ("selectors.account_statement, first page (50)", reads.statement_first, None),
            ("selectors.account_statement, deepest page (50)", reads.statement_deep, None),
        ):
            rows.append(
                [
                    f"{label} ({reads.entries:,} entries, {len(t.values_ms):,} reads)",
                    f"median {ms(t.median)}",
                    f"p99 {ms(t.p99)}",
                    f"median < {target_ms:g} ms" if target_ms else "",
                    verdict(t.median < target_ms) if target_ms else "",
                ]
            )
    out.append(table(["figure", "value", "detail", "target", ""], rows))
    out.append(
        f"\nledger consistent afterwards (cached balances = entries, currencies sum to zero): "
        f"{'yes' if consistency.ok else 'NO'} ({consistency.transfers:,} transfers, "
        f"{consistency.entries:,} entries)\n"
        f"total time {total_seconds:.0f} s"
    )
    return "\n".join(out)


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", default="heitje_bench", help="database to (re)create and use")
    parser.add_argument("--accounts", type=int, default=200, help="funded pool for transfers")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per transfer run")
    parser.add_argument("--rounds", type=int, default=2, help="runs per engine and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--history", type=int, default=1_000_000, help="entries for the reads")
    parser.add_argument("--reads", type=int, default=2_000, help="account_balance calls")
    parser.add_argument(
        "--variant",
        action="append",
        choices=sorted(bench_variants.VARIANTS),
        default=[],
        help="measure a proposed change (repeatable): SQL ones are applied to the bench "
        "database, 'prepared' is installed in the posting processes",
    )
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="leave the fresh tables without planner statistics (no ANALYZE after setup)",
    )
    parser.add_argument("--skip", action="append", default=[], choices=["pairs", "batch", "reads"])
    parser.add_argument(
        "--history-first",
        action="store_true",
        help="write the long history before timing transfers and batches, so that posting is"
        " measured on a ledger that already holds it (the long-history check)",
    )
    return parser.parse_args(argv)


def history_and_reads(url: str, fixture: Fixture, args: argparse.Namespace) -> ReadFigures:
    print(f"History of {args.history:,} transfers, then reads ...", flush=True)
    return bench_reads(url, fixture, entries=args.history, reads=args.reads)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    base_url = os.environ.get("DATABASE_URL") or bench_db.DEFAULT_URL
    url = bench_db.with_database(base_url, args.db)
    target = bench_db.describe(url)
    print(f"Recreating {target} and migrating ...", flush=True)
    bench_db.recreate_database(base_url, args.db)
    django_setup(url)  # also sets DATABASE_URL for the worker processes
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    for name in args.variant:
        if name in bench_variants.SQL_VARIANTS:
            print(f"Applying variant {name!r} to the bench database ...", flush=True)
            with connection.cursor() as cursor:
                cursor.execute(bench_variants.SQL_VARIANTS[name])
    patches = tuple(n for n in args.variant if n in bench_variants.PYTHON_VARIANTS)
    facts = bench_db.server_facts(url)
    fixture = build_fixture(
        pool=args.accounts,
        wallets=args.batch_size,
        budget_amount=args.batch_size * args.batches * 100,
    )
    if not args.no_analyze:
        # Production tables have statistics (autovacuum); a fresh database has none, and the
        # planner's defaults for the balance trigger's query are ruinous (see
        # docs/performance.md). --no-analyze shows that case.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()

    reads = None
    if "reads" not in args.skip and args.history_first:
        reads = history_and_reads(url, fixture, args)
    pairs: dict[tuple[Engine, int], PairFigure] = {}
    lean_rates: dict[int, list[float]] = {}
    lean: tuple[str, str] | None = None
    pgbench = bench_db.pgbench_path()
    if "pairs" not in args.skip and pgbench is not None:
        lean = (pgbench, bench_db.lean_database(base_url, args.db + "_lean", args.accounts))
    elif "pairs" not in args.skip:
        print("No pgbench found: the lean reference (c) is left out.", flush=True)
    if "pairs" not in args.skip:
        print(
            f"Transfers among {args.accounts} accounts, {args.duration:g} s per run, "
            f"{args.rounds} round(s) ...",
            flush=True,
        )
        pairs = bench_pairs(
            url,
            fixture,
            duration=args.duration,
            rounds=args.rounds,
            concurrency=args.concurrency,
            patches=patches,
            lean=lean,
            lean_rates=lean_rates,
        )
    batch = None
    if "batch" not in args.skip:
        print(f"Batch payouts: {args.batches} x {args.batch_size:,} ...", flush=True)
        batch = bench_batches(url, fixture, batches=args.batches, amount=100, patches=patches)
    if "reads" not in args.skip and not args.history_first:
        reads = history_and_reads(url, fixture, args)
    connection.close()
    consistency = bench_db.check_consistency(url)
    if "pairs" in args.skip:
        args.concurrency = []
    print()
    print(
        report(
            args=args,
            facts=facts,
            target=target,
            pairs=pairs,
            lean_rates=lean_rates,
            batch=batch,
            reads=reads,
            consistency=consistency,
            total_seconds=time.perf_counter() - began,
        )
    )
    return 0 if consistency.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
