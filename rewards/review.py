"""Reviewing claims: approve, reject, bulk approve, the second approval, and holds (the queues
and a claim's stage are reads: rewards.selectors).

Rules kept here (the API and pages only call these):
- Reviewers (role reviewer or admin) see submitted claims oldest first and approve or reject
  them; a rejection carries a reason (1 to 500 characters) the resident reads. Nobody reviews
  their own claim or a claim on a task they created.
- Above REWARDS_SECOND_APPROVAL_ABOVE the reviewer's approval is the first step: the claim
  stays submitted until a second approver (role approver or admin), who is neither the reviewer
  nor the resident, approves it too (the database refuses the same person as well).
- A final approval pays the claim through Celery after commit, unless it must wait: an
  unverified resident's claim is held until the residency is verified (then it is released and
  paid by itself: rewards.receivers); a claim that would take the resident over the annual cap
  this calendar year is held and never paid this year (staff may release it from 1 January,
  when the new year's total allows it). A budget that cannot pay holds the claim at payout;
  staff release it once the budget is topped up.
- Every decision is kept (ClaimDecision: who, when, why) and every staff action audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import audit
from accounts.errors import AccountsError, NotAllowed, NotFound
from accounts.models import ResidentProfile, User
from accounts.permissions import roles_of

from .claims import slot_release
from .earning import Earned, claims_earned, rules_now
from .models import Claim, ClaimDecision, ClaimStatus, DecisionKind
from .notify import ClaimEvent, claim_notify, claims_notify
from .payouts import (
    HOLD_BUDGET,
    HOLD_UNVERIFIED,
    claim_hold_reason,
)
from .roles import APPROVER_ROLES, RELEASE_ROLES, REVIEWER_ROLES
from .selectors import campaign_budget_short
from .tasks import payout_batch_task, payout_task
from .transitions import claim_transition

REASON_MAX = 500
BULK_MAX = 500
RELEASED_ON_VERIFICATION = gettext_noop("The resident's residency was verified.")


class ReviewRefused(AccountsError, code="review-refused"):
    """The request can never succeed as asked (no reason, a reason too long)."""


class ReviewConflict(AccountsError, code="review-conflict", status=409):
    """The claim's state refuses the request now (not submitted, not on hold, still held)."""


class Outcome(StrEnum):
    APPROVED = "approved"  # finally approved; the payout is queued
    HELD = "held"  # finally approved but on hold
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    REJECTED = "rejected"
    REFUSED = "refused"


# --- checks -------------------------------------------------------------------------------


def _require(staff: User, roles: frozenset[str], message: str) -> None:
    if not roles_of(staff) & roles:
        raise NotAllowed(message)


def _check_not_involved(staff: User, claim: Claim) -> None:
    if claim.resident_id == staff.pk:
        raise NotAllowed(_("Nobody reviews their own claim."))
    if claim.task.created_by_id == staff.pk:
        raise NotAllowed(_("Nobody reviews a claim on a task they created."))


def _check_stage_role(staff: User, claim: Claim) -> None:
    if claim.reviewed_by_id is None:
        _require(staff, REVIEWER_ROLES, _("Only reviewers and administrators review claims."))
        return
    _require(
        staff,
        APPROVER_ROLES,
        _("This claim needs a second approval, by an approver or an administrator."),
    )
    if claim.reviewed_by_id == staff.pk:
        raise NotAllowed(_("The second approval must come from someone other than the reviewer."))


def _lock(claim_id: int) -> Claim:
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("task", "task__campaign", "resident")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None:
        raise NotFound(_("There is no such claim."))
    return claim


def _check_submitted(claim: Claim) -> None:
    if claim.status != ClaimStatus.SUBMITTED:
        raise ReviewConflict(
            _("Only submitted claims can be decided; this one is %(status)s.")
            % {"status": claim.get_status_display()}
        )


def _check_decidable(staff: User, claim: Claim) -> None:
    """`staff` may decide this claim now: it is submitted, neither theirs nor on a task they
    created, and their role is the one its stage (review or second approval) asks for."""
    _check_submitted(claim)
    _check_not_involved(staff, claim)
    _check_stage_role(staff, claim)


