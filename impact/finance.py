"""Figures for finance and management (the staff finance page and the funders' report):
budget burn per campaign, payouts and payments per week, what is in circulation (the euros the
municipality owes), settlements due, and a campaign's work in a period."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ledger import selectors as ledger_selectors
from ledger.models import Account, AccountKind, Currency
from payments.models import Settlement, SettlementStatus
from rewards import selectors as rewards_selectors
from rewards.models import Campaign, Claim, ClaimStatus, TaskCategory

WEEKS_SHOWN = 12
# Tokens outside the municipality's hands: each is a euro it pays when it is spent and settled.
OWED_KINDS = (AccountKind.WALLET, AccountKind.SHOP, AccountKind.VOUCHER, AccountKind.FUND)


@dataclass(frozen=True, slots=True)
class Burn:
    campaign: Campaign
    budget: int
    paid: int
    committed: int
    remaining: int
    burn_percent: int | None
    time_percent: int


def budget_burn() -> list[Burn]:
    """Per campaign: its budget (what was put in, less what went back), paid out, committed to
    approved claims, remaining; the share paid out beside the share of its time gone by."""
    today = timezone.localdate()
    found = []
    for campaign in Campaign.objects.order_by("-starts_on", "name"):
        figures = rewards_selectors.campaign_budget(campaign=campaign)
        days = max((campaign.ends_on - campaign.starts_on).days, 1)
        gone = min(max((today - campaign.starts_on).days, 0), days)
        found.append(
            Burn(
                campaign=campaign,
                budget=figures.budget,
                paid=figures.paid,
                committed=figures.committed,
                remaining=figures.remaining,
                burn_percent=round(100 * figures.paid / figures.budget) if figures.budget else None,
                time_percent=round(100 * gone / days),
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class Week:
    starts: date
    payouts: int
    payout_count: int
    payments: int
    payment_count: int


_WEEKS_SQL = """
SELECT (date_trunc('week', t.created_at AT TIME ZONE %(tz)s))::date AS week,
       coalesce(sum(e.amount) FILTER (WHERE t.kind = 'payout'), 0),
       count(*) FILTER (WHERE t.kind = 'payout'),
       coalesce(sum(e.amount) FILTER (WHERE t.kind IN ('payment', 'refund')), 0),
       count(*) FILTER (WHERE t.kind = 'payment')
  FROM ledger_transfer t
  JOIN ledger_entry e ON e.transfer_id = t.id
  JOIN ledger_account a ON a.id = e.account_id
 WHERE t.created_at >= %(since)s
   AND ((t.kind = 'payout' AND a.kind = 'wallet')
        OR (t.kind IN ('payment', 'refund') AND a.kind = 'shop'))
 GROUP BY 1
"""


def weeks(count: int = WEEKS_SHOWN) -> list[Week]:
    """Payouts (into wallets) and payments (into shops, less refunds) per week, Monday first,
    from the ledger; the oldest week first, weeks without any included."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=count - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=zone)
    with connection.cursor() as cursor:
        cursor.execute(_WEEKS_SQL, {"tz": settings.TIME_ZONE, "since": since})
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    return [
        Week(start, *(int(v) for v in rows.get(start, (0, 0, 0, 0))))
        for start in (first + timedelta(weeks=n) for n in range(count))
    ]


@dataclass(frozen=True, slots=True)
class Circulation:
    currency: Currency
    supply: int
    owed: int
    in_budgets: int
    settled: int


def circulation() -> list[Circulation]:
    """Per currency: the supply, the part held by residents, shops, vouchers and the community
    fund (the euros the municipality owes once it is all spent and settled), the part still in
    campaign budgets, and what was already settled into euros."""
    found = []
    for currency, supply in ledger_selectors.currency_supplies():
        totals = dict(
            Account.objects.filter(currency=currency)
            .values_list("kind")
            .annotate(total=Sum("balance"))
            .values_list("kind", "total")
        )
        found.append(
            Circulation(
                currency=currency,
                supply=supply,
                owed=sum(int(totals.get(kind) or 0) for kind in OWED_KINDS),
                in_budgets=int(totals.get(AccountKind.BUDGET) or 0),
                settled=int(totals.get(AccountKind.SETTLEMENT) or 0),
            )
        )
    return found


DUE = (SettlementStatus.REQUESTED, SettlementStatus.APPROVED, SettlementStatus.EXPORTED)


def settlements_due() -> list[dict[str, object]]:
    """Settlements not paid yet, per status: how many, the tokens and the euros to transfer."""
    rows = {
        str(status): (int(count), int(tokens or 0), int(fees or 0))
        for status, count, tokens, fees in Settlement.objects.filter(status__in=DUE)
        .values_list("status")
        .annotate(count=Count("id"), tokens=Sum("amount"), fees=Sum("fee"))
        .values_list("status", "count", "tokens", "fees")
    }
    found = []
    for status in DUE:
        count, tokens, fees = rows.get(str(status), (0, 0, 0))
        found.append(
            {
                "status": str(status),
                "label": status.label,
                "count": count,
                "tokens": tokens,
                "euros": tokens - fees,
            }
        )
    return found


@dataclass(frozen=True, slots=True)
class ReportLine:
    category: str
    label: str
    tasks: int
    minutes: int
    residents: int
    tokens: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def funders_report(*, campaign: Campaign, first: date, last: date) -> list[ReportLine]:
    """The campaign's paid work from `first` to `last` (inclusive, by payout date) per task
    category, and a total line (category ""): tasks, estimated hours, distinct residents and
    the tokens the ledger paid out for them."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
    claims = Claim.objects.filter(
        task__campaign=campaign, status=ClaimStatus.PAID, paid_at__gte=start, paid_at__lt=end
    )
    tokens: dict[str, int] = {
        str(category): int(total or 0)
        for category, total in claims.values_list("task__category").annotate(
            total=Sum(
                "payout_transfer__entries__amount",
                filter=Q(payout_transfer__entries__amount__gt=0),
            )
        )
    }
    lines = [
        ReportLine(
            category=str(category),
            label=str(TaskCategory(category).label),
            tasks=int(tasks),
            minutes=int(minutes or 0),
            residents=int(residents),
            tokens=tokens.get(str(category), 0),
        )
        for category, tasks, minutes, residents in claims.values_list("task__category")
        .annotate(
            tasks=Count("id", distinct=True),
            minutes=Sum("task__estimated_minutes"),
            residents=Count("resident_id", distinct=True),
        )
        .values_list("task__category", "tasks", "minutes", "residents")
        .order_by("task__category")
    ]
    lines.append(
        ReportLine(
            category="",
            label="",
            tasks=sum(line.tasks for line in lines),
            minutes=sum(line.minutes for line in lines),
            residents=claims.values("resident_id").distinct().count(),
            tokens=sum(line.tokens for line in lines),
        )
    )
    return lines


def campaigns() -> Sequence[Campaign]:
    return list(Campaign.objects.order_by("-starts_on", "name"))
