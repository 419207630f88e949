"""The reviewer's queue at speed: claims waiting for staff, filtered by task, neighbourhood, age
and flag, as compact rows (thumbnail, task, resident, neighbourhood, reward, age, flags); the
next claim after a decision; small thumbnails of the photos; and what the rewards queues count
for the staff home, the badge and the digest (registered in RewardsConfig.ready)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import ResidentProfile, User
from accounts.waiting import staff_waiting_register

from . import campaigns, evidence, fraud, roles, selectors
from .models import Claim, ClaimFlag, Evidence, FlagKind, MintRequest, MintStatus
from .selectors import Stage

AGES = {"1d": timedelta(days=1), "3d": timedelta(days=3), "7d": timedelta(days=7)}
NO_FLAG = "none"
ANY_FLAG = "any"


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer narrowed the queue to; empty fields do not narrow."""

    task_id: int | None = None
    neighbourhood_id: int | None = None
    older_than: str = ""  # a key of AGES
    flag: str = ""  # a FlagKind, ANY_FLAG or NO_FLAG

    def query(self) -> dict[str, str]:
        """The filter as query-string parameters (for links that keep it)."""
        pairs = {
            "task": self.task_id,
            "neighbourhood": self.neighbourhood_id,
            "age": self.older_than,
            "flag": self.flag,
        }
        return {k: str(v) for k, v in pairs.items() if v}


@dataclass
class QueueRow:
    claim: Claim
    title: str
    neighbourhood: str
    age: str
    thumbnail: int | None
    flags: list[tuple[str, str]] = field(default_factory=list)


def _verified_profiles() -> QuerySet[ResidentProfile]:
    return ResidentProfile.objects.filter(user_id=OuterRef("resident_id")).exclude(
        residency_verified_at=None
    )


def claims_queue(*, stage: str, filters: QueueFilter, now: datetime | None = None) -> Any:
    """The claims waiting at `stage`, oldest first, narrowed by `filters`, with what a row
    shows (flags, the first photo's id, whether the resident is verified now)."""
    qs = selectors.claims_for_review(stage=stage).select_related("task__neighbourhood")
    qs = qs.prefetch_related(Prefetch("flags", queryset=ClaimFlag.objects.order_by("kind")))
    qs = qs.annotate(resident_verified=Exists(_verified_profiles()))
    if filters.task_id:
        qs = qs.filter(task_id=filters.task_id)
    if filters.neighbourhood_id:
        qs = qs.filter(task__neighbourhood_id=filters.neighbourhood_id)
    if filters.older_than in AGES:
        qs = qs.filter(submitted_at__lte=(now or timezone.now()) - AGES[filters.older_than])
    live_flags = ClaimFlag.objects.filter(claim_id=OuterRef("pk")).exclude(kind=FlagKind.UNVERIFIED)
    if filters.flag == ANY_FLAG:
        qs = qs.filter(Exists(live_flags) | Exists(_unverified_flag()))
    elif filters.flag == NO_FLAG:
        qs = qs.exclude(Exists(live_flags)).exclude(Exists(_unverified_flag()))
    elif filters.flag == FlagKind.UNVERIFIED:
        qs = qs.filter(Exists(_unverified_flag()))
    elif filters.flag in FlagKind.values:
        qs = qs.filter(Exists(live_flags.filter(kind=filters.flag)))
    return qs


def _unverified_flag() -> QuerySet[ClaimFlag]:
    """The claim's "not verified" flag while the resident is still not verified."""
    qs = ClaimFlag.objects.filter(claim_id=OuterRef("pk"), kind=FlagKind.UNVERIFIED)
    profiles = ResidentProfile.objects.filter(
        user_id=OuterRef("claim__resident_id"), residency_verified_at__isnull=True
    )
    return qs.filter(Exists(profiles))


