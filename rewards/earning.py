"""The earning rules of the Dutch volunteer-allowance law, per calendar year (docs/impact.md,
"The earning rules").

A volunteer may be paid at most an hourly rate per estimated hour of the task (a lower youth
rate below an age), a monthly cap and a yearly cap; exceeding one makes the whole amount
taxable and can cost a resident on benefits their allowance. The figures change each year, so
staff (finance, administrators) keep one `EarningRules` row per year; a year without a row
falls back to the settings (REWARDS_HOURLY_CAP, REWARDS_YOUTH_HOURLY_CAP,
REWARDS_YOUTH_UNDER_AGE, REWARDS_MONTHLY_CAP with 0 for none, REWARDS_ANNUAL_CAP).

Amounts are minor units of the token; 1 token = EUR 1 (config/settings/rules.py), so a cap of
EUR 180 is stored as 18000, like every other amount.

The payout (rewards.payouts) checks the rules of the year it pays in, under the resident's
profile lock, against what was paid this month and this year (`claims_earned`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditEvent, Role, User
from accounts.permissions import has_role
from core.money import amount_unit

from .errors import NotAllowed, RulesRefused
from .models import Claim, ClaimStatus, EarningRules

RULES_ROLES = frozenset({Role.FINANCE, Role.ADMIN})
RULE_FIELDS = ("hourly_cap", "youth_hourly_cap", "youth_under_age", "monthly_cap", "annual_cap")
FIRST_YEAR, LAST_YEAR = 2000, 2100
AMOUNT_MAX = 10_000_000  # EUR 100,000: far above any allowance, below any overflow
# Warn a resident from this share of a cap on: past it claims are held, and passing the
# volunteer-allowance limits can cost a resident on benefits their allowance.
NEAR_CAP_PERCENT = 80


@dataclass(frozen=True, slots=True)
class Rules:
    """One year's rules as the payouts apply them; `configured` is False for the settings'
    fallback. `monthly_cap` 0 means no monthly cap."""

    year: int
    hourly_cap: int
    youth_hourly_cap: int
    youth_under_age: int
    monthly_cap: int
    annual_cap: int
    configured: bool

    def is_youth(self, birth_year: int | None) -> bool:
        """Under the youth age this year. Only the birth year is known, so the age is the one
        reached this calendar year (year - birth year): the whole year counts alike."""
        return birth_year is not None and self.year - birth_year < self.youth_under_age

    def hourly_rate(self, birth_year: int | None) -> int:
        return self.youth_hourly_cap if self.is_youth(birth_year) else self.hourly_cap

    def rate_cap(self, *, estimated_minutes: int, birth_year: int | None) -> int:
        """The most a task of this many estimated minutes may pay this resident (rounded
        down)."""
        return self.hourly_rate(birth_year) * estimated_minutes // 60


@dataclass(frozen=True, slots=True)
class Earned:
    """What a resident was paid for claims this calendar month and year, in minor units."""

    month: int = 0
    year: int = 0

    def plus(self, amount: int) -> Earned:
        return Earned(month=self.month + amount, year=self.year + amount)


def _from_row(row: EarningRules) -> Rules:
    return Rules(
        year=row.year,
        hourly_cap=row.hourly_cap,
        youth_hourly_cap=row.youth_hourly_cap,
        youth_under_age=row.youth_under_age,
        monthly_cap=row.monthly_cap,
        annual_cap=row.annual_cap,
        configured=True,
    )


def rules_fallback(year: int) -> Rules:
    return Rules(
        year=year,
        hourly_cap=int(settings.REWARDS_HOURLY_CAP),
        youth_hourly_cap=int(settings.REWARDS_YOUTH_HOURLY_CAP),
        youth_under_age=int(settings.REWARDS_YOUTH_UNDER_AGE),
        monthly_cap=int(settings.REWARDS_MONTHLY_CAP),
        annual_cap=int(settings.REWARDS_ANNUAL_CAP),
        configured=False,
    )


def rules_for_year(*, year: int) -> Rules:
    """The rules of `year`: staff's row, else the settings."""
    row = EarningRules.objects.filter(year=year).first()
    return _from_row(row) if row is not None else rules_fallback(year)


def _from_values(year: int, values: dict[str, Any]) -> Rules:
    return Rules(year=year, configured=True, **{name: int(values[name]) for name in RULE_FIELDS})


RuleChange = tuple[datetime, dict[str, Any] | None, dict[str, Any]]


def rules_per_month(
    *, year: int, changes: Sequence[RuleChange], current: Rules, now: datetime
) -> list[Rules]:
    """The rules in force at the end of each month of `year`, from the changes made to them
    (when, before, after; oldest first): a month that ended before the first change had the
    rules from before it (the settings when there were none); the current month and those to
    come have the rules as they stand (`current`)."""
    out = []
    for month in range(1, 13):
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=now.tzinfo)
        done = [after for at, _before, after in changes if at < end]
        if end > now or not changes:
            out.append(current)
        elif done:
            out.append(_from_values(year, done[-1]))
        else:
            before = changes[0][1]
            out.append(_from_values(year, before) if before else rules_fallback(year))
    return out