# --- approve ------------------------------------------------------------------------------


@dataclass
class _Approval:
    outcome: Outcome
    notify: ClaimEvent | None


def _approve_locked(*, staff: User, claim: Claim, paid: Earned) -> _Approval:
    """Approve a locked, submitted claim (checks done); the caller enqueues the payout."""
    now = timezone.now()
    if claim.reviewed_by_id is None:
        claim.reviewed_by, claim.reviewed_at = staff, now
        ClaimDecision.objects.create(claim=claim, actor=staff, kind=DecisionKind.APPROVE)
        audit.record(actor=staff, action="claim.approve", target=claim)
        if claim.amount > settings.REWARDS_SECOND_APPROVAL_ABOVE:
            claim.save(update_fields=["reviewed_by", "reviewed_at"])
            return _Approval(Outcome.AWAITING_SECOND_APPROVAL, None)
    else:
        claim.approved_by, claim.approved_at = staff, now
        ClaimDecision.objects.create(claim=claim, actor=staff, kind=DecisionKind.SECOND_APPROVE)
        audit.record(actor=staff, action="claim.second_approve", target=claim)
    profile = ResidentProfile.objects.filter(user_id=claim.resident_id).first()
    claim.hold_reason = claim_hold_reason(
        claim=claim, profile=profile, paid=paid, rules=rules_now()
    )
    claim_transition(
        claim=claim,
        to=ClaimStatus.APPROVED,
        fields=("reviewed_by", "reviewed_at", "approved_by", "approved_at", "hold_reason"),
    )
    if claim.hold_reason:
        ClaimDecision.objects.create(
            claim=claim, actor=None, kind=DecisionKind.HOLD, reason=claim.hold_reason
        )
        return _Approval(Outcome.HELD, ClaimEvent.HELD)
    return _Approval(Outcome.APPROVED, ClaimEvent.APPROVED)


def claim_approve(*, staff: User, claim_id: int) -> tuple[Claim, Outcome]:
    """Approve a submitted claim: the review, or the second approval above the threshold.

    A final approval queues the payout after commit, or holds the claim (residency not
    verified, annual cap) with a reason. The resident is told either way.
    """
    _require(staff, REVIEWER_ROLES | APPROVER_ROLES, _("Your role does not allow this."))
    with transaction.atomic():
        claim = _lock(claim_id)
        _check_decidable(staff, claim)
        paid = claims_earned(resident_ids=[claim.resident_id]).get(claim.resident_id, Earned())
        approval = _approve_locked(staff=staff, claim=claim, paid=paid)
        if approval.notify is not None:
            claim_notify(claim=claim, event=approval.notify)
        if approval.outcome == Outcome.APPROVED:
            # robust: a broker that is down never fails the approval that committed; the
            # periodic payouts sweep pays the claim instead.
            transaction.on_commit(lambda: payout_task.delay(claim.pk), robust=True)
    return claim, approval.outcome


@dataclass(frozen=True)
class BulkResult:
    claim_id: int
    outcome: Outcome
    code: str = ""
    detail: str = ""


def _bulk_ids(claim_ids: Sequence[int], refusal: str) -> list[int]:
    """The distinct claims asked for, in their order: 1 to BULK_MAX of them, else `refusal`."""
    ids = list(dict.fromkeys(claim_ids))
    if not 0 < len(ids) <= BULK_MAX:
        raise ReviewRefused(refusal, field="claims")
    return ids


def _bulk_lock(ids: Sequence[int]) -> list[Claim]:
    """The claims, locked in id order (so two bulk decisions never deadlock)."""
    return list(
        Claim.objects.select_for_update(of=("self",))
        .select_related("task", "task__campaign", "resident")
        .filter(pk__in=ids)
        .order_by("pk")
    )


def _bulk_refused(staff: User, claim: Claim) -> BulkResult | None:
    """Why one claim of a bulk decision is refused, as deciding it alone would refuse it; None
    when it may be decided."""
    try:
        _check_decidable(staff, claim)
    except AccountsError as exc:
        return BulkResult(claim.pk, Outcome.REFUSED, exc.code, exc.message)
    return None


