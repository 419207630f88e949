"""Issue 11, point 8, over HTTP: a new password by mail (Django's reset views and tokens, in the
person's language), a warning one attempt before the sign-in lockout, and confirming the email
address signs the person in."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import identity
from accounts.models import User
from tests.helpers import PASSWORD

WRONG = "not-the-password-1"
NEW = "Garden-bench-blue-77"


def reset_link(message: mail.EmailMessage) -> str:
    found = re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)", str(message.body))
    assert found, message.body
    return found.group(1)


@pytest.fixture(autouse=True)
def _mail_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    """Mail goes out after the commit: run each request's on-commit work as its commit would
    (the test's own transaction never commits)."""
    original = Client.request

    def request(self, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return original(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)


def ask_for_reset(client: Client, email: str) -> None:
    response = client.post("/password-reset/", {"email": email})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"


def test_the_sign_in_page_links_to_the_reset(make_user):
    page = Client().get("/login/").content.decode()
    assert 'href="/password-reset/"' in page


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("nl", "Kies een nieuw Heitje-wachtwoord"),
        ("de", "Wählen Sie ein neues Heitje-Passwort"),
        ("en", "Choose a new Heitje password"),
    ],
)
def test_a_reset_mail_in_the_persons_language_sets_a_new_password(make_user, language, subject):
    anna = make_user("anna@example.org", "resident", preferred_language=language)
    elsewhere = Client()
    elsewhere.force_login(anna)
    ask_for_reset(Client(), "ANNA@example.org ")
    assert [m.subject for m in mail.outbox] == [subject]
    link = reset_link(mail.outbox[0])

    client = Client()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    assert done["Location"] == "/password-reset/done/"

    anna.refresh_from_db()
    assert anna.check_password(NEW)
    # Whoever was signed in with the old password is out, and Anna is told.
    assert "_auth_user_id" not in elsewhere.session
    assert len(mail.outbox) == 2
    # The link works once.
    again = Client().get(link, follow=True)
    assert "This link does not work any more" in again.content.decode()


def test_a_weak_new_password_is_refused_and_changes_nothing(make_user):
    anna = make_user("anna@example.org", "resident")
    ask_for_reset(Client(), anna.email)
    client = Client()
    form = client.get(reset_link(mail.outbox[0]), follow=True)
    refused = client.post(
        form.redirect_chain[-1][0], {"new_password1": "1234567890", "new_password2": "1234567890"}
    )
    assert refused.status_code == 200
    assert "This password is entirely numeric." in refused.content.decode()
    anna.refresh_from_db()
    assert anna.check_password(PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(make_user):
    ask_for_reset(Client(), "nobody@example.org")
    assert mail.outbox == []


def test_reset_mails_to_one_address_are_limited(make_user):
    make_user("anna@example.org", "resident")
    for _ in range(5):
        ask_for_reset(Client(), "anna@example.org")
    assert len(mail.outbox) == 3


def failed_sign_in(client: Client) -> str:
    response = client.post("/login/", {"email": "anna@example.org", "password": WRONG})
    return response.content.decode()


def test_the_last_attempt_before_the_lockout_is_announced(make_user):
    make_user("anna@example.org", "resident")
    client = Client(REMOTE_ADDR="10.0.0.7")
    warning = "One more wrong password locks sign-in for 15 minutes."
    for _ in range(3):
        assert warning not in failed_sign_in(client)
    assert warning in failed_sign_in(client)
    # And it is so: the next wrong password locks.
    locked = client.post("/login/", {"email": "anna@example.org", "password": WRONG})
    assert locked.status_code == 429


def test_the_warning_is_in_the_pages_language(make_user):
    make_user("anna@example.org", "resident")
    client = Client(REMOTE_ADDR="10.0.0.8", HTTP_ACCEPT_LANGUAGE="nl")
    client.cookies["heitje_language"] = "nl"
    for _ in range(4):
        page = failed_sign_in(client)
    assert "Nog één verkeerd wachtwoord en inloggen is 15 minuten geblokkeerd." in page


def unverified(make_user) -> User:
    user = make_user("bram@example.org", "resident")
    User.objects.filter(pk=user.pk).update(email_verified_at=None)
    user.refresh_from_db()
    return user


def test_confirming_the_email_signs_the_person_in(make_user):
    bram = unverified(make_user)
    client = Client()
    response = client.get(f"/verify-email/{identity.email_verification_token(user=bram)}/")
    assert response.status_code == 302
    assert response["Location"] == "/wallet/"
    assert client.session["_auth_user_id"] == str(bram.pk)
    bram.refresh_from_db()
    assert bram.email_verified_at is not None


def test_an_old_confirmation_link_is_no_way_in(make_user):
    bram = unverified(make_user)
    token = identity.email_verification_token(user=bram)
    Client().get(f"/verify-email/{token}/")
    later = Client()
    response = later.get(f"/verify-email/{token}/")
    assert response.status_code == 200
    assert "_auth_user_id" not in later.session


def test_staff_confirming_their_email_still_sign_in_with_two_factors(make_user):
    staff = make_user("sam@example.org", "approver")
    User.objects.filter(pk=staff.pk).update(email_verified_at=None)
    client = Client()
    response = client.get(f"/verify-email/{identity.email_verification_token(user=staff)}/")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    staff.refresh_from_db()
    assert staff.email_verified_at is not None
    assert staff.email_verified_at <= timezone.now()
