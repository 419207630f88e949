"""The payout benchmark: approved claims paid through Celery. Prints figures, not a pass/fail test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heitje .venv/bin/python bench/payout_bench.py
    .venv/bin/python bench/payout_bench.py --claims 2000        # quicker

In a database of its own (heitje_payout_bench, dropped and recreated, migrated by Django) and a
Redis database of its own (BENCH_BROKER_URL, default redis://127.0.0.1:6379/8, flushed):

1. 10,000 submitted claims (2,000 verified residents, 5 claims each, one funded campaign);
2. the reference: the same number of payouts budget -> wallet posted directly with
   `ledger.services.transfers_post_batch` in batches of 500 (what the ledger alone costs);
3. the claims are bulk-approved 500 at a time (`rewards.review.claims_bulk_approve`, as the API
   does) while no worker runs: each bulk approval queues one `payout_batch_task` on Redis;
4. a real worker starts (`celery -A config worker`, prefork, 2 processes, settings
   tests/rewards/worker_settings.py) and pays them: payouts/s from the first payout's start to
   the last claim paid, the wall time from the worker's start, and the peak RSS (VmHWM) of
   each worker process. Then: every claim paid once, `ledger_verify` ok.

Figures: docs/performance.md ("Payouts through Celery").
"""

import argparse
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bench_db  # noqa: E402

DATABASE = "heitje_payout_bench"
CHUNK = 500
CLAIMS_PER_RESIDENT = 5
REWARD = 500


def peak_rss_mb(pid: int) -> dict[int, float]:
    """VmHWM (peak resident set) of a process and its children, in MB, read from /proc."""
    found: dict[int, float] = {}
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                found[p] = int(line.split()[1]) / 1024
    return found