def age_label(since: datetime | None, now: datetime) -> str:
    """A short age: minutes under an hour, hours under two days, then days."""
    if since is None:
        return ""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def claim_flags(claim: Claim) -> list[tuple[str, str]]:
    """The claim's flags as (kind, plain reason); "not verified" only while it still holds."""
    verified = getattr(claim, "resident_verified", None)
    if verified is None:
        verified = (
            ResidentProfile.objects.filter(user_id=claim.resident_id)
            .exclude(residency_verified_at=None)
            .exists()
        )
    return [
        (flag.kind, fraud.flag_reason(flag))
        for flag in claim.flags.all()
        if not (flag.kind == FlagKind.UNVERIFIED and verified)
    ]


def claim_distance(claim: Claim) -> int | None:
    """Metres between the evidence location and the task's place, when both are known."""
    task = claim.task
    if None in (claim.latitude, claim.longitude, task.latitude, task.longitude):
        return None
    return fraud.distance_metres(
        float(claim.latitude or 0),
        float(claim.longitude or 0),
        float(task.latitude or 0),
        float(task.longitude or 0),
    )


def queue_rows(claims: Any, *, now: datetime | None = None) -> list[QueueRow]:
    now = now or timezone.now()
    rows = []
    for claim in claims:
        photos = list(claim.evidence.all())
        neighbourhood = claim.task.neighbourhood
        rows.append(
            QueueRow(
                claim=claim,
                title=selectors.task_text(claim.task)[0],
                neighbourhood=neighbourhood.name if neighbourhood else "",
                age=age_label(claim.submitted_at, now),
                thumbnail=photos[0].pk if photos else None,
                flags=claim_flags(claim),
            )
        )
    return rows


def claim_next(*, stage: str, filters: QueueFilter, after: Claim) -> int | None:
    """The claim to open after deciding `after`: the oldest other claim still waiting at
    `stage` under the same filters (the decided one has left the queue or is skipped)."""
    return (
        claims_queue(stage=stage, filters=filters)
        .exclude(pk=after.pk)
        .values_list("pk", flat=True)
        .first()
    )


def evidence_thumbnail(*, user: User | Any, claim_id: int, evidence_id: int) -> bytes:
    """A small JPEG of a claim's photo for whoever may see the photo (else NotFound). Photos
    stored before thumbnails existed get theirs made once, from the stored photo."""
    record, handle = evidence.evidence_open(user=user, claim_id=claim_id, evidence_id=evidence_id)
    with handle:
        stored = bytes(
            Evidence.objects.filter(pk=record.pk).values_list("thumbnail", flat=True).first() or b""
        )
        if stored:
            return stored
        content = handle.read()
    fingerprint = fraud.photo_fingerprint(content)
    Evidence.objects.filter(pk=record.pk).update(
        thumbnail=fingerprint.thumbnail, phash=fingerprint.phash
    )
    return fingerprint.thumbnail


# --- counts for the staff home -------------------------------------------------------------


def _count_stage(stage: str) -> int:
    return selectors.claims_for_review(stage=stage).count()


# The claim queues of the review page, one a stage: key, label, who works it, stage.
_CLAIM_QUEUES = (
    ("claims-review", gettext_lazy("Claims to review"), roles.REVIEWER_ROLES, Stage.REVIEW),
    (
        "claims-second-approval",
        gettext_lazy("Claims waiting for a second approval"),
        roles.APPROVER_ROLES,
        Stage.SECOND_APPROVAL,
    ),
    ("claims-held", gettext_lazy("Claims on hold"), roles.RELEASE_ROLES, Stage.HELD),
)


def waiting_register() -> None:
    """Tell the staff home what the rewards queues hold."""
    for key, label, workers, stage in _CLAIM_QUEUES:
        staff_waiting_register(
            key=key,
            label=label,
            roles=workers,
            url_name="rewards-staff-review",
            query=f"stage={stage}",
            count=partial(_count_stage, stage),
        )
    staff_waiting_register(
        key="mint-requests",
        label=gettext_lazy("Mint requests to approve"),
        roles=campaigns.MINT_APPROVE_ROLES,
        url_name="rewards-staff-mints",
        count=lambda: MintRequest.objects.filter(status=MintStatus.REQUESTED).count(),
    )


def flag_choices() -> list[tuple[str, str]]:
    return [
        (ANY_FLAG, _("Any flag")),
        (NO_FLAG, _("No flags")),
        *[(str(value), str(label)) for value, label in FlagKind.choices],
    ]
