"""The counter for real people (issue 11), over HTTP as the till and the wallet use it: the
shop's typed short code, the session that ends in the middle of a sale, the device a person
chose to remember, and the day list's references. The browser side (geometry, offline, the
expired session in a real till) is in tests/browser/test_till_counter.py."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.middleware import AUTH_AT
from accounts.models import RoleGrant, User
from payments import codes, services
from payments.models import Payment, PaymentRequest
from tests.helpers import PASSWORD, make_user
from tests.payments.pay_fixtures import balance, money_snapshot, resident

pytest_plugins = ["tests.payments.pay_fixtures"]

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ria(db) -> User:
    return resident("ria@example.org", funded=10_000)


def till(shop, rest: str = "") -> str:
    return f"/shop/{shop.pk}/till/{rest}"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the shop's short code ----------------------------------------------------------------


def test_the_till_shows_a_short_code_and_no_base64(client, shop, cashier):
    client.force_login(cashier)
    made, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=320)
    page = client.get(till(shop, f"request/{made.pk}/"))
    assert page.status_code == 200
    assert re.fullmatch(r"[0-9]{9}", made.short_code)
    grouped = codes.short_code_groups(made.short_code)
    assert len(grouped) <= 12
    assert f'id="request-short-code">{grouped}<' in page.content.decode()
    assert payload not in page.content.decode().replace('data-payload="' + payload, "")
    assert "Code as text" not in text(page)


def test_the_wallet_takes_the_typed_short_code_to_the_confirmation(client, shop, cashier, ria):
    made, _payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=320)
    client.force_login(ria)
    typed = codes.short_code_groups(made.short_code)  # as read out: "123 456 789"
    response = client.post("/wallet/pay/scan/", {"payload": typed})
    assert response.status_code == 200
    assert 'id="confirm-shop"' in response.content.decode()
    assert shop.name in text(response)
    assert '<data value="320">' in response.content.decode()
    assert not Payment.objects.exists()  # nothing paid before confirming
    payload = re.search(r'name="payload" value="([^"]+)"', response.content.decode())
    assert payload is not None
    paid = client.post("/wallet/pay/scan/confirm/", {"payload": payload.group(1), "amount": 320})
    assert paid.status_code == 302
    made.refresh_from_db()
    assert made.status == "paid"
    assert balance(ria.resident.wallet_id) == 10_000 - 320


def test_a_closed_requests_short_code_is_not_found(client, shop, cashier, ria):
    made, _payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=320)
    services.payment_request_cancel(cashier=cashier, shop_id=shop.pk, request_id=made.pk)
    client.force_login(ria)
    response = client.post("/wallet/pay/scan/", {"payload": made.short_code})
    assert response.status_code == 422
    assert "No shop shows this code now" in text(response)


def test_guessing_shop_codes_is_limited_per_resident(client, shop, cashier, ria):
    made, _payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=320)
    wrong = "000000000" if made.short_code != "000000000" else "111111111"
    client.force_login(ria)
    for _ in range(services.SHORT_CODE_FAILURES_MAX):
        refused = client.post("/wallet/pay/scan/", {"payload": wrong})
        assert "No shop shows this code now" in text(refused)
    # Even the right code is refused now, for a while.
    blocked = client.post("/wallet/pay/scan/", {"payload": made.short_code})
    assert blocked.status_code == 422
    assert "Too many wrong codes" in text(blocked)


def test_a_short_code_of_the_wrong_length_says_how_long_it_is(client, ria):
    client.force_login(ria)
    response = client.post("/wallet/pay/scan/", {"payload": "1234 5678"})
    assert response.status_code == 422
    assert "exactly 9 digits" in text(response)


def test_the_api_preview_accepts_the_short_code(shop, cashier, ria):
    made, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=450)
    api = APIClient()
    api.force_authenticate(ria)
    response = api.post("/api/v1/wallet/pay-requests/", {"payload": made.short_code}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["shop_id"], body["amount"], body["payload"]) == (shop.pk, 450, payload)
    wrong = api.post("/api/v1/wallet/pay-requests/", {"payload": "12345"}, format="json")
    assert wrong.status_code == 422
    assert wrong["Content-Type"].startswith("application/problem+json")


def test_the_api_charge_above_the_threshold_waits_for_the_resident(shop, cashier, ria):
    code = services.pay_token_issue(user=ria)
    api = APIClient()
    api.force_authenticate(cashier)
    before = money_snapshot()
    amount = settings.PAYMENT_CONFIRM_ABOVE + 1
    response = api.post(
        f"/api/v1/shops/{shop.pk}/charges/",
        {"amount": amount, "code": code.short_code},
        format="json",
    )
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["at_resident"]) == ("open", True)
    assert money_snapshot() == before
    assert PaymentRequest.objects.get(pk=response.json()["id"]).amount == amount


# --- forms that fit the fingers -----------------------------------------------------------------


def test_code_fields_open_the_number_pad(client, shop, cashier, ria):
    client.force_login(cashier)
    page = client.get(till(shop)).content.decode()
    assert re.search(r'<input[^>]*name="code"[^>]*inputmode="numeric"', page)
    client.force_login(ria)
    scan = client.get("/wallet/pay/scan/").content.decode()
    assert re.search(r'<input[^>]*name="payload"[^>]*inputmode="numeric"', scan)
    assert "text printed under it" not in scan


# --- the result and the day list ----------------------------------------------------------


def test_a_refusal_names_the_reason_the_amount_and_the_time(client, shop, cashier, ria):
    client.force_login(cashier)
    response = client.post(till(shop, "charge/"), {"amount": "3,20", "code": "00000000"}, **HTMX)
    page = response.content.decode()
    assert 'id="result-refused"' in page
    assert "unknown or no longer valid" in page
    assert '<data value="320">' in page
    assert "<time datetime=" in page
    assert 'id="next-sale"' in page
    assert 'value="3,20"' in page  # what was typed stays in the form


def test_the_day_list_tells_two_equal_payments_apart(client, shop, cashier, ria):
    first, second = (
        services.charge_with_token(
            cashier=cashier,
            shop_id=shop.pk,
            amount=320,
            code=services.pay_token_issue(user=ria).payload,
        )
        for _ in range(2)
    )
    client.force_login(cashier)
    page = client.get(till(shop, "today/")).content.decode()
    assert f'id="ref-{first.pk}"' in page
    assert f'id="ref-{second.pk}"' in page
    assert first.pk != second.pk


# --- the session that ends ----------------------------------------------------------------------


def test_an_htmx_charge_after_the_session_ended_goes_to_sign_in_not_into_the_till(
    client, shop, cashier
):
    response = client.post(
        till(shop, "charge/"),
        {"amount": "3", "code": "12345678"},
        HTTP_HX_CURRENT_URL=f"http://testserver{till(shop)}",
        **HTMX,
    )
    assert response.status_code == 204
    assert response.content == b""
    assert response["HX-Redirect"] == f"/login/?next=/shop/{shop.pk}/till/"


def test_an_htmx_poll_from_another_site_is_sent_back_to_the_till_only(client, shop):
    response = client.get(
        till(shop, "request/1/status/"),
        HTTP_HX_CURRENT_URL="https://evil.example/phish/",
        **HTMX,
    )
    assert response["HX-Redirect"] == f"/login/?next=/shop/{shop.pk}/till/"


def _sign_in(client, email: str, remember: bool) -> None:
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "on"
    response = client.post("/login/", data)
    assert response.status_code == 302


def test_a_remembered_device_stays_signed_in_for_a_working_day(client, shop, cashier):
    _sign_in(client, cashier.email, remember=True)
    assert client.session.get_expiry_age() == settings.SESSION_REMEMBER_IDLE_TIMEOUT
    # Two hours without a request: a plain session would have ended, this one has not.
    session = client.session
    session[AUTH_AT] = time.time() - 2 * 60 * 60
    session.save()
    assert client.get(till(shop)).status_code == 200


def test_without_remembering_the_idle_timeout_holds(client, cashier):
    _sign_in(client, cashier.email, remember=False)
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_TIMEOUT


def test_staff_are_never_remembered(client, db):
    staff = make_user("finance@example.org", "finance")
    client.post("/login/", {"email": staff.email, "password": PASSWORD, "remember": "on"})
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_TIMEOUT


def test_a_remembered_session_that_gains_a_staff_role_is_shortened(client, ria):
    _sign_in(client, ria.email, remember=True)
    RoleGrant.objects.create(user=ria, role="finance")
    client.get("/wallet/")
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_TIMEOUT