def setup(n: int) -> tuple[list[int], Any, int, list[int]]:
    """Residents, a funded campaign, a task and n submitted claims; returns their ids."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import ResidentProfile, RoleGrant, User
    from ledger import selectors as ledger_selectors
    from ledger import services as ledger_services
    from ledger.models import AccountKind
    from rewards.models import Claim, ClaimStatus, Task
    from tests.rewards import review_fixtures as fx

    manager = User.objects.create_user("manager@bench.example", "x" * 12)
    reviewer = User.objects.create_user("reviewer@bench.example", "x" * 12)
    RoleGrant.objects.create(user=manager, role="task_manager")
    RoleGrant.objects.create(user=reviewer, role="reviewer")
    campaign = fx.campaign(manager, budget=n * REWARD)
    task = fx.task(campaign, manager, reward=REWARD, capacity=n)
    currency = fx.currency()
    count = n // CLAIMS_PER_RESIDENT
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"r{i}@bench.example", display_name=f"R{i}", password=password)
        for i in range(count)
    )
    RoleGrant.objects.bulk_create(RoleGrant(user=u, role="resident") for u in users)
    wallets = [
        ledger_services.account_open(currency=currency, kind=AccountKind.WALLET) for _ in users
    ]
    now = timezone.now()
    ResidentProfile.objects.bulk_create(
        ResidentProfile(user=u, wallet=w, residency_verified_at=now)
        for u, w in zip(users, wallets, strict=True)
    )
    claims = Claim.objects.bulk_create(
        Claim(
            task=task,
            resident=u,
            amount=REWARD,
            status=ClaimStatus.SUBMITTED,
            submitted_at=now,
        )
        for u in users
        for _ in range(CLAIMS_PER_RESIDENT)
    )
    Task.objects.filter(pk=task.pk).update(slots_taken=len(claims))
    # The reference's own budget, as large.
    reference_budget = ledger_services.account_open(currency=currency, kind=AccountKind.BUDGET)
    issuer = ledger_selectors.issuer_account(currency=currency)
    ledger_services.transfer_post(
        kind="mint",
        legs=ledger_services.legs_between(
            source_id=issuer.pk, destination_id=reference_budget.pk, amount=n * REWARD
        ),
    )
    return [c.pk for c in claims], reviewer, reference_budget.pk, [w.pk for w in wallets]


def reference(budget_id: int, wallet_ids: list[int], n: int) -> float:
    """Post n payouts with transfers_post_batch, CHUNK at a time; returns transfers/s."""
    from ledger import services as ledger_services

    started = time.perf_counter()
    for lo in range(0, n, CHUNK):
        ledger_services.transfers_post_batch(
            requests=[
                ledger_services.TransferRequest(
                    kind="payout",
                    legs=ledger_services.legs_between(
                        source_id=budget_id,
                        destination_id=wallet_ids[i // CLAIMS_PER_RESIDENT],
                        amount=REWARD,
                    ),
                    idempotency_scope="bench-reference",
                    idempotency_key=f"payout:{i}",
                    metadata={"claim": i},
                )
                for i in range(lo, min(lo + CHUNK, n))
            ]
        )
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    n = args.claims - args.claims % CLAIMS_PER_RESIDENT

    base_url = os.environ.get("DATABASE_URL", bench_db.DEFAULT_URL)
    url = bench_db.with_database(base_url, DATABASE)
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")
    bench_db.recreate_database(base_url, DATABASE)
    os.environ.update(
        DATABASE_URL=url,
        CELERY_BROKER_URL=broker,
        DJANGO_SETTINGS_MODULE="tests.rewards.worker_settings",
    )
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    redis.Redis.from_url(broker).flushdb()
    call_command("migrate", verbosity=0)

    from django.db import connection
    from django.db.models import Max, Min

    from ledger.models import Transfer
    from ledger.verify import ledger_verify
    from rewards import review
    from rewards.models import Claim, ClaimStatus

    print(f"database {bench_db.describe(url)}, broker {broker}, {n:,} claims")
    started = time.perf_counter()
    claim_ids, reviewer, reference_budget, wallet_ids = setup(n)
    print(f"setup: {time.perf_counter() - started:.1f} s")

    ref_rate = reference(reference_budget, wallet_ids, n)
    ref_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"reference transfers_post_batch: {ref_rate:,.0f} transfers/s")

    started = time.perf_counter()
    for lo in range(0, n, CHUNK):
        results = review.claims_bulk_approve(staff=reviewer, claim_ids=claim_ids[lo : lo + CHUNK])
        assert all(r.outcome == review.Outcome.APPROVED for r in results), results[:3]
    approve_seconds = time.perf_counter() - started
    print(
        f"bulk approval: {n / approve_seconds:,.0f} claims/s ({n // CHUNK} payout batches queued)"
    )
    bench_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    connection.close()

    log = ROOT / "var" / "payout-bench-worker.log"
    log.parent.mkdir(exist_ok=True)
    worker_started = time.perf_counter()
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "-c",
            str(args.concurrency),
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        while Claim.objects.filter(status=ClaimStatus.PAID).count() < n:
            if worker.poll() is not None:
                sys.exit(f"the worker stopped; see {log}")
            time.sleep(0.05)
        wall = time.perf_counter() - worker_started
        peaks = peak_rss_mb(worker.pid)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)

    span = Claim.objects.aggregate(last=Max("paid_at"))
    first = Transfer.objects.filter(idempotency_scope="rewards").aggregate(first=Min("created_at"))
    pay_seconds = (span["last"] - first["first"]).total_seconds()
    paid_once = Transfer.objects.filter(idempotency_scope="rewards").count() == n
    report = ledger_verify()
    print(
        f"payouts through Celery: {n / pay_seconds:,.0f} payouts/s "
        f"({pay_seconds:.2f} s from the first payout to the last claim paid; "
        f"{wall:.2f} s from starting the worker, its boot included)"
    )
    print(f"  vs reference: {n / pay_seconds / ref_rate:.2f}x")
    print(
        "peak RSS: worker processes "
        + ", ".join(f"{mb:.0f} MB" for mb in peaks.values())
        + f"; this process {bench_rss:.0f} MB (after the reference: {ref_rss:.0f} MB)"
    )
    print(f"every claim paid once: {paid_once}; ledger_verify ok: {report.ok}")


if __name__ == "__main__":
    main()
