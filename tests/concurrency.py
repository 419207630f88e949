"""One way to run real threads at once against PostgreSQL, for every concurrency test."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

from django.db import connection


def run_together(workers: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(0)` .. `work(workers - 1)` in as many threads, released together by a barrier;
    return each one's result or the exception it raised, in order.

    Each thread connects before the barrier (so the barrier releases the work, not connection
    set-up) and closes its own connection after. Use it in `django_db(transaction=True)` tests:
    the threads see only committed data.
    """
    barrier = Barrier(workers, timeout=30)

    def worker(i: int) -> Any:
        try:
            connection.ensure_connection()
            barrier.wait()
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(worker, i) for i in range(workers)]
        return [f.exception() or f.result() for f in futures]


def outcomes(results: list[Any]) -> list[str]:
    """`run_together`'s results as sorted names: "ok" for a return, the exception's class name
    for a raise (so `["Conflict", "Conflict", "ok"]` reads "one won, two were refused")."""
    return sorted(type(r).__name__ if isinstance(r, BaseException) else "ok" for r in results)
