"""A resident's own "what I achieved" this year, and what their neighbourhood did with them.

The resident's figures are their own (paid claims and their wallet's ledger entries, by the
time they were paid or paid out). The neighbourhood's are only what the impact page already
publishes, month by month: withheld months are left out of the sum and said so, so this page
gives nobody a figure the public pages withhold. Near an earning cap the page warns
(rewards.earning.cap_notices, as the wallet does)."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import ResidentProfile
from ledger.models import Entry, TransferKind
from rewards.earning import cap_notices
from rewards.models import Claim, ClaimStatus

from . import figures


@dataclass(frozen=True, slots=True)
class Achieved:
    year: int
    tasks: int
    minutes: int
    earned: int
    spent: int
    neighbourhood: str
    neighbourhood_tasks: int
    neighbourhood_minutes: int
    neighbourhood_residents_max: int
    months_withheld: int
    notices: list[tuple[str, str]]

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def neighbourhood_hours(self) -> float:
        return round(self.neighbourhood_minutes / 60, 1)


def resident_achieved(*, profile: ResidentProfile) -> Achieved:
    """This calendar year so far: the resident's paid tasks, their estimated hours, the tokens
    paid into the wallet for them and spent at shops (less refunds); and the neighbourhood's
    published work of the same months."""
    today = timezone.localdate()
    start = datetime(today.year, 1, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))
    mine = Claim.objects.filter(
        resident_id=profile.user_id, status=ClaimStatus.PAID, paid_at__gte=start
    ).aggregate(tasks=Count("id"), minutes=Sum("task__estimated_minutes"))
    money = Entry.objects.filter(
        account_id=profile.wallet_id, transfer__created_at__gte=start
    ).aggregate(
        earned=Sum("amount", filter=Q(transfer__kind=TransferKind.PAYOUT)),
        spent=Sum(
            "amount", filter=Q(transfer__kind__in=[TransferKind.PAYMENT, TransferKind.REFUND])
        ),
    )
    tasks = minutes = residents = withheld = 0
    name = ""
    if profile.neighbourhood_id is not None:
        name = profile.neighbourhood.name if profile.neighbourhood else ""
        key = figures.area(profile.neighbourhood_id)
        months = figures.months_back(today.month, today=today)
        for month in figures.work_published(months).values():
            work = month.get(key)
            if work is None:
                continue
            if work.withheld:
                withheld += 1
                continue
            tasks += work.tasks
            minutes += work.minutes
            residents = max(residents, work.residents)
    return Achieved(
        year=today.year,
        tasks=mine["tasks"] or 0,
        minutes=mine["minutes"] or 0,
        earned=money["earned"] or 0,
        spent=-(money["spent"] or 0),
        neighbourhood=name,
        neighbourhood_tasks=tasks,
        neighbourhood_minutes=minutes,
        neighbourhood_residents_max=residents,
        months_withheld=withheld,
        notices=cap_notices(profile.user_id),
    )
