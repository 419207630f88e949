"""The bundled page decorators (`till_page`, `uncached_resident_page`, `_staff_signed_in_page`)
give every page the checks its own stack of decorators gave it before: the same methods, the
same answer to someone signed out or of the wrong kind, in the same order, and `never_cache`
exactly where it was."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.helpers import make_user

pytestmark = pytest.mark.django_db

ALL = ("GET", "POST", "PUT")

# URL name: (the methods it answers, never kept by a cache)
TILL = {
    "payments-till": (("GET",), False),
    "payments-till-charge": (("POST",), True),
    "payments-till-request": (("GET", "POST"), True),
    "payments-till-request-show": (("GET",), True),
    "payments-till-request-status": (("GET",), True),
    "payments-till-request-cancel": (("POST",), False),
    "payments-till-day": (("GET",), False),
    "payments-till-refund": (("GET", "POST"), True),
    "payments-till-voucher": (("GET", "POST"), True),
    "payments-till-poster": (("GET",), False),
    "payments-till-settlements": (("GET",), False),
    "payments-till-settlement-request": (("POST",), False),
    "payments-till-statement": (("GET",), True),
}

WALLET = {
    "wallet-home": ("GET",),
    "wallet-statement": ("GET",),
    "wallet-residency": ("POST",),
    "wallet-achieved": ("GET",),
    "transparency-proof": ("GET",),
}

TWOFA = ("staff-2fa-setup", "staff-2fa-verify")


def _till_url(name: str) -> str:
    kwargs = {"shop_id": 999_999}
    if name.startswith("payments-till-request-") and not name.endswith("request"):
        kwargs["request_id"] = 1
    if name == "payments-till-refund":
        kwargs["payment_id"] = 1
    return reverse(name, kwargs=kwargs)


def _ask(client, method: str, url: str):
    return getattr(client, method.lower())(url)


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize("name", sorted(TILL))
def test_a_till_page_checks_sign_in_then_method_then_membership(client, name):
    methods, no_store = TILL[name]
    url = _till_url(name)
    for method in ALL:
        signed_out = _ask(client, method, url)
        assert signed_out.status_code == 302, (name, method)
        assert signed_out["Location"].startswith(reverse("login")), (name, method)
        assert _no_store(signed_out) is no_store, (name, method)
    client.force_login(make_user("stranger@example.org"))
    for method in ALL:
        answer = _ask(client, method, url)
        assert answer.status_code == (404 if method in methods else 405), (name, method)
        # A 404 is raised, past never_cache; a 405 is its answer.
        assert _no_store(answer) is (no_store and answer.status_code == 405), (name, method)


@pytest.mark.parametrize("name", sorted(WALLET))
def test_a_wallet_page_checks_method_then_resident(client, name):
    methods = WALLET[name]
    url = reverse(name, kwargs={"transfer_id": 1}) if name.endswith("proof") else reverse(name)
    for method in ALL:
        signed_out = _ask(client, method, url)
        assert signed_out.status_code == (302 if method in methods else 405), (name, method)
        assert _no_store(signed_out), (name, method)
    client.force_login(make_user("shopkeeper@example.org"))
    for method in ALL:
        answer = _ask(client, method, url)
        assert answer.status_code == (403 if method in methods else 405), (name, method)
        assert _no_store(answer) is (answer.status_code == 405), (name, method)


@pytest.mark.parametrize("name", TWOFA)
def test_a_two_factor_page_checks_method_then_staff_sign_in(client, name):
    url = reverse(name)
    assert _ask(client, "PUT", url).status_code == 405
    for method in ("GET", "POST"):
        signed_out = _ask(client, method, url)
        assert signed_out.status_code == 302
        assert _no_store(signed_out)
    client.force_login(make_user("resident@example.org", "resident"))
    assert client.get(url).status_code == 403
    assert _no_store(client.put(url))
