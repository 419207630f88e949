"""The payout service, exactly once: repeated runs, concurrent runs (real threads against
PostgreSQL), a claim update lost after the ledger posted, the annual cap rechecked at payout."""

import pytest
from django.test import override_settings

from ledger import services as ledger_services
from ledger.models import Transfer
from ledger.verify import ledger_verify
from rewards import payouts
from rewards.models import Claim, ClaimDecision, ClaimStatus
from rewards.payouts import HOLD_ANNUAL_CAP, PayoutOutcome
from tests.concurrency import outcomes, run_together
from tests.helpers import make_user
from tests.rewards import review_fixtures as fx


def approved(task, user, reviewer):
    claim = fx.submitted(task, user)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.APPROVED, reviewed_by=reviewer)
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def world(db):
    manager = make_user("manager@example.org", "task_manager")
    reviewer = make_user("reviewer@example.org", "reviewer")
    task = fx.task(fx.campaign(manager), manager)
    return task, reviewer, fx.resident("anna@example.org")


def test_paying_twice_pays_once(world):
    task, reviewer, anna = world
    claim = approved(task, anna, reviewer)
    assert payouts.claim_pay(claim_id=claim.pk) == PayoutOutcome.PAID
    assert payouts.claim_pay(claim_id=claim.pk) == PayoutOutcome.ALREADY_PAID
    assert payouts.claims_pay_batch(claim_ids=[claim.pk]) == {claim.pk: PayoutOutcome.ALREADY_PAID}
    assert Transfer.objects.filter(kind="payout").count() == 1
    assert ClaimDecision.objects.filter(claim=claim, kind="pay").count() == 1
    assert fx.balance(anna) == 500


def test_claims_not_approved_or_held_are_not_paid(world):
    task, reviewer, anna = world
    submitted = fx.submitted(task, anna)
    held = approved(task, anna, reviewer)
    Claim.objects.filter(pk=held.pk).update(hold_reason=HOLD_ANNUAL_CAP)
    for claim in (submitted, held):
        assert payouts.claim_pay(claim_id=claim.pk) == PayoutOutcome.SKIPPED
    assert payouts.claim_pay(claim_id=424242) == PayoutOutcome.SKIPPED
    assert not Transfer.objects.filter(kind="payout").exists()


def test_a_lost_claim_update_does_not_pay_again(world):
    """The ledger posted, but the claim was not marked paid (as if that update were lost): the
    next run finds the transfer by its idempotency key and marks the claim paid with it."""
    task, reviewer, anna = world
    claim = approved(task, anna, reviewer)
    first = ledger_services.transfer_post(
        kind="payout",
        legs=ledger_services.legs_between(
            source_id=task.campaign.budget_id, destination_id=anna.resident.wallet_id, amount=500
        ),
        idempotency_scope="rewards",
        idempotency_key=f"payout:{claim.pk}",
        metadata={"claim": claim.pk, "task": task.pk},
    )
    assert payouts.claim_pay(claim_id=claim.pk) == PayoutOutcome.PAID
    claim.refresh_from_db()
    assert claim.payout_transfer_id == first.pk
    assert Transfer.objects.filter(kind="payout").count() == 1
    assert fx.balance(anna) == 500


@override_settings(REWARDS_ANNUAL_CAP=900)
def test_the_cap_is_checked_again_when_paying(world):
    """Two claims approved while nothing was paid yet: the second payout would pass the cap."""
    task, reviewer, anna = world
    first, second = approved(task, anna, reviewer), approved(task, anna, reviewer)
    assert payouts.claims_pay_batch(claim_ids=[first.pk, second.pk]) == {
        first.pk: PayoutOutcome.PAID,
        second.pk: PayoutOutcome.HELD,
    }
    second.refresh_from_db()
    assert (second.status, second.hold_reason) == (ClaimStatus.APPROVED, HOLD_ANNUAL_CAP)
    assert fx.balance(anna) == 500


@pytest.mark.django_db(transaction=True)
def test_concurrent_payouts_of_one_claim_pay_once():
    manager = make_user("manager@example.org", "task_manager")
    reviewer = make_user("reviewer@example.org", "reviewer")
    task = fx.task(fx.campaign(manager), manager)
    anna = fx.resident("anna@example.org")
    claims = [approved(task, anna, reviewer) for _ in range(3)]
    jobs = [(c.pk, batch) for c in claims for batch in (False, True)]

    def run(i: int) -> list[PayoutOutcome]:
        claim_id, batch = jobs[i]
        if batch:
            return list(payouts.claims_pay_batch(claim_ids=[claim_id]).values())
        return [payouts.claim_pay(claim_id=claim_id)]

    results = run_together(len(jobs), run)
    assert outcomes(results) == ["ok"] * len(jobs)
    paid = sorted(o for r in results for o in r)
    assert paid == sorted([PayoutOutcome.PAID, PayoutOutcome.ALREADY_PAID] * 3)
    assert Transfer.objects.filter(kind="payout").count() == 3
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.PAID}
    assert fx.balance(anna) == 1_500
    assert ledger_verify().ok


def test_the_sweep_pays_approved_claims_whose_task_never_ran_once(world):
    task, reviewer, anna = world
    lost = [approved(task, anna, reviewer) for _ in range(3)]
    held = approved(task, anna, reviewer)
    Claim.objects.filter(pk=held.pk).update(hold_reason=HOLD_ANNUAL_CAP)
    assert payouts.payouts_sweep() == 3
    assert payouts.payouts_sweep() == 0  # nothing left: a second sweep pays nothing
    for claim in lost:
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PAID
    held.refresh_from_db()
    assert held.status == ClaimStatus.APPROVED  # a held claim waits for its release
    assert fx.balance(anna) == 3 * 500
    assert Transfer.objects.filter(kind="payout").count() == 3


def test_a_broker_down_at_approval_never_fails_the_approval_and_the_sweep_pays(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError as BrokerDown

    from rewards import review, tasks

    task, reviewer, anna = world
    claim = fx.submitted(task, anna)

    def broker_down(*args, **kwargs):
        raise BrokerDown("the broker is unreachable")

    monkeypatch.setattr(tasks.payout_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        decided, _outcome = review.claim_approve(staff=reviewer, claim_id=claim.pk)
    assert decided.status == ClaimStatus.APPROVED
    assert fx.balance(anna) == 0  # not paid yet: the payout message never left
    assert payouts.payouts_sweep() == 1
    assert fx.balance(anna) == 500