def _bulk_answer(ids: list[int], results: dict[int, BulkResult]) -> list[BulkResult]:
    """A result for each claim asked for, in order; one not found is refused as not there."""
    missing = NotFound(_("There is no such claim."))
    return [
        results.get(i) or BulkResult(i, Outcome.REFUSED, missing.code, missing.message) for i in ids
    ]


def claims_bulk_approve(*, staff: User, claim_ids: Sequence[int]) -> list[BulkResult]:
    """Approve many claims at once, each checked as `claim_approve` checks it; says per claim
    what happened. The claims finally approved are paid together by one Celery task that posts
    all their transfers in one ledger batch. A claim refused changes nothing of the others."""
    _require(staff, REVIEWER_ROLES | APPROVER_ROLES, _("Your role does not allow this."))
    ids = _bulk_ids(claim_ids, _("Approve 1 to %(max)d claims at once.") % {"max": BULK_MAX})
    results: dict[int, BulkResult] = {}
    with transaction.atomic():
        claims = _bulk_lock(ids)
        paid = claims_earned(resident_ids=sorted({c.resident_id for c in claims}))
        to_pay: list[int] = []
        events: dict[ClaimEvent, list[Claim]] = {}
        for claim in claims:
            refused = _bulk_refused(staff, claim)
            if refused is not None:
                results[claim.pk] = refused
                continue
            approval = _approve_locked(
                staff=staff, claim=claim, paid=paid.get(claim.resident_id, Earned())
            )
            results[claim.pk] = BulkResult(claim.pk, approval.outcome)
            if approval.notify is not None:
                events.setdefault(approval.notify, []).append(claim)
            if approval.outcome == Outcome.APPROVED:
                # Later claims of this resident in the bulk count this one as paid.
                paid[claim.resident_id] = paid.get(claim.resident_id, Earned()).plus(claim.amount)
                to_pay.append(claim.pk)
        for event, decided in events.items():
            claims_notify(claims=decided, event=event)
        if to_pay:
            transaction.on_commit(lambda: payout_batch_task.delay(to_pay), robust=True)
    return _bulk_answer(ids, results)


# --- reject -------------------------------------------------------------------------------


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused(_("Say why the claim is rejected."), field="reason")
    if len(reason) > REASON_MAX:
        raise ReviewRefused(
            _("A reason has at most %(max)d characters.") % {"max": REASON_MAX}, field="reason"
        )
    if "\x00" in reason:
        raise ReviewRefused(_("A reason cannot contain a NUL character."), field="reason")
    return reason


def _reject_locked(*, staff: User, claim: Claim, reason: str) -> None:
    """Reject a locked, submitted claim (checks done) and free its slot."""
    now = timezone.now()
    if claim.reviewed_by_id is None:
        claim.reviewed_by, claim.reviewed_at = staff, now
    claim.rejection_reason, claim.closed_at = reason, now
    claim_transition(
        claim=claim,
        to=ClaimStatus.REJECTED,
        fields=("rejection_reason", "closed_at", "reviewed_by", "reviewed_at"),
    )
    slot_release(claim)
    ClaimDecision.objects.create(claim=claim, actor=staff, kind=DecisionKind.REJECT, reason=reason)
    audit.record(actor=staff, action="claim.reject", target=claim, detail={"reason": reason})


def claim_reject(*, staff: User, claim_id: int, reason: str) -> Claim:
    """Reject a submitted claim with a reason the resident reads (1 to 500 characters); its
    slot is freed. At the second stage the second approver may reject it too."""
    _require(staff, REVIEWER_ROLES | APPROVER_ROLES, _("Your role does not allow this."))
    reason = _clean_reason(reason)
    with transaction.atomic():
        claim = _lock(claim_id)
        _check_decidable(staff, claim)
        _reject_locked(staff=staff, claim=claim, reason=reason)
        claim_notify(claim=claim, event=ClaimEvent.REJECTED)
    return claim


