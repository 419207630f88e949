"""Review services: the queue, approve, reject, the second approval, bulk approval, holds
(unverified residency, annual cap, a short budget) and their release; every decision kept,
every staff action audited, residents told in their language. Refusals change nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.errors import NotAllowed, NotFound
from accounts.models import AuditEvent, Notification
from accounts.services import residency_verify_by_staff
from ledger.models import Transfer
from ledger.verify import ledger_verify
from rewards import review, selectors
from rewards.models import Claim, ClaimDecision, ClaimStatus, Task
from rewards.payouts import HOLD_ANNUAL_CAP, HOLD_BUDGET, HOLD_UNVERIFIED
from tests.helpers import make_user
from tests.rewards import review_fixtures as fx


@pytest.fixture
def reviewer(db):
    return make_user("reviewer@example.org", "reviewer")


@pytest.fixture
def approver(db):
    return make_user("approver@example.org", "approver")


@pytest.fixture
def manager(db):
    return make_user("manager@example.org", "task_manager")


@pytest.fixture
def campaign(manager):
    return fx.campaign(manager)


@pytest.fixture
def task(campaign, manager):
    return fx.task(campaign, manager)


@pytest.fixture
def anna(db):
    return fx.resident("anna@example.org")


@pytest.fixture
def paid_now(django_capture_on_commit_callbacks):
    """Run what a service queued after commit (the payout task, eagerly, and its mail)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def state(claim):
    claim.refresh_from_db()
    return claim.status, claim.hold_reason


def kinds(claim):
    return list(ClaimDecision.objects.filter(claim=claim).values_list("kind", flat=True))


def test_the_queue_lists_submitted_claims_oldest_first(task, anna, reviewer):
    bram = fx.resident("bram@example.org")
    newer = fx.submitted(task, anna)
    older = fx.submitted(task, bram)
    Claim.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - timedelta(hours=2))
    reserved = Claim.objects.create(task=task, resident=anna, amount=500)
    assert list(selectors.claims_for_review()) == [older, newer]
    assert reserved not in selectors.claims_for_review()
    assert list(selectors.claims_for_review(stage=selectors.Stage.SECOND_APPROVAL)) == []


def test_an_approval_pays_the_resident_once_and_tells_them(task, anna, reviewer, paid_now):
    claim = fx.submitted(task, anna)
    claim, outcome = paid_now(review.claim_approve, staff=reviewer, claim_id=claim.pk)
    assert outcome == review.Outcome.APPROVED
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert claim.reviewed_by == reviewer
    assert claim.approved_by is None
    assert claim.payout_transfer.idempotency_key == f"payout:{claim.pk}"
    assert claim.payout_transfer.idempotency_scope == "rewards"
    assert claim.paid_at is not None
    assert fx.balance(anna) == 500
    assert kinds(claim) == ["approve", "pay"]
    assert ClaimDecision.objects.get(claim=claim, kind="approve").actor == reviewer
    assert AuditEvent.objects.filter(action="claim.approve", actor=reviewer).count() == 1
    assert list(
        Notification.objects.filter(user=anna).order_by("id").values_list("kind", flat=True)
    ) == ["claim.approved", "claim.paid"]
    assert [m.subject for m in mail.outbox] == ["Your claim was approved", "You were paid"]
    assert "Paint a bench" in mail.outbox[1].body
    assert "5.00" in mail.outbox[1].body
    assert ledger_verify().ok


def test_notifications_and_mail_are_in_the_residents_language(task, reviewer, paid_now):
    bram = fx.resident("bram@example.org", language="de")
    claim = fx.submitted(task, bram)
    paid_now(review.claim_approve, staff=reviewer, claim_id=claim.pk)
    paid = Notification.objects.get(user=bram, kind="claim.paid")
    assert "Bank streichen" in paid.body  # the German title
    assert "5,00" in paid.body  # German number format
    assert "Bank streichen" in mail.outbox[-1].body


