"""Tasks: create, update, publish, close, and the rules every save keeps.

Rules (checked on every save, again under the campaign's lock when publishing):
- text lengths, a known category, reward > 0, capacity > 0, 1 <= per-resident limit <= capacity;
- the task's window lies inside the campaign's (dates in the site's time zone);
- coordinates in range, both or neither; the neighbourhood is one of the campaign's (if any);
- reward <= the year's hourly cap x estimated minutes / 60, rounded down (volunteer allowance,
  rewards.earning: staff's rules of the year, else REWARDS_HOURLY_CAP);
- what the task can still pay fits in what the budget can still pay: its unpaid claims plus
  reward x free slots <= the budget's balance minus approved, reserved and submitted claims of
  other tasks and the free slots of the other published tasks (see selectors.BudgetFigures).

Publishing and changing a published task lock the campaign row, so two publishes that together
would overspend queue and the second is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import audit
from accounts.models import Neighbourhood, User
from accounts.templatetags.heitje import tokens_unit
from ledger import services as ledger_services

from . import earning, selectors
from .campaigns import CAMPAIGN_ROLES, _locked, _require
from .errors import BudgetExceeded, CampaignBusy, NotFound, TaskRefused
from .models import Campaign, CampaignStatus, Task, TaskCategory, TaskStatus

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
MATERIALS_MAX = 300
MINUTES_MAX = 24 * 60
CAPACITY_MAX = 100_000
REWARD_MAX = 10**9

TEXT_FIELDS = {
    "title_nl": TITLE_MAX,
    "title_de": TITLE_MAX,
    "title_en": TITLE_MAX,
    "description_nl": DESCRIPTION_MAX,
    "description_de": DESCRIPTION_MAX,
    "description_en": DESCRIPTION_MAX,
    "materials_where": MATERIALS_MAX,
    "materials_where_de": MATERIALS_MAX,
    "materials_where_en": MATERIALS_MAX,
    "materials_when": MATERIALS_MAX,
    "materials_when_de": MATERIALS_MAX,
    "materials_when_en": MATERIALS_MAX,
}
REQUIRED_TEXT = ("title_nl", "description_nl")
INT_FIELDS = {
    "reward": (1, REWARD_MAX),
    "estimated_minutes": (1, MINUTES_MAX),
    "capacity": (1, CAPACITY_MAX),
    "per_resident_limit": (1, CAPACITY_MAX),
}
BOOL_FIELDS = ("photo_required", "note_required", "location_required")
# What task_create takes and task_update may change (neighbourhood as `neighbourhood_id`).
TASK_FIELDS = frozenset(
    {
        *TEXT_FIELDS,
        *INT_FIELDS,
        *BOOL_FIELDS,
        "category",
        "neighbourhood_id",
        "latitude",
        "longitude",
        "starts_at",
        "ends_at",
        "pickup_opens",
        "pickup_closes",
    }
)
REQUIRED_FIELDS = frozenset(
    {*REQUIRED_TEXT, "category", "reward", "estimated_minutes", "capacity", "starts_at", "ends_at"}
)


def task_hourly_cap(estimated_minutes: int) -> int:
    """The highest reward the volunteer-allowance rule allows for this much work (minor units,
    rounded down)."""
    return earning.rules_now().hourly_cap * estimated_minutes // 60


def _apply(task: Task, fields: Mapping[str, Any]) -> None:
    """Set the given fields on `task`, refusing values of the wrong kind."""
    unknown = set(fields) - TASK_FIELDS
    if unknown:
        raise TaskRefused(_("These fields cannot be set: %s.") % ", ".join(sorted(unknown)))
    for name, value in fields.items():
        if name in TEXT_FIELDS:
            if not isinstance(value, str):
                raise TaskRefused(_("This must be text."), field=name)
            value = value.strip()
        elif name in INT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TaskRefused(_("This must be a whole number."), field=name)
        elif name in BOOL_FIELDS:
            if not isinstance(value, bool):
                raise TaskRefused(_("This must be true or false."), field=name)
        elif name in ("starts_at", "ends_at"):
            if not isinstance(value, datetime) or timezone.is_naive(value):
                raise TaskRefused(_("This must be a date and time with a time zone."), field=name)
        elif name in ("pickup_opens", "pickup_closes"):
            if value is not None and not isinstance(value, time):
                raise TaskRefused(_("This must be a time of day."), field=name)
        elif name in ("latitude", "longitude") and value is not None:
            try:
                value = Decimal(str(value)).quantize(Decimal("0.000001"))
            except ArithmeticError:
                raise TaskRefused(_("This must be a number."), field=name) from None
        elif name == "neighbourhood_id" and (
            value is not None and (isinstance(value, bool) or not isinstance(value, int))
        ):
            raise TaskRefused(_("There is no such neighbourhood."), field="neighbourhood")
        setattr(task, name, value)


def _validate(task: Task, campaign: Campaign) -> None:
    """Every rule on a task's own fields (the budget is checked separately)."""
    for name in REQUIRED_TEXT:
        if not getattr(task, name):
            raise TaskRefused(_("This field is required."), field=name)
    for name, maximum in TEXT_FIELDS.items():
        value = getattr(task, name)
        if len(value) > maximum:
            raise TaskRefused(_("At most %(max)d characters.") % {"max": maximum}, field=name)
        if "\x00" in value:
            raise TaskRefused(_("This text contains a character that is not allowed."), field=name)
    if (task.pickup_opens is None) != (task.pickup_closes is None):
        raise TaskRefused(_("Give both pick-up times, or neither."), field="pickup_opens")
    if (
        task.pickup_opens is not None
        and task.pickup_closes is not None
        and task.pickup_closes <= task.pickup_opens
    ):
        raise TaskRefused(_("Pick-up must close after it opens."), field="pickup_closes")
    if task.category not in TaskCategory.values:
        raise TaskRefused(_("Choose one of the categories."), field="category")
    for name, (low, high) in INT_FIELDS.items():
        value = getattr(task, name)
        if not low <= value <= high:
            raise TaskRefused(
                _("Between %(low)d and %(high)d.") % {"low": low, "high": high}, field=name
            )
    if task.per_resident_limit > task.capacity:
        raise TaskRefused(
            _("The limit per resident cannot exceed the capacity."), field="per_resident_limit"
        )
    if task.capacity < task.slots_taken:
        raise TaskRefused(
            ngettext(
                "%(taken)d place is already taken; the capacity cannot be lower.",
                "%(taken)d places are already taken; the capacity cannot be lower.",
                task.slots_taken,
            )
            % {"taken": task.slots_taken},
            field="capacity",
        )
    cap = task_hourly_cap(task.estimated_minutes)
    if task.reward > cap:
        raise TaskRefused(
            _(
                "The reward is above the hourly cap: for %(minutes)d minutes of work at most "
                "%(cap)d cents."
            )
            % {"minutes": task.estimated_minutes, "cap": cap},
            field="reward",
        )
    if task.ends_at <= task.starts_at:
        raise TaskRefused(_("A task must end after it starts."), field="ends_at")
    if timezone.localdate(task.starts_at) < campaign.starts_on:
        raise TaskRefused(_("The task cannot start before its campaign."), field="starts_at")
    if timezone.localdate(task.ends_at) > campaign.ends_on:
        raise TaskRefused(_("The task cannot end after its campaign."), field="ends_at")
    if (task.latitude is None) != (task.longitude is None):
        raise TaskRefused(_("Give both latitude and longitude, or neither."), field="latitude")
    if task.latitude is not None and not -90 <= task.latitude <= 90:
        raise TaskRefused(_("A latitude lies between -90 and 90."), field="latitude")
    if task.longitude is not None and not -180 <= task.longitude <= 180:
        raise TaskRefused(_("A longitude lies between -180 and 180."), field="longitude")
    if task.neighbourhood_id is not None:
        if not Neighbourhood.objects.filter(pk=task.neighbourhood_id).exists():
            raise TaskRefused(_("There is no such neighbourhood."), field="neighbourhood")
        allowed = set(campaign.neighbourhoods.values_list("pk", flat=True))
        if allowed and task.neighbourhood_id not in allowed:
            raise TaskRefused(
                _("The neighbourhood is not one of the campaign's."), field="neighbourhood"
            )