def claims_bulk_reject(*, staff: User, claim_ids: Sequence[int], reason: str) -> list[BulkResult]:
    """Reject many claims with one reason, each checked as `claim_reject` checks it (one
    transaction, rows locked in id order); says per claim what happened. A claim refused
    changes nothing of the others."""
    _require(staff, REVIEWER_ROLES | APPROVER_ROLES, _("Your role does not allow this."))
    reason = _clean_reason(reason)
    ids = _bulk_ids(claim_ids, _("Reject 1 to %(max)d claims at once.") % {"max": BULK_MAX})
    results: dict[int, BulkResult] = {}
    with transaction.atomic():
        claims = _bulk_lock(ids)
        rejected = []
        for claim in claims:
            refused = _bulk_refused(staff, claim)
            if refused is not None:
                results[claim.pk] = refused
                continue
            _reject_locked(staff=staff, claim=claim, reason=reason)
            results[claim.pk] = BulkResult(claim.pk, Outcome.REJECTED)
            rejected.append(claim)
        if rejected:
            claims_notify(claims=rejected, event=ClaimEvent.REJECTED)
    return _bulk_answer(ids, results)


# --- holds --------------------------------------------------------------------------------


def claim_release(*, staff: User, claim_id: int) -> Claim:
    """Lift a hold where its reason no longer applies, and pay the claim (after commit).

    Refused while the reason still holds: the residency not verified (verification releases
    the claim by itself), the hourly rate, the monthly or the annual cap (so a cap hold can be
    released from the next month or 1 January, and counts towards it), the budget still short.
    """
    _require(staff, RELEASE_ROLES, _("Only approvers, finance and administrators release claims."))
    with transaction.atomic():
        claim = _lock(claim_id)
        if claim.status != ClaimStatus.APPROVED or not claim.hold_reason:
            raise ReviewConflict(_("This claim is not on hold."))
        _check_not_involved(staff, claim)
        profile = ResidentProfile.objects.filter(user_id=claim.resident_id).first()
        paid = claims_earned(resident_ids=[claim.resident_id]).get(claim.resident_id, Earned())
        reason = claim_hold_reason(claim=claim, profile=profile, paid=paid, rules=rules_now())
        if not reason and campaign_budget_short(claim=claim):
            reason = HOLD_BUDGET
        if reason:
            raise ReviewConflict(_("The hold still applies. %(reason)s") % {"reason": _(reason)})
        previous = claim.hold_reason
        claim.hold_reason = ""
        claim.save(update_fields=["hold_reason"])
        ClaimDecision.objects.create(claim=claim, actor=staff, kind=DecisionKind.RELEASE)
        audit.record(
            actor=staff, action="claim.release", target=claim, detail={"hold_reason": previous}
        )
        transaction.on_commit(lambda: payout_task.delay(claim.pk), robust=True)
    return claim


def claims_release_verified(*, user_id: int) -> list[int]:
    """The resident's residency was verified: release the claims held for it and pay them
    (those that now meet the annual cap are held for that instead). Returns the released ids."""
    released: list[int] = []
    with transaction.atomic():
        claims = list(
            Claim.objects.select_for_update(of=("self",))
            .select_related("task", "resident")
            .filter(resident_id=user_id, status=ClaimStatus.APPROVED, hold_reason=HOLD_UNVERIFIED)
            .order_by("pk")
        )
        if not claims:
            return []
        profile = ResidentProfile.objects.filter(user_id=user_id).first()
        paid = claims_earned(resident_ids=[user_id]).get(user_id, Earned())
        rules = rules_now()
        for claim in claims:
            reason = claim_hold_reason(claim=claim, profile=profile, paid=paid, rules=rules)
            if reason == HOLD_UNVERIFIED:
                continue
            ClaimDecision.objects.create(
                claim=claim, actor=None, kind=DecisionKind.RELEASE, reason=RELEASED_ON_VERIFICATION
            )
            claim.hold_reason = reason
            claim.save(update_fields=["hold_reason"])
            if reason:
                ClaimDecision.objects.create(
                    claim=claim, actor=None, kind=DecisionKind.HOLD, reason=reason
                )
                claim_notify(claim=claim, event=ClaimEvent.HELD)
                continue
            paid = paid.plus(claim.amount)
            released.append(claim.pk)
        if released:
            transaction.on_commit(lambda: payout_batch_task.delay(released), robust=True)
    return released
