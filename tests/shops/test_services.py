"""Shop services: onboarding, approval and suspension, cashier invitations."""

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.errors import NotAllowed, NotFound
from accounts.models import AuditEvent, Role
from ledger.models import Account, AccountKind, AccountStatus
from shops import cashiers as shop_cashiers
from shops import errors as shop_errors
from shops import selectors as shop_selectors
from shops import services as shop_services
from shops.errors import InviteRefused, ShopRefused
from shops.models import CashierInvite, Shop, ShopMember, ShopStatus
from tests.concurrency import outcomes, run_together
from tests.helpers import PASSWORD, make_user

GOOD = {
    "name": "Bakkerij Kerkrade",
    "address": "Saroleastraat 1, 6411 Heerlen",
    "category": "bakery",
    "iban": "nl91 abna 0417 1643 00",
}


@pytest.fixture
def owner(db):
    return make_user("owner@example.org", Role.RESIDENT)


@pytest.fixture
def approver(db):
    return make_user("approver@example.org", Role.APPROVER)


@pytest.fixture
def shop(owner):
    return shop_services.shop_apply(owner=owner, **GOOD)


@pytest.fixture
def approved(shop, approver):
    return shop_services.shop_approve(staff=approver, shop_id=shop.pk)


def test_applying_makes_a_pending_shop_owned_by_the_applicant(owner):
    shop = shop_services.shop_apply(owner=owner, **GOOD, chamber_of_commerce="1234 5678")
    assert (shop.status, shop.account_id) == (ShopStatus.PENDING, None)
    assert shop.iban == "NL91ABNA0417164300"
    assert shop.chamber_of_commerce == "12345678"
    assert ShopMember.objects.get(shop=shop).user == owner
    assert [(m.shop, m.role) for m in shop_selectors.shop_memberships(user=owner)] == [
        (shop, "owner")
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"iban": "NL91ABNA0417164301"}, "iban"),  # checksum
        ({"iban": "XX91ABNA0417164300"}, "iban"),  # country
        ({"iban": "NL91ABNA041716430"}, "iban"),  # length
        ({"iban": "KZ86125KZT5004100100"}, "iban"),  # valid but outside SEPA
        ({"iban": ""}, "iban"),
        ({"iban": "N" * 60}, "iban"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"address": "   "}, "address"),
        ({"address": "x" * 201}, "address"),
        ({"category": "casino"}, "category"),
        ({"chamber_of_commerce": "1234567"}, "chamber_of_commerce"),
        ({"chamber_of_commerce": "1234567a"}, "chamber_of_commerce"),
    ],
)
def test_bad_applications_are_refused_and_leave_nothing(owner, change, field):
    with pytest.raises(ShopRefused) as refused:
        shop_services.shop_apply(owner=owner, **{**GOOD, **change})
    assert refused.value.field == field
    assert Shop.objects.count() == 0
    assert ShopMember.objects.count() == 0


def test_an_unverified_email_cannot_apply(db):
    person = make_user("new@example.org", email_verified_at=None)
    with pytest.raises(NotAllowed):
        shop_services.shop_apply(owner=person, **GOOD)
    assert Shop.objects.count() == 0


def test_approval_opens_one_shop_account_and_is_audited(
    shop, approver, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        approved = shop_services.shop_approve(staff=approver, shop_id=shop.pk)
    assert approved.status == ShopStatus.APPROVED
    account = Account.objects.get(pk=approved.account_id)
    assert (account.kind, account.status, account.balance) == (AccountKind.SHOP, "open", 0)
    event = AuditEvent.objects.get(action="shop.approve")
    assert (event.actor, event.target_id) == (approver, str(shop.pk))
    assert [m.to for m in mail.outbox] == [[owner.email]]
    with pytest.raises(shop_errors.ShopStateConflict):
        shop_services.shop_approve(staff=approver, shop_id=shop.pk)
    assert Account.objects.filter(kind=AccountKind.SHOP).count() == 1


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.REVIEWER, Role.TASK_MANAGER])
def test_other_roles_cannot_approve_or_suspend(shop, role):
    someone = make_user("someone@example.org", role)
    with pytest.raises(NotAllowed):
        shop_services.shop_approve(staff=someone, shop_id=shop.pk)
    with pytest.raises(NotAllowed):
        shop_services.shop_suspend(staff=someone, shop_id=shop.pk, reason="no")
    shop.refresh_from_db()
    assert (shop.status, shop.account_id) == (ShopStatus.PENDING, None)
    assert not AuditEvent.objects.exists()


def test_nobody_approves_their_own_shop(db):
    finance = make_user("finance@example.org", Role.FINANCE)
    own = shop_services.shop_apply(owner=finance, **GOOD)
    with pytest.raises(NotAllowed):
        shop_services.shop_approve(staff=finance, shop_id=own.pk)
    own.refresh_from_db()
    assert own.status == ShopStatus.PENDING