@pytest.mark.parametrize("who", ["resident", "task_creator"])
def test_nobody_reviews_their_own_claim_or_their_own_task(campaign, anna, who, paid_now):
    if who == "resident":
        staff = fx.resident("rita@example.org")
        from accounts.models import RoleGrant

        RoleGrant.objects.create(user=staff, role="reviewer")
        claim = fx.submitted(fx.task(campaign, anna), staff)
    else:
        staff = make_user("creator@example.org", "reviewer", "task_manager")
        claim = fx.submitted(fx.task(campaign, staff), anna)
    with pytest.raises(NotAllowed):
        paid_now(review.claim_approve, staff=staff, claim_id=claim.pk)
    with pytest.raises(NotAllowed):
        review.claim_reject(staff=staff, claim_id=claim.pk, reason="No.")
    assert state(claim) == (ClaimStatus.SUBMITTED, "")
    assert kinds(claim) == []
    assert not Transfer.objects.filter(kind="payout").exists()


def test_the_database_refuses_self_review_too(task, anna):
    claim = fx.submitted(task, anna)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(reviewed_by=anna)


@pytest.mark.parametrize("role", ["task_manager", "finance", "approver"])
def test_other_roles_cannot_review(task, anna, role):
    staff = make_user(f"{role}@example.org", role)
    claim = fx.submitted(task, anna)
    with pytest.raises(NotAllowed):
        review.claim_approve(staff=staff, claim_id=claim.pk)
    assert state(claim) == (ClaimStatus.SUBMITTED, "")
    assert not AuditEvent.objects.exists()


def test_a_missing_claim_is_not_found(reviewer):
    with pytest.raises(NotFound):
        review.claim_approve(staff=reviewer, claim_id=987654)


