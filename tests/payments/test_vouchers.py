"""Paper vouchers: a batch (requested by one person, approved by another) is funded from a
campaign budget into escrow, each voucher is redeemed once at a shop's till, and what is left
returns to the budget at expiry. The four-eyes steps over HTTP: test_voucher_four_eyes.py."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.errors import NotAllowed, NotFound
from accounts.models import AuditEvent, Role
from ledger.models import Account, AccountKind, AccountStatus, Transfer
from ledger.verify import ledger_verify
from payments import voucher_batches, vouchers
from payments.errors import ShopNotAccepting
from payments.models import Payment, Voucher, VoucherBatch
from payments.tasks import vouchers_expire_task
from rewards import campaigns
from shops import services as shop_services
from tests.concurrency import outcomes, run_together
from tests.helpers import make_user
from tests.payments.settle_helpers import balance

pytest_plugins = ["tests.payments.settle_fixtures"]


def issue(manager, approver, campaign, **changes):
    """Request, approve (someone else) and print a batch: the vouchers exist afterwards."""
    fields = {
        "name": "Voedselbank december",
        "value": 1_000,
        "count": 5,
        "expires_at": timezone.now() + timedelta(days=30),
    }
    fields.update(changes)
    batch = voucher_batches.voucher_batch_request(actor=manager, campaign_id=campaign.pk, **fields)
    voucher_batches.voucher_batch_approve(actor=approver, batch_id=batch.pk)
    return voucher_batches.voucher_batch_sheet(actor=manager, batch_id=batch.pk)


def nothing_issued(campaign):
    assert VoucherBatch.objects.count() == 0
    assert Voucher.objects.count() == 0
    assert not Account.objects.filter(kind=AccountKind.VOUCHER).exists()
    assert balance(campaign.budget_id) == 100_000


def test_a_batch_moves_its_value_from_the_budget_into_escrow(manager, approver, campaign):
    issued = issue(manager, approver, campaign)
    batch = issued.batch
    assert balance(campaign.budget_id) == 100_000 - 5_000
    assert balance(batch.escrow_id) == 5_000
    assert batch.escrow.kind == AccountKind.VOUCHER
    funding = Transfer.objects.get(pk=batch.funding_transfer_id)
    assert funding.kind == "voucher"
    assert funding.idempotency_key == f"voucherbatch:{batch.pk}"
    assert len(issued.vouchers) == 5
    codes = [v.code for v in issued.vouchers]
    assert len(set(codes)) == 5
    for voucher in issued.vouchers:
        compact = voucher.code.replace("-", "")
        assert len(compact) == 28  # 140 bits
        assert set(compact) <= set(vouchers.CODE_ALPHABET)
        assert voucher.qr_payload == "HEITJE-VOUCHER:" + compact
    stored = set(Voucher.objects.values_list("code_hash", flat=True))
    assert not stored & {c.replace("-", "") for c in codes}  # only hashes are kept
    assert len(stored) == 5
    assert AuditEvent.objects.get(action="voucher_batch.request").actor == manager
    event = AuditEvent.objects.get(action="voucher_batch.approve")
    assert event.actor != manager
    assert event.detail["total"] == 5_000
    assert AuditEvent.objects.get(action="voucher_batch.sheet").actor == manager


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"value": 0}, "value"),
        ({"value": -5}, "value"),
        ({"value": 10**9}, "value"),
        ({"value": "100"}, "value"),
        ({"value": True}, "value"),
        ({"count": 0}, "count"),
        ({"count": 1001}, "count"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expires_at"),
        ({"value": 10_000, "count": 11}, "count"),  # 110,000 from a budget of 100,000
    ],
)
def test_bad_batches_are_refused_and_leave_nothing(manager, approver, campaign, changes, field):
    with pytest.raises(voucher_batches.VoucherRefused) as refused:
        issue(manager, approver, campaign, **changes)
    assert refused.value.field == field
    nothing_issued(campaign)
    assert not AuditEvent.objects.filter(action__startswith="voucher_batch.").exists()


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.APPROVER, Role.FINANCE, Role.RESIDENT])
def test_only_task_managers_and_admins_ask_for_vouchers(approver, campaign, role):
    someone = make_user(f"{role}-x@example.org", role)
    with pytest.raises(NotAllowed):
        issue(someone, approver, campaign)
    nothing_issued(campaign)
    admin = make_user("admin@example.org", Role.ADMIN)
    assert len(issue(admin, approver, campaign, count=1).vouchers) == 1


def test_a_closed_or_unknown_campaign_issues_nothing(manager, approver, campaign):
    with pytest.raises(NotFound):
        voucher_batches.voucher_batch_request(
            actor=manager,
            campaign_id=999_999,
            name="x",
            value=100,
            count=1,
            expires_at=timezone.now() + timedelta(days=1),
        )
    campaigns.campaign_close(actor=manager, campaign_id=campaign.pk)
    with pytest.raises(voucher_batches.VoucherRefused):
        issue(manager, approver, campaign)
    assert VoucherBatch.objects.count() == 0


def test_a_voucher_pays_the_shop_once(manager, approver, campaign, shop, cashier, other_shop):
    issued = issue(manager, approver, campaign)
    code = issued.vouchers[0].code
    payment = vouchers.voucher_redeem(cashier=cashier, shop_id=shop.pk, code=code.lower())
    assert payment.method == "voucher"
    assert payment.amount == 1_000
    assert payment.shop == shop
    assert payment.payer_account_id == issued.batch.escrow_id
    assert payment.cashier == cashier
    assert Transfer.objects.get(pk=payment.transfer_id).idempotency_key == (
        f"voucher:{issued.vouchers[0].id}"
    )
    assert balance(shop.account_id) == 1_000
    assert balance(issued.batch.escrow_id) == 4_000
    voucher = Voucher.objects.get(pk=issued.vouchers[0].id)
    assert voucher.redeemed_at is not None
    assert voucher.payment == payment

    other_owner = other_shop.members.get().user
    for who, shop_id in ((cashier, shop.pk), (other_owner, other_shop.pk)):
        with pytest.raises(vouchers.VoucherUsed):
            vouchers.voucher_redeem(cashier=who, shop_id=shop_id, code=code)
    # The QR payload works like the typed code.
    owner = shop.members.get(role="owner").user
    second = vouchers.voucher_redeem(
        cashier=owner, shop_id=shop.pk, code=issued.vouchers[1].qr_payload
    )
    assert second.amount == 1_000
    assert Payment.objects.count() == 2
    assert balance(shop.account_id) == 2_000
    assert ledger_verify().ok


def test_bad_codes_strangers_and_closed_shops_are_refused(
    manager, campaign, shop, cashier, other_shop, approver
):
    issued = issue(manager, approver, campaign)
    code = issued.vouchers[0].code
    for bad in ("", "ABCD", "0" * 28, code[:-1], code + "A", "x" * 500):
        with pytest.raises(vouchers.VoucherInvalid):
            vouchers.voucher_redeem(cashier=cashier, shop_id=shop.pk, code=bad)
    with pytest.raises(vouchers.VoucherInvalid):
        vouchers.voucher_redeem(cashier=cashier, shop_id=shop.pk, code="A" * 28)
    # Someone else's shop does not exist for this cashier; a resident has no shop.
    with pytest.raises(NotFound):
        vouchers.voucher_redeem(cashier=cashier, shop_id=other_shop.pk, code=code)
    stranger = make_user("stranger@example.org", Role.RESIDENT)
    with pytest.raises(NotFound):
        vouchers.voucher_redeem(cashier=stranger, shop_id=shop.pk, code=code)
    shop_services.shop_suspend(staff=approver, shop_id=shop.pk, reason="Inspection")
    with pytest.raises(ShopNotAccepting):
        vouchers.voucher_redeem(cashier=cashier, shop_id=shop.pk, code=code)
    assert Payment.objects.count() == 0
    assert not Voucher.objects.filter(redeemed_at__isnull=False).exists()
    assert balance(issued.batch.escrow_id) == 5_000


def test_an_expired_voucher_is_refused_before_and_after_the_expiry_run(
    manager, approver, campaign, shop, cashier
):
    issued = issue(manager, approver, campaign, count=3)
    vouchers.voucher_redeem(cashier=cashier, shop_id=shop.pk, code=issued.vouchers[0].code)
    batch = issued.batch
    VoucherBatch.objects.filter(pk=batch.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(vouchers.VoucherExpired):
        vouchers.voucher_redeem(cashier=cashier, shop_id=shop.pk, code=issued.vouchers[1].code)

    assert vouchers_expire_task.delay().get() == 1
    batch.refresh_from_db()
    assert batch.expired_at is not None
    assert balance(batch.escrow_id) == 0
    assert balance(campaign.budget_id) == 100_000 - 3_000 + 2_000
    returned = Transfer.objects.get(idempotency_key=f"voucherexpiry:{batch.pk}")
    assert returned.kind == "expiry"
    assert Account.objects.get(pk=batch.escrow_id).status == AccountStatus.CLOSED
    assert AuditEvent.objects.filter(action="voucher_batch.expire", actor=None).count() == 1

    with pytest.raises(vouchers.VoucherExpired):
        vouchers.voucher_redeem(cashier=cashier, shop_id=shop.pk, code=issued.vouchers[2].code)
    assert vouchers.voucher_batches_expire() == 0  # once
    assert Transfer.objects.filter(kind="expiry").count() == 1
    assert balance(shop.account_id) == 1_000
    assert ledger_verify().ok


def test_batches_not_yet_due_stay(manager, approver, campaign):
    issued = issue(manager, approver, campaign)
    assert vouchers.voucher_batches_expire() == 0
    issued.batch.refresh_from_db()
    assert issued.batch.expired_at is None
    assert balance(issued.batch.escrow_id) == 5_000


def test_expiry_after_the_campaign_closed_returns_the_rest_to_the_issuer(
    manager, approver, campaign, issuer
):
    issued = issue(manager, approver, campaign, count=2)
    campaigns.campaign_close(actor=manager, campaign_id=campaign.pk)
    supply_before = -balance(issuer.pk)
    assert vouchers.voucher_batches_expire(now=timezone.now() + timedelta(days=31)) == 1
    assert balance(issued.batch.escrow_id) == 0
    assert -balance(issuer.pk) == supply_before - 2_000
    assert ledger_verify().ok


def test_expiry_waits_while_the_budget_is_only_frozen(manager, approver, campaign, issuer):
    """A frozen budget is paused, not gone: the remainder waits for it rather than leaving the
    campaign for the issuer."""
    from ledger import services as ledger_services

    issued = issue(manager, approver, campaign, count=4)
    ledger_services.account_freeze(account_id=campaign.budget_id, reason="audit")
    later = timezone.now() + timedelta(days=31)
    assert vouchers.voucher_batches_expire(now=later) == 0
    assert balance(issued.batch.escrow_id) == 4 * 1_000
    ledger_services.account_unfreeze(account_id=campaign.budget_id, reason="audit done")
    assert vouchers.voucher_batches_expire(now=later) == 1
    assert balance(campaign.budget_id) == 100_000
    assert ledger_verify().ok


@pytest.mark.django_db(transaction=True)
def test_two_tills_redeeming_one_voucher_at_once_make_one_payment(
    manager, approver, campaign, shop, cashier
):
    issued = issue(manager, approver, campaign, count=1)
    code = issued.vouchers[0].code
    owner = shop.members.get(role="owner").user
    tills = (cashier, owner) * 2
    results = run_together(
        4, lambda i: vouchers.voucher_redeem(cashier=tills[i], shop_id=shop.pk, code=code)
    )
    assert outcomes(results) == ["VoucherUsed"] * 3 + ["ok"]
    assert Payment.objects.count() == 1
    assert balance(shop.account_id) == 1_000
    assert balance(issued.batch.escrow_id) == 0


def test_a_batch_never_printed_returns_all_of_it_at_expiry_and_a_request_nothing(
    manager, approver, campaign, caplog
):
    later = timezone.now() + timedelta(days=31)
    fields = {
        "name": "Unprinted",
        "value": 1_000,
        "count": 5,
        "expires_at": later - timedelta(days=1),
    }
    unprinted = voucher_batches.voucher_batch_request(
        actor=manager, campaign_id=campaign.pk, **fields
    )
    voucher_batches.voucher_batch_approve(actor=approver, batch_id=unprinted.pk)
    waiting = voucher_batches.voucher_batch_request(
        actor=manager, campaign_id=campaign.pk, **{**fields, "name": "Waiting"}
    )
    assert balance(campaign.budget_id) == 100_000 - 5_000
    assert vouchers.voucher_batches_expire(now=later) == 1
    assert balance(campaign.budget_id) == 100_000
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    waiting.refresh_from_db()
    assert (waiting.status, waiting.expired_at) == ("requested", None)
    # Once its expiry has passed, the request can no longer be approved.
    VoucherBatch.objects.filter(pk=waiting.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(voucher_batches.VoucherRefused):
        voucher_batches.voucher_batch_approve(actor=approver, batch_id=waiting.pk)
    assert ledger_verify().ok
