"""Privacy: download my data, and delete my account without breaking the ledger."""

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import privacy
from accounts.errors import DeletionRefused
from accounts.models import (
    ApiToken,
    AuditEvent,
    InviteCode,
    Notification,
    Role,
    RoleGrant,
    SessionRecord,
    User,
)
from accounts.services import invite_codes_generate, residency_verify_with_code, resident_register
from accounts.signals import account_erasing, data_exporting
from accounts.tokens import api_token_create
from ledger import selectors, services
from ledger.models import Account, AccountKind, Transfer, TransferKind
from ledger.verify import ledger_verify
from shops.models import Shop, ShopMember
from tests.concurrency import outcomes, run_together
from tests.helpers import PASSWORD


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


def resident(email="anna@example.org", name="Anna"):
    user = resident_register(email=email, password=PASSWORD, display_name=name, language="en")
    User.objects.filter(pk=user.pk).update(email_verified_at="2026-01-01T00:00Z")
    user.refresh_from_db()
    return user


def pay(user, amount, kind=TransferKind.PAYOUT):
    currency = services.currency_get_or_create(code="HEITJE", name="Heitje")
    budget = services.account_open(currency=currency, kind=AccountKind.BUDGET, name="budget")
    issuer = selectors.issuer_account(currency=currency)
    services.transfer_post(
        kind=TransferKind.MINT,
        legs=services.legs_between(source_id=issuer.pk, destination_id=budget.pk, amount=amount),
    )
    services.transfer_post(
        kind=kind,
        legs=services.legs_between(
            source_id=budget.pk, destination_id=user.resident.wallet_id, amount=amount
        ),
        metadata={"task": "Paint a bench"},
    )


def signed_in(user):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    return client


def make_shop(owner, cashier=None):
    shop = Shop.objects.create(
        name="Bakkerij", address="Markt 1", category="bakery", iban="NL91ABNA0417164300",
        created_by=owner,
    )  # fmt: skip
    ShopMember.objects.create(shop=shop, user=owner, role="owner")
    if cashier:
        ShopMember.objects.create(shop=shop, user=cashier, role="cashier")
    return shop


def balances_sum_to_zero():
    return Account.objects.aggregate(s=Sum("balance"))["s"] == 0


# --- export --------------------------------------------------------------------------------


