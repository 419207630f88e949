"""Residents' claims: reserve a slot, withdraw, submit evidence; reservations that were never
submitted expire. Claims hold slots of their task (reserved, submitted, approved, paid).

Concurrency: reserving increments `slots_taken` with one UPDATE guarded by
`slots_taken < capacity` (the database CHECK backs it up). The UPDATE also locks the task row
until commit, so the per-resident count that follows is serialised per task: fifty residents
claiming ten slots at once get exactly ten reservations, and one resident clicking twice gets
no more than the task's per-resident limit. Ending a claim that held a slot gives it back
with `slot_release` in the same transaction.

Submitting evidence is the expensive request (photos are decoded), so everything cheap comes
first: the resident's submission limit (REWARDS_SUBMITS_PER_HOUR, counted before anything is
looked at), then that the claim is theirs, still reserved and not expired, and the hourly cap
across their claims; only then are photos decoded, outside any lock. Under the resident's lock
(their user row, FOR NO KEY UPDATE, taken before the claim's as deleting an account does) the
state and the hourly cap are checked again, so two submissions at once cannot both use the
same hour.

The hourly cap across claims: a claim stands for its task's estimated minutes of work, ending
when its evidence was sent. Claims of one resident whose work times overlap (sent, approved or
paid) may together pay at most the year's hourly cap (rewards.earning) per hour of the time
they cover together. A claim alone is held to its task's own rule (reward <= cap x estimated
minutes / 60, see rewards.work); fourteen places reserved at once must be sent one work time apart.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import ResidentProfile, Role, User
from accounts.permissions import has_role
from core.counters import window_take
from core.money import amount_format

from . import earning, fraud
from . import evidence as evidence_module
from .errors import (
    ClaimRefused,
    EvidenceRefused,
    NotAllowed,
    NotFound,
    TaskFull,
    TooManySubmissions,
)
from .models import SLOT_HOLDING, CampaignStatus, Claim, ClaimStatus, Task, TaskStatus
from .selectors import claim_reservation_deadline
from .transitions import claim_transition, claims_transition

NOTE_MAX = 2000
SUBMIT_WINDOW_SECONDS = 3600  # REWARDS_SUBMITS_PER_HOUR counts per hour
# The claims whose work counts towards the hourly cap: sent, and paid or on the way to it.
WORK_COUNTED = (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED, ClaimStatus.PAID)


def _resident(user: User) -> None:
    if (
        not has_role(user, (Role.RESIDENT,))
        or not ResidentProfile.objects.filter(user=user).exists()
    ):
        raise NotAllowed(_("Only residents can claim tasks."))


def claim_reserve(*, user: User, task_id: int, now: datetime | None = None) -> Claim:
    """Reserve a slot on a published task for a resident (verified or not: unverified residents
    are paid once verified). Never oversubscribes the task, never gives a resident more
    slot-holding claims on it than its per-resident limit. The claim's amount is the reward now.
    """
    _resident(user)
    now = now or timezone.now()
    with transaction.atomic():
        # Only the task's own columns: a join would make Django update through a subquery,
        # which PostgreSQL does not re-check after waiting for the row lock. (A published task
        # belongs to an active campaign: closing the campaign closes its tasks.)
        taken = Task.objects.filter(
            pk=task_id,
            status=TaskStatus.PUBLISHED,
            starts_at__lte=now,
            ends_at__gt=now,
            slots_taken__lt=F("capacity"),
        ).update(slots_taken=F("slots_taken") + 1)
        if not taken:
            task = Task.objects.filter(pk=task_id).select_related("campaign").first()
            if task is None or task.status == TaskStatus.DRAFT:
                raise NotFound(_("There is no such task."))
            if (
                task.status != TaskStatus.PUBLISHED
                or task.campaign.status != CampaignStatus.ACTIVE
                or not task.starts_at <= now < task.ends_at
            ):
                raise ClaimRefused(_("This task is not open for claims now."))
            raise TaskFull(_("Every place on this task is taken."))
        # The UPDATE holds the task's row lock until commit: this count sees every other
        # committed claim on the task and no one can add one meanwhile.
        task = Task.objects.get(pk=task_id)
        mine = Claim.objects.filter(task=task, resident=user, status__in=SLOT_HOLDING).count()
        if mine >= task.per_resident_limit:
            raise ClaimRefused(
                _("You already hold as many claims on this task as one person may (%(n)d).")
                % {"n": task.per_resident_limit}
            )
        return Claim.objects.create(task=task, resident=user, amount=task.reward)


def slot_release(claim: Claim) -> None:
    """Give the claim's slot back to its task. Call inside the transaction that moves the claim
    out of a slot-holding state (reject, withdraw, expire), with the claim row locked."""
    assert connection.in_atomic_block, "slot_release must run inside the caller's transaction"
    Task.objects.filter(pk=claim.task_id, slots_taken__gt=0).update(
        slots_taken=F("slots_taken") - 1
    )


def claims_release_locked(
    qs: QuerySet[Claim], *, status: str, now: datetime, skip_locked: bool = True
) -> int:
    """Move the claims of `qs` to `status` and give their slots back, inside the caller's
    transaction; returns how many moved. The claims are locked here: with `skip_locked`, those
    another transaction holds (a submission under way) are left alone; without, this waits and
    the filter of `qs` is checked again on what that transaction committed."""
    locked = list(
        qs.select_for_update(skip_locked=skip_locked, of=("self",)).only("pk", "task", "status")
    )
    if not locked:
        return 0
    for claim in locked:
        claim.closed_at = now
    claims_transition(claims=locked, to=status, fields=("closed_at",))
    for task_id, count in sorted(Counter(claim.task_id for claim in locked).items()):
        Task.objects.filter(pk=task_id).update(slots_taken=F("slots_taken") - count)
    return len(locked)


def _locked_claim(user: User, claim_id: int) -> Claim:
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("task")
        .filter(pk=claim_id, resident=user)
        .first()
    )
    if claim is None:
        raise NotFound(_("There is no such claim."))
    return claim


def claim_withdraw(*, user: User, claim_id: int) -> Claim:
    """The resident gives up a reserved or submitted claim; its slot is freed."""
    with transaction.atomic():
        claim = _locked_claim(user, claim_id)
        if claim.status not in (ClaimStatus.RESERVED, ClaimStatus.SUBMITTED):
            raise ClaimRefused(_("Only a reserved or submitted claim can be withdrawn."))
        claim.closed_at = timezone.now()
        claim_transition(claim=claim, to=ClaimStatus.WITHDRAWN, fields=("closed_at",))
        slot_release(claim)
    return claim


def _coordinate(value: Any, *, field: str, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except ArithmeticError:
        raise EvidenceRefused(_("This must be a number."), field=field) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise EvidenceRefused(
            _("Between %(low)d and %(high)d.") % {"low": -limit, "high": limit}, field=field
        )
    return number


def _submit_attempt_take(user_id: int) -> None:
    """Count this submission against the resident's hourly limit before anything is looked at
    or decoded (an atomic increment, so parallel uploads cannot all pass a check made before
    any of them counted); refuse once REWARDS_SUBMITS_PER_HOUR is passed."""
    taken = window_take(f"rewards:submits:{user_id}", SUBMIT_WINDOW_SECONDS)
    limit = int(settings.REWARDS_SUBMITS_PER_HOUR)
    if taken > limit:
        raise TooManySubmissions(
            _(
                "You have sent evidence %(n)d times in the past hour, as often as one person "
                "may. Try again later."
            )
            % {"n": limit}
        )


@dataclass(frozen=True, slots=True)
class _Work:
    """A claim's work as the hourly cap sees it: what it pays, and the time it stands for."""

    amount: int
    start: datetime
    end: datetime


