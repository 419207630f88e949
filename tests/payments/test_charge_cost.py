"""What a payment costs the database, counted over HTTP as the wallet and the till make it (API
tokens): the wallet's pay code and the till's charge. The figures are the ones
docs/performance.md reports ("Payments over HTTP"); a change that adds statements to the
payment path fails here rather than slowing every shop down unnoticed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tokens import api_token_create
from payments.models import Payment
from tests.payments.pay_fixtures import balance

pytest_plugins = ["tests.payments.pay_fixtures"]

# Statements the request sends, the transaction's BEGIN and COMMIT not counted (as the HTTP
# bench counts them, bench/gunicorn_hooks.py). 8 and 22 before docs/performance.md's changes;
# 5 and 11 before the code's short-code check went into its INSERT.
CODE_STATEMENTS_MAX = 4
CHARGE_STATEMENTS_MAX = 11


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user).key}")
    return client


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"] not in {"BEGIN", "COMMIT"}]


@pytest.mark.django_db(transaction=True)
def test_a_payment_over_http_runs_few_statements(shop, cashier, anna):
    wallet, till = token_client(anna), token_client(cashier)
    before = balance(anna.resident.wallet_id)
    # The first request of each token records its use (at most once a minute); a till charges
    # all day, so the counted requests are the ones after that.
    for _ in range(2):
        with CaptureQueriesContext(connection) as code_queries:
            issued = wallet.post("/api/v1/wallet/pay-codes/", {}, format="json")
        assert issued.status_code == 201, issued.content
        with CaptureQueriesContext(connection) as charge_queries:
            charged = till.post(
                f"/api/v1/shops/{shop.pk}/charges/",
                {"amount": 250, "code": issued.json()["payload"]},
                format="json",
            )
        assert charged.status_code == 201, charged.content
    assert balance(anna.resident.wallet_id) == before - 500
    assert Payment.objects.filter(resident=anna).count() == 2
    code_sql, charge_sql = statements(code_queries), statements(charge_queries)
    assert len(code_sql) <= CODE_STATEMENTS_MAX, "\n".join(code_sql)
    assert len(charge_sql) <= CHARGE_STATEMENTS_MAX, "\n".join(charge_sql)
