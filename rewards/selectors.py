"""Reads of rewards for the API, the pages and the services: budget figures, tasks a resident
may see, a resident's claims, what residents were paid this year, the staff's review queues.
Nothing here writes; services in campaigns.py, work.py, claims.py, review.py and payouts.py do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    FloatField,
    Min,
    Prefetch,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ASin, Cast, Cos, Power, Radians, Sin, Sqrt
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.errors import NotFound
from accounts.models import Neighbourhood, User
from ledger import selectors as ledger_selectors
from ledger.selectors import StatementLine

from .models import (
    Campaign,
    CampaignStatus,
    Claim,
    ClaimDecision,
    ClaimStatus,
    Evidence,
    MintRequest,
    Task,
    TaskStatus,
)

# Claims that hold a slot and are not paid yet: each may still cost its amount.
UNPAID_HOLDING = (ClaimStatus.RESERVED, ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)


@dataclass(frozen=True, slots=True)
class BudgetFigures:
    """A campaign's money, in minor units.

    - balance: what the budget account holds now (the ledger's cached balance);
    - paid: what approved claims were paid out of it;
    - budget: balance + paid (what was put in, less what closing returned);
    - committed: approved claims not yet paid (including held ones);
    - in_progress: reserved and submitted claims (they may still be approved);
    - open_slots: reward x free slots of the published tasks (what they can still pay);
    - remaining: balance - committed;
    - available: remaining - in_progress - open_slots: what new or larger tasks may still use.
    """

    balance: int
    paid: int
    budget: int
    committed: int
    in_progress: int
    open_slots: int
    remaining: int
    available: int


def _sum(qs: QuerySet[Claim]) -> int:
    return int(qs.aggregate(s=Sum("amount"))["s"] or 0)


def campaign_budget(*, campaign: Campaign, exclude_task_id: int | None = None) -> BudgetFigures:
    """The campaign's budget figures. With `exclude_task_id`, that task's claims and free slots
    are left out of committed, in_progress and open_slots (to check a change of that task
    against what the others may still cost)."""
    balance = ledger_selectors.account_balance(account_id=campaign.budget_id)
    claims = Claim.objects.filter(task__campaign=campaign)
    tasks = Task.objects.filter(campaign=campaign, status=TaskStatus.PUBLISHED)
    if exclude_task_id is not None:
        claims_other = claims.exclude(task_id=exclude_task_id)
        tasks = tasks.exclude(pk=exclude_task_id)
    else:
        claims_other = claims
    paid = _sum(claims.filter(status=ClaimStatus.PAID))
    committed = _sum(claims_other.filter(status=ClaimStatus.APPROVED))
    in_progress = _sum(
        claims_other.filter(status__in=(ClaimStatus.RESERVED, ClaimStatus.SUBMITTED))
    )
    open_slots = int(
        tasks.aggregate(s=Sum(F("reward") * (F("capacity") - F("slots_taken"))))["s"] or 0
    )
    remaining = balance - committed
    return BudgetFigures(
        balance=balance,
        paid=paid,
        budget=balance + paid,
        committed=committed,
        in_progress=in_progress,
        open_slots=open_slots,
        remaining=remaining,
        available=remaining - in_progress - open_slots,
    )


def task_unpaid_claims_total(*, task_id: int) -> int:
    """What the task's slot-holding, unpaid claims may still cost."""
    return _sum(Claim.objects.filter(task_id=task_id, status__in=UNPAID_HOLDING))


def campaigns_list(*, status: str | None = None) -> QuerySet[Campaign]:
    qs = Campaign.objects.prefetch_related("neighbourhoods").order_by("-starts_on", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs


def campaign_budget_choices() -> list[tuple[int, str]]:
    """(id, name) of the active campaigns, whose budgets may fund paper vouchers."""
    return list(
        Campaign.objects.filter(status=CampaignStatus.ACTIVE)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )


def campaign_get(*, campaign_id: int) -> Campaign:
    campaign = campaigns_list().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(translation.gettext("There is no such campaign."))
    return campaign


def mint_requests_list(
    *, status: str | None = None, campaign_id: int | None = None
) -> QuerySet[MintRequest]:
    qs = MintRequest.objects.select_related("campaign", "requested_by", "decided_by").order_by(
        "-requested_at", "-id"
    )
    if status:
        qs = qs.filter(status=status)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    return qs


def tasks_list(*, campaign_id: int | None = None, status: str | None = None) -> QuerySet[Task]:
    """Tasks for the staff console, newest first."""
    qs = Task.objects.select_related("campaign", "neighbourhood").order_by("-created_at", "-id")
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def task_get(*, task_id: int) -> Task:
    task = tasks_list().filter(pk=task_id).first()
    if task is None:
        raise NotFound(translation.gettext("There is no such task."))
    return task


def task_text(task: Task, language: str | None = None) -> tuple[str, str]:
    """The task's title and description in `language` (default: the active one), falling back
    to Dutch where that language has none."""
    language = (language or translation.get_language() or "nl")[:2]
    title = getattr(task, f"title_{language}", "") or task.title_nl
    description = getattr(task, f"description_{language}", "") or task.description_nl
    return title, description


def task_materials(task: Task, language: str | None = None) -> tuple[str, str]:
    """Where and when to pick up the task's materials in `language` (default: the active one),
    each falling back to the Dutch where that language has none."""
    language = (language or translation.get_language() or "nl")[:2]
    where = getattr(task, f"materials_where_{language}", "") or task.materials_where
    when = getattr(task, f"materials_when_{language}", "") or task.materials_when
    return where, when


def _distance_km(latitude: float, longitude: float) -> Expression:
    """Great-circle distance in kilometres from the given point to the task (haversine)."""
    lat = Radians(Cast("latitude", FloatField()))
    lon = Radians(Cast("longitude", FloatField()))
    here_lat, here_lon = Radians(Value(latitude)), Radians(Value(longitude))
    half_chord = Power(Sin((lat - here_lat) / 2), 2) + Cos(here_lat) * Cos(lat) * Power(
        Sin((lon - here_lon) / 2), 2
    )
    distance: Expression = ASin(Sqrt(half_chord)) * Value(2 * 6371.0)
    return distance


def tasks_for_resident(
    *,
    neighbourhood_id: int | None = None,
    category: str | None = None,
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    first_neighbourhood_id: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Task]:
    """Published tasks of active campaigns whose window is open now, filtered by neighbourhood
    and category. Given a location, nearest first (tasks without one last) with `distance_km`
    annotated; otherwise those in `first_neighbourhood_id` (the resident's own) first, then the
    ones ending soonest."""
    now = now or timezone.now()
    qs = Task.objects.select_related("neighbourhood", "campaign").filter(
        status=TaskStatus.PUBLISHED,
        campaign__status=CampaignStatus.ACTIVE,
        starts_at__lte=now,
        ends_at__gt=now,
    )
    if neighbourhood_id is not None:
        qs = qs.filter(neighbourhood_id=neighbourhood_id)
    if category:
        qs = qs.filter(category=category)
    if latitude is not None and longitude is not None:
        lat, lon = float(latitude), float(longitude)
        qs = qs.annotate(distance_km=_distance_km(lat, lon)).order_by(
            F("distance_km").asc(nulls_last=True), "ends_at", "id"
        )
    elif first_neighbourhood_id is not None:
        own = Case(When(neighbourhood_id=first_neighbourhood_id, then=Value(0)), default=Value(1))
        qs = qs.annotate(elsewhere=own).order_by("elsewhere", "ends_at", "id")
    else:
        qs = qs.order_by("ends_at", "id")
    return qs


def neighbourhoods_with_tasks(
    *,
    category: str | None = None,
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
) -> list[tuple[Neighbourhood, int]]:
    """Neighbourhoods with open tasks (of `category`), with how many: nearest first given a
    location (by their nearest task), else the busiest first."""
    qs = tasks_for_resident(category=category).filter(neighbourhood__isnull=False).order_by()
    rows = qs.values("neighbourhood_id").annotate(count=Count("id"))
    if latitude is not None and longitude is not None:
        rows = rows.annotate(nearest=Min(_distance_km(float(latitude), float(longitude)))).order_by(
            F("nearest").asc(nulls_last=True), "-count"
        )
    else:
        rows = rows.order_by("-count", "neighbourhood_id")
    found = list(rows[:8])
    names = Neighbourhood.objects.in_bulk([row["neighbourhood_id"] for row in found])
    return [(names[row["neighbourhood_id"]], row["count"]) for row in found]


def task_for_resident(*, task_id: int) -> Task:
    """A task a resident may see (published, open now), else NotFound."""
    task = tasks_for_resident().filter(pk=task_id).first()
    if task is None:
        raise NotFound(translation.gettext("There is no such task."))
    return task


def claims_of_resident(*, user: User, status: str | None = None) -> QuerySet[Claim]:
    """The resident's own claims, newest first, with their tasks."""
    qs = (
        Claim.objects.filter(resident=user)
        .select_related("task", "task__neighbourhood")
        .order_by("-reserved_at", "-id")
    )
    if status:
        qs = qs.filter(status=status)
    return qs


def claim_for_resident(*, user: User, claim_id: int) -> Claim:
    """One of the resident's own claims with its decisions and evidence; anyone else's (or none)
    raises NotFound, so ids cannot be probed."""
    claim = (
        claims_of_resident(user=user)
        .prefetch_related(
            Prefetch("decisions", queryset=ClaimDecision.objects.select_related("actor")),
            Prefetch("evidence", queryset=Evidence.objects.order_by("id")),
        )
        .filter(pk=claim_id)
        .first()
    )
    if claim is None:
        raise NotFound(translation.gettext("There is no such claim."))
    return claim


def payout_line_names(lines: Sequence[StatementLine]) -> dict[int, str]:
    """The task's title (in the active language) of each payout line of a wallet statement, by
    transfer id: the payout's metadata names the task."""
    task_ids = {line.transfer_id: line.metadata.get("task") for line in lines if line.metadata}
    tasks = Task.objects.in_bulk([t for t in task_ids.values() if isinstance(t, int)])
    return {
        transfer_id: task_text(tasks[task_id])[0]
        for transfer_id, task_id in task_ids.items()
        if task_id in tasks
    }


def residency_waiting(user_id: int) -> int:
    """Minor units of the resident's approved rewards held until their residency is verified."""
    from .payouts import HOLD_UNVERIFIED  # payouts -> notify -> this module: import when called

    total = Claim.objects.filter(
        resident_id=user_id, status=ClaimStatus.APPROVED, hold_reason=HOLD_UNVERIFIED
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def task_pickup_window(task: Task, after: datetime) -> tuple[datetime, datetime] | None:
    """The first time the task's materials can be picked up at or after `after`: (from, until)
    in the site's time zone, or None when the task has no pick-up hours."""
    if task.pickup_opens is None or task.pickup_closes is None:
        return None
    local = timezone.localtime(after)
    for days in (0, 1):
        day = local.date() + timedelta(days=days)
        opens = timezone.make_aware(datetime.combine(day, task.pickup_opens))
        closes = timezone.make_aware(datetime.combine(day, task.pickup_closes))
        if after < closes:
            return max(opens, after), closes
    raise AssertionError("pick-up hours open every day")  # pragma: no cover


def claim_reservation_deadline(claim: Claim) -> datetime:
    """When a reserved claim expires if no evidence comes: REWARDS_RESERVATION_HOURS counted
    from when the materials can first be picked up (at once without pick-up hours, or when
    reserved during them), and never before that first pick-up period ends, so a resident who
    claims in the evening is not short of the hours the shop is closed."""
    hours = timedelta(hours=int(settings.REWARDS_RESERVATION_HOURS))
    window = task_pickup_window(claim.task, claim.reserved_at)
    if window is None:
        return claim.reserved_at + hours
    starts, first_closes = window
    return max(starts + hours, first_closes)


def claims_open_count(*, user: User) -> int:
    """How many of the resident's claims are open: reserved or submitted."""
    return Claim.objects.filter(
        resident=user, status__in=(ClaimStatus.RESERVED, ClaimStatus.SUBMITTED)
    ).count()


def campaign_budget_short(*, claim: Claim) -> bool:
    """True when the campaign's budget holds less than the claim (read, not locked)."""
    balance = ledger_selectors.account_balance(account_id=claim.task.campaign.budget_id)
    return balance < claim.amount


# --- review -------------------------------------------------------------------------------


class Stage(StrEnum):
    REVIEW = "review"  # submitted, waiting for a reviewer
    SECOND_APPROVAL = "second_approval"  # approved once, waiting for a second approver
    HELD = "held"  # approved, not paid: on hold


def claim_stage(claim: Claim) -> str:
    """The staff step due on the claim (a Stage), or "" when none is."""
    if claim.status == ClaimStatus.SUBMITTED:
        return Stage.REVIEW if claim.reviewed_by_id is None else Stage.SECOND_APPROVAL
    if claim.status == ClaimStatus.APPROVED and claim.hold_reason:
        return Stage.HELD
    return ""


def _with_details(qs: QuerySet[Claim]) -> QuerySet[Claim]:
    return qs.select_related(
        "task", "task__campaign", "resident", "reviewed_by", "approved_by"
    ).prefetch_related(
        Prefetch("evidence", queryset=Evidence.objects.order_by("pk").only("pk", "claim_id")),
        Prefetch("decisions", queryset=ClaimDecision.objects.select_related("actor")),
    )


def claims_for_review(*, stage: str = Stage.REVIEW) -> QuerySet[Claim]:
    """Claims waiting for staff, oldest first: for review, for a second approval, or on hold."""
    if stage == Stage.HELD:
        qs = Claim.objects.filter(status=ClaimStatus.APPROVED).exclude(hold_reason="")
        return _with_details(qs).order_by("reviewed_at", "pk")
    qs = Claim.objects.filter(
        status=ClaimStatus.SUBMITTED, reviewed_by__isnull=stage == Stage.REVIEW
    )
    return _with_details(qs).order_by("submitted_at", "pk")


def claim_for_staff(*, claim_id: int) -> Claim:
    """A claim with its task, resident, evidence and decisions."""
    claim = _with_details(Claim.objects.filter(pk=claim_id)).first()
    if claim is None:
        raise NotFound(_("There is no such claim."))
    return claim
