"""Where a request comes from is the connection's address, or with TRUSTED_PROXY_COUNT proxies
the entry they appended to X-Forwarded-For: never what the client writes there. It drives the
sign-in lockout, the API throttles, the audit log and the session list. Guessing one account's
password from many addresses is slowed down; a cross-site form cannot sign a browser in."""

import time

import pytest
from django.test import Client
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from accounts.models import AuditEvent, SessionRecord
from tests.helpers import PASSWORD, staff_login

WRONG = "not-the-password-9"
EVIL = "https://evil.example"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def anna(make_user):
    return make_user("anna@example.org", "resident", preferred_language="en")


def login(password, *, remote="10.0.0.1", forwarded=None, email="anna@example.org"):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    client = APIClient(**headers)
    response = client.post(
        "/api/v1/auth/login/", {"email": email, "password": password}, format="json"
    )
    return client, response


# --- the sign-in lockout -------------------------------------------------------------------


def test_a_new_forwarded_header_does_not_lift_the_lockout(anna):
    for _ in range(6):
        login(WRONG, forwarded="9.9.9.9")
    client, response = login(PASSWORD, forwarded="9.9.9.10")
    assert response.status_code == 429
    assert response.json()["type"] == "/problems/locked-out"
    assert "_auth_user_id" not in client.session


def test_guesses_with_a_new_header_each_are_locked(anna):
    statuses = [login(WRONG, forwarded=f"9.9.{n}.1")[1].status_code for n in range(40)]
    assert statuses == [400] * 4 + [429] * 36


def test_behind_one_proxy_the_right_most_entry_is_the_client(settings, anna):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.254"
    for _ in range(5):
        login(WRONG, remote=proxy, forwarded="9.9.9.9, 203.0.113.7")
    # The same client, whatever it writes in front of what the proxy appends.
    _, response = login(PASSWORD, remote=proxy, forwarded="9.9.9.10, 203.0.113.7")
    assert response.status_code == 429
    # Another client behind the same proxy gets in, and its session shows its address.
    client, response = login(PASSWORD, remote=proxy, forwarded="9.9.9.9, 203.0.113.8")
    assert response.status_code == 200
    (session,) = client.get("/api/v1/me/sessions/").json()
    assert session["ip_address"] == "203.0.113.8"


def test_a_request_that_bypassed_the_proxies_counts_as_its_connection(settings, anna):
    settings.TRUSTED_PROXY_COUNT = 2
    for n in range(5):
        login(WRONG, remote="198.51.100.3", forwarded=f"9.9.{n}.1")
    _, response = login(PASSWORD, remote="198.51.100.3", forwarded="9.9.9.9")
    assert response.status_code == 429


# --- the slowdown per email address --------------------------------------------------------


def test_guesses_from_ever_new_addresses_are_slowed_down(anna, monkeypatch):
    answers = [login(WRONG, remote=f"198.51.{n}.9")[1] for n in range(40)]
    statuses = [a.status_code for a in answers]
    # Ten free attempts, an eleventh let through, then every attempt waits a minute.
    assert statuses == [400] * 11 + [429] * 29
    refused = answers[-1]
    assert refused.json()["type"] == "/problems/sign-in-slowed-down"
    assert refused.json()["title"] == (
        "Too many failed sign-in attempts for this email address. Try again in 1 minute."
    )
    assert 0 < int(refused["Retry-After"]) <= 60
    # The right password does not get through a wait either, from anywhere.
    client, response = login(PASSWORD, remote="192.0.2.200")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    # After the wait, one more guess; the next wait is twice as long.
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert login(WRONG, remote="198.51.200.9")[1].status_code == 400
    refused = login(WRONG, remote="198.51.201.9")[1]
    assert refused.status_code == 429
    assert 60 < int(refused["Retry-After"]) <= 120

    # Once the wait is over the resident gets in with the right password, and starts afresh.
    later += 121
    assert login(PASSWORD, remote="192.0.2.200")[1].status_code == 200
    assert [login(WRONG, remote="192.0.2.201")[1].status_code for _ in range(3)] == [400] * 3