def test_suspension_freezes_the_account_and_approval_reinstates_it(approved, approver):
    with pytest.raises(ShopRefused):
        shop_services.shop_suspend(staff=approver, shop_id=approved.pk, reason="  ")
    with pytest.raises(ShopRefused):
        shop_services.shop_suspend(staff=approver, shop_id=approved.pk, reason="x" * 501)
    assert Shop.objects.get(pk=approved.pk).status == ShopStatus.APPROVED

    suspended = shop_services.shop_suspend(staff=approver, shop_id=approved.pk, reason="Complaints")
    assert (suspended.status, suspended.status_reason) == (ShopStatus.SUSPENDED, "Complaints")
    assert Account.objects.get(pk=approved.account_id).status == AccountStatus.FROZEN
    with pytest.raises(shop_errors.ShopStateConflict):
        shop_services.shop_suspend(staff=approver, shop_id=approved.pk, reason="again")

    again = shop_services.shop_approve(staff=approver, shop_id=approved.pk)
    assert (again.status, again.account_id, again.status_reason) == (
        ShopStatus.APPROVED,
        approved.account_id,
        "",
    )
    assert Account.objects.get(pk=approved.account_id).status == AccountStatus.OPEN
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "shop.approve",
        "shop.suspend",
        "shop.approve",
    ]


def test_a_pending_shop_can_be_turned_down_without_an_account(shop, approver):
    turned_down = shop_services.shop_suspend(staff=approver, shop_id=shop.pk, reason="Not local")
    assert (turned_down.status, turned_down.account_id) == (ShopStatus.SUSPENDED, None)
    with pytest.raises(NotFound):
        shop_services.shop_approve(staff=approver, shop_id=999999)


def test_the_owner_edits_details_and_an_iban_change_is_audited(
    shop, owner, django_capture_on_commit_callbacks
):
    with pytest.raises(ShopRefused):
        shop_services.shop_update(
            owner=owner, shop_id=shop.pk, **{**GOOD, "iban": "DE00370400440532013000"}
        )
    assert Shop.objects.get(pk=shop.pk).iban == "NL91ABNA0417164300"
    shop_services.shop_update(owner=owner, shop_id=shop.pk, **{**GOOD, "name": "Bakkerij Heerlen"})
    assert not AuditEvent.objects.exists()
    renamed_new_iban = {**GOOD, "name": "Bakkerij Heerlen", "iban": "DE89370400440532013000"}
    with django_capture_on_commit_callbacks(execute=True):
        shop_services.shop_update(
            owner=owner, shop_id=shop.pk, password=PASSWORD, **renamed_new_iban
        )
    (notice,) = mail.outbox
    assert notice.to == [owner.email]
    assert "DE89…3000" in notice.body
    updated = Shop.objects.get(pk=shop.pk)
    assert (updated.name, updated.iban) == ("Bakkerij Heerlen", "DE89370400440532013000")
    event = AuditEvent.objects.get(action="shop.iban_change")
    assert event.detail == {"from": "NL91…4300", "to": "DE89…3000"}


def test_only_the_owner_edits(approved, owner):
    cashier = make_user("cashier@example.org")
    ShopMember.objects.create(shop=approved, user=cashier, role="cashier")
    stranger = make_user("stranger@example.org")
    with pytest.raises(NotAllowed):
        shop_services.shop_update(owner=cashier, shop_id=approved.pk, **{**GOOD, "name": "Mine"})
    with pytest.raises(NotFound):
        shop_services.shop_update(owner=stranger, shop_id=approved.pk, **{**GOOD, "name": "Mine"})
    assert Shop.objects.get(pk=approved.pk).name == GOOD["name"]


def invite(owner, shop, email="cashier@example.org"):
    return shop_cashiers.cashier_invite(owner=owner, shop_id=shop.pk, email=email)


def test_an_invitation_is_mailed_and_accepted_once(
    approved, owner, django_capture_on_commit_callbacks
):
    cashier = make_user("Cashier@Example.org", preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        sent, token = invite(owner, approved, "CASHIER@example.org")
    assert sent.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not CashierInvite.objects.filter(token_hash=token).exists()
    (message,) = [m for m in mail.outbox if m.to == ["cashier@example.org"]]
    assert f"/shop/invite/{token}/" in message.body
    assert approved.name in message.subject

    member = shop_cashiers.cashier_invite_accept(user=cashier, token=token)
    assert (member.shop, member.role) == (approved, "cashier")
    with pytest.raises(InviteRefused, match="already been used"):
        shop_cashiers.cashier_invite_accept(user=cashier, token=token)
    assert ShopMember.objects.filter(user=cashier).count() == 1


def test_a_wrong_person_expired_or_revoked_invitation_changes_nothing(approved, owner):
    cashier = make_user("cashier@example.org")
    other = make_user("other@example.org")
    _sent, token = invite(owner, approved)
    with pytest.raises(InviteRefused, match="another email address"):
        shop_cashiers.cashier_invite_accept(user=other, token=token)
    with pytest.raises(InviteRefused, match="not valid"):
        shop_cashiers.cashier_invite_accept(user=cashier, token=token + "x")
    with pytest.raises(InviteRefused, match="not valid"):
        shop_cashiers.cashier_invite_accept(user=cashier, token="x" * 500)

    CashierInvite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InviteRefused, match="expired"):
        shop_cashiers.cashier_invite_accept(user=cashier, token=token)

    sent, token = invite(owner, approved)
    shop_cashiers.cashier_invite_revoke(owner=owner, shop_id=approved.pk, invite_id=sent.pk)
    with pytest.raises(InviteRefused, match="withdrawn"):
        shop_cashiers.cashier_invite_accept(user=cashier, token=token)
    assert not ShopMember.objects.filter(role="cashier").exists()
    assert not CashierInvite.objects.filter(accepted_at__isnull=False).exists()


