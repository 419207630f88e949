"""Settlement: the owner asks, someone else approves (the ledger moves the tokens to the
settlement account), finance exports a pain.001 and marks it paid; refusals change nothing."""

import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import NotAllowed, NotFound
from accounts.models import AuditEvent, Role
from ledger.models import Account, AccountKind, Transfer
from ledger.verify import ledger_verify
from payments import settlement as svc
from payments.models import Settlement
from shops import services as shop_services
from tests.concurrency import outcomes, run_together
from tests.helpers import PASSWORD, make_user
from tests.payments.settle_helpers import approved_shop, balance, shop_fund

pytest_plugins = ["tests.payments.settle_fixtures"]

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


@pytest.fixture
def funded(shop):
    shop_fund(shop, 10_000)
    return shop


def settlement_account_balance() -> int:
    accounts = Account.objects.filter(kind=AccountKind.SETTLEMENT)
    return sum(a.balance for a in accounts)


def test_a_request_fixes_amount_fee_and_iban(settings, owner, funded):
    settings.SETTLEMENT_FEE_PERMILLE = 15  # 1.5 %
    settlement = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=3_333)
    assert settlement.status == "requested"
    assert settlement.fee == 49  # 49.995 rounded down
    assert settlement.iban == "NL91ABNA0417164300"
    assert settlement.requested_by == owner
    assert balance(funded.account_id) == 10_000  # nothing moves before approval
    # The IBAN is copied: a later change does not redirect this settlement.
    shop_services.shop_update(
        owner=owner,
        shop_id=funded.pk,
        name=funded.name,
        address=funded.address,
        category=funded.category,
        iban="DE89 3704 0044 0532 0130 00",
        chamber_of_commerce="",
        password=PASSWORD,
    )
    settlement.refresh_from_db()
    assert settlement.iban == "NL91ABNA0417164300"


def test_the_fee_defaults_to_nothing(owner, funded):
    assert svc.settlement_request(owner=owner, shop_id=funded.pk, amount=10_000).fee == 0


@pytest.mark.parametrize("amount", [0, -1, "100", True, 10_001, 10**13, 1.5])
def test_bad_amounts_are_refused_and_leave_nothing(owner, funded, amount):
    with pytest.raises(svc.SettlementRefused) as refused:
        svc.settlement_request(owner=owner, shop_id=funded.pk, amount=amount)
    assert refused.value.field == "amount"
    assert Settlement.objects.count() == 0


def test_open_requests_count_against_the_balance(owner, funded):
    svc.settlement_request(owner=owner, shop_id=funded.pk, amount=6_000)
    with pytest.raises(svc.SettlementRefused) as refused:
        svc.settlement_request(owner=owner, shop_id=funded.pk, amount=4_001)
    assert "4000" in refused.value.message
    svc.settlement_request(owner=owner, shop_id=funded.pk, amount=4_000)
    assert svc.settlement_available(shop=funded).amount == 0
    assert Settlement.objects.count() == 2


def test_only_the_owner_of_an_approved_shop_requests(owner, funded, cashier, other_shop, approver):
    with pytest.raises(NotAllowed):
        svc.settlement_request(owner=cashier, shop_id=funded.pk, amount=100)
    with pytest.raises(NotFound):
        svc.settlement_request(owner=owner, shop_id=other_shop.pk, amount=100)
    with pytest.raises(NotFound):
        svc.shop_settlements(owner=owner, shop_id=other_shop.pk)
    shop_services.shop_suspend(staff=approver, shop_id=funded.pk, reason="Inspection")
    with pytest.raises(svc.SettlementRefused):
        svc.settlement_request(owner=owner, shop_id=funded.pk, amount=100)
    assert Settlement.objects.count() == 0