def test_rejection_needs_a_reason_and_frees_the_slot(task, anna, reviewer, paid_now):
    claim = fx.submitted(task, anna)
    for bad in ["", "   ", "x" * 501, "a\x00b"]:
        with pytest.raises(review.ReviewRefused):
            review.claim_reject(staff=reviewer, claim_id=claim.pk, reason=bad)
    assert state(claim) == (ClaimStatus.SUBMITTED, "")
    assert Task.objects.get(pk=task.pk).slots_taken == 1

    paid_now(
        review.claim_reject, staff=reviewer, claim_id=claim.pk, reason="The photo shows no bench."
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert claim.rejection_reason == "The photo shows no bench."
    assert Task.objects.get(pk=task.pk).slots_taken == 0
    assert kinds(claim) == ["reject"]
    decision = ClaimDecision.objects.get(claim=claim)
    assert (decision.actor, decision.reason) == (reviewer, "The photo shows no bench.")
    assert AuditEvent.objects.filter(action="claim.reject").count() == 1
    note = Notification.objects.get(user=anna)
    assert note.kind == "claim.rejected"
    assert "The photo shows no bench." in note.body
    assert "The photo shows no bench." in mail.outbox[-1].body
    assert fx.balance(anna) == 0

    with pytest.raises(review.ReviewConflict):  # decided once
        review.claim_approve(staff=reviewer, claim_id=claim.pk)
    assert state(claim)[0] == ClaimStatus.REJECTED


@override_settings(REWARDS_SECOND_APPROVAL_ABOVE=2_500)
def test_above_the_threshold_a_second_approver_must_approve(campaign, manager, anna, paid_now):
    reviewer = make_user("reviewer@example.org", "reviewer", "approver")
    approver = make_user("approver@example.org", "approver")
    plain_reviewer = make_user("other@example.org", "reviewer")
    claim = fx.submitted(fx.task(campaign, manager, reward=3_000), anna)

    claim, outcome = paid_now(review.claim_approve, staff=reviewer, claim_id=claim.pk)
    assert outcome == review.Outcome.AWAITING_SECOND_APPROVAL
    assert state(claim) == (ClaimStatus.SUBMITTED, "")
    assert list(selectors.claims_for_review()) == []
    assert list(selectors.claims_for_review(stage=selectors.Stage.SECOND_APPROVAL)) == [claim]
    assert fx.balance(anna) == 0

    for wrong in (reviewer, plain_reviewer):  # the reviewer again; not an approver
        with pytest.raises(NotAllowed):
            paid_now(review.claim_approve, staff=wrong, claim_id=claim.pk)
    assert state(claim) == (ClaimStatus.SUBMITTED, "")
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(approved_by=reviewer)

    paid_now(review.claim_approve, staff=approver, claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert (claim.reviewed_by, claim.approved_by) == (reviewer, approver)
    assert kinds(claim) == ["approve", "second_approve", "pay"]
    assert fx.balance(anna) == 3_000


@override_settings(REWARDS_SECOND_APPROVAL_ABOVE=2_500)
def test_the_amount_at_the_threshold_needs_one_approval(campaign, manager, anna, reviewer):
    claim = fx.submitted(fx.task(campaign, manager, reward=2_500), anna)
    _, outcome = review.claim_approve(staff=reviewer, claim_id=claim.pk)
    assert outcome == review.Outcome.APPROVED


def test_an_unverified_resident_is_paid_once_verified(task, reviewer, paid_now):
    olga = fx.resident("olga@example.org", verified=False)
    claim = fx.submitted(task, olga)
    _, outcome = paid_now(review.claim_approve, staff=reviewer, claim_id=claim.pk)
    assert outcome == review.Outcome.HELD
    assert state(claim) == (ClaimStatus.APPROVED, HOLD_UNVERIFIED)
    assert kinds(claim) == ["approve", "hold"]
    assert Notification.objects.get(user=olga).kind == "claim.held"
    assert "residency is verified" in mail.outbox[-1].body
    assert list(selectors.claims_for_review(stage=selectors.Stage.HELD)) == [claim]
    admin = make_user("admin@example.org", "admin")
    with pytest.raises(review.ReviewConflict):  # staff cannot pay an unverified resident
        review.claim_release(staff=admin, claim_id=claim.pk)
    assert fx.balance(olga) == 0

    paid_now(residency_verify_by_staff, staff=reviewer, resident_id=olga.pk)
    assert state(claim) == (ClaimStatus.PAID, "")
    assert kinds(claim) == ["approve", "hold", "release", "pay"]
    assert fx.balance(olga) == 500
    assert ledger_verify().ok


@override_settings(REWARDS_ANNUAL_CAP=1_000)
def test_the_annual_cap_holds_a_claim_that_would_pass_it(
    campaign, manager, anna, reviewer, paid_now
):
    task = fx.task(campaign, manager, reward=400)
    first, second, third = (fx.submitted(task, anna) for _ in range(3))
    paid_now(review.claim_approve, staff=reviewer, claim_id=first.pk)
    paid_now(review.claim_approve, staff=reviewer, claim_id=second.pk)
    assert fx.balance(anna) == 800
    _, outcome = paid_now(review.claim_approve, staff=reviewer, claim_id=third.pk)
    assert outcome == review.Outcome.HELD
    assert state(third) == (ClaimStatus.APPROVED, HOLD_ANNUAL_CAP)
    assert "annual cap" in Notification.objects.filter(user=anna).first().body
    assert fx.balance(anna) == 800

    approver = make_user("approver@example.org", "approver")
    with pytest.raises(review.ReviewConflict):
        paid_now(review.claim_release, staff=approver, claim_id=third.pk)
    assert state(third) == (ClaimStatus.APPROVED, HOLD_ANNUAL_CAP)

    # A new calendar year: what was paid last year no longer counts, and staff may release it.
    Claim.objects.filter(status=ClaimStatus.PAID).update(
        paid_at=timezone.now().replace(year=timezone.now().year - 1)
    )
    paid_now(review.claim_release, staff=approver, claim_id=third.pk)
    assert state(third) == (ClaimStatus.PAID, "")
    assert kinds(third) == ["approve", "hold", "release", "pay"]
    assert AuditEvent.objects.filter(action="claim.release", actor=approver).count() == 1
    assert fx.balance(anna) == 1_200


def test_a_short_budget_holds_the_claim_until_topped_up(manager, anna, reviewer, paid_now):
    poor = fx.campaign(manager, budget=300)
    claim = fx.submitted(fx.task(poor, manager, reward=500), anna)
    paid_now(review.claim_approve, staff=reviewer, claim_id=claim.pk)
    assert state(claim) == (ClaimStatus.APPROVED, HOLD_BUDGET)
    assert kinds(claim) == ["approve", "hold"]
    assert fx.balance(anna) == 0
    finance = make_user("finance@example.org", "finance")
    with pytest.raises(review.ReviewConflict):
        paid_now(review.claim_release, staff=finance, claim_id=claim.pk)
    with pytest.raises(NotAllowed):  # reviewers do not release holds
        paid_now(review.claim_release, staff=reviewer, claim_id=claim.pk)
    fx.mint(poor.budget_id, 1_000)
    paid_now(review.claim_release, staff=finance, claim_id=claim.pk)
    assert state(claim) == (ClaimStatus.PAID, "")
    assert fx.balance(anna) == 500


def test_release_refuses_a_claim_not_on_hold(task, anna, reviewer):
    admin = make_user("admin@example.org", "admin")
    claim = fx.submitted(task, anna)
    with pytest.raises(review.ReviewConflict):
        review.claim_release(staff=admin, claim_id=claim.pk)
    assert kinds(claim) == []


@override_settings(REWARDS_SECOND_APPROVAL_ABOVE=2_500)
def test_bulk_approval_reports_each_claim_and_pays_in_one_batch(
    campaign, manager, anna, reviewer, paid_now
):
    bram = fx.resident("bram@example.org")
    olga = fx.resident("olga@example.org", verified=False)
    task = fx.task(campaign, manager)
    ok1, ok2 = fx.submitted(task, anna), fx.submitted(task, bram)
    unverified = fx.submitted(task, olga)
    big = fx.submitted(fx.task(campaign, manager, reward=3_000), bram)
    own_task = fx.submitted(fx.task(campaign, reviewer), anna)
    rejected = fx.submitted(task, anna)
    review.claim_reject(staff=reviewer, claim_id=rejected.pk, reason="Not done.")

    ids = [ok1.pk, ok2.pk, unverified.pk, big.pk, own_task.pk, rejected.pk, 999999, ok1.pk]
    results = paid_now(review.claims_bulk_approve, staff=reviewer, claim_ids=ids)
    by_claim = {r.claim_id: (r.outcome, r.code) for r in results}
    assert [r.claim_id for r in results] == ids[:-1]  # each once, in the order asked
    assert by_claim == {
        ok1.pk: ("approved", ""),
        ok2.pk: ("approved", ""),
        unverified.pk: ("held", ""),
        big.pk: ("awaiting_second_approval", ""),
        own_task.pk: ("refused", "not-allowed"),
        rejected.pk: ("refused", "review-conflict"),
        999999: ("refused", "not-found"),
    }
    assert state(ok1)[0] == state(ok2)[0] == ClaimStatus.PAID
    assert state(unverified) == (ClaimStatus.APPROVED, HOLD_UNVERIFIED)
    assert state(big) == (ClaimStatus.SUBMITTED, "")
    assert state(own_task) == (ClaimStatus.SUBMITTED, "")
    assert kinds(own_task) == []
    payouts = Transfer.objects.filter(kind="payout")
    assert sorted(payouts.values_list("idempotency_key", flat=True)) == sorted(
        [f"payout:{ok1.pk}", f"payout:{ok2.pk}"]
    )
    # One batch: both transfers were posted in one database transaction.
    assert len(set(payouts.values_list("txid", flat=True))) == 1
    assert (fx.balance(anna), fx.balance(bram)) == (500, 500)
    assert ledger_verify().ok


def test_bulk_approval_of_nothing_or_too_much_is_refused(reviewer):
    with pytest.raises(review.ReviewRefused):
        review.claims_bulk_approve(staff=reviewer, claim_ids=[])
    with pytest.raises(review.ReviewRefused):
        review.claims_bulk_approve(staff=reviewer, claim_ids=list(range(1, 502)))


def test_a_bulk_batch_with_a_short_budget_still_pays_the_others(
    campaign, manager, anna, reviewer, paid_now
):
    poor = fx.campaign(manager, budget=100)
    rich_claim = fx.submitted(fx.task(campaign, manager), anna)
    poor_claim = fx.submitted(fx.task(poor, manager), anna)
    paid_now(review.claims_bulk_approve, staff=reviewer, claim_ids=[rich_claim.pk, poor_claim.pk])
    assert state(rich_claim) == (ClaimStatus.PAID, "")
    assert state(poor_claim) == (ClaimStatus.APPROVED, HOLD_BUDGET)
    assert fx.balance(anna) == 500
