"""Statements from the ledger (docs/impact.md): a resident's year, what they earned per month
for a benefits office (the payouts into their wallet); a shop's month, day by day (payments,
refunds, settlements into euros and the balance), for its bookkeeping."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from accounts.models import ResidentProfile


@dataclass(frozen=True, slots=True)
class StatementMonth:
    month: date
    tasks: int
    minutes: int
    earned: int
    earned_so_far: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


_MONTHS_SQL = """
SELECT date_trunc('month', t.created_at AT TIME ZONE %(tz)s)::date AS month,
       count(*), coalesce(sum(k.estimated_minutes), 0), sum(e.amount)
  FROM ledger_entry e
  JOIN ledger_transfer t ON t.id = e.transfer_id AND t.kind = 'payout'
  LEFT JOIN rewards_claim c ON c.payout_transfer_id = t.id
  LEFT JOIN rewards_task k ON k.id = c.task_id
 WHERE e.account_id = %(wallet)s AND t.created_at >= %(start)s AND t.created_at < %(end)s
 GROUP BY 1
"""


def resident_year(*, profile: ResidentProfile, year: int) -> list[StatementMonth]:
    """Twelve months of the year: the payouts into the resident's wallet (tasks, their estimated
    hours, tokens) by the ledger's time, and the running total the annual cap is checked on."""
    zone = ZoneInfo(settings.TIME_ZONE)
    params: dict[str, Any] = {
        "tz": settings.TIME_ZONE,
        "wallet": profile.wallet_id,
        "start": datetime(year, 1, 1, tzinfo=zone),
        "end": datetime(year + 1, 1, 1, tzinfo=zone),
    }
    with connection.cursor() as cursor:
        cursor.execute(_MONTHS_SQL, params)
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    months, so_far = [], 0
    for number in range(1, 13):
        month = date(year, number, 1)
        tasks, minutes, earned = rows.get(month, (0, 0, 0))
        so_far += int(earned)
        months.append(StatementMonth(month, int(tasks), int(minutes), int(earned), so_far))
    return months


@dataclass(frozen=True, slots=True)
class ShopDay:
    """One day of a shop's month: payments received (how many, how much), refunds given and
    settlements paid out in euros (both as positive amounts), anything else, and the balance at
    the day's end."""

    day: date
    payments: int
    received: int
    refunded: int
    settled: int
    other: int
    balance: int


@dataclass(frozen=True, slots=True)
class ShopMonth:
    month: date
    opening: int
    days: list[ShopDay]

    @property
    def closing(self) -> int:
        return self.days[-1].balance if self.days else self.opening

    @property
    def payments(self) -> int:
        return sum(d.payments for d in self.days)

    @property
    def received(self) -> int:
        return sum(d.received for d in self.days)

    @property
    def refunded(self) -> int:
        return sum(d.refunded for d in self.days)

    @property
    def settled(self) -> int:
        return sum(d.settled for d in self.days)

    @property
    def other(self) -> int:
        return sum(d.other for d in self.days)


_SHOP_DAYS_SQL = """
SELECT date_trunc('day', t.created_at AT TIME ZONE %(tz)s)::date AS day, t.kind,
       count(*), sum(e.amount)
  FROM ledger_entry e
  JOIN ledger_transfer t ON t.id = e.transfer_id
 WHERE e.account_id = %(account)s AND t.created_at >= %(start)s AND t.created_at < %(end)s
 GROUP BY 1, 2
 ORDER BY 1
"""
_BALANCE_BEFORE_SQL = """
SELECT coalesce(sum(e.amount), 0)
  FROM ledger_entry e
  JOIN ledger_transfer t ON t.id = e.transfer_id
 WHERE e.account_id = %(account)s AND t.created_at < %(start)s
"""


def shop_month(*, account_id: int | None, year: int, month: int) -> ShopMonth:
    """A shop account's month by the ledger's time: the balance it opened with, and each day
    with movements (payments, refunds, settlements, other) and the balance at its end."""
    zone = ZoneInfo(settings.TIME_ZONE)
    first = date(year, month, 1)
    if account_id is None:
        return ShopMonth(first, 0, [])
    after = date(year + month // 12, month % 12 + 1, 1)
    params: dict[str, Any] = {
        "tz": settings.TIME_ZONE,
        "account": account_id,
        "start": datetime(year, month, 1, tzinfo=zone),
        "end": datetime(after.year, after.month, 1, tzinfo=zone),
    }
    with connection.cursor() as cursor:
        cursor.execute(_BALANCE_BEFORE_SQL, params)
        opening = int(cursor.fetchone()[0])
        cursor.execute(_SHOP_DAYS_SQL, params)
        rows = cursor.fetchall()
    by_day: dict[date, dict[str, tuple[int, int]]] = {}
    for day, kind, count, amount in rows:
        by_day.setdefault(day, {})[kind] = (int(count), int(amount))
    days, balance = [], opening
    for day, kinds in by_day.items():
        payments, received = kinds.pop("payment", (0, 0))
        refunded = -kinds.pop("refund", (0, 0))[1]
        settled = -kinds.pop("settlement", (0, 0))[1]
        other = sum(amount for _count, amount in kinds.values())
        balance += received - refunded - settled + other
        days.append(ShopDay(day, payments, received, refunded, settled, other, balance))
    return ShopMonth(first, opening, days)