def test_approval_moves_the_tokens_to_the_settlement_account_once(
    owner, funded, approver, django_capture_on_commit_callbacks
):
    settlement = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=4_000)
    with django_capture_on_commit_callbacks(execute=True):
        approved = svc.settlement_approve(approver=approver, settlement_id=settlement.pk)
    assert approved.status == "approved"
    assert approved.decided_by == approver
    assert balance(funded.account_id) == 6_000
    assert settlement_account_balance() == 4_000
    transfer = Transfer.objects.get(pk=approved.transfer_id)
    assert (transfer.kind, transfer.idempotency_key) == (
        "settlement",
        f"settlement:{settlement.pk}",
    )
    assert AuditEvent.objects.get(action="settlement.approve").actor == approver
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert "approved" in mail.outbox[0].subject
    assert "40.00" in mail.outbox[0].body

    with pytest.raises(svc.SettlementStateConflict):
        svc.settlement_approve(approver=approver, settlement_id=settlement.pk)
    with pytest.raises(svc.SettlementStateConflict):
        svc.settlement_reject(approver=approver, settlement_id=settlement.pk, reason="late")
    assert balance(funded.account_id) == 6_000
    assert Account.objects.filter(kind=AccountKind.SETTLEMENT).count() == 1
    assert ledger_verify().ok


def test_nobody_decides_their_own_request(funded, approver):
    admin_owner = make_user("admin-owner@example.org", Role.ADMIN)
    own = approved_shop(admin_owner, approver, name="Eigen Zaak")
    shop_fund(own, 500)
    settlement = svc.settlement_request(owner=admin_owner, shop_id=own.pk, amount=500)
    with pytest.raises(NotAllowed):
        svc.settlement_approve(approver=admin_owner, settlement_id=settlement.pk)
    with pytest.raises(NotAllowed):
        svc.settlement_reject(approver=admin_owner, settlement_id=settlement.pk, reason="no")
    settlement.refresh_from_db()
    assert settlement.status == "requested"
    assert balance(own.account_id) == 500
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Settlement.objects.filter(pk=settlement.pk).update(decided_by=admin_owner)


@pytest.mark.parametrize("role", [Role.FINANCE, Role.REVIEWER, Role.TASK_MANAGER, Role.RESIDENT])
def test_other_roles_do_not_decide(owner, funded, role):
    settlement = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=100)
    someone = make_user(f"{role}-y@example.org", role)
    with pytest.raises(NotAllowed):
        svc.settlement_approve(approver=someone, settlement_id=settlement.pk)
    with pytest.raises(NotAllowed):
        svc.settlement_reject(approver=someone, settlement_id=settlement.pk, reason="no")
    settlement.refresh_from_db()
    assert settlement.status == "requested"
    assert balance(funded.account_id) == 10_000


def test_approval_is_refused_when_the_shop_no_longer_holds_the_amount(owner, funded, approver):
    settlement = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=8_000)
    other = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=2_000)
    # Tokens leave the shop some other way (a refund, say) after the request.
    resident_wallet = Account.objects.create(currency=funded.account.currency, kind="wallet")
    from ledger import services as ledger_services

    ledger_services.transfer_post(
        kind="refund",
        legs=ledger_services.legs_between(
            source_id=funded.account_id, destination_id=resident_wallet.pk, amount=3_000
        ),
    )
    with pytest.raises(svc.SettlementInsufficient):
        svc.settlement_approve(approver=approver, settlement_id=settlement.pk)
    settlement.refresh_from_db()
    assert settlement.status == "requested"
    assert settlement.transfer_id is None
    assert balance(funded.account_id) == 7_000
    assert not AuditEvent.objects.filter(action="settlement.approve").exists()
    svc.settlement_approve(approver=approver, settlement_id=other.pk)
    assert balance(funded.account_id) == 5_000


def test_a_frozen_shop_is_not_settled(owner, funded, approver):
    settlement = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=1_000)
    shop_services.shop_suspend(staff=approver, shop_id=funded.pk, reason="Inspection")
    with pytest.raises(svc.SettlementStateConflict):
        svc.settlement_approve(approver=approver, settlement_id=settlement.pk)
    assert balance(funded.account_id) == 10_000


