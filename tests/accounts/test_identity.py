"""Email verification links and the sign-in lockout."""

import re

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from accounts import identity
from accounts.errors import VerificationRefused
from accounts.models import SessionRecord, User
from accounts.services import resident_register
from tests.helpers import PASSWORD

WRONG = "not-the-password-9"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


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
def bram(db):
    return resident_register(
        email="bram@example.org", password=PASSWORD, display_name="Bram", language="de"
    )


def test_sign_up_mails_a_link_in_the_persons_language(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        resident_register(
            email="bram@example.org", password=PASSWORD, display_name="Bram", language="en"
        )
    (message,) = mail.outbox
    assert message.subject == "Confirm your email address for Heitje"
    assert "Hello Bram" in message.body
    token = re.search(r"http://testserver/verify-email/(\S+)/", message.body).group(1)
    user = identity.email_verify(token=token)
    assert user.email_verified_at is not None


def test_a_failed_sign_up_mails_nothing(db, bram, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Exception, match="already exists"),
    ):
        resident_register(
            email="BRAM@example.org", password=PASSWORD, display_name="B", language="en"
        )
    assert mail.outbox == []


def test_verifying_twice_keeps_the_first_time(bram):
    token = identity.email_verification_token(user=bram)
    first = identity.email_verify(token=token).email_verified_at
    assert identity.email_verify(token=token).email_verified_at == first


def test_an_expired_link_changes_nothing(bram, settings):
    token = identity.email_verification_token(user=bram)
    settings.EMAIL_VERIFICATION_MAX_AGE = -1
    with pytest.raises(VerificationRefused, match="expired"):
        identity.email_verify(token=token)
    bram.refresh_from_db()
    assert bram.email_verified_at is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: signing.dumps({"u": 1, "e": "bram@example.org"}, salt="another.salt"),
        lambda t: signing.dumps({"u": "1", "e": "bram@example.org"}, salt=identity.VERIFY_SALT),
        lambda t: signing.dumps(["bram"], salt=identity.VERIFY_SALT),
        lambda t: "",
    ],
)
def test_a_tampered_link_changes_nothing(bram, tamper):
    with pytest.raises(VerificationRefused):
        identity.email_verify(token=tamper(identity.email_verification_token(user=bram)))
    bram.refresh_from_db()
    assert bram.email_verified_at is None


def test_a_link_for_an_address_since_changed_changes_nothing(bram):
    token = identity.email_verification_token(user=bram)
    User.objects.filter(pk=bram.pk).update(email="bram.new@example.org")
    with pytest.raises(VerificationRefused, match="no longer on the account"):
        identity.email_verify(token=token)
    bram.refresh_from_db()
    assert bram.email_verified_at is None


def test_another_persons_link_does_not_verify_me(bram):
    anna = resident_register(
        email="anna@example.org", password=PASSWORD, display_name="Anna", language="en"
    )
    forged = signing.dumps({"u": anna.pk, "e": bram.email}, salt=identity.VERIFY_SALT + "x")
    with pytest.raises(VerificationRefused):
        identity.email_verify(token=forged)
    anna.refresh_from_db()
    assert anna.email_verified_at is None


def test_the_verification_page_verifies_and_explains_failures(bram):
    client = Client()
    token = identity.email_verification_token(user=bram)
    bad = client.get(f"/verify-email/{token}x/")
    assert bad.status_code == 400
    assert "not valid" in bad.content.decode()
    assert 'action="/verify-email/resend/"' in bad.content.decode()
    bram.refresh_from_db()
    assert bram.email_verified_at is None
    # The first follow confirms and signs Bram in (tests/accounts/test_getting_back_in.py).
    good = client.get(f"/verify-email/{token}/")
    assert good.status_code == 302
    bram.refresh_from_db()
    assert bram.email_verified_at is not None