def _check_budget(task: Task, campaign: Campaign) -> None:
    """What this task can still pay must fit in what the budget can still pay for it. The
    budget account is held first, as a payout holds it: a payout committing between reading
    the balance and reading what is still owed would otherwise make the budget look larger."""
    ledger_services.account_lock(account_id=campaign.budget_id)
    figures = selectors.campaign_budget(campaign=campaign, exclude_task_id=task.pk)
    own_claims = selectors.task_unpaid_claims_total(task_id=task.pk) if task.pk else 0
    needed = own_claims + task.reward * (task.capacity - task.slots_taken)
    if needed > figures.available:
        raise BudgetExceeded(
            _(
                "The campaign's budget cannot pay this task: with this reward and number of "
                "places it may cost %(needed)s, but only %(available)s of the budget are still "
                "free. Lower the reward or the places, or ask finance to request a mint."
            )
            % {"needed": tokens_unit(needed), "available": tokens_unit(max(figures.available, 0))},
            field="capacity",
        )


def task_create(*, actor: User, campaign_id: int, fields: Mapping[str, Any]) -> Task:
    """Create a draft task in an active campaign. `fields` holds names of TASK_FIELDS; those
    in REQUIRED_FIELDS must be there. Every rule is checked, including that reward x capacity
    fits in what the budget can still pay. Task managers and administrators only."""
    _require(actor, CAMPAIGN_ROLES)
    missing = REQUIRED_FIELDS - set(fields)
    if missing:
        raise TaskRefused(_("This field is required."), field=sorted(missing)[0])
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status != CampaignStatus.ACTIVE:
            raise CampaignBusy(_("This campaign is closed."))
        task = Task(campaign=campaign, created_by=actor)
        _checked_save(task, campaign, fields, actor=actor, action="task.create")
    return task