def test_rejection_keeps_the_tokens_and_tells_the_owner_why(
    owner, funded, approver, django_capture_on_commit_callbacks
):
    settlement = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=10_000)
    for bad in ("", "   ", "x" * 501):
        with pytest.raises(svc.SettlementRefused):
            svc.settlement_reject(approver=approver, settlement_id=settlement.pk, reason=bad)
    with django_capture_on_commit_callbacks(execute=True):
        svc.settlement_reject(
            approver=approver, settlement_id=settlement.pk, reason="IBAN belongs to someone else"
        )
    settlement.refresh_from_db()
    assert (settlement.status, settlement.reason) == ("rejected", "IBAN belongs to someone else")
    assert balance(funded.account_id) == 10_000
    assert "IBAN belongs to someone else" in mail.outbox[0].body
    assert AuditEvent.objects.get(action="settlement.reject").detail["reason"] == (
        "IBAN belongs to someone else"
    )
    # The rejected amount is available again.
    assert svc.settlement_available(shop=funded).amount == 10_000
    with pytest.raises(NotFound):
        svc.settlement_approve(approver=approver, settlement_id=999_999)


def test_export_and_payment_walk_the_states(
    settings, owner, funded, approver, finance, other_shop, django_capture_on_commit_callbacks
):
    settings.SETTLEMENT_FEE_PERMILLE = 10
    shop_fund(other_shop, 2_000)
    other_owner = other_shop.members.get().user
    first = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=5_000)
    second = svc.settlement_request(owner=other_owner, shop_id=other_shop.pk, amount=1_999)
    waiting = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=100)
    with pytest.raises(svc.SettlementStateConflict):  # nothing approved yet
        svc.sepa_export_create(actor=finance)
    for s in (first, second):
        svc.settlement_approve(approver=approver, settlement_id=s.pk)
    with pytest.raises(NotAllowed):
        svc.sepa_export_create(actor=approver)

    export = svc.sepa_export_create(actor=finance)
    assert export.count == 2
    assert export.total_cents == (5_000 - 50) + (1_999 - 19)
    statuses = dict(Settlement.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "exported", second.pk: "exported", waiting.pk: "requested"}
    root = ET.fromstring(export.xml.encode())
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "69.30"
    ids = [e.text for e in root.iterfind(".//p:EndToEndId", NS)]
    assert sorted(ids) == [f"HEITJE-SETTLEMENT-{first.pk}", f"HEITJE-SETTLEMENT-{second.pk}"]
    assert AuditEvent.objects.get(action="sepa_export.create").actor == finance
    with pytest.raises(svc.SettlementStateConflict):  # nothing left to export
        svc.sepa_export_create(actor=finance)

    with django_capture_on_commit_callbacks(execute=True):
        svc.sepa_export_paid(actor=finance, export_id=export.pk)
    paid = Settlement.objects.filter(status="paid")
    assert set(paid.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert all(s.paid_at is not None for s in paid)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.email, other_owner.email])
    with pytest.raises(svc.SettlementStateConflict):
        svc.sepa_export_paid(actor=finance, export_id=export.pk)
    with pytest.raises(NotFound):
        svc.sepa_export_paid(actor=finance, export_id=999_999)
    assert AuditEvent.objects.filter(action="sepa_export.paid").count() == 1
    assert settlement_account_balance() == 5_000 + 1_999
    assert ledger_verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_ask_for_more_than_the_balance(owner, shop):
    shop_fund(shop, 10_000)
    results = run_together(
        4, lambda _: svc.settlement_request(owner=owner, shop_id=shop.pk, amount=6_000)
    )
    assert outcomes(results) == ["SettlementRefused"] * 3 + ["ok"]
    assert Settlement.objects.count() == 1


def test_requests_arrive_in_the_owners_list(owner, funded):
    a = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=100)
    b = svc.settlement_request(owner=owner, shop_id=funded.pk, amount=200)
    assert list(svc.shop_settlements(owner=owner, shop_id=funded.pk)) == [b, a]
    assert list(svc.settlements_for_staff(status="requested")) == [a, b]
    assert timezone.now() >= a.requested_at