def rules_by_month(*, year: int, now: datetime | None = None) -> list[Rules]:
    """The rules each month of `year` was paid under, as its statement shows them: read from
    the audit log of `rules_set`, so a change in June does not rewrite January."""
    changes = [
        (event.created_at, event.detail.get("before"), event.detail["after"])
        for event in AuditEvent.objects.filter(
            action="earning_rules.set", detail__year=year
        ).order_by("created_at", "id")
    ]
    return rules_per_month(
        year=year, changes=changes, current=rules_for_year(year=year), now=_local(now)
    )


def rules_now() -> Rules:
    """The rules of the current calendar year in the municipality's time zone."""
    return rules_for_year(year=timezone.localdate().year)


def _local(now: datetime | None) -> datetime:
    return timezone.localtime(now or timezone.now(), ZoneInfo(settings.TIME_ZONE))


def year_start(now: datetime | None = None) -> datetime:
    """The start of the current calendar year in the municipality's time zone."""
    return _local(now).replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime | None = None) -> datetime:
    """The start of the current calendar month in the municipality's time zone."""
    return _local(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def claims_earned(*, resident_ids: Sequence[int]) -> dict[int, Earned]:
    """What each resident was paid for claims this calendar month and year (by `paid_at`)."""
    month = month_start()
    rows = (
        Claim.objects.filter(
            resident_id__in=resident_ids, status=ClaimStatus.PAID, paid_at__gte=year_start()
        )
        .values("resident_id")
        .annotate(year=Sum("amount"), month=Sum("amount", filter=Q(paid_at__gte=month)))
        .values_list("resident_id", "month", "year")
    )
    return {rid: Earned(month=int(m or 0), year=int(y or 0)) for rid, m, y in rows}


def _near(paid: int, cap: int) -> bool:
    return cap > 0 and paid * 100 >= cap * NEAR_CAP_PERCENT


def cap_notices(user_id: int) -> list[tuple[str, str]]:
    """Warnings for a resident who has been paid `NEAR_CAP_PERCENT` of this month's or this
    year's cap (the year's rules, counted as the payouts count): (id, sentence) pairs for the
    wallet and "what I achieved"."""
    rules = rules_now()
    paid = claims_earned(resident_ids=[user_id]).get(user_id, Earned())
    near = (
        (
            "cap-near-month",
            paid.month,
            rules.monthly_cap,
            _(
                "You have been paid %(paid)s for tasks this month, close to the monthly maximum "
                "of %(cap)s: %(left)s is left. A reward that would take you over it is held "
                "until next month."
            ),
        ),
        (
            "cap-near-year",
            paid.year,
            rules.annual_cap,
            _(
                "You have been paid %(paid)s for tasks this year, close to the yearly maximum "
                "of %(cap)s: %(left)s is left. A reward that would take you over it is held "
                "until next year."
            ),
        ),
    )
    notices = [
        (
            key,
            text
            % {
                "paid": amount_unit(got),
                "cap": amount_unit(cap),
                "left": amount_unit(max(cap - got, 0)),
            },
        )
        for key, got, cap, text in near
        if _near(got, cap)
    ]
    if notices:  # the advice once, after the last warning
        key, text = notices[-1]
        advice = _("If you receive benefits, ask your benefits office how much you may earn.")
        notices[-1] = (key, f"{text} {advice}")
    return notices


def _check(year: int, values: dict[str, int]) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise RulesRefused(_("Choose a year from 2000 to 2100."), field="year")
    if year < timezone.localdate().year:
        raise RulesRefused(
            _("The rules of a past year stay as they were: its statements show them."),
            field="year",
        )
    for name in RULE_FIELDS:
        if name == "youth_under_age":
            if not 1 <= values[name] <= 99:
                raise RulesRefused(_("Choose an age from 1 to 99."), field=name)
        elif not 0 < values[name] <= AMOUNT_MAX:
            raise RulesRefused(_("Enter an amount above zero."), field=name)
    if values["youth_hourly_cap"] > values["hourly_cap"]:
        raise RulesRefused(
            _("The youth rate cannot be higher than the hourly rate."), field="youth_hourly_cap"
        )
    if values["monthly_cap"] > values["annual_cap"]:
        raise RulesRefused(
            _("The monthly maximum cannot be higher than the yearly maximum."), field="monthly_cap"
        )


def rules_set(
    *,
    actor: User,
    year: int,
    hourly_cap: int,
    youth_hourly_cap: int,
    youth_under_age: int,
    monthly_cap: int,
    annual_cap: int,
) -> Rules:
    """Set the earning rules of `year` (this year or a later one; a past year's rules are what
    its statements show, so they stay). Finance and administrators only; audited with the rules
    before and after. Payouts from then on apply them; claims already paid stay paid."""
    if not has_role(actor, RULES_ROLES):
        raise NotAllowed(_("Only finance and administrators set the earning rules."))
    values = {
        "hourly_cap": hourly_cap,
        "youth_hourly_cap": youth_hourly_cap,
        "youth_under_age": youth_under_age,
        "monthly_cap": monthly_cap,
        "annual_cap": annual_cap,
    }
    _check(year, values)
    with transaction.atomic():
        row = EarningRules.objects.select_for_update().filter(year=year).first()
        before: dict[str, Any] | None = (
            {name: getattr(row, name) for name in RULE_FIELDS} if row is not None else None
        )
        if row is None:
            row = EarningRules(year=year, updated_by=actor, **values)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_by = actor
        row.save()
        audit.record(
            actor=actor,
            action="earning_rules.set",
            target=row,
            detail={"year": year, "before": before, "after": values},
        )
    return _from_row(row)
