"""PostgreSQL stopped, frozen or slow under a stream of payments: every answer is a payment or
a clear 503 (problem+json with Retry-After on the API, a page in the person's language
elsewhere), never a 500, and the service recovers by itself. Before the fix clients got 500s
for the whole outage."""

from __future__ import annotations

import subprocess
import time

from .conftest import CASHIER, DATABASE, RESIDENT, Town
from .servers import LiveServer, PrivateRedis, problem_or_success, wait_until

DOWN_REQUESTS = 6
RECOVERY_SECONDS = 60


def _pay(
    server: LiveServer, town: Town, *, resident: str, cashier: str, timeout: float = 30
) -> int:
    """A pay code and a charge of 0.01; the status of the last step that answered."""
    code = server.request(
        "POST", "/api/v1/wallet/pay-codes/", json_body={}, token=resident, timeout=timeout
    )
    _clear(code)
    if code.status != 201:
        return code.status
    charge = server.request(
        "POST",
        f"/api/v1/shops/{town.shop_id}/charges/",
        json_body={"amount": 1, "code": code.json()["payload"]},
        token=cashier,
        timeout=timeout,
    )
    _clear(charge)
    return charge.status


def _clear(answer) -> None:
    """A success, or 503 problem+json saying when to try again: nothing else."""
    problem = problem_or_success(answer)
    if problem is not None:
        assert answer.status == 503, problem
        assert problem["type"] == "/problems/service-unavailable"
        assert int(answer.header("Retry-After") or 0) > 0


def test_a_stopped_database_answers_503_and_the_service_recovers_by_itself(
    town: Town, private_redis: PrivateRedis, start_web
) -> None:
    server = start_web(town.production_env(private_redis))
    resident, cashier = town.token(server, RESIDENT), town.token(server, CASHIER)
    payments_before = town.count("SELECT count(*) FROM payments_payment")
    paid = sum(_pay(server, town, resident=resident, cashier=cashier) == 201 for _ in range(5))

    town.pg.stop()
    try:
        down = [
            _pay(server, town, resident=resident, cashier=cashier) for _ in range(DOWN_REQUESTS)
        ]
        page = server.request("GET", "/", headers={"Accept": "text/html", "Accept-Language": "de"})
    finally:
        town.pg.start()
    outcomes: list[int] = []

    def pays_again() -> bool:
        outcomes.append(_pay(server, town, resident=resident, cashier=cashier))
        return outcomes[-1] == 201

    wait_until(pays_again, seconds=RECOVERY_SECONDS, what="a payment after PostgreSQL came back")

    assert paid == 5
    assert down == [503] * DOWN_REQUESTS
    assert page.status == 503
    assert int(page.header("Retry-After") or 0) > 0
    assert "Heitje ist kurz nicht erreichbar." in page.body.decode()
    # Nothing lost, nothing doubled: a payment for every charge that answered 201, no others.
    assert town.count("SELECT count(*) FROM payments_payment") == payments_before + paid + 1
    town.ledger_verify()


CONNECT_TIMEOUT = 2


def test_a_frozen_database_answers_503_within_the_connect_timeout(
    town: Town, private_redis: PrivateRedis, start_web
) -> None:
    # Without persistent connections, as every request of a fresh process connects anew.
    env = town.production_env(
        private_redis, CONN_MAX_AGE="0", DATABASE_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT)
    )
    server = start_web(env)
    resident, cashier = town.token(server, RESIDENT), town.token(server, CASHIER)

    frozen = town.pg.freeze()
    try:
        started = time.monotonic()
        answer = server.request("GET", "/api/v1/wallet/", token=resident, timeout=30)
        took = time.monotonic() - started
    finally:
        town.pg.thaw(frozen)

    assert answer.status == 503, answer.body
    assert answer.json()["type"] == "/problems/service-unavailable"
    assert took < CONNECT_TIMEOUT + 3
    assert _pay(server, town, resident=resident, cashier=cashier) == 201


STATEMENT_TIMEOUT_MS = 1000


def test_a_statement_waiting_too_long_answers_503_within_the_statement_timeout(
    town: Town, private_redis: PrivateRedis, start_web
) -> None:
    env = town.production_env(private_redis, DATABASE_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT_MS))
    server = start_web(env)
    resident = town.token(server, RESIDENT)
    # Another session holds the resident's profile row (a new pay code locks it) for 20 s.
    holder = subprocess.Popen(
        [
            town.pg.psql_binary(),
            "-X",
            "-q",
            town.pg.url(DATABASE),
            "-c",
            "BEGIN; SELECT 1 FROM accounts_residentprofile p JOIN accounts_user u"
            " ON u.id = p.user_id WHERE u.email = 'anna@heitje.example' FOR UPDATE;"
            " SELECT pg_sleep(20); COMMIT;",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: (
                town.count(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(20)%'"
                    " AND pid <> pg_backend_pid()"
                )
                == 1
            ),
            seconds=20,
            what="the lock holder",
        )
        started = time.monotonic()
        answer = server.request("POST", "/api/v1/wallet/pay-codes/", json_body={}, token=resident)
        took = time.monotonic() - started
    finally:
        holder.terminate()
        holder.wait(timeout=20)

    assert answer.status == 503, answer.body
    assert answer.json()["type"] == "/problems/service-unavailable"
    assert took < STATEMENT_TIMEOUT_MS / 1000 + 3
