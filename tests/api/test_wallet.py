"""Residents sign up and see their own wallet, and nothing else."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ResidentProfile, RoleGrant, User
from accounts.services import resident_register
from ledger import selectors, services
from ledger.models import Account, TransferKind

PASSWORD = "Bench-painter-2026!"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # throttles and the sign-up notices count in the cache, which outlives a test


@pytest.fixture
def api():
    return APIClient()


def signup(api, **overrides):
    body = {
        "email": "anna@example.org",
        "password": PASSWORD,
        "display_name": "Anna",
        "language": "de",
    }
    body.update(overrides)
    return api.post("/api/v1/residents/", body, format="json")


def pay_into(wallet_id, amount, open_account):
    budget = open_account("budget", funded=amount)
    services.transfer_post(
        kind=TransferKind.PAYOUT,
        legs=services.legs_between(source_id=budget.id, destination_id=wallet_id, amount=amount),
    )


def test_sign_up_opens_an_empty_wallet_and_the_resident_sees_it(api, db):
    response = signup(api, email="Anna@Example.org")
    assert response.status_code == 202, response.json()
    user = User.objects.get(email="anna@example.org")
    assert user.preferred_language == "de"
    assert RoleGrant.objects.filter(user=user, role="resident").exists()
    api.force_login(user)  # signing in with the password (after verifying the email): test_auth
    wallet = api.get("/api/v1/wallet/").json()
    assert wallet["balance"] == 0
    assert wallet["residency_verified"] is False
    assert wallet["account_id"] == user.resident.wallet_id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"password": "short"}, "password"),
        ({"password": "anna@example.org"}, "password"),
        ({"neighbourhood": 999_999}, "neighbourhood"),
        ({"neighbourhood": "Welten"}, "neighbourhood"),
        ({"language": "fr"}, "language"),
    ],
)
def test_bad_sign_up_is_a_clear_problem_and_changes_nothing(api, db, overrides, field):
    users, accounts = User.objects.count(), Account.objects.count()
    response = signup(api, **overrides)
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert (User.objects.count(), Account.objects.count()) == (users, accounts)


def test_missing_fields_are_named(api, db):
    response = api.post("/api/v1/residents/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "password", "display_name"}


def _sign_up_as_seen(response, address):
    """What the caller sees, with the address they typed and the per-request id taken out."""
    return (
        response.status_code,
        response["Content-Type"],
        response.content.decode()
        .replace(address, "ADDRESS")
        .replace(response["X-Request-ID"], "REQUEST-ID"),
    )


@pytest.mark.parametrize("verified", [True, False])
def test_sign_up_answers_alike_for_a_new_and_a_taken_address(
    api, db, verified, django_capture_on_commit_callbacks
):
    owner = resident_register(
        email="anna@example.org", password=PASSWORD, display_name="Anna", language="en"
    )
    if verified:
        User.objects.filter(pk=owner.pk).update(email_verified_at=timezone.now())
    users, accounts = User.objects.count(), Account.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        new = signup(api, email="dora@example.org", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        taken = signup(APIClient(), email="ANNA@example.org", display_name="Mallory")
    assert new.status_code == 202
    assert _sign_up_as_seen(taken, "anna@example.org") == _sign_up_as_seen(new, "dora@example.org")
    assert "already" not in taken.content.decode()
    assert User.objects.count() == users + 1  # Dora only
    assert Account.objects.count() == accounts + 1
    owner.refresh_from_db()
    assert (owner.display_name, owner.check_password(PASSWORD)) == ("Anna", True)

    to_dora, to_anna = mail.outbox
    assert to_dora.to == ["dora@example.org"]
    assert "/verify-email/" in to_dora.body
    assert to_anna.to == ["anna@example.org"]
    assert to_anna.subject == "Someone tried to sign up with your address"
    assert "You already have an account" in to_anna.body
    if verified:
        assert "http://testserver/login/" in to_anna.body
        assert "/verify-email/" not in to_anna.body
    else:  # the owner may have lost the first mail: here is the link again
        token = re.search(r"http://testserver/verify-email/(\S+)/", to_anna.body).group(1)
        assert api.post("/api/v1/auth/verify-email/", {"token": token}).status_code == 200


def test_repeated_sign_ups_with_a_taken_address_mail_its_owner_once_an_hour(
    db, django_capture_on_commit_callbacks
):
    resident_register(
        email="anna@example.org", password=PASSWORD, display_name="Anna", language="en"
    )
    with django_capture_on_commit_callbacks(execute=True):
        answers = {signup(APIClient(), display_name=f"Try {n}").status_code for n in range(5)}
    assert answers == {202}
    assert [m.to for m in mail.outbox] == [["anna@example.org"]]
    assert User.objects.count() == 1


def test_bad_input_is_refused_alike_for_a_new_and_a_taken_address(
    api, db, django_capture_on_commit_callbacks
):
    resident_register(email="anna@example.org", password=PASSWORD, display_name="Anna")
    with django_capture_on_commit_callbacks(execute=True):
        new = signup(api, email="dora@example.org", password="short")
        taken = signup(api, email="anna@example.org", password="short")
    assert new.status_code == 400  # shorter than the schema's minLength
    assert set(new.json()["errors"]) == {"password"}
    assert _sign_up_as_seen(taken, "anna@example.org") == _sign_up_as_seen(new, "dora@example.org")
    assert mail.outbox == []


def test_a_resident_sees_only_their_own_wallet_and_history(api, db, open_account):
    anna = resident_register(email="anna@example.org", password=PASSWORD, display_name="Anna")
    bram = resident_register(email="bram@example.org", password=PASSWORD, display_name="Bram")
    pay_into(anna.resident.wallet_id, 1_500, open_account)
    pay_into(bram.resident.wallet_id, 900, open_account)
    api.force_authenticate(bram)
    assert api.get("/api/v1/wallet/").json()["balance"] == 900
    lines = api.get("/api/v1/wallet/statement/").json()["lines"]
    assert [line["amount"] for line in lines] == [900]


def test_statement_pages_by_keyset(api, db, open_account):
    anna = resident_register(email="anna@example.org", password=PASSWORD, display_name="Anna")
    for amount in (100, 200, 300):
        pay_into(anna.resident.wallet_id, amount, open_account)
    api.force_authenticate(anna)
    first = api.get("/api/v1/wallet/statement/?limit=2").json()
    assert [line["amount"] for line in first["lines"]] == [300, 200]
    rest = api.get(f"/api/v1/wallet/statement/?limit=2&before={first['next_before']}").json()
    assert [line["amount"] for line in rest["lines"]] == [100]
    assert rest["next_before"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=100000", "before=-1", "before=x"])
def test_bad_statement_parameters_are_refused(api, db, query):
    anna = resident_register(email="anna@example.org", password=PASSWORD, display_name="Anna")
    api.force_authenticate(anna)
    response = api.get(f"/api/v1/wallet/statement/?{query}")
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/validation-error"


def test_no_wallet_without_the_resident_role(api, db):
    staff = User.objects.create_user("reviewer@example.org", PASSWORD, is_staff=True)
    api.force_authenticate(staff)
    # One resident-only permission (accounts.permissions.IsResident): the wallet and the
    # resident's task and claim lists refuse alike.
    for path in (
        "/api/v1/wallet/",
        "/api/v1/wallet/statement/",
        "/api/v1/tasks/",
        "/api/v1/claims/",
    ):
        response = api.get(path)
        assert response.status_code == 403
        assert response.json()["type"] == "/problems/permission-denied"


def test_anonymous_gets_no_wallet(api, db):
    response = api.get("/api/v1/wallet/")
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/not-authenticated"


def test_a_wallet_belongs_to_exactly_one_resident(db):
    anna = resident_register(email="anna@example.org", password=PASSWORD, display_name="Anna")
    assert ResidentProfile.objects.filter(wallet_id=anna.resident.wallet_id).count() == 1
    assert selectors.account_balance(account_id=anna.resident.wallet_id) == 0
