"""Exactly-once payouts with a real Celery worker against a Redis of the tests' own.

Each test starts `celery -A config worker` as a subprocess on the test database (settings:
tests/rewards/worker_settings.py, tasks queued for real on a redis-server of the module's own,
`tests.fault.servers.PrivateRedis`):

- the same payouts enqueued twice at once (and a bulk batch on top) are paid once;
- a worker killed (SIGKILL) in the middle of a payout — inside its transaction, the claim and
  the resident locked, held there because the test holds the campaign's budget account row in a
  connection of its own — leaves nothing behind, and a restarted worker (the message was never
  acknowledged: `acks_late`; Redis delivers it again after the visibility timeout) completes it.
  Every approved claim is paid once; the ledger verifies.

Nothing sleeps to order the processes: the tests wait, with a deadline, for states they can see
(the queue, the claims, PostgreSQL's list of sessions blocked by the test's lock).
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction

from accounts.models import MailSent
from ledger.models import Account, Transfer
from ledger.verify import ledger_verify
from rewards.models import Claim, ClaimDecision, ClaimStatus
from tests.fault.servers import PrivateRedis
from tests.helpers import make_user
from tests.rewards import review_fixtures as fx
from tests.rewards.row_lock import row_locked, wait_until

redis = pytest.importorskip("redis", reason="the Redis client (kombu[redis]) is not installed")

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def broker_url(tmp_path_factory) -> Iterator[str]:
    """A redis-server of these tests' own, so that no other suite's worker on the machine's
    Redis takes their messages (REWARDS_TEST_BROKER_URL names another)."""
    given = os.environ.get("REWARDS_TEST_BROKER_URL")
    if given:
        yield given
        return
    server = PrivateRedis(tmp_path_factory.mktemp("broker"))
    yield server.url(0)
    server.stop()


@pytest.fixture
def broker(broker_url):
    client = redis.Redis.from_url(broker_url)
    client.flushdb()
    yield client
    client.flushdb()


def _database_url() -> str:
    """The server the suite runs on (DATABASE_URL, e.g. the embedded one on a socket), with the
    test database's name."""
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/heitje"
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + settings.DATABASES["default"]["NAME"]))


class Worker:
    def __init__(self, broker_url: str, log: Path, *, pool: str = "prefork") -> None:
        env = {
            **os.environ,
            "CELERY_BROKER_URL": broker_url,
            "DATABASE_URL": _database_url(),
            "DJANGO_SETTINGS_MODULE": "tests.rewards.worker_settings",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_VISIBILITY_TIMEOUT": "2",
        }
        self.log = log
        self.process = subprocess.Popen(
            [CELERY, "-A", "config", "worker", "--pool", pool, "-c", "4", "-l", "INFO"],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def send(broker_url: str, name: str, *args, priority: int | None = None) -> None:
    from celery import Celery

    # Not the current app: tasks of this process must keep running eagerly afterwards.
    producer = Celery(broker=broker_url, set_as_current=False)
    producer.send_task(name, args=list(args), priority=priority)
    producer.close()


def wait_for(condition, worker: Worker, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"timed out; worker log:\n{worker.log.read_text()[-4000:]}")


def approved_claims(n: int):
    manager = make_user("manager@example.org", "task_manager")
    reviewer = make_user("reviewer@example.org", "reviewer")
    task = fx.task(fx.campaign(manager), manager)
    residents = [fx.resident(f"r{i}@example.org") for i in range(n)]
    claims = []
    for user in residents:
        claim = fx.submitted(task, user)
        Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.APPROVED, reviewed_by=reviewer)
        claims.append(claim)
    return claims, residents


def assert_paid_once(claims, residents) -> None:
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.PAID}
    payouts = Transfer.objects.filter(kind="payout")
    keys = [str(key) for key in payouts.values_list("idempotency_key", flat=True)]
    assert sorted(keys) == sorted(f"payout:{c.pk}" for c in claims)
    for claim in claims:
        assert ClaimDecision.objects.filter(claim=claim, kind="pay").count() == 1
    assert [fx.balance(user) for user in residents] == [500] * len(residents)
    assert ledger_verify().ok


def all_paid() -> bool:
    return not Claim.objects.exclude(status=ClaimStatus.PAID).exists()


