"""Ordering concurrent work by observable state, not by sleeping: a test holds a row lock in a
connection of its own, waits until the sessions it started are blocked on that lock (PostgreSQL
says so in pg_stat_activity), and releases it when it wants them to go on."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg2
from django.db import connection

DEADLINE_SECONDS = 60.0


def wait_until(condition: Callable[[], bool], *, seconds: float = DEADLINE_SECONDS) -> None:
    """Poll `condition` until it holds; fail the test when it still does not after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not so after {seconds} s: {condition.__doc__ or ''}")
        time.sleep(0.05)


class RowLock:
    """A row held FOR UPDATE by a connection of its own until `release()`."""

    def __init__(self, table: str, pk: int) -> None:
        self._conn = psycopg2.connect(**connection.get_connection_params())
        with self._conn.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = cursor.fetchone()[0]
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR UPDATE', [pk])

    def waiting(self) -> list[str]:
        """The statements of the sessions now blocked by this lock."""
        probe = psycopg2.connect(**connection.get_connection_params())
        try:
            with probe.cursor() as cursor:
                cursor.execute(
                    "SELECT query FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                    [self.pid],
                )
                return [row[0] for row in cursor.fetchall()]
        finally:
            probe.close()

    def release(self) -> None:
        if not self._conn.closed:
            self._conn.rollback()
            self._conn.close()


@contextmanager
def row_locked(table: str, pk: int) -> Iterator[RowLock]:
    """Hold the row `pk` of `table` FOR UPDATE for the block (or until released)."""
    lock = RowLock(table, pk)
    try:
        yield lock
    finally:
        lock.release()