def test_the_resend_page_says_the_same_for_any_address(bram, django_capture_on_commit_callbacks):
    client = Client()
    pages = []
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("bram@example.org", "nobody@example.org"):
            response = client.post("/verify-email/resend/", {"email": email}, follow=True)
            assert response.status_code == 200
            page = response.content.decode().replace(email, "EMAIL")
            pages.append(re.sub(r"[A-Za-z0-9]{64}", "CSRF", page))
    assert pages[0] == pages[1]
    assert [m.to for m in mail.outbox] == [["bram@example.org"]]


# --- lockout -------------------------------------------------------------------------------


def api_login(email, password, ip="10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/v1/auth/login/", {"email": email, "password": password}, format="json"
    )


def test_five_failures_lock_that_email_from_that_address(make_user):
    make_user("anna@example.org", "resident")
    make_user("carl@example.org", "resident")
    for _ in range(4):
        assert api_login("anna@example.org", WRONG).status_code == 400
    fifth = api_login("anna@example.org", WRONG)
    assert fifth.status_code == 429
    sixth = api_login("anna@example.org", PASSWORD)
    assert sixth.status_code == 429
    assert sixth.json()["type"] == "/problems/locked-out"
    assert "15 minutes" in sixth.json()["title"]
    token = APIClient(REMOTE_ADDR="10.0.0.1").post(
        "/api/v1/auth/token/", {"email": "ANNA@example.org", "password": PASSWORD}
    )
    assert token.status_code == 429
    # Anna from elsewhere, and Carl from the same address, still get in.
    assert api_login("anna@example.org", PASSWORD, ip="10.9.9.9").status_code == 200
    assert api_login("carl@example.org", PASSWORD).status_code == 200