def drained(broker) -> bool:
    """Every message run and acknowledged (`acks_late`: only once its task returned)."""
    # One list per priority: "celery" (0) and "celery\x06\x166" (mail); Redis drops empty lists.
    return not broker.keys("celery*") and not broker.hlen("unacked")


def test_the_same_payout_enqueued_twice_at_once_pays_once(broker, broker_url, tmp_path):
    claims, residents = approved_claims(6)
    for claim in claims:  # each payout twice, back to back, plus one batch of them all
        send(broker_url, "rewards.tasks.payout_task", claim.pk)
        send(broker_url, "rewards.tasks.payout_task", claim.pk)
    send(broker_url, "rewards.tasks.payout_batch_task", [c.pk for c in claims])
    worker = Worker(broker_url, tmp_path / "worker.log")
    try:
        wait_for(all_paid, worker)
        # Let the duplicates run too: the queue empties and nothing stays unacknowledged.
        wait_for(lambda: drained(broker), worker)
    finally:
        worker.stop()
    assert_paid_once(claims, residents)


def test_a_payout_queued_behind_bulk_mail_is_taken_first(broker, broker_url, tmp_path):
    """Money before mail: a payout queued after a backlog of bulk approval mails (queued at the
    mail's priority, as the application queues them) is the first message a worker takes; the
    mails still go out, each once, after it."""
    claims, residents = approved_claims(2)
    ids = [c.pk for c in claims]
    mail = settings.CELERY_TASK_ROUTES["rewards.tasks.claims_mail_task"]["priority"]
    for _ in range(6):
        send(broker_url, "rewards.tasks.claims_mail_task", ids, "approved", priority=mail)
    send(broker_url, "rewards.tasks.payout_batch_task", ids)
    worker = Worker(broker_url, tmp_path / "worker.log")
    try:
        wait_for(all_paid, worker)
        wait_for(lambda: drained(broker), worker)
    finally:
        worker.stop()
    received = [
        line.split("Task ", 1)[1].split("[", 1)[0]
        for line in worker.log.read_text().splitlines()
        if line.rstrip().endswith("received")
    ]
    assert received[0] == "rewards.tasks.payout_batch_task", received
    # The six queued, and the payout's own "you were paid" mails.
    assert received.count("rewards.tasks.claims_mail_task") == 7
    # The mails those queued (one per claim each time; a repeat finds its key sent): each
    # resident is told once of the approval and once of the payment.
    assert received.count("accounts.tasks.mail_send_task") == 14
    keys = sorted(MailSent.objects.values_list("key", flat=True))
    assert keys == sorted(f"claim:{pk}:{event}" for pk in ids for event in ("approved", "paid"))
    assert_paid_once(claims, residents)


def _claim_locked(claim_id: int) -> bool:
    """True while another session holds the claim's row lock (a payout in progress)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM rewards_claim WHERE id = %s FOR UPDATE NOWAIT", [claim_id]
            )
    except OperationalError:
        return True
    return False


def test_a_worker_killed_mid_payout_leaves_nothing_and_a_restart_pays(broker, broker_url, tmp_path):
    claims, residents = approved_claims(3)
    first = claims[0]
    for claim in claims:
        send(broker_url, "rewards.tasks.payout_task", claim.pk)
    worker = Worker(broker_url, tmp_path / "killed.log", pool="solo")
    try:
        with row_locked(Account._meta.db_table, first.task.campaign.budget_id) as held:
            # The payout locks the claim and the resident, then waits here for the budget.
            wait_for(lambda: bool(held.waiting()), worker)
            # Inside its transaction: the claim is locked, nothing is committed; now it dies.
            assert _claim_locked(first.pk)
            worker.kill()
    finally:
        worker.kill()
    # Let go of the budget: the dead worker's session gets it, finds no client and rolls back.
    wait_until(lambda: not _claim_locked(first.pk), seconds=30)
    first.refresh_from_db()
    assert (first.status, first.payout_transfer_id) == (ClaimStatus.APPROVED, None)
    assert not Transfer.objects.filter(kind="payout").exists()
    assert not ClaimDecision.objects.filter(kind="pay").exists()

    restarted = Worker(broker_url, tmp_path / "restarted.log")
    try:
        wait_for(all_paid, restarted)
        wait_for(lambda: drained(broker), restarted)
    finally:
        restarted.stop()
    assert_paid_once(claims, residents)