def _checked_save(
    task: Task, campaign: Campaign, values: Mapping[str, Any], *, actor: User, action: str
) -> None:
    """Set `values` on the task, check every rule and the budget on the result, save it and
    audit `action` with what changed."""
    _apply(task, values)
    _validate(task, campaign)
    _check_budget(task, campaign)
    task.save()
    audit.record(actor=actor, action=action, target=task, detail=_detail(values))


def _detail(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat()
        if isinstance(value, datetime | time)
        else str(value)
        if isinstance(value, Decimal)
        else value
        for name, value in fields.items()
        if not name.startswith("description")
    }


def _locked_task(task_id: int) -> tuple[Task, Campaign]:
    """Lock the campaign, then the task (always in this order, as publishing does)."""
    campaign_id = Task.objects.filter(pk=task_id).values_list("campaign_id", flat=True).first()
    if campaign_id is None:
        raise NotFound(_("There is no such task."))
    campaign = _locked(campaign_id)
    task = Task.objects.select_for_update().get(pk=task_id)
    return task, campaign


def task_update(*, actor: User, task_id: int, changes: Mapping[str, Any]) -> Task:
    """Change a draft or published task; every rule is checked again on the result (for a
    published task the budget check counts its claims). A closed task cannot change."""
    _require(actor, CAMPAIGN_ROLES)
    with transaction.atomic():
        task, campaign = _locked_task(task_id)
        if task.status == TaskStatus.CLOSED:
            raise TaskRefused(_("A closed task cannot change."))
        _checked_save(task, campaign, changes, actor=actor, action="task.update")
    return task


def task_publish(*, actor: User, task_id: int) -> Task:
    """Publish a draft task so residents can claim it. The rules and the budget are checked
    again under the campaign's lock: two publishes that together overspend cannot both pass."""
    _require(actor, CAMPAIGN_ROLES)
    with transaction.atomic():
        task, campaign = _locked_task(task_id)
        if campaign.status != CampaignStatus.ACTIVE:
            raise CampaignBusy(_("This campaign is closed."))
        if task.status != TaskStatus.DRAFT:
            raise TaskRefused(_("Only a draft task can be published."))
        _validate(task, campaign)
        _check_budget(task, campaign)
        task.status = TaskStatus.PUBLISHED
        task.save(update_fields=["status"])
        audit.record(actor=actor, action="task.publish", target=task)
    return task


def task_close(*, actor: User, task_id: int) -> Task:
    """Close a task: no new claims. Claims already made go on (a reserved one may still be
    submitted, and submitted ones reviewed); their slots stay counted until they end."""
    _require(actor, CAMPAIGN_ROLES)
    with transaction.atomic():
        task, _campaign = _locked_task(task_id)
        if task.status == TaskStatus.CLOSED:
            raise TaskRefused(_("This task is already closed."))
        task.status = TaskStatus.CLOSED
        task.save(update_fields=["status"])
        audit.record(actor=actor, action="task.close", target=task)
    return task