def test_a_new_invitation_replaces_the_open_one(approved, owner):
    cashier = make_user("cashier@example.org")
    _first, old = invite(owner, approved)
    _second, new = invite(owner, approved)
    with pytest.raises(InviteRefused, match="withdrawn"):
        shop_cashiers.cashier_invite_accept(user=cashier, token=old)
    shop_cashiers.cashier_invite_accept(user=cashier, token=new)
    with pytest.raises(InviteRefused, match="already works"):
        invite(owner, approved)


def test_invitations_need_an_approved_shop_its_owner_and_a_valid_email(shop, owner, approver):
    with pytest.raises(InviteRefused, match="approved"):
        invite(owner, shop)
    shop_services.shop_approve(staff=approver, shop_id=shop.pk)
    for bad in ["not-an-email", "", "a" * 250 + "@x.nl"]:
        with pytest.raises(InviteRefused):
            invite(owner, shop, bad)
    cashier = make_user("cashier@example.org")
    _sent, token = invite(owner, shop)
    shop_cashiers.cashier_invite_accept(user=cashier, token=token)
    with pytest.raises(NotAllowed):
        shop_cashiers.cashier_invite(owner=cashier, shop_id=shop.pk, email="x@example.org")
    with pytest.raises(NotFound):
        shop_cashiers.cashier_invite(owner=approver, shop_id=shop.pk, email="x@example.org")
    assert CashierInvite.objects.count() == 1


def test_a_suspended_shop_takes_no_new_cashiers(approved, owner, approver):
    cashier = make_user("cashier@example.org")
    _sent, token = invite(owner, approved)
    shop_services.shop_suspend(staff=approver, shop_id=approved.pk, reason="Audit")
    with pytest.raises(InviteRefused, match="suspended"):
        shop_cashiers.cashier_invite_accept(user=cashier, token=token)
    assert not ShopMember.objects.filter(user=cashier).exists()


def test_the_owner_removes_cashiers_but_a_cashier_cannot(approved, owner):
    cashier = make_user("cashier@example.org")
    _sent, token = invite(owner, approved)
    shop_cashiers.cashier_invite_accept(user=cashier, token=token)
    with pytest.raises(NotAllowed):
        shop_cashiers.cashier_remove(owner=cashier, shop_id=approved.pk, user_id=owner.pk)
    with pytest.raises(NotFound):
        shop_cashiers.cashier_remove(owner=owner, shop_id=approved.pk, user_id=owner.pk)
    assert ShopMember.objects.filter(shop=approved).count() == 2
    shop_cashiers.cashier_remove(owner=owner, shop_id=approved.pk, user_id=cashier.pk)
    assert list(ShopMember.objects.filter(shop=approved).values_list("user", flat=True)) == [
        owner.pk
    ]
    with pytest.raises(NotFound):
        shop_selectors.shop_membership(user=cashier, shop_id=approved.pk)


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_open_one_account():
    owner = make_user("owner@example.org")
    shop = shop_services.shop_apply(owner=owner, **GOOD)
    approvers = [make_user(f"a{n}@example.org", Role.APPROVER) for n in range(4)]
    results = run_together(
        4, lambda i: shop_services.shop_approve(staff=approvers[i], shop_id=shop.pk)
    )
    assert outcomes(results) == ["ShopStateConflict"] * 3 + ["ok"]
    assert Account.objects.filter(kind=AccountKind.SHOP).count() == 1
    assert AuditEvent.objects.filter(action="shop.approve").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_invitation_accepted_twice_at_once_makes_one_cashier():
    owner = make_user("owner@example.org")
    approver = make_user("approver@example.org", Role.APPROVER)
    shop = shop_services.shop_apply(owner=owner, **GOOD)
    shop_services.shop_approve(staff=approver, shop_id=shop.pk)
    cashier = make_user("cashier@example.org")
    _sent, token = shop_cashiers.cashier_invite(owner=owner, shop_id=shop.pk, email=cashier.email)
    results = run_together(
        4, lambda _: shop_cashiers.cashier_invite_accept(user=cashier, token=token)
    )
    assert outcomes(results) == ["InviteRefused"] * 3 + ["ok"]
    assert ShopMember.objects.filter(user=cashier).count() == 1