def test_my_data_holds_everything_about_me_and_nothing_about_others(db, make_user):
    anna = resident()
    bram = resident("bram@example.org", "Bram")
    pay(anna, 1_500)
    pay(bram, 700)
    reviewer = make_user("rita@example.org", "reviewer")
    (code,) = invite_codes_generate(created_by=reviewer, count=1, valid_days=30, batch="Letter")
    residency_verify_with_code(user=anna, code=code)
    RoleGrant.objects.create(user=anna, role=Role.REVIEWER)
    invite_codes_generate(created_by=anna, count=1, valid_days=30, batch="Anna's batch")
    make_shop(bram, cashier=anna)
    client = signed_in(anna)

    response = client.get("/api/v1/me/data/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="heitje-my-data.json"'
    data = response.json()
    assert data["profile"]["email"] == "anna@example.org"
    assert data["profile"]["display_name"] == "Anna"
    assert {r["role"] for r in data["roles"]} == {"resident", "reviewer"}
    assert data["resident"]["residency_method"] == "invite_code"
    wallet = data["resident"]["wallet"]
    assert wallet["balance"] == 1_500
    assert [(line["kind"], line["amount"]) for line in wallet["statement"]] == [("payout", 1_500)]
    assert data["shop_memberships"][0]["role"] == "cashier"
    assert data["invite_code"]["batch"] == "Letter"
    assert len(data["sessions"]) == 1
    assert [e["action"] for e in data["audit_events"]] == ["invite_codes.generate"]
    text = json.dumps(data)
    assert "bram@example.org" not in text
    assert "rita@example.org" not in text


def test_the_data_page_downloads_json(db):
    anna = resident()
    client = Client()
    client.force_login(anna)
    response = client.get("/account/data/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.content)["profile"]["email"] == "anna@example.org"


def test_the_statement_in_my_data_is_complete(db, monkeypatch):
    monkeypatch.setattr(privacy, "STATEMENT_PAGE", 2)
    anna = resident()
    for amount in (100, 200, 300, 400, 500):
        pay(anna, amount)
    lines = privacy.data_export(user=anna)["resident"]["wallet"]["statement"]
    assert [line["amount"] for line in lines] == [500, 400, 300, 200, 100]


def test_my_notifications_are_in_my_data_and_nobody_elses(db):
    anna = resident()
    bram = resident("bram@example.org", "Bram")
    read = Notification.objects.create(
        user=anna, kind="claim.paid", title="You were paid", body="5.00 Heitje", link="/wallet/"
    )
    Notification.objects.filter(pk=read.pk).update(read_at="2026-02-01T10:00Z")
    Notification.objects.create(user=anna, kind="claim.approved", title="Approved", body="Yes")
    Notification.objects.create(user=bram, kind="claim.paid", title="Bram was paid", body="7.00")

    data = signed_in(anna).get("/api/v1/me/data/").json()

    read.refresh_from_db()
    assert data["notifications"] == [
        {
            "kind": "claim.paid",
            "title": "You were paid",
            "body": "5.00 Heitje",
            "link": "/wallet/",
            "created_at": read.created_at.isoformat(),
            "read_at": read.read_at.isoformat(),
        },
        {
            "kind": "claim.approved",
            "title": "Approved",
            "body": "Yes",
            "link": "",
            "created_at": data["notifications"][1]["created_at"],
            "read_at": None,
        },
    ]
    assert "Bram" not in json.dumps(data)


def test_other_apps_add_their_part_of_my_data(db):
    anna = resident()

    def extra(sender, *, user, **kwargs):
        return {"elsewhere": {"who": user.pk}}

    data_exporting.connect(extra, dispatch_uid="test.extra")
    try:
        assert privacy.data_export(user=anna)["elsewhere"] == {"who": anna.pk}
    finally:
        data_exporting.disconnect(dispatch_uid="test.extra")


def test_an_app_cannot_overwrite_a_part_of_my_data(db):
    anna = resident()

    def clash(sender, *, user, **kwargs):
        return {"profile": {"email": "someone-else@example.org"}}

    data_exporting.connect(clash, dispatch_uid="test.clash")
    try:
        with pytest.raises(RuntimeError, match="profile"):
            privacy.data_export(user=anna)
    finally:
        data_exporting.disconnect(dispatch_uid="test.clash")


# --- deletion ------------------------------------------------------------------------------


def test_deleting_deletes_my_notifications_only(db):
    anna = resident()
    bram = resident("bram@example.org", "Bram")
    Notification.objects.create(user=anna, kind="claim.paid", title="You were paid")
    Notification.objects.create(user=bram, kind="claim.paid", title="Bram was paid")
    privacy.person_erase(user=anna, password=PASSWORD, confirm=True)
    assert not Notification.objects.filter(user=anna).exists()
    assert Notification.objects.filter(user=bram).count() == 1


def test_other_apps_erase_their_part_inside_the_deletion(db):
    anna = resident()
    pay(anna, 900)
    seen = []

    def erase(sender, *, user, **kwargs):
        wallet = Account.objects.get(pk=user.resident.wallet_id)
        seen.append((user.pk, user.email, connection.in_atomic_block, wallet.status))

    account_erasing.connect(erase, dispatch_uid="test.erase")
    try:
        privacy.person_erase(user=anna, password=PASSWORD, confirm=True)
    finally:
        account_erasing.disconnect(dispatch_uid="test.erase")
    # Told once, inside the transaction, before the wallet closed.
    assert seen == [(anna.pk, "anna@example.org", True, "open")]


def test_an_app_that_fails_to_erase_its_part_stops_the_deletion(db):
    anna = resident()
    pay(anna, 900)
    Notification.objects.create(user=anna, kind="claim.paid", title="You were paid")
    before = state(anna)

    def broken(sender, *, user, **kwargs):
        raise RuntimeError("storage down")

    account_erasing.connect(broken, dispatch_uid="test.broken")
    try:
        with pytest.raises(RuntimeError):
            privacy.person_erase(user=anna, password=PASSWORD, confirm=True)
    finally:
        account_erasing.disconnect(dispatch_uid="test.broken")
    assert state(anna) == before
    assert Notification.objects.filter(user=anna).count() == 1


@pytest.mark.django_db(transaction=True)
def test_deleting_donates_the_wallet_and_erases_me_but_keeps_the_ledger_whole():
    anna = resident()
    pay(anna, 1_250)
    phone = signed_in(anna)
    laptop = signed_in(anna)
    api_token_create(user=anna, device_name="Till")
    TOTPDevice.objects.create(user=anna, name="phone", confirmed=True)
    make_shop(resident("bram@example.org", "Bram"), cashier=anna)
    RoleGrant.objects.create(user=anna, role=Role.REVIEWER)
    invite_codes_generate(created_by=anna, count=1, valid_days=30, batch="Anna's batch")
    wallet_id = anna.resident.wallet_id
    transfers = Transfer.objects.count()

    response = phone.post(
        "/api/v1/me/delete/", {"password": PASSWORD, "confirm": True}, format="json"
    )
    assert response.status_code == 204

    anna.refresh_from_db()
    assert anna.email == f"erased-{anna.pk}@erased.invalid"
    assert anna.display_name == ""
    assert not anna.has_usable_password()
    assert not anna.is_active
    assert anna.erased_at is not None
    assert not RoleGrant.objects.filter(user=anna).exists()
    assert not ShopMember.objects.filter(user=anna).exists()
    assert not ApiToken.objects.filter(user=anna).exists()
    assert not TOTPDevice.objects.filter(user=anna).exists()
    assert not SessionRecord.objects.filter(user=anna).exists()
    assert phone.get("/api/v1/me/").status_code == 403
    assert laptop.get("/api/v1/me/").status_code == 403

    wallet = Account.objects.get(pk=wallet_id)
    assert (wallet.balance, wallet.status) == (0, "closed")
    assert "Anna" not in wallet.name
    fund = Account.objects.get(kind=AccountKind.FUND)
    assert fund.balance == 1_250
    donation = Transfer.objects.get(idempotency_key=f"erase:{anna.pk}")
    assert donation.kind == TransferKind.DONATION
    assert Transfer.objects.count() == transfers + 1
    assert wallet.entries.count() == 2  # the payout and the donation stay
    assert ledger_verify().ok
    assert balances_sum_to_zero()

    refused = APIClient().post(
        "/api/v1/auth/login/", {"email": "anna@example.org", "password": PASSWORD}
    )
    assert refused.status_code == 400
    # What the erased person did as staff stays in the audit log, under the pseudonym.
    event = AuditEvent.objects.get(action="invite_codes.generate")
    assert (event.actor_id, event.actor_label) == (anna.pk, anna.email)


def test_an_empty_wallet_is_closed_without_a_donation(db):
    anna = resident()
    privacy.person_erase(user=anna, password=PASSWORD, confirm=True)
    assert not Transfer.objects.filter(kind=TransferKind.DONATION).exists()
    assert Account.objects.get(pk=anna.resident.wallet_id).status == "closed"
    assert not Account.objects.filter(kind=AccountKind.FUND).exists()


def test_a_second_erasure_uses_the_same_fund(db):
    for n in range(2):
        user = resident(f"r{n}@example.org", f"R{n}")
        pay(user, 100)
        privacy.person_erase(user=user, password=PASSWORD, confirm=True)
    assert Account.objects.get(kind=AccountKind.FUND).balance == 200


def state(user):
    user.refresh_from_db()
    wallet = Account.objects.get(pk=user.resident.wallet_id)
    return (
        user.email,
        user.display_name,
        user.is_active,
        user.erased_at,
        user.has_usable_password(),
        wallet.balance,
        wallet.status,
        wallet.name,
        Transfer.objects.count(),
        SessionRecord.objects.filter(user=user, ended_at__isnull=True).count(),
        RoleGrant.objects.filter(user=user).count(),
    )


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        ({"password": "wrong-wrong-1", "confirm": True}, 403, "reauthentication-required"),
        ({"password": PASSWORD, "confirm": False}, 400, "validation-error"),
        ({"password": PASSWORD}, 400, "validation-error"),
        ({"confirm": True}, 400, "validation-error"),
        ({"password": PASSWORD, "confirm": "maybe"}, 400, "validation-error"),
        ({"password": ["x"], "confirm": True}, 400, "validation-error"),
    ],
)
def test_refused_deletions_change_nothing(db, body, status, problem):
    anna = resident()
    pay(anna, 900)
    client = signed_in(anna)
    before = state(anna)
    response = client.post("/api/v1/me/delete/", body, format="json")
    assert response.status_code == status
    assert response.json()["type"] == f"/problems/{problem}"
    assert state(anna) == before
    assert client.get("/api/v1/me/").status_code == 200


