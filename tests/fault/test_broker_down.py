"""The broker (a private Redis) stopped: approvals commit, till payments continue, and once the
broker is back the payouts and their mail go out, each once (the periodic sweep pays what the
approval could not enqueue). A real Celery worker runs against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery
from django.conf import settings as django_settings
from kombu import pools as kombu_pools
from rest_framework.test import APIClient

from accounts.models import MailSent
from config.celery import app
from ledger.models import Transfer
from ledger.verify import ledger_verify
from rewards.models import Claim, ClaimStatus
from tests.helpers import make_user, staff_login
from tests.payments.pay_fixtures import fund
from tests.rewards import review_fixtures as fx

from .servers import ROOT, PrivateRedis, wait_until

pytest_plugins = ["tests.payments.pay_fixtures"]
pytestmark = pytest.mark.django_db(transaction=True)

CELERY = str(Path(sys.executable).with_name("celery"))


@pytest.fixture
def queued_for_real(private_redis: PrivateRedis) -> Iterator[PrivateRedis]:
    """This process queues tasks on the private Redis instead of running them eagerly."""
    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.update(
        task_always_eager=False,
        broker_url=private_redis.url(0),
        broker_transport_options={"max_retries": 1},
    )
    _reset_connections()
    yield private_redis
    app.conf.update(
        task_always_eager=saved[0], broker_url=saved[1], broker_transport_options=saved[2]
    )
    _reset_connections()


def _reset_connections() -> None:
    """Celery keeps its broker connections in pools made from the first broker_url it saw."""
    # kombu keeps producer pools in a registry of its own, by connection: closing the app's pool
    # alone left a closed one there for the next test's tasks (even eager ones take a producer).
    kombu_pools.reset()
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


def _test_database_url() -> str:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/heitje"
    name = django_settings.DATABASES["default"]["NAME"]
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def _worker(redis: PrivateRedis, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CELERY_BROKER_URL": redis.url(0),
        "DATABASE_URL": _test_database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.rewards.worker_settings",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    return subprocess.Popen(
        [CELERY, "-A", "config", "worker", "--pool", "solo", "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_with_the_broker_stopped_approvals_and_payments_go_on_and_payouts_follow(
    queued_for_real: PrivateRedis, shop, cashier, tmp_path: Path
) -> None:
    redis = queued_for_real
    manager = make_user("manager@example.org", "task_manager")
    reviewer = make_user("reviewer@example.org", "reviewer")
    task = fx.task(fx.campaign(manager), manager)
    anna = fx.resident("anna@example.org")
    fund(anna.resident.wallet_id, 1_000)
    claims = [fx.submitted(task, anna) for _ in range(2)]
    staff = APIClient()
    staff_login(staff, reviewer)
    till = APIClient()
    till.force_authenticate(cashier)
    wallet = APIClient()
    wallet.force_authenticate(anna)

    redis.stop()
    approvals = [
        staff.post(f"/api/v1/staff/claims/{claim.pk}/approve/").status_code for claim in claims
    ]
    assert approvals == [200, 200]
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.APPROVED}
    assert fx.balance(anna) == 1_000  # not paid yet: the payouts' messages never left
    code = wallet.post("/api/v1/wallet/pay-codes/", {}, format="json")
    charge = till.post(
        f"/api/v1/shops/{shop.pk}/charges/",
        {"amount": 100, "code": code.json()["payload"]},
        format="json",
    )
    assert (code.status_code, charge.status_code) == (201, 201)
    redis.start()

    worker = _worker(redis, tmp_path / "worker.log")
    try:
        # What beat does every PAYOUTS_SWEEP_SECONDS.
        # Not the current app: tasks of this process must keep running eagerly afterwards.
        producer = Celery(broker=redis.url(0), set_as_current=False)
        producer.send_task("rewards.tasks.payouts_sweep_task")
        producer.close()
        keys = {f"claim:{claim.pk}:paid" for claim in claims}
        wait_until(
            lambda: (
                set(MailSent.objects.filter(key__in=keys).values_list("key", flat=True)) == keys
            ),
            seconds=90,
            what=f"the payouts and their mail; worker log in {tmp_path}",
        )
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)

    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.PAID}
    assert Transfer.objects.filter(kind="payout").count() == len(claims)
    assert fx.balance(anna) == 900 + sum(claim.amount for claim in claims)
    assert ledger_verify().ok
