"""Residents' claims: reserve a slot, withdraw, submit evidence; reservations that were never
submitted expire. Claims hold slots of their task (reserved, submitted, approved, paid).

Concurrency: reserving increments `slots_taken` with one UPDATE guarded by
`slots_taken < capacity` (the database CHECK backs it up). The UPDATE also locks the task row
until commit, so the per-resident count that follows is serialised per task: fifty residents
claiming ten slots at once get exactly ten reservations, and one resident clicking twice gets
no more than the task's per-resident limit. Ending a claim that held a slot gives it back
with `slot_release` in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ResidentProfile, Role, User
from accounts.permissions import has_role

from . import evidence as evidence_module
from .errors import ClaimRefused, EvidenceRefused, NotAllowed, NotFound, TaskFull
from .models import SLOT_HOLDING, CampaignStatus, Claim, ClaimStatus, Task, TaskStatus

NOTE_MAX = 2000


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
    rows = list(
        qs.select_for_update(skip_locked=skip_locked, of=("self",)).values_list("pk", "task_id")
    )
    if not rows:
        return 0
    Claim.objects.filter(pk__in=[pk for pk, _task in rows]).update(status=status, closed_at=now)
    for task_id, count in sorted(Counter(task for _pk, task in rows).items()):
        Task.objects.filter(pk=task_id).update(slots_taken=F("slots_taken") - count)
    return len(rows)


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
        claim.status = ClaimStatus.WITHDRAWN
        claim.closed_at = timezone.now()
        claim.save(update_fields=["status", "closed_at"])
        slot_release(claim)
    return claim


def reservation_deadline(claim: Claim) -> datetime:
    """When a reserved claim expires if no evidence comes."""
    return claim.reserved_at + timedelta(hours=int(settings.REWARDS_RESERVATION_HOURS))


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
    anything fails nothing is kept, files included."""
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
    task = claim.task
    if task.photo_required and not photos:
        raise EvidenceRefused(_("This task asks for at least one photo."), field="photos")
    if task.note_required and not note:
        raise EvidenceRefused(_("This task asks for a note."), field="note")
    if task.location_required and lat is None:
        raise EvidenceRefused(_("This task asks for the location."), field="latitude")
    processed = evidence_module.photos_process(photos)  # slow work before any lock
    written: list[str] = []
    try:
        with transaction.atomic():
            claim = _locked_claim(user, claim_id)
            if claim.status != ClaimStatus.RESERVED:
                raise ClaimRefused(_("Evidence can only be submitted for a reserved claim."))
            now = timezone.now()
            if now >= reservation_deadline(claim):
                raise ClaimRefused(_("Your reservation has expired."))
            evidence_module.photos_store(claim=claim, photos=processed, written=written)
            claim.status = ClaimStatus.SUBMITTED
            claim.submitted_at = now
            claim.note = note
            claim.latitude, claim.longitude = lat, lon
            claim.save(update_fields=["status", "submitted_at", "note", "latitude", "longitude"])
    except BaseException:
        evidence_module.photos_discard(written)
        raise
    return claim


def claims_expire(*, now: datetime | None = None, batch: int = 500) -> int:
    """Expire reserved claims older than REWARDS_RESERVATION_HOURS and free their slots, in
    batches of `batch` (claims being submitted at this moment are skipped, not waited for).
    Returns how many expired."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=int(settings.REWARDS_RESERVATION_HOURS))
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Claim.objects.filter(status=ClaimStatus.RESERVED, reserved_at__lt=cutoff)
                .order_by("id")
                .values_list("pk", flat=True)[:batch]
            )
            moved = claims_release_locked(
                Claim.objects.filter(pk__in=ids, status=ClaimStatus.RESERVED),
                status=ClaimStatus.EXPIRED,
                now=now,
            )
        total += moved
        if len(ids) < batch or moved == 0:
            return total