def test_a_shop_owner_hands_the_shop_over_first(db):
    anna = resident()
    pay(anna, 900)
    make_shop(anna)
    client = signed_in(anna)
    before = state(anna)
    response = client.post(
        "/api/v1/me/delete/", {"password": PASSWORD, "confirm": True}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/deletion-refused"
    assert "shop" in response.json()["title"]
    assert state(anna) == before


def test_a_failure_half_way_changes_nothing(db, monkeypatch):
    anna = resident()
    pay(anna, 900)
    signed_in(anna)
    before = state(anna)

    def broken_rename(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(privacy.ledger_services, "account_rename", broken_rename)
    with pytest.raises(RuntimeError):
        privacy.person_erase(user=anna, password=PASSWORD, confirm=True)
    assert state(anna) == before
    assert not Account.objects.filter(kind=AccountKind.FUND, balance__gt=0).exists()


def test_a_frozen_wallet_is_refused_clearly(db):
    anna = resident()
    pay(anna, 900)
    services.account_freeze(account_id=anna.resident.wallet_id)
    client = signed_in(anna)
    before = state(anna)
    response = client.post(
        "/api/v1/me/delete/", {"password": PASSWORD, "confirm": True}, format="json"
    )
    assert response.status_code == 409
    assert state(anna) == before
    with pytest.raises(DeletionRefused):
        privacy.person_erase(user=anna, password=PASSWORD, confirm=True)


def test_the_delete_page_warns_and_deletes(db):
    anna = resident()
    pay(anna, 1_234)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post("/login/", {"email": "anna@example.org", "password": PASSWORD})
    page = client.get("/account/delete/").content.decode()
    assert "This cannot be undone." in page
    assert "12.34" in page
    wrong = client.post("/account/delete/", {"password": "nope-nope-1", "confirm": "on"})
    assert "That password is not right." in wrong.content.decode()
    assert not anna.__class__.objects.get(pk=anna.pk).erased_at
    unconfirmed = client.post("/account/delete/", {"password": PASSWORD})
    assert 'id="id_confirm_error"' in unconfirmed.content.decode()
    done = client.post("/account/delete/", {"password": PASSWORD, "confirm": "on"})
    assert done.status_code == 302
    anna.refresh_from_db()
    assert anna.erased_at is not None
    assert client.get("/account/").status_code == 302


def test_the_used_invite_code_stays_linked(db, make_user):
    reviewer = make_user("rita@example.org", "reviewer")
    anna = resident()
    (code,) = invite_codes_generate(created_by=reviewer, count=1, valid_days=30, batch="L")
    residency_verify_with_code(user=anna, code=code)
    privacy.person_erase(user=anna, password=PASSWORD, confirm=True)
    assert InviteCode.objects.get().used_by == anna


@pytest.mark.django_db(transaction=True)
def test_two_first_donations_at_once_open_one_fund():
    people = [resident(f"r{n}@example.org", f"R{n}") for n in range(4)]
    for person in people:
        pay(person, 100)
    results = run_together(
        len(people),
        lambda i: privacy.person_erase(user=people[i], password=PASSWORD, confirm=True),
    )
    assert outcomes(results) == ["ok"] * len(people)
    (fund,) = Account.objects.filter(kind=AccountKind.FUND)
    assert fund.balance == 400
    assert ledger_verify().ok
