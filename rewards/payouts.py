"""Paying approved claims: budget -> wallet through the ledger, exactly once.

A claim is paid inside ONE database transaction that

1. locks the claim row (`SELECT ... FOR UPDATE`): two runs of the same payout queue here, and
   the second finds the claim paid and does nothing;
2. locks the resident's profile: payouts of one resident queue too, so the year's earning rules
   (rewards.earning: the hourly or youth rate per estimated hour, the monthly and the yearly cap)
   are checked against what is really paid this month and year (two claims paid at once cannot
   both slip under a cap);
3. posts the transfer with the idempotency key `rewards:payout:<claim id>`: even if the claim's
   update were lost, a second post returns the first transfer instead of paying again;
4. marks the claim paid (its transfer, the time), records the decision and the notification.

A run that dies half-way (a killed worker) leaves nothing: PostgreSQL rolls the transaction
back and Celery, with `acks_late`, delivers the task again. A claim that cannot be paid is held
with a reason staff and the resident can read (`hold_reason`): residency not verified, above the
resident's hourly rate for the task's estimated hours, over the monthly or the annual cap, the
budget short, an account frozen or closed.

Bulk approvals pay through `claims_pay_batch`: the same steps for many claims, with one
`transfers_post_batch` for all their transfers. Docs: docs/performance.md (payouts).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import ResidentProfile
from ledger import services as ledger_services
from ledger.errors import AccountNotOpen, InsufficientFunds
from ledger.models import Transfer, TransferKind

from .earning import Earned, Rules, claims_earned, rules_now
from .models import Claim, ClaimDecision, ClaimStatus, DecisionKind
from .notify import ClaimEvent, claim_notify, claims_notify
from .transitions import claims_transition

logger = logging.getLogger(__name__)

IDEMPOTENCY_SCOPE = "rewards"

# Hold reasons are stored as these English source sentences and shown translated
# (gettext(claim.hold_reason)) in the reader's language.
HOLD_UNVERIFIED = gettext_noop(
    "On hold until the resident's residency is verified; it is paid as soon as it is."
)
HOLD_ANNUAL_CAP = gettext_noop(
    "On hold: paying it would take the resident's earnings this calendar year over the annual "
    "cap. It is not paid this year; staff can release it from 1 January."
)
HOLD_MONTHLY_CAP = gettext_noop(
    "On hold: paying it would take the resident's earnings this calendar month over the monthly "
    "cap. It is not paid this month; staff can release it from the first of next month."
)
HOLD_HOURLY_RATE = gettext_noop(
    "On hold: it pays more than the resident's hourly rate allows for the task's estimated hours "
    "(under 21 the youth rate applies). Staff can reject it, or release it once the rules allow it."
)
HOLD_BUDGET = gettext_noop(
    "On hold: the campaign's budget cannot pay it now. Staff can release it once the budget "
    "has been topped up."
)
HOLD_ACCOUNT = gettext_noop(
    "On hold: the resident's wallet or the campaign's budget is frozen or closed. Staff can "
    "release it once it is open again."
)


class PayoutOutcome(StrEnum):
    PAID = "paid"
    ALREADY_PAID = "already_paid"
    HELD = "held"
    SKIPPED = "skipped"  # not approved, already held, withdrawn ...: nothing to pay


def claim_hold_reason(
    *, claim: Claim, profile: ResidentProfile | None, paid: Earned, rules: Rules
) -> str:
    """Why an approved claim may not be paid now ("" when it may): only verified residents are
    paid; never more than the resident's hourly rate (the youth rate by their birth year) per
    estimated hour of the task; nobody past the monthly or the annual cap (`paid` this month
    and year + this claim). Held rather than paid less: the amount was approved as it is."""
    if profile is None or profile.residency_verified_at is None:
        return HOLD_UNVERIFIED
    minutes = claim.task.estimated_minutes
    if claim.amount > rules.rate_cap(estimated_minutes=minutes, birth_year=profile.birth_year):
        return HOLD_HOURLY_RATE
    if rules.monthly_cap and paid.month + claim.amount > rules.monthly_cap:
        return HOLD_MONTHLY_CAP
    if paid.year + claim.amount > rules.annual_cap:
        return HOLD_ANNUAL_CAP
    return ""


def claim_hold(*, claim: Claim, reason: str) -> None:
    """Put an approved claim on hold (the caller holds its row lock): the reason, a decision by
    nobody in particular (the rules held it), and word to the resident."""
    claim.hold_reason = reason
    claim.save(update_fields=["hold_reason"])
    ClaimDecision.objects.create(claim=claim, actor=None, kind=DecisionKind.HOLD, reason=reason)
    claim_notify(claim=claim, event=ClaimEvent.HELD)


def _request(claim: Claim, wallet_id: int) -> dict[str, Any]:
    """The payout's ledger request; the same for every run (and for batch and single payouts),
    so a repeated run finds the first transfer instead of conflicting with it."""
    return {
        "kind": TransferKind.PAYOUT,
        "legs": ledger_services.legs_between(
            source_id=claim.task.campaign.budget_id, destination_id=wallet_id, amount=claim.amount
        ),
        "idempotency_scope": IDEMPOTENCY_SCOPE,
        "idempotency_key": f"payout:{claim.pk}",
        "metadata": {"claim": claim.pk, "task": claim.task_id},
        "actor_id": claim.approved_by_id or claim.reviewed_by_id,
    }


def _locked_claims(claim_ids: Sequence[int]) -> list[Claim]:
    return list(
        Claim.objects.select_for_update(of=("self",))
        .select_related("task__campaign", "resident")
        .filter(pk__in=claim_ids)
        .order_by("pk")
    )


def _locked_profiles(resident_ids: Sequence[int]) -> dict[int, ResidentProfile]:
    profiles = ResidentProfile.objects.select_for_update().filter(user_id__in=resident_ids)
    return {p.user_id: p for p in profiles.order_by("pk")}


def _mark_paid(claims: Sequence[Claim], transfers: Sequence[Transfer]) -> None:
    now = timezone.now()
    for claim, transfer in zip(claims, transfers, strict=True):
        claim.payout_transfer, claim.paid_at = transfer, now
    claims_transition(claims=claims, to=ClaimStatus.PAID, fields=("paid_at", "payout_transfer"))
    ClaimDecision.objects.bulk_create(
        ClaimDecision(claim=claim, actor=None, kind=DecisionKind.PAY) for claim in claims
    )


def claim_pay(*, claim_id: int) -> PayoutOutcome:
    """Pay one approved, unheld claim from its campaign's budget into the resident's wallet.

    Exactly once, whatever the number of concurrent or repeated runs (see the module's
    docstring). Never pays an unverified resident, never above the hourly rate, never past the
    monthly or annual cap, never from a budget that cannot pay: those claims are held with a
    reason instead.
    """
    with transaction.atomic():
        found = _locked_claims([claim_id])
        if not found:
            return PayoutOutcome.SKIPPED
        claim = found[0]
        if claim.status == ClaimStatus.PAID:
            return PayoutOutcome.ALREADY_PAID
        if claim.status != ClaimStatus.APPROVED or claim.hold_reason:
            return PayoutOutcome.SKIPPED
        profile = _locked_profiles([claim.resident_id]).get(claim.resident_id)
        paid = claims_earned(resident_ids=[claim.resident_id]).get(claim.resident_id, Earned())
        reason = claim_hold_reason(claim=claim, profile=profile, paid=paid, rules=rules_now())
        if reason:
            claim_hold(claim=claim, reason=reason)
            return PayoutOutcome.HELD
        assert profile is not None
        try:
            transfer = ledger_services.transfer_post(**_request(claim, profile.wallet_id))
        except InsufficientFunds:
            claim_hold(claim=claim, reason=HOLD_BUDGET)
            return PayoutOutcome.HELD
        except AccountNotOpen:
            claim_hold(claim=claim, reason=HOLD_ACCOUNT)
            return PayoutOutcome.HELD
        _mark_paid([claim], [transfer])
        claim_notify(claim=claim, event=ClaimEvent.PAID)
    return PayoutOutcome.PAID


def _pay_batch(claim_ids: Sequence[int]) -> dict[int, PayoutOutcome]:
    outcomes: dict[int, PayoutOutcome] = {}
    with transaction.atomic():
        claims = _locked_claims(claim_ids)
        payable = []
        for claim in claims:
            if claim.status == ClaimStatus.PAID:
                outcomes[claim.pk] = PayoutOutcome.ALREADY_PAID
            elif claim.status != ClaimStatus.APPROVED or claim.hold_reason:
                outcomes[claim.pk] = PayoutOutcome.SKIPPED
            else:
                payable.append(claim)
        resident_ids = sorted({c.resident_id for c in payable})
        profiles = _locked_profiles(resident_ids)
        paid = claims_earned(resident_ids=resident_ids)
        rules = rules_now()
        to_pay = []
        for claim in payable:
            profile = profiles.get(claim.resident_id)
            so_far = paid.get(claim.resident_id, Earned())
            reason = claim_hold_reason(claim=claim, profile=profile, paid=so_far, rules=rules)
            if reason:
                claim_hold(claim=claim, reason=reason)
                outcomes[claim.pk] = PayoutOutcome.HELD
                continue
            paid[claim.resident_id] = so_far.plus(claim.amount)
            to_pay.append(claim)
        transfers = ledger_services.transfers_post_batch(
            requests=[
                ledger_services.TransferRequest(**_request(c, profiles[c.resident_id].wallet_id))
                for c in to_pay
            ]
        )
        if to_pay:
            _mark_paid(to_pay, transfers)
            claims_notify(claims=to_pay, event=ClaimEvent.PAID)
        outcomes.update((c.pk, PayoutOutcome.PAID) for c in to_pay)
    return outcomes


def claims_pay_batch(*, claim_ids: Sequence[int]) -> dict[int, PayoutOutcome]:
    """Pay many approved claims at once (bulk approvals): the rules of `claim_pay` for each, the
    transfers posted with one `transfers_post_batch`, all in one transaction.

    When one budget or wallet cannot take part (short, frozen, closed), the batch as a whole
    would fail; then the claims are paid one by one, so only the claims that cannot be paid
    are held and the others are paid.
    """
    try:
        return _pay_batch(sorted(set(claim_ids)))
    except (InsufficientFunds, AccountNotOpen) as exc:
        logger.info("rewards: a payout batch falls back to single payouts (%s)", exc)
        return {claim_id: claim_pay(claim_id=claim_id) for claim_id in sorted(set(claim_ids))}


SWEEP_BATCH = 500


def payouts_sweep() -> int:
    """Pay finally approved claims that are neither paid nor held: the safety net for a payout
    whose message never reached the broker (it was down when the approval committed) or was
    lost. Paying is exactly once and locks each claim, so running beside the normal payout
    tasks is harmless. Returns how many claims it paid."""
    paid = 0
    while True:
        ids = list(
            Claim.objects.filter(
                status=ClaimStatus.APPROVED, hold_reason="", payout_transfer__isnull=True
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if not ids:
            return paid
        outcomes = claims_pay_batch(claim_ids=ids)
        done = sum(1 for outcome in outcomes.values() if outcome == PayoutOutcome.PAID)
        paid += done
        if len(ids) < SWEEP_BATCH or not done:
            return paid
