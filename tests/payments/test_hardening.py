"""Defects a review found, each proven fixed: parallel guesses of short codes, refund keys of
one shop meeting another's, dates and expiries at the edge of the calendar, odd digits."""

import contextlib
import threading
from datetime import date

import pytest
from django.db import connection
from rest_framework.test import APIClient

from payments import codes, services
from payments.models import Refund
from tests.concurrency import outcomes, run_together
from tests.payments.pay_fixtures import balance

pytest_plugins = ["tests.payments.pay_fixtures"]


def api(user):
    client = APIClient()
    client.force_login(user)
    return client


def charge(cashier, shop, resident_user, amount):
    issued = services.pay_token_issue(user=resident_user)
    return services.charge_with_token(
        cashier=cashier, shop_id=shop.pk, amount=amount, code=issued.payload
    )


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_short_codes_never_get_more_than_the_limit(shop, cashier, monkeypatch):
    """Every lookup is counted before it is made: 40 guesses at once get at most 10 answers."""
    slow_parse = codes.resident_code_parse
    barrier = threading.Barrier(8)

    def parse_together(code):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        return slow_parse(code)

    monkeypatch.setattr(codes, "resident_code_parse", parse_together)
    answers = outcomes(
        run_together(
            40,
            lambda n: services.charge_with_token(
                cashier=cashier, shop_id=shop.pk, amount=100, code=f"{n:08d}"
            ),
        )
    )
    assert set(answers) <= {"CodeUnknown", "TooManyAttempts"}  # none paid, nothing else
    assert answers.count("CodeUnknown") <= services.SHORT_CODE_FAILURES_MAX
    assert answers.count("TooManyAttempts") >= 40 - services.SHORT_CODE_FAILURES_MAX


def test_a_client_refund_key_never_meets_a_default_one(shop, owner, cashier, anna):
    """Payment id = shop id and a client key equal to what a default key would end with: both
    refunds still happen, once each."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('payments_payment','id'), %s, false)", [shop.pk]
        )
    before = balance(anna.resident.wallet_id)
    payment = charge(cashier, shop, anna, 1000)
    assert payment.pk == shop.pk
    first = api(owner).post(
        f"/api/v1/shops/{shop.pk}/payments/{payment.pk}/refunds/",
        {"amount": 300, "idempotency_key": "300"},
        format="json",
    )
    assert first.status_code == 201, first.content
    second = api(cashier).post(
        f"/api/v1/shops/{shop.pk}/payments/{payment.pk}/refunds/", {"amount": 3}, format="json"
    )
    assert second.status_code == 201, second.content
    payment.refresh_from_db()
    assert payment.refunded == 303
    assert Refund.objects.count() == 2
    assert balance(anna.resident.wallet_id) == before - 1000 + 303


def test_a_request_expiring_after_year_9999_is_unreadable_not_a_crash(shop, anna):
    body = codes.canonical_json(
        {
            "amount": 100,
            "cur": "HEITJE",
            "exp": 10**12,
            "kid": "0123456789abcdef",
            "nonce": "A" * 22,
            "shop": shop.pk,
        }
    )
    payload = (
        codes.REQUEST_PREFIX + codes.b64url_encode(body) + "." + codes.b64url_encode(b"\0" * 64)
    )
    for url in ("/api/v1/wallet/pay-requests/", "/api/v1/wallet/pay-requests/pay/"):
        response = api(anna).post(url, {"payload": payload}, format="json")
        assert response.status_code == 422, response.content
        assert response.json()["type"] == "/problems/code-malformed"


def test_the_last_day_of_the_calendar_and_odd_digits_are_answered(shop, owner, cashier):
    day = api(cashier).get(f"/api/v1/shops/{shop.pk}/payments/", {"date": date.max.isoformat()})
    assert day.status_code == 200
    assert day.json()["total"] == 0
    owner_client = APIClient()
    owner_client.force_login(owner)
    statement = owner_client.get(f"/shop/{shop.pk}/till/statement/?before=%C2%B2")
    assert statement.status_code == 200
