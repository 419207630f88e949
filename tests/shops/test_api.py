"""Shops over the API: onboarding, the owner's cashiers, invitations, and the staff's approval.
Every refusal leaves everything as it was."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Role
from ledger import selectors, services
from ledger.models import Account, AccountKind, AccountStatus
from shops import cashiers as shop_cashiers
from shops import services as shop_services
from shops.models import CashierInvite, Shop, ShopMember, ShopStatus
from tests.helpers import make_user, staff_login

APPLY = {
    "name": "Fietsenmaker Hoensbroek",
    "address": "Hoofdstraat 12, 6431 Hoensbroek",
    "category": "services",
    "iban": "NL91 ABNA 0417 1643 00",
}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def owner(db):
    return make_user("owner@example.org", Role.RESIDENT)


@pytest.fixture
def approver(db):
    return make_user("approver@example.org", Role.APPROVER)


@pytest.fixture
def shop(owner):
    return shop_services.shop_apply(owner=owner, **APPLY)


@pytest.fixture
def approved(shop, approver):
    return shop_services.shop_approve(staff=approver, shop_id=shop.pk)


@pytest.fixture
def cashier(approved, owner):
    person = make_user("cashier@example.org")
    _invite, token = shop_cashiers.cashier_invite(
        owner=owner, shop_id=approved.pk, email=person.email
    )
    shop_cashiers.cashier_invite_accept(user=person, token=token)
    return person


@pytest.fixture
def rival(db):
    """The owner of another, approved shop."""
    person = make_user("rival@example.org", Role.RESIDENT)
    other = shop_services.shop_apply(owner=person, **{**APPLY, "name": "Rival"})
    shop_services.shop_approve(staff=make_user("a2@example.org", Role.ADMIN), shop_id=other.pk)
    return person


def as_(api, user):
    api.force_authenticate(user)
    return api


def snapshot():
    return (
        list(Shop.objects.order_by("pk").values()),
        list(ShopMember.objects.order_by("pk").values()),
        list(CashierInvite.objects.order_by("pk").values()),
        list(Account.objects.order_by("pk").values("pk", "status", "balance")),
        AuditEvent.objects.count(),
    )


# --- onboarding --------------------------------------------------------------------------


def test_a_person_registers_a_shop_and_sees_it_pending(api, owner):
    response = as_(api, owner).post("/api/v1/shops/", APPLY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("name", "status", "role", "iban", "balance")} == {
        "name": APPLY["name"],
        "status": "pending",
        "role": "owner",
        "iban": "NL91ABNA0417164300",
        "balance": None,
    }
    listed = api.get("/api/v1/shops/").json()
    assert [(s["id"], s["role"]) for s in listed] == [(body["id"], "owner")]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**APPLY, "iban": "NL91 ABNA 0417 1643 01"}, 422, "iban"),
        ({**APPLY, "iban": "XX00"}, 422, "iban"),
        ({**APPLY, "iban": "N" * 51}, 400, "iban"),
        ({**APPLY, "name": "x" * 101}, 400, "name"),
        ({**APPLY, "address": "x" * 201}, 400, "address"),
        ({**APPLY, "category": "casino"}, 400, "category"),
        ({**APPLY, "category": 7}, 400, "category"),
        ({**APPLY, "name": ["a", "b"]}, 400, "name"),
        ({**APPLY, "name": "Bakker\x00ij"}, 400, "name"),
        ({**APPLY, "iban": {"x": 1}}, 400, "iban"),
        ({**APPLY, "chamber_of_commerce": "123"}, 422, "chamber_of_commerce"),
        ({k: v for k, v in APPLY.items() if k != "iban"}, 400, "iban"),
        ({k: v for k, v in APPLY.items() if k != "name"}, 400, "name"),
    ],
)
def test_bad_applications_are_refused_and_change_nothing(api, owner, body, status, field):
    response = as_(api, owner).post("/api/v1/shops/", body, format="json")
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert Shop.objects.count() == 0
    assert ShopMember.objects.count() == 0


def test_the_iban_error_is_in_plain_words(api, owner):
    response = as_(api, owner).post(
        "/api/v1/shops/", {**APPLY, "iban": "NL91ABNA0417164301"}, format="json"
    )
    assert response.json()["errors"]["iban"] == [
        "This IBAN is not valid. Check it for a typing error."
    ]


def test_anonymous_and_unverified_people_cannot_register_a_shop(api, db):
    assert api.post("/api/v1/shops/", APPLY, format="json").status_code == 403
    assert api.get("/api/v1/shops/").status_code == 403
    unverified = make_user("new@example.org", email_verified_at=None)
    response = as_(api, unverified).post("/api/v1/shops/", APPLY, format="json")
    assert response.status_code == 403
    assert Shop.objects.count() == 0


# --- seeing a shop -----------------------------------------------------------------------


def test_members_see_the_shop_and_its_balance_others_get_404(api, approved, owner, cashier, rival):
    services.transfer_post(
        kind="mint",
        legs=services.legs_between(
            source_id=selectors.issuer_account(currency=approved.account.currency).pk,
            destination_id=approved.account_id,
            amount=1250,
        ),
    )
    mine = as_(api, owner).get(f"/api/v1/shops/{approved.pk}/").json()
    assert (mine["status"], mine["balance"], mine["iban"]) == (
        "approved",
        1250,
        "NL91ABNA0417164300",
    )
    theirs = as_(api, cashier).get(f"/api/v1/shops/{approved.pk}/").json()
    assert (theirs["role"], theirs["balance"], theirs["iban"]) == ("cashier", 1250, None)
    assert [s["role"] for s in api.get("/api/v1/shops/").json()] == ["cashier"]

    for person in (rival, make_user("resident@example.org", Role.RESIDENT), approved.reviewed_by):
        response = as_(api, person).get(f"/api/v1/shops/{approved.pk}/")
        assert response.status_code == 404
        assert response.json()["type"] == "/problems/not-found"
    assert as_(api, owner).get("/api/v1/shops/999999/").status_code == 404
    api.force_authenticate(None)
    assert api.get(f"/api/v1/shops/{approved.pk}/").status_code == 403


def test_the_owner_edits_the_shop_others_cannot(api, approved, owner, cashier, rival):
    response = as_(api, owner).patch(
        f"/api/v1/shops/{approved.pk}/", {"name": "Fietsen & Co"}, format="json"
    )
    assert response.status_code == 200
    # An approved shop's new name waits for staff review (tests/shops/test_api_trust.py).
    assert response.json()["name"] == "Fietsenmaker Hoensbroek"
    assert response.json()["pending_name"] == "Fietsen & Co"
    assert response.json()["iban"] == "NL91ABNA0417164300"
    before = snapshot()
    bad_iban = api.patch(f"/api/v1/shops/{approved.pk}/", {"iban": "NL00"}, format="json")
    assert bad_iban.status_code == 422
    assert (
        as_(api, cashier)
        .patch(f"/api/v1/shops/{approved.pk}/", {"name": "Mine"}, format="json")
        .status_code
        == 403
    )
    assert (
        as_(api, rival)
        .patch(f"/api/v1/shops/{approved.pk}/", {"name": "Mine"}, format="json")
        .status_code
        == 404
    )
    assert snapshot() == before


# --- cashiers ----------------------------------------------------------------------------


def test_the_owner_invites_a_cashier_who_accepts(
    api, approved, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_(api, owner).post(
            f"/api/v1/shops/{approved.pk}/cashiers/invite/",
            {"email": "Kassa@Example.org"},
            format="json",
        )
    assert response.status_code == 201
    assert response.json()["email"] == "kassa@example.org"
    (message,) = [m for m in mail.outbox if m.to == ["kassa@example.org"]]
    token = message.body.split("/shop/invite/")[1].split("/")[0]
    listed = api.get(f"/api/v1/shops/{approved.pk}/cashiers/").json()
    assert (listed["cashiers"], [i["email"] for i in listed["invites"]]) == (
        [],
        ["kassa@example.org"],
    )

    kassa = make_user("kassa@example.org")
    accepted = as_(api, kassa).post(
        "/api/v1/shops/invites/accept/", {"token": token}, format="json"
    )
    assert accepted.status_code == 200
    assert (accepted.json()["id"], accepted.json()["role"]) == (approved.pk, "cashier")
    again = api.post("/api/v1/shops/invites/accept/", {"token": token}, format="json")
    assert again.status_code == 422
    assert again.json()["type"] == "/problems/invite-refused"

    listed = as_(api, owner).get(f"/api/v1/shops/{approved.pk}/cashiers/").json()
    assert ([c["email"] for c in listed["cashiers"]], listed["invites"]) == (
        ["kassa@example.org"],
        [],
    )
    assert api.delete(f"/api/v1/shops/{approved.pk}/cashiers/{kassa.pk}/").status_code == 204
    assert not ShopMember.objects.filter(user=kassa).exists()
    assert as_(api, kassa).get(f"/api/v1/shops/{approved.pk}/").status_code == 404


@pytest.mark.parametrize(
    "body", [{}, {"token": ""}, {"token": "x" * 101}, {"token": ["a"]}, {"token": None}]
)
def test_malformed_accepts_are_refused(api, cashier, body):
    before = snapshot()
    response = as_(api, cashier).post("/api/v1/shops/invites/accept/", body, format="json")
    assert response.status_code == 400
    assert snapshot() == before


def test_expired_or_misdirected_invitations_change_nothing(api, approved, owner):
    _invite, token = shop_cashiers.cashier_invite(
        owner=owner, shop_id=approved.pk, email="k@example.org"
    )
    other = make_user("other@example.org")
    before = snapshot()
    wrong = as_(api, other).post("/api/v1/shops/invites/accept/", {"token": token}, format="json")
    assert wrong.status_code == 422
    assert "another email address" in wrong.json()["title"]
    CashierInvite.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    before = snapshot()
    invitee = make_user("k@example.org")
    expired = as_(api, invitee).post(
        "/api/v1/shops/invites/accept/", {"token": token}, format="json"
    )
    assert expired.status_code == 422
    assert "expired" in expired.json()["title"]
    assert snapshot() == before
    api.force_authenticate(None)
    assert api.post("/api/v1/shops/invites/accept/", {"token": token}).status_code == 403


def test_the_owner_revokes_an_invitation(api, approved, owner):
    invite, token = shop_cashiers.cashier_invite(
        owner=owner, shop_id=approved.pk, email="k@example.org"
    )
    url = f"/api/v1/shops/{approved.pk}/invites/{invite.pk}/"
    assert as_(api, owner).delete(url).status_code == 204
    invitee = make_user("k@example.org")
    refused = as_(api, invitee).post("/api/v1/shops/invites/accept/", {"token": token})
    assert refused.status_code == 422
    assert not ShopMember.objects.filter(user=invitee).exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "cashiers/", None),
        ("post", "cashiers/invite/", {"email": "x@example.org"}),
        ("delete", "cashiers/{cashier}/", None),
        ("delete", "invites/{invite}/", None),
    ],
)
def test_only_the_owner_manages_cashiers(api, approved, owner, cashier, rival, method, path, body):
    invite, _token = shop_cashiers.cashier_invite(
        owner=owner, shop_id=approved.pk, email="k@example.org"
    )
    url = f"/api/v1/shops/{approved.pk}/" + path.format(cashier=cashier.pk, invite=invite.pk)
    resident = make_user("resident@example.org", Role.RESIDENT)
    before = snapshot()
    callers = [(cashier, 403), (rival, 404), (resident, 404), (None, 403)]
    for person, status in callers:
        api.force_authenticate(person)
        response = getattr(api, method)(url, body, format="json")
        assert response.status_code == status, (person, response.json())
    assert snapshot() == before


def test_invitations_need_an_approved_shop_and_a_valid_email(api, shop, owner):
    before = snapshot()
    url = f"/api/v1/shops/{shop.pk}/cashiers/invite/"
    pending = as_(api, owner).post(url, {"email": "k@example.org"}, format="json")
    assert pending.status_code == 422
    for body in ({}, {"email": "nope"}, {"email": "k" * 250 + "@example.org"}, {"email": 5}):
        assert api.post(url, body, format="json").status_code == 400
    assert snapshot() == before
    assert mail.outbox == []


# --- staff -------------------------------------------------------------------------------


def test_staff_approve_and_suspend_through_the_queue(
    api, shop, approver, owner, django_capture_on_commit_callbacks
):
    staff_login(api, approver)
    queue = api.get("/api/v1/staff/shops/?status=pending").json()
    assert [row["id"] for row in queue["results"]] == [shop.pk]
    assert queue["results"][0]["applicant"] == owner.email

    with django_capture_on_commit_callbacks(execute=True):
        approved = api.post(f"/api/v1/staff/shops/{shop.pk}/approve/")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    account = Account.objects.get(pk=approved.json()["account_id"])
    assert account.kind == AccountKind.SHOP
    assert api.get("/api/v1/staff/shops/?status=pending").json()["results"] == []
    twice = api.post(f"/api/v1/staff/shops/{shop.pk}/approve/")
    assert twice.status_code == 409
    assert twice.json()["type"] == "/problems/shop-state-conflict"

    with django_capture_on_commit_callbacks(execute=True):
        suspended = api.post(
            f"/api/v1/staff/shops/{shop.pk}/suspend/", {"reason": "Complaints"}, format="json"
        )
    assert suspended.status_code == 200
    assert (suspended.json()["status"], suspended.json()["status_reason"]) == (
        "suspended",
        "Complaints",
    )
    account.refresh_from_db()
    assert account.status == AccountStatus.FROZEN
    assert [e.action for e in AuditEvent.objects.order_by("id")] == ["shop.approve", "shop.suspend"]
    to_owner = [m for m in mail.outbox if m.to == [owner.email]]
    assert len(to_owner) == 2
    assert all(shop.name in m.subject for m in to_owner)
    assert "Complaints" in to_owner[1].body


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "x" * 501}, {"reason": ["a"]}, {"reason": None}]
)
def test_a_suspension_needs_a_reason(api, approved, approver, body):
    staff_login(api, approver)
    before = snapshot()
    response = api.post(f"/api/v1/staff/shops/{approved.pk}/suspend/", body, format="json")
    assert response.status_code in (400, 422)
    assert snapshot() == before


def test_a_bad_status_filter_is_refused(api, approver):
    staff_login(api, approver)
    assert api.get("/api/v1/staff/shops/?status=closed").status_code == 400
    assert api.get("/api/v1/staff/shops/?status=approved").json()["results"] == []
    assert api.post("/api/v1/staff/shops/999999/approve/").status_code == 404


STAFF_CALLS = [
    ("get", "/api/v1/staff/shops/", None),
    ("post", "/api/v1/staff/shops/{shop}/approve/", None),
    ("post", "/api/v1/staff/shops/{shop}/suspend/", {"reason": "because"}),
]


@pytest.mark.parametrize(("method", "url", "body"), STAFF_CALLS)
def test_staff_endpoints_refuse_everyone_else(api, shop, owner, method, url, body):
    url = url.format(shop=shop.pk)
    reviewer = make_user("reviewer@example.org", Role.REVIEWER)
    untotped = make_user("finance@example.org", Role.FINANCE)
    before = snapshot()

    assert getattr(api, method)(url, body, format="json").status_code == 403
    api.force_login(owner)
    response = getattr(api, method)(url, body, format="json")
    assert (response.status_code, response.json()["type"]) == (403, "/problems/not-allowed")
    staff_login(api, reviewer)
    response = getattr(api, method)(url, body, format="json")
    assert (response.status_code, response.json()["type"]) == (403, "/problems/not-allowed")
    api.force_login(untotped)  # signed in, but the session has not passed TOTP
    response = getattr(api, method)(url, body, format="json")
    assert (response.status_code, response.json()["type"]) == (403, "/problems/two-factor-required")
    assert snapshot() == before
    assert Shop.objects.get(pk=shop.pk).status == ShopStatus.PENDING


def test_the_schema_lists_the_shop_endpoints(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert {
        "/api/v1/shops/",
        "/api/v1/shops/{shop_id}/",
        "/api/v1/shops/invites/accept/",
        "/api/v1/staff/shops/{shop_id}/suspend/",
    } <= set(schema["paths"])