def _work_free_at(*, amount: int, minutes: int, others: Sequence[_Work], now: datetime) -> datetime:
    """The first moment from `now` at which sending a claim that pays `amount` for `minutes` of
    work keeps the hourly cap: the claims of `others` that overlap its work time (the minutes
    before sending it), together with it, pay at most the year's hourly cap per hour of the time
    they cover. Sending later only moves its work time later, so fewer claims overlap."""
    cap = earning.rules_now().hourly_cap
    work = timedelta(minutes=minutes)
    moment = now
    while True:
        start = moment - work
        overlapping = [other for other in others if other.end > start]
        if not overlapping:
            return moment
        total = amount + sum(other.amount for other in overlapping)
        needed = timedelta(seconds=math.ceil(total * 3600 / cap))
        first = min(other.start for other in overlapping)
        covered = moment - min(first, start)
        if covered >= needed:
            return moment
        # Wait until these claims cover enough time together, or until the first of them no
        # longer overlaps, whichever comes first (or, while they all lie inside this claim's
        # work time, until the earliest of them starts it); then look again.
        drops = min(other.end for other in overlapping) + work
        moment = min(first + needed if first <= start else first + work, drops)


def _hourly_cap_check(claim: Claim, now: datetime) -> None:
    """Refuse (saying from when it can be sent) a claim whose work time overlaps the resident's
    other sent, approved or paid claims by more than the year's hourly cap allows."""
    minutes = claim.task.estimated_minutes
    rows = (
        Claim.objects.filter(
            resident_id=claim.resident_id,
            status__in=WORK_COUNTED,
            submitted_at__gt=now - timedelta(minutes=minutes),
        )
        .exclude(pk=claim.pk)
        .values_list("amount", "submitted_at", "task__estimated_minutes")
    )
    others = [
        _Work(amount=amount, start=end - timedelta(minutes=length), end=end)
        for amount, end, length in rows
        if end is not None  # every claim in these states was sent
    ]
    free_at = _work_free_at(amount=claim.amount, minutes=minutes, others=others, now=now)
    if free_at > now:
        # Shown to the minute, rounded up: sending at the minute shown passes.
        shown = (free_at + timedelta(seconds=59)).replace(second=0, microsecond=0)
        raise ClaimRefused(
            _(
                "You sent evidence for other tasks shortly before. Together with this one, that "
                "would pay more than %(cap)s tokens per hour of work. You can send this "
                "evidence at %(time)s or later."
            )
            % {
                "cap": amount_format(earning.rules_now().hourly_cap),
                "time": date_format(timezone.localtime(shown), "SHORT_DATETIME_FORMAT"),
            }
        )