def test_the_sign_in_page_shows_the_lockout(make_user):
    make_user("anna@example.org", "resident")
    client = Client(REMOTE_ADDR="10.0.0.2")
    for _ in range(5):
        client.post("/login/", {"email": "anna@example.org", "password": WRONG})
    response = client.post("/login/", {"email": "anna@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(make_user):
    make_user("anna@example.org", "resident")
    for _ in range(4):
        api_login("anna@example.org", WRONG)
    assert api_login("anna@example.org", PASSWORD).status_code == 200
    for _ in range(4):
        assert api_login("anna@example.org", WRONG).status_code == 400
    assert api_login("anna@example.org", PASSWORD).status_code == 200


def test_wrong_passwords_in_a_password_change_count_towards_the_lockout(make_user):
    anna = make_user("anna@example.org", "resident")
    client = APIClient(REMOTE_ADDR="10.0.0.3")
    client.force_login(anna)
    statuses = [
        client.post(
            "/api/v1/me/password/",
            {"current_password": WRONG, "new_password": "Orchard-ladder-2027?"},
            format="json",
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [403] * 4 + [429, 429]
    anna.refresh_from_db()
    assert anna.check_password(PASSWORD)


# --- pages ---------------------------------------------------------------------------------


def test_sign_up_page_then_link_then_sign_in(db, django_capture_on_commit_callbacks):
    client = Client()
    assert client.get("/signup/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/signup/",
            {
                "email": "dora@example.org",
                "password": PASSWORD,
                "display_name": "Dora",
                "neighbourhood": "",
                "language": "en",
            },
        )
    assert response.status_code == 200
    assert "dora@example.org" in response.content.decode()
    refused = client.post("/login/", {"email": "dora@example.org", "password": PASSWORD})
    page = refused.content.decode()
    assert "Confirm your email address first" in page
    assert "/verify-email/resend/?email=dora%40example.org" in page
    assert "_auth_user_id" not in client.session

    # Following the link signs Dora in; later she signs in with her password.
    token = re.search(r"/verify-email/(\S+)/", mail.outbox[0].body).group(1)
    confirmed = client.get(f"/verify-email/{token}/")
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/wallet/"
    client.post("/logout/")
    signed_in = client.post("/login/", {"email": "dora@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/wallet/"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"display_name": "x" * 101}, "display_name", "at most 100 characters"),
        ({"password": "short"}, "password", "too short"),
        ({"language": "fr"}, "language", "Select a valid choice"),
        ({"neighbourhood": "99999"}, "neighbourhood", "Select a valid choice"),
    ],
)
def test_sign_up_page_ties_errors_to_fields_and_changes_nothing(make_user, changes, field, message):
    make_user("anna@example.org")
    body = {"email": "dora@example.org", "password": PASSWORD, "display_name": "Dora"}
    body |= {"language": "en", **changes}
    users = User.objects.count()
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post("/signup/", body)
    assert response.status_code == 200
    page = response.content.decode()
    error = re.search(rf'id="id_{field}_error">(.*?)</div>', page, re.S)
    assert error, page
    assert message in error.group(1)
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in page or (
        f'aria-describedby="id_{field}_error"' in page
    )
    assert User.objects.count() == users


def _page_as_seen(response, address):
    """What the visitor sees, with the address they typed and the CSRF token taken out."""
    page = re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    page = page.replace(address, "ADDRESS").replace(address.replace("@", "%40"), "ADDRESS")
    return response.status_code, page


def test_sign_up_page_answers_alike_for_a_new_and_a_taken_address(
    make_user, django_capture_on_commit_callbacks
):
    make_user("anna@example.org", "resident", display_name="Anna")
    users = User.objects.count()
    seen = []
    for address in ("dora@example.org", "Anna@Example.org"):
        body = {"email": address, "password": PASSWORD, "display_name": "Dora", "language": "en"}
        with django_capture_on_commit_callbacks(execute=True):
            response = Client(HTTP_ACCEPT_LANGUAGE="en").post("/signup/", body)
        seen.append(_page_as_seen(response, address.lower()))
    assert seen[0] == seen[1]
    assert seen[0][0] == 200
    assert "already" not in seen[1][1]
    assert User.objects.count() == users + 1
    assert User.objects.get(email="anna@example.org").display_name == "Anna"
    assert [m.to for m in mail.outbox] == [["dora@example.org"], ["anna@example.org"]]
    assert "Someone just tried to sign up for Heitje with your email address" in mail.outbox[1].body


def test_an_email_change_link_works_once_even_after_changing_back(
    make_user, django_capture_on_commit_callbacks
):
    anna = make_user("anna@example.org", "resident")
    client = Client()
    client.force_login(anna)
    links = []
    for new in ("anna2@example.org", "anna@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/account/email/", {"new_email": new, "password": PASSWORD})
        token = re.search(r"/account/email/confirm/(\S+)/", mail.outbox[-2].body).group(1)
        assert Client().get(f"/account/email/confirm/{token}/").status_code == 200
        links.append(token)
    anna.refresh_from_db()
    assert anna.email == "anna@example.org"
    replayed = Client().get(f"/account/email/confirm/{links[0]}/")
    assert replayed.status_code == 400
    assert "no longer on the account" in replayed.content.decode()
    anna.refresh_from_db()
    assert anna.email == "anna@example.org"


@pytest.mark.parametrize(
    ("roles", "landing"),
    [(("resident",), "/wallet/"), (("reviewer",), "/staff/"), ((), "/account/")],
)
def test_sign_in_lands_on_the_front_door_of_the_role(make_user, roles, landing):
    make_user("anna@example.org", *roles)
    response = Client().post("/login/", {"email": "anna@example.org", "password": PASSWORD})
    assert response["Location"] == landing


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/account/sessions/", "/account/sessions/"),
        ("https://evil.example/", "/wallet/"),
        ("//evil.example/", "/wallet/"),
    ],
)
def test_sign_in_follows_only_a_safe_next(make_user, next_url, landing):
    make_user("anna@example.org", "resident")
    response = Client().post(
        f"/login/?next={next_url}", {"email": "anna@example.org", "password": PASSWORD}
    )
    assert response["Location"] == landing


def test_wrong_password_on_the_page(make_user):
    make_user("anna@example.org", "resident")
    client = Client()
    response = client.post("/login/", {"email": "anna@example.org", "password": WRONG})
    assert response.status_code == 200
    assert "The email address or the password is not right." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_is_post_only_and_ends_the_session(make_user):
    make_user("anna@example.org", "resident")
    client = Client()
    client.post("/login/", {"email": "anna@example.org", "password": PASSWORD})
    assert client.get("/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/account/").status_code == 302


