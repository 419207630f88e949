"""An idempotent retry near the daily limit: a retry with the key of a payment that committed
while the retry waited must return that payment, never "limit exceeded" (11 of 500 retries of
an already-committed poster payment were refused before the fix)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from accounts.models import ResidentProfile
from ledger import selectors as ledger_selectors
from payments import codes
from payments.models import Payment

pytest_plugins = ["tests.payments.pay_fixtures"]

WAIT_SECONDS = 20


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_retry_of_a_poster_payment_that_reached_the_daily_limit_returns_that_payment(
    shop, anna, settings
) -> None:
    settings.PAYMENT_DAILY_MAX = 1_000
    wallet = APIClient()
    wallet.force_authenticate(anna)
    poster = codes.shop_encode(shop.pk)
    earlier = wallet.post(
        "/api/v1/wallet/pay-shop/",
        {"shop": poster, "amount": 900, "idempotency_key": "earlier"},
        format="json",
    )
    assert earlier.status_code == 201
    body = {"shop": poster, "amount": 100, "idempotency_key": "tap-1"}
    answers: list[tuple[int, dict[str, object]]] = []

    def pay() -> None:
        client = APIClient()
        client.force_authenticate(anna)
        try:
            response = client.post("/api/v1/wallet/pay-shop/", body, format="json")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    # The first attempt and its retry both arrive while the resident's profile is locked (as by
    # another payment of theirs): both wait for it, one pays, the other must find that payment.
    threads = [threading.Thread(target=pay) for _ in range(2)]
    with transaction.atomic():
        ResidentProfile.objects.select_for_update().get(user=anna)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while _waiting_on_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_on_locks() == 2
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)

    assert [status for status, _ in answers] == [201, 201], answers
    assert answers[0][1]["id"] == answers[1][1]["id"]
    assert Payment.objects.filter(resident=anna).count() == 2
    assert ledger_selectors.account_balance(account_id=shop.account_id) == 1_000
