"""The person's own API: signing in, verification, profile, password, email, sessions."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ApiToken, Neighbourhood, SessionRecord
from accounts.services import resident_register
from accounts.tokens import api_token_create
from tests.helpers import PASSWORD

NEW_PASSWORD = "Orchard-ladder-2027?"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()  # DRF throttles count in the cache, which outlives a test's transaction


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked in English, whatever translations exist: visitors get English,
    and the people made here prefer it."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def make_user(make_user):
    def _make(email, *roles, **extra):
        extra.setdefault("preferred_language", "en")
        return make_user(email, *roles, **extra)

    return _make


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def anna(make_user):
    return make_user("anna@example.org", "resident", display_name="Anna")


def sign_in(email="anna@example.org", password=PASSWORD, **extra):
    client = APIClient(**extra)
    response = client.post(
        "/api/v1/auth/login/", {"email": email, "password": password}, format="json"
    )
    return client, response


def link_token(body, path):
    match = re.search(rf"{re.escape(path)}([^/\s]+)/", body)
    assert match, body
    return match.group(1)


# --- signing in ----------------------------------------------------------------------------


def test_sign_in_opens_a_session_recorded_as_current(anna):
    client, response = sign_in(HTTP_USER_AGENT="Phone browser")
    assert response.status_code == 200, response.json()
    assert response.json()["email"] == "anna@example.org"
    me = client.get("/api/v1/me/").json()
    assert me["roles"] == ["resident"]
    assert me["email_verified"] is True
    sessions = client.get("/api/v1/me/sessions/").json()
    assert len(sessions) == 1
    assert sessions[0]["current"] is True
    assert sessions[0]["user_agent"] == "Phone browser"


def test_sign_out_ends_the_session(anna):
    client, _ = sign_in()
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 403
    assert SessionRecord.objects.get(user=anna).ended_at is not None


@pytest.mark.parametrize(
    "body",
    [
        {"email": "anna@example.org", "password": "wrong-password-1"},
        {"email": "nobody@example.org", "password": PASSWORD},
    ],
)
def test_wrong_credentials_say_the_same_and_sign_nobody_in(api, anna, body):
    response = api.post("/api/v1/auth/login/", body, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/invalid-credentials"
    assert api.get("/api/v1/me/").status_code == 403
    assert not SessionRecord.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "anna@example.org"}, {"email": "x" * 300, "password": "p"}, {"email": 5}],
)
def test_malformed_sign_in_is_a_validation_problem(api, anna, body):
    response = api.post("/api/v1/auth/login/", body, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/validation-error"


def test_a_token_works_like_a_session(api, anna):
    response = api.post(
        "/api/v1/auth/token/", {"email": "Anna@Example.org", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.get(user=anna).pk == response.json()["id"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["id"] == anna.pk


def test_no_token_for_a_wrong_password(api, anna):
    response = api.post(
        "/api/v1/auth/token/", {"email": "anna@example.org", "password": "nope-nope-1"}
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


# --- sign-up and verification --------------------------------------------------------------


def test_sign_up_verify_then_sign_in(api, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/residents/",
            {
                "email": "bram@example.org",
                "password": PASSWORD,
                "display_name": "Bram",
                "language": "en",
            },
            format="json",
        )
    assert response.status_code == 202
    (message,) = mail.outbox
    assert message.to == ["bram@example.org"]
    token = link_token(message.body, "http://testserver/verify-email/")

    _, refused = sign_in("bram@example.org")
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/email-not-verified"
    no_token = api.post("/api/v1/auth/token/", {"email": "bram@example.org", "password": PASSWORD})
    assert no_token.status_code == 403
    assert not ApiToken.objects.exists()

    verified = api.post("/api/v1/auth/verify-email/", {"token": token}, format="json")
    assert verified.status_code == 200
    assert verified.json() == {"email": "bram@example.org", "email_verified": True}
    again = api.post("/api/v1/auth/verify-email/", {"token": token}, format="json")
    assert again.status_code == 200
    _, allowed = sign_in("bram@example.org")
    assert allowed.status_code == 200


@pytest.mark.parametrize("token", ["", "x" * 1001, "abc:def:ghi"])
def test_bad_verification_tokens_change_nothing(api, db, token):
    user = resident_register(
        email="bram@example.org", password=PASSWORD, display_name="Bram", language="en"
    )
    response = api.post("/api/v1/auth/verify-email/", {"token": token}, format="json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    user.refresh_from_db()
    assert user.email_verified_at is None


@pytest.mark.parametrize("email", ["waiting@example.org", "anna@example.org", "nobody@example.org"])
def test_resend_answers_the_same_whatever_the_email(
    api, anna, email, django_capture_on_commit_callbacks
):
    resident_register(
        email="waiting@example.org", password=PASSWORD, display_name="Wim", language="en"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/auth/verify-email/resend/", {"email": email}, format="json")
    assert response.status_code == 202
    assert response.content == b""
    sent_to = [m.to for m in mail.outbox]
    assert sent_to == ([["waiting@example.org"]] if email.startswith("waiting") else [])


# --- profile -------------------------------------------------------------------------------


def test_anonymous_callers_reach_nothing_of_me(api, anna):
    for method, path in [
        ("get", "/api/v1/me/"),
        ("patch", "/api/v1/me/"),
        ("post", "/api/v1/me/password/"),
        ("post", "/api/v1/me/email/"),
        ("get", "/api/v1/me/sessions/"),
        ("delete", "/api/v1/me/sessions/1/"),
        ("post", "/api/v1/me/sessions/end-others/"),
        ("get", "/api/v1/me/data/"),
        ("post", "/api/v1/me/delete/"),
    ]:
        response = getattr(api, method)(path, {}, format="json")
        assert response.status_code == 403, path
        assert response.json()["type"] == "/problems/not-authenticated"


def test_profile_changes(api, db):
    anna = resident_register(
        email="anna@example.org", password=PASSWORD, display_name="Anna", language="en"
    )
    welten = Neighbourhood.objects.get(name="Welten")
    api.force_login(anna)
    response = api.patch(
        "/api/v1/me/",
        {"display_name": " Anna B. ", "neighbourhood": welten.pk, "preferred_language": "de"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["display_name"], body["neighbourhood"], body["preferred_language"]) == (
        "Anna B.",
        welten.pk,
        "de",
    )
    anna.refresh_from_db()
    assert (anna.display_name, anna.preferred_language) == ("Anna B.", "de")
    assert anna.resident.neighbourhood == welten
    cleared = api.patch("/api/v1/me/", {"neighbourhood": None}, format="json")
    assert cleared.json()["neighbourhood"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": "x" * 101},
        {"display_name": "   "},
        {"display_name": ["Anna"]},
        {"neighbourhood": "Welten"},
        {"neighbourhood": 999_999},
        {"preferred_language": "fr"},
        {"email": "other@example.org"},
        {"display_name": "Fine", "is_staff": True},
    ],
)
def test_bad_profile_changes_change_nothing(api, db, body):
    anna = resident_register(
        email="anna@example.org", password=PASSWORD, display_name="Anna", language="en"
    )
    api.force_login(anna)
    response = api.patch("/api/v1/me/", body, format="json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    anna.refresh_from_db()
    assert (anna.display_name, anna.email, anna.preferred_language, anna.is_staff) == (
        "Anna",
        "anna@example.org",
        "en",
        False,
    )
    assert anna.resident.neighbourhood is None


def test_a_staff_member_has_no_neighbourhood(api, make_user):
    staff = make_user("rita@example.org", "reviewer")
    api.force_login(staff)
    response = api.patch("/api/v1/me/", {"neighbourhood": 1}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"] == {"neighbourhood": ["Only residents have a neighbourhood."]}
    assert api.get("/api/v1/me/").json()["roles"] == ["reviewer"]


# --- password ------------------------------------------------------------------------------


def test_password_change_ends_other_sessions_and_keeps_this_one(
    anna, django_capture_on_commit_callbacks
):
    other, _ = sign_in()
    api_token_create(user=anna, device_name="Till")
    this, _ = sign_in()
    with django_capture_on_commit_callbacks(execute=True):
        response = this.post(
            "/api/v1/me/password/",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            format="json",
        )
    assert response.status_code == 204
    anna.refresh_from_db()
    assert anna.check_password(NEW_PASSWORD)
    assert this.get("/api/v1/me/").status_code == 200
    assert [s["current"] for s in this.get("/api/v1/me/sessions/").json()] == [True]
    assert other.get("/api/v1/me/").status_code == 403
    assert not ApiToken.objects.filter(user=anna).exists()
    assert [m.to for m in mail.outbox] == [["anna@example.org"]]
    _, old = sign_in(password=PASSWORD)
    assert old.status_code == 400


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        ({"current_password": "not-it-at-all", "new_password": NEW_PASSWORD}, 403,
         "reauthentication-required"),
        # Shorter than the validators' minimum: refused by the field the schema documents.
        ({"current_password": PASSWORD, "new_password": "short"}, 400, "validation-error"),
        ({"current_password": PASSWORD, "new_password": "anna@example.org"}, 422,
         "profile-refused"),
        ({"current_password": PASSWORD, "new_password": "12345678901234"}, 422, "profile-refused"),
        ({"current_password": PASSWORD}, 400, "validation-error"),
        ({"current_password": PASSWORD, "new_password": "x" * 129}, 400, "validation-error"),
        ({"current_password": PASSWORD, "new_password": 12}, 400, "validation-error"),
    ],
)  # fmt: skip
def test_refused_password_changes_change_nothing(anna, body, status, problem):
    other, _ = sign_in()
    this, _ = sign_in()
    response = this.post("/api/v1/me/password/", body, format="json")
    assert response.status_code == status
    assert response.json()["type"] == f"/problems/{problem}"
    anna.refresh_from_db()
    assert anna.check_password(PASSWORD)
    assert other.get("/api/v1/me/").status_code == 200


# --- email ---------------------------------------------------------------------------------


def test_email_change_takes_effect_when_the_new_address_confirms(
    api, anna, django_capture_on_commit_callbacks
):
    api.force_login(anna)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/me/email/",
            {"password": PASSWORD, "new_email": "Anna.New@example.org"},
            format="json",
        )
    assert response.status_code == 202
    anna.refresh_from_db()
    assert anna.email == "anna@example.org"  # not yet
    to_new, notice = mail.outbox
    assert to_new.to == ["anna.new@example.org"]
    assert notice.to == ["anna@example.org"]
    assert "anna.new@example.org" in notice.body
    token = link_token(to_new.body, "http://testserver/account/email/confirm/")

    anonymous = APIClient()
    confirmed = anonymous.post("/api/v1/auth/confirm-email/", {"token": token}, format="json")
    assert confirmed.status_code == 200
    anna.refresh_from_db()
    assert anna.email == "anna.new@example.org"
    assert anna.email_verified_at is not None
    _, signed_in = sign_in("anna.new@example.org")
    assert signed_in.status_code == 200


def test_an_email_change_link_dies_when_the_address_changes_another_way(
    api, anna, django_capture_on_commit_callbacks
):
    api.force_login(anna)
    with django_capture_on_commit_callbacks(execute=True):
        for new in ("first@example.org", "second@example.org"):
            api.post("/api/v1/me/email/", {"password": PASSWORD, "new_email": new}, format="json")
    first = link_token(mail.outbox[0].body, "/account/email/confirm/")
    second = link_token(mail.outbox[2].body, "/account/email/confirm/")
    assert api.post("/api/v1/auth/confirm-email/", {"token": second}).status_code == 200
    stale = api.post("/api/v1/auth/confirm-email/", {"token": first})
    assert stale.status_code == 422
    assert stale.json()["type"] == "/problems/verification-refused"
    anna.refresh_from_db()
    assert anna.email == "second@example.org"


def test_a_used_email_change_link_is_refused_after_changing_back(
    anna, django_capture_on_commit_callbacks
):
    client, _ = sign_in()
    links = []
    for new in ("new@example.org", "anna@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            asked = client.post(
                "/api/v1/me/email/", {"password": PASSWORD, "new_email": new}, format="json"
            )
        assert asked.status_code == 202
        token = link_token(mail.outbox[-2].body, "/account/email/confirm/")
        confirmed = APIClient().post("/api/v1/auth/confirm-email/", {"token": token})
        assert confirmed.status_code == 200
        links.append(token)
    anna.refresh_from_db()
    assert anna.email == "anna@example.org"

    replayed = APIClient().post("/api/v1/auth/confirm-email/", {"token": links[0]})
    assert replayed.status_code == 422
    assert replayed.json()["type"] == "/problems/verification-refused"
    anna.refresh_from_db()
    assert anna.email == "anna@example.org"
    _, signed_in = sign_in("anna@example.org")
    assert signed_in.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        ({"password": "wrong-wrong-1", "new_email": "new@example.org"}, 403,
         "reauthentication-required"),
        ({"password": PASSWORD, "new_email": "BRAM@example.org"}, 422, "profile-refused"),
        ({"password": PASSWORD, "new_email": "anna@example.org"}, 422, "profile-refused"),
        ({"password": PASSWORD, "new_email": "not-an-address"}, 400, "validation-error"),
        ({"password": PASSWORD, "new_email": "a" * 250 + "@example.org"}, 400,
         "validation-error"),
        ({"new_email": "new@example.org"}, 400, "validation-error"),
    ],
)  # fmt: skip
def test_refused_email_changes_change_nothing_and_mail_nobody(
    api, anna, make_user, body, status, problem, django_capture_on_commit_callbacks
):
    make_user("bram@example.org")
    api.force_login(anna)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/me/email/", body, format="json")
    assert response.status_code == status
    assert response.json()["type"] == f"/problems/{problem}"
    anna.refresh_from_db()
    assert anna.email == "anna@example.org"
    assert mail.outbox == []


def test_the_email_change_confirmation_refuses_a_taken_address(
    api, anna, make_user, django_capture_on_commit_callbacks
):
    api.force_login(anna)
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/me/email/", {"password": PASSWORD, "new_email": "new@example.org"})
    token = link_token(mail.outbox[0].body, "/account/email/confirm/")
    make_user("NEW@example.org")
    response = api.post("/api/v1/auth/confirm-email/", {"token": token})
    assert response.status_code == 422
    anna.refresh_from_db()
    assert anna.email == "anna@example.org"


# --- sessions ------------------------------------------------------------------------------


def test_ending_one_of_my_sessions_signs_that_browser_out(anna):
    laptop, _ = sign_in()
    phone, _ = sign_in()
    sessions = phone.get("/api/v1/me/sessions/").json()
    assert len(sessions) == 2
    (laptop_session,) = [s for s in sessions if not s["current"]]
    assert phone.delete(f"/api/v1/me/sessions/{laptop_session['id']}/").status_code == 204
    assert laptop.get("/api/v1/me/").status_code == 403
    assert phone.get("/api/v1/me/").status_code == 200
    assert [s["current"] for s in phone.get("/api/v1/me/sessions/").json()] == [True]
    again = phone.delete(f"/api/v1/me/sessions/{laptop_session['id']}/")
    assert again.status_code == 404


def test_someone_elses_session_is_not_found_and_not_ended(anna, make_user):
    make_user("bram@example.org")
    bram, _ = sign_in("bram@example.org")
    anna_client, _ = sign_in()
    bram_session = SessionRecord.objects.get(user__email="bram@example.org")
    response = anna_client.delete(f"/api/v1/me/sessions/{bram_session.pk}/")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/not-found"
    assert bram.get("/api/v1/me/").status_code == 200
    bram_session.refresh_from_db()
    assert bram_session.ended_at is None
    assert anna_client.delete("/api/v1/me/sessions/abc/").status_code == 404


def test_end_all_other_sessions(anna, make_user):
    make_user("bram@example.org")
    bram, _ = sign_in("bram@example.org")
    others = [sign_in()[0] for _ in range(2)]
    this, _ = sign_in()
    response = this.post("/api/v1/me/sessions/end-others/")
    assert response.json() == {"ended": 2}
    assert [c.get("/api/v1/me/").status_code for c in others] == [403, 403]
    assert this.get("/api/v1/me/").status_code == 200
    assert bram.get("/api/v1/me/").status_code == 200
