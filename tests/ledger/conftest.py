"""Fixtures for the ledger's guarantee tests: whole-ledger snapshots, sealing everything that is
final, and the checks every concurrent or tampering test ends with."""

import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from ledger import sealing
from ledger.models import Account, AccountStatusChange, Block, Entry, Transfer


@pytest.fixture
def ledger_snapshot():
    """Everything a failed request must leave untouched: each account's balance, version and
    status, and the rows of every ledger table."""

    def _snapshot() -> dict[str, object]:
        return {
            "accounts": {
                pk: (balance, version, status)
                for pk, balance, version, status in Account.objects.values_list(
                    "pk", "balance", "version", "status"
                )
            },
            "transfers": sorted(Transfer.objects.values_list("pk", flat=True)),
            "entries": Entry.objects.count(),
            "status_changes": AccountStatusChange.objects.count(),
            "blocks": Block.objects.count(),
        }

    return _snapshot


@pytest.fixture
def seal_all():
    """Seal until every committed transfer is in a block. Another session's open transaction
    anywhere on the server holds the sealing horizon back for a moment, which only delays it."""

    def _seal(seconds: float = 30.0) -> Block:
        deadline = time.monotonic() + seconds
        while True:
            sealing.ledger_seal()
            sealed = Block.objects.aggregate(n=Sum("transfer_count"))["n"] or 0
            if sealed == Transfer.objects.count() or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert sealed == Transfer.objects.count(), f"sealing held back by {_oldest_writers()}"
        head = Block.objects.order_by("-height").first()
        assert head is not None
        return head

    return _seal


def _oldest_writers() -> list[tuple]:
    """Sessions anywhere on the server whose open write transaction holds the horizon back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, datname, now() - xact_start, left(query, 60) FROM pg_stat_activity"
            " WHERE backend_xid IS NOT NULL ORDER BY xact_start LIMIT 3"
        )
        return cursor.fetchall()


@pytest.fixture
def assert_ledger_whole():
    """`manage.py ledger_verify` passes and, per currency, all balances sum to zero."""

    def _check() -> None:
        call_command("ledger_verify")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT currency_id, sum(balance) FROM ledger_account GROUP BY currency_id"
                " HAVING sum(balance) <> 0"
            )
            assert cursor.fetchall() == []

    return _check
