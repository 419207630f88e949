"""Connection exhaustion under the development server: runserver starts a thread per request,
and with persistent connections each thread kept its own for a minute (a burst of 20 parallel
requests left ~70 idle connections and PostgreSQL refused new clients)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .conftest import DATABASE, MAX_CONNECTIONS, RESIDENT, Town
from .servers import LiveServer

BURST = 50
ROUNDS = 3


def test_bursts_of_parallel_requests_to_the_development_server_all_succeed(
    town: Town, start_web
) -> None:
    server: LiveServer = start_web(town.env, settings="config.settings.dev")
    resident = town.token(server, RESIDENT)

    def wallet(_: int) -> int:
        return server.request("GET", "/api/v1/wallet/", token=resident, timeout=60).status

    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        for _round in range(ROUNDS):
            statuses += pool.map(wallet, range(BURST))

    assert statuses == [200] * (BURST * ROUNDS)
    idle = town.count(
        f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DATABASE}'"
        " AND pid <> pg_backend_pid()"
    )
    assert idle < MAX_CONNECTIONS // 2