def test_a_resident_who_mistypes_a_few_times_gets_in(anna):
    for n in range(3):
        assert login(WRONG, remote=f"100.64.0.{n}")[1].status_code == 400
    assert login(PASSWORD, remote="100.64.0.9")[1].status_code == 200


def test_an_unknown_email_address_is_slowed_down_the_same(db):
    statuses = [
        login(WRONG, remote=f"198.51.{n}.9", email="nobody@example.org")[1].status_code
        for n in range(12)
    ]
    assert statuses == [400] * 11 + [429]


def test_the_sign_in_page_says_how_long_to_wait(anna):
    for n in range(11):
        Client(REMOTE_ADDR=f"198.51.{n}.9").post(
            "/login/", {"email": "anna@example.org", "password": WRONG}
        )
    client = Client(REMOTE_ADDR="192.0.2.200")
    response = client.post("/login/", {"email": "anna@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Try again in 1 minute." in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- throttles, audit log ------------------------------------------------------------------


def test_anonymous_calls_with_a_new_header_each_are_throttled(db):
    limit = int(api_settings.DEFAULT_THROTTLE_RATES["anon"].split("/")[0])
    client = APIClient(REMOTE_ADDR="10.0.0.7")
    statuses = [
        client.get("/api/v1/neighbourhoods/", HTTP_X_FORWARDED_FOR=f"9.9.{n}.1").status_code
        for n in range(limit + 15)
    ]
    assert statuses == [200] * limit + [429] * 15


def test_the_audit_log_records_the_connection_not_the_header(make_user):
    admin = make_user("admin@example.org", "admin")
    api = APIClient()
    staff_login(api, admin)
    response = api.post(
        "/api/v1/staff/members/",
        {"email": "nina@example.org", "display_name": "Nina", "roles": ["reviewer"]},
        format="json",
        REMOTE_ADDR="192.0.2.5",
        HTTP_X_FORWARDED_FOR="9.9.9.9",
    )
    assert response.status_code == 201
    assert AuditEvent.objects.get(action="staff.create").ip_address == "192.0.2.5"


def test_the_session_list_records_the_connection_not_the_header(anna):
    client, response = login(PASSWORD, remote="192.0.2.44", forwarded="9.9.9.9")
    assert response.status_code == 200
    (session,) = client.get("/api/v1/me/sessions/").json()
    assert session["ip_address"] == "192.0.2.44"
    assert SessionRecord.objects.get(user=anna).ip_address == "192.0.2.44"


# --- login CSRF ----------------------------------------------------------------------------


def test_a_cross_site_form_cannot_sign_a_browser_in(anna):
    browser = APIClient(enforce_csrf_checks=True)
    response = browser.post(
        "/api/v1/auth/login/",
        {"email": "anna@example.org", "password": PASSWORD},
        HTTP_ORIGIN=EVIL,
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "sessionid" not in response.cookies
    assert "_auth_user_id" not in browser.session
    assert not SessionRecord.objects.filter(user=anna).exists()


def test_a_same_origin_fetch_with_the_csrf_token_signs_in(anna):
    browser = APIClient(enforce_csrf_checks=True)
    browser.get("/login/")
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/v1/auth/login/",
        {"email": "anna@example.org", "password": PASSWORD},
        format="json",
        HTTP_ORIGIN="http://testserver",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    assert response.cookies["sessionid"].value
    assert browser.get("/api/v1/me/").json()["email"] == "anna@example.org"


def test_api_clients_with_a_token_need_no_csrf_token(anna):
    app = APIClient(enforce_csrf_checks=True)
    token = app.post(
        "/api/v1/auth/token/", {"email": "anna@example.org", "password": PASSWORD}, format="json"
    ).json()["token"]
    response = app.patch(
        "/api/v1/me/",
        {"display_name": "Anna B."},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Anna B."


def test_the_sign_in_page_refuses_a_cross_site_form(anna):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        "/login/", {"email": "anna@example.org", "password": PASSWORD}, HTTP_ORIGIN=EVIL
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session