def test_account_pages_need_a_signed_in_person(db):
    client = Client()
    for path in ("/account/", "/account/password/", "/account/email/", "/account/sessions/",
                 "/account/data/", "/account/delete/"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_account_page_saves_details(db):
    anna = resident_register(
        email="anna@example.org", password=PASSWORD, display_name="Anna", language="en"
    )
    User.objects.filter(pk=anna.pk).update(email_verified_at="2026-01-01T00:00Z")
    client = Client()
    client.force_login(anna)
    page = client.get("/account/").content.decode()
    assert 'value="Anna"' in page
    response = client.post(
        "/account/", {"display_name": "Anna B", "neighbourhood": "", "preferred_language": "de"}
    )
    assert response.status_code == 302
    anna.refresh_from_db()
    assert (anna.display_name, anna.preferred_language) == ("Anna B", "de")
    bad = client.post("/account/", {"display_name": "", "preferred_language": "xx"})
    assert bad.status_code == 200
    anna.refresh_from_db()
    assert anna.display_name == "Anna B"


def test_password_page(make_user):
    anna = make_user("anna@example.org", "resident")
    other = Client()
    other.force_login(anna)
    client = Client()
    client.post("/login/", {"email": "anna@example.org", "password": PASSWORD})
    wrong = client.post(
        "/account/password/", {"current_password": WRONG, "new_password": "Orchard-ladder-2027?"}
    )
    assert "That password is not right." in wrong.content.decode()
    assert 'id="id_current_password_error"' in wrong.content.decode()
    ok = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password": "Orchard-ladder-2027?"},
    )
    assert ok.status_code == 302
    assert client.get("/account/").status_code == 200
    assert other.get("/account/").status_code == 302
    assert client.get("/account/sessions/").content.decode().count("this session") == 1


def test_email_pages(make_user, django_capture_on_commit_callbacks):
    anna = make_user("anna@example.org", "resident")
    client = Client()
    client.force_login(anna)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/account/email/", {"new_email": "anna2@example.org", "password": PASSWORD}
        )
    assert response.status_code == 302
    token = re.search(r"/account/email/confirm/(\S+)/", mail.outbox[0].body).group(1)
    broken = Client().get(f"/account/email/confirm/{token[:-2]}/")
    assert broken.status_code == 400
    anna.refresh_from_db()
    assert anna.email == "anna@example.org"
    assert Client().get(f"/account/email/confirm/{token}/").status_code == 200
    anna.refresh_from_db()
    assert anna.email == "anna2@example.org"


def test_sessions_page_ends_my_sessions_only(make_user):
    anna = make_user("anna@example.org", "resident")
    make_user("bram@example.org", "resident")
    bram = Client()
    bram.post("/login/", {"email": "bram@example.org", "password": PASSWORD})
    laptop, phone = Client(), Client()
    for client in (laptop, phone):
        client.post("/login/", {"email": "anna@example.org", "password": PASSWORD})
    bram_record = SessionRecord.objects.get(user__email="bram@example.org")
    phone.post("/account/sessions/", {"end": bram_record.pk})
    assert bram.get("/account/").status_code == 200
    laptop_record = SessionRecord.objects.filter(user=anna).order_by("id").first()
    phone.post("/account/sessions/", {"end": laptop_record.pk})
    assert laptop.get("/account/").status_code == 302
    assert phone.get("/account/").status_code == 200
    assert phone.post("/account/sessions/", {"end": "x"}).status_code == 302


def test_every_page_renders_with_one_heading_and_labelled_inputs(make_user):
    anna = make_user("anna@example.org", "resident")
    visitor, member = Client(), Client()
    member.force_login(anna)
    pages = [(visitor, p) for p in ("/login/", "/signup/", "/verify-email/resend/")] + [
        (member, p)
        for p in ("/account/", "/account/password/", "/account/email/", "/account/sessions/")
    ]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert page.count("<h1") == 1, path
        for input_id in re.findall(r'<(?:input|select)[^>]*\sid="(id_\w+)"', page):
            assert f'for="{input_id}"' in page, (path, input_id)
