"""A resident's yearly statement: what they earned per month, for a benefits office
(docs/impact.md). Amounts are the payouts into their wallet as the ledger records them."""

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
