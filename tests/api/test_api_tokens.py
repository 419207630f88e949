"""API tokens: one per sign-in of a device, expiring, listed with the sessions, revocable, stored
hashed, and ended by a password change."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from tests.helpers import PASSWORD

NEW_PASSWORD = "Orchard-ladder-2027?"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def anna(make_user):
    return make_user("anna@example.org", "resident", preferred_language="en")


def token_login(device_name=None, email="anna@example.org", password=PASSWORD):
    body = {"email": email, "password": password}
    if device_name is not None:
        body["device_name"] = device_name
    response = APIClient(HTTP_USER_AGENT="Till app/2.1").post(
        "/api/v1/auth/token/", body, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def with_token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def signed_in_browser(email="anna@example.org"):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/login/", {"email": email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return client


def assert_refused_token(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["type"] == "/problems/authentication-failed"


def test_two_token_logins_give_two_tokens_both_listed_one_revoked(anna):
    till = token_login("Till 1")
    phone = token_login("Phone")
    assert till["token"] != phone["token"]
    assert with_token(till["token"]).get("/api/v1/me/").json()["id"] == anna.pk
    assert with_token(phone["token"]).get("/api/v1/me/").json()["id"] == anna.pk

    browser = signed_in_browser()
    listed = browser.get("/api/v1/me/sessions/").json()
    assert [(s["kind"], s["device_name"], s["current"]) for s in listed] == [
        ("session", "", True),
        ("token", "Phone", False),
        ("token", "Till 1", False),
    ]
    till_entry = listed[2]
    assert till_entry["id"] == till["id"]
    assert till_entry["user_agent"] == "Till app/2.1"
    assert parse_datetime(till_entry["expires_at"]) == parse_datetime(till["expires_at"])
    # Seen from the till itself, its own token is the current one.
    from_till = with_token(till["token"]).get("/api/v1/me/sessions/").json()
    assert [s["device_name"] for s in from_till if s["current"]] == ["Till 1"]

    revoked = browser.delete(f"/api/v1/me/sessions/tokens/{till['id']}/")
    assert revoked.status_code == 204
    assert_refused_token(with_token(till["token"]).get("/api/v1/me/"))
    assert with_token(phone["token"]).get("/api/v1/me/").status_code == 200
    assert [s["device_name"] for s in browser.get("/api/v1/me/sessions/").json()] == ["", "Phone"]
    assert browser.delete(f"/api/v1/me/sessions/tokens/{till['id']}/").status_code == 404


def test_a_token_expires_after_the_configured_hours(anna, settings):
    settings.API_TOKEN_TTL_HOURS = 12
    before = timezone.now()
    issued = token_login("Till 1")
    expires = parse_datetime(issued["expires_at"])
    assert before + timedelta(hours=12) <= expires <= timezone.now() + timedelta(hours=12)

    from accounts.models import ApiToken

    # Half a day later (the row's expiry moved into the past instead of waiting for it):
    ApiToken.objects.filter(pk=issued["id"]).update(expiry=timezone.now() - timedelta(seconds=1))
    assert_refused_token(with_token(issued["token"]).get("/api/v1/me/"))
    assert signed_in_browser().get("/api/v1/me/sessions/").json()[1:] == []


def test_a_made_up_or_garbled_token_is_refused_with_401(anna):
    issued = token_login()
    assert_refused_token(with_token("0" * 64).get("/api/v1/me/"))
    assert_refused_token(with_token(issued["token"][:-1] + "x").get("/api/v1/me/"))
    # No credentials at all: refused as before, without a token challenge.
    anonymous = APIClient().get("/api/v1/me/")
    assert anonymous.status_code == 403
    assert "WWW-Authenticate" not in anonymous


def test_only_a_hash_of_a_token_is_stored(anna):
    from accounts.models import ApiToken

    issued = token_login("Till 1")
    row = ApiToken.objects.get(pk=issued["id"])
    assert issued["token"] not in {row.digest, row.token_key}
    assert len(issued["token"]) >= 64  # 256 bits
    exported = signed_in_browser().get("/api/v1/me/data/").content.decode()
    assert issued["token"] not in exported
    assert "Till 1" in exported


def test_password_change_revokes_every_token(anna):
    tokens = [token_login(f"Till {n}")["token"] for n in (1, 2)]
    browser = signed_in_browser()
    response = browser.post(
        "/api/v1/me/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204
    for key in tokens:
        assert_refused_token(with_token(key).get("/api/v1/me/"))
    assert [s["kind"] for s in browser.get("/api/v1/me/sessions/").json()] == ["session"]


def test_password_change_made_with_a_token_keeps_only_that_token(anna):
    this = token_login("Till 1")["token"]
    other = token_login("Till 2")["token"]
    response = with_token(this).post(
        "/api/v1/me/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204
    assert with_token(this).get("/api/v1/me/").status_code == 200
    assert_refused_token(with_token(other).get("/api/v1/me/"))


def test_ending_other_sessions_ends_tokens_too_but_not_the_current_one(anna):
    first, second = token_login("Till 1")["token"], token_login("Till 2")["token"]
    browser = signed_in_browser()
    ended = with_token(first).post("/api/v1/me/sessions/end-others/")
    assert ended.json() == {"ended": 2}  # the browser session and the other till
    assert with_token(first).get("/api/v1/me/").status_code == 200
    assert_refused_token(with_token(second).get("/api/v1/me/"))
    assert browser.get("/api/v1/me/").status_code == 403


def test_signing_out_with_a_token_revokes_it(anna):
    issued = token_login()
    assert with_token(issued["token"]).post("/api/v1/auth/logout/").status_code == 204
    assert_refused_token(with_token(issued["token"]).get("/api/v1/me/"))


def test_someone_elses_token_is_not_found_and_keeps_working(anna, make_user):
    make_user("bram@example.org", "resident")
    bram = token_login("Bram's phone", email="bram@example.org")
    response = signed_in_browser().delete(f"/api/v1/me/sessions/tokens/{bram['id']}/")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/not-found"
    assert with_token(bram["token"]).get("/api/v1/me/").status_code == 200


def test_a_person_holds_a_limited_number_of_live_tokens(anna, settings):
    settings.API_TOKEN_LIMIT = 2
    first = token_login("Till 1")
    token_login("Till 2")
    refused = APIClient().post(
        "/api/v1/auth/token/", {"email": "anna@example.org", "password": PASSWORD}, format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/too-many-tokens"
    signed_in_browser().delete(f"/api/v1/me/sessions/tokens/{first['id']}/")
    assert token_login("Till 3")["device_name"] == "Till 3"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "anna@example.org", "password": PASSWORD, "device_name": "x" * 101},
        {"email": "anna@example.org", "password": PASSWORD, "is_staff": True},
        {"email": "anna@example.org", "password": "wrong-password-1", "device_name": "Till"},
    ],
)
def test_a_refused_token_request_makes_no_token(anna, body):
    from accounts.models import ApiToken

    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not ApiToken.objects.exists()


def test_the_sessions_page_lists_tokens_and_revokes_one(anna):
    till = token_login("Till 1")
    phone = token_login("Phone")
    page = Client()
    page.force_login(anna)
    listed = page.get("/account/sessions/").content.decode()
    assert "Till 1" in listed
    assert "Phone" in listed
    response = page.post("/account/sessions/", {"revoke": till["id"]}, follow=True)
    assert "The API token is revoked." in response.content.decode()
    assert "Till 1" not in response.content.decode()
    assert_refused_token(with_token(till["token"]).get("/api/v1/me/"))
    assert with_token(phone["token"]).get("/api/v1/me/").status_code == 200
    again = page.post("/account/sessions/", {"revoke": till["id"]}, follow=True)
    assert "That API token does not exist or has already ended." in again.content.decode()


def test_a_token_never_counts_as_two_factor_verified(make_user, staff_login):
    reviewer = make_user("rita@example.org", "reviewer")
    verified = APIClient()
    staff_login(verified, reviewer)
    assert verified.get("/api/v1/staff/residents/").status_code == 200
    key = token_login("Laptop", email="rita@example.org")["token"]
    # On its own, and even sent from the session that passed TOTP: the token decides.
    verified.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for client in (with_token(key), verified):
        response = client.get("/api/v1/staff/residents/")
        assert response.status_code == 403
        assert response.json()["type"] == "/problems/two-factor-required"