def _resident_lock(user_id: int) -> None:
    """Hold the resident's user row until commit (FOR NO KEY UPDATE, taken before any claim, as
    deleting the account does): the resident's submissions queue, so the hourly cap each one
    checks sees the others; rows that only point at the person can still be written."""
    list(User.objects.select_for_update(no_key=True).filter(pk=user_id).values_list("pk"))


def _check_submittable(claim: Claim, now: datetime) -> None:
    """Evidence may be sent for a reserved claim that has not expired, within the hourly cap."""
    if claim.status != ClaimStatus.RESERVED:
        raise ClaimRefused(_("Evidence can only be submitted for a reserved claim."))
    if now >= claim_reservation_deadline(claim):
        raise ClaimRefused(_("Your reservation has expired."))
    _hourly_cap_check(claim, now)


def claim_submit(
    *,
    user: User,
    claim_id: int,
    photos: Sequence[IO[bytes] | Any] = (),
    note: str = "",
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
) -> Claim:
    """Submit evidence for a reserved claim: photos (decoded and re-encoded without metadata,
    see rewards.evidence), a note of at most 2000 characters and an optional location, as the
    task's evidence rules require. All photos and the state change commit together; when
    anything fails nothing is kept, files included. At most REWARDS_SUBMITS_PER_HOUR attempts
    per resident; who owns the claim, its state and the hourly cap are checked before any photo
    is decoded, and again under the resident's lock."""
    _submit_attempt_take(user.pk)
    note = (note or "").strip()
    if len(note) > NOTE_MAX or "\x00" in note:
        raise EvidenceRefused(_("At most %(max)d characters.") % {"max": NOTE_MAX}, field="note")
    lat = _coordinate(latitude, field="latitude", limit=90)
    lon = _coordinate(longitude, field="longitude", limit=180)
    if (lat is None) != (lon is None):
        raise EvidenceRefused(_("Give both latitude and longitude, or neither."), field="latitude")
    claim = Claim.objects.select_related("task").filter(pk=claim_id, resident=user).first()
    if claim is None:
        raise NotFound(_("There is no such claim."))
    _check_submittable(claim, timezone.now())
    task = claim.task
    if task.photo_required and not photos:
        raise EvidenceRefused(_("This task asks for at least one photo."), field="photos")
    if task.note_required and not note:
        raise EvidenceRefused(_("This task asks for a note."), field="note")
    if task.location_required and lat is None:
        raise EvidenceRefused(_("This task asks for the location."), field="latitude")
    processed = evidence_module.photos_process(photos)  # slow work before any lock
    prints = fraud.photos_fingerprint(photo.content for photo in processed)
    written: list[str] = []
    try:
        with transaction.atomic():
            _resident_lock(user.pk)
            claim = _locked_claim(user, claim_id)
            now = timezone.now()
            _check_submittable(claim, now)
            records = evidence_module.photos_store(claim=claim, photos=processed, written=written)
            claim.submitted_at = now
            claim.note = note
            claim.latitude, claim.longitude = lat, lon
            claim_transition(
                claim=claim,
                to=ClaimStatus.SUBMITTED,
                fields=("submitted_at", "note", "latitude", "longitude"),
            )
            fraud.claim_flags_record(claim=claim, evidence=records, prints=prints, now=now)
    except BaseException:
        evidence_module.photos_discard(written)
        raise
    return claim


def claims_expire(*, now: datetime | None = None, batch: int = 500) -> int:
    """Expire reserved claims older than REWARDS_RESERVATION_HOURS and free their slots, in
    batches of `batch` (claims being submitted at this moment are skipped, not waited for).
    Returns how many expired."""
    now = now or timezone.now()
    # Pick-up hours only make a deadline later: every claim past it is older than the cutoff.
    cutoff = now - timedelta(hours=int(settings.REWARDS_RESERVATION_HOURS))
    total, after = 0, 0
    while True:
        with transaction.atomic():
            candidates = list(
                Claim.objects.select_related("task")
                .filter(status=ClaimStatus.RESERVED, reserved_at__lt=cutoff, pk__gt=after)
                .order_by("id")[:batch]
            )
            due = [c.pk for c in candidates if claim_reservation_deadline(c) <= now]
            moved = claims_release_locked(
                Claim.objects.filter(pk__in=due, status=ClaimStatus.RESERVED),
                status=ClaimStatus.EXPIRED,
                now=now,
            )
        total += moved
        if len(candidates) < batch:
            return total
        after = candidates[-1].pk
