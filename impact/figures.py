"""The figures of the impact page and the open data, read from the ledger and the claims.

Work (per month, neighbourhood of the task, task category): paid claims, counted in the month
the resident handed the work in (`submitted_at`; the payout's time when there is none), their
estimated hours, the tokens the ledger paid out for them (the payout transfer's credit to the
wallet) and the distinct residents who did them.

Spending (per month, neighbourhood the paying resident lives in): what residents' wallets paid
shops, less refunds, in the ledger's own amounts (the shop account's leg of each payment and
refund transfer), counted in the month of the payment or refund; the part paid to shops in the
resident's own neighbourhood; the distinct residents who paid. Paper vouchers are not a
resident's wallet and are left out.

Every figure backed by fewer than five residents is withheld, with as many others as it takes
that none can be solved for (`impact.suppression`, docs/open-data.md). Neighbourhood id 0 stands
for "no neighbourhood given".
"""

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .suppression import Sum, suppress

MONTHS_SHOWN = 12

TOWN: tuple[str] = ("town",)


def area(neighbourhood: int) -> tuple[str, int]:
    return ("area", neighbourhood)


def category(name: str) -> tuple[str, str]:
    return ("category", name)


def cell(neighbourhood: int, name: str) -> tuple[str, int, str]:
    return ("cell", neighbourhood, name)


@dataclass(frozen=True, slots=True)
class Work:
    tasks: int = 0
    minutes: int = 0
    earned: int = 0
    residents: int = 0
    withheld: bool = False

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass(frozen=True, slots=True)
class Spending:
    spent: int = 0
    local: int = 0
    residents: int = 0
    withheld: bool = False

    @property
    def local_share(self) -> int | None:
        """Percent of the spending at shops in the residents' own neighbourhood."""
        return round(100 * self.local / self.spent) if self.spent > 0 else None


def months_back(count: int = MONTHS_SHOWN, *, today: date | None = None) -> list[date]:
    """The first days of the last `count` months, oldest first, this month included."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    found = []
    for _ in range(count):
        found.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def _after(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


_WORK_SQL = """
WITH work AS (
    SELECT coalesce(t.neighbourhood_id, 0) AS area, t.category,
           date_trunc('month', coalesce(c.submitted_at, tr.created_at) AT TIME ZONE %(tz)s)::date
               AS month,
           t.estimated_minutes, e.amount, c.resident_id
      FROM rewards_claim c
      JOIN rewards_task t ON t.id = c.task_id
      JOIN ledger_transfer tr ON tr.id = c.payout_transfer_id
      JOIN ledger_entry e ON e.transfer_id = tr.id AND e.amount > 0
     WHERE c.status = 'paid'
)
SELECT month, area, category, GROUPING(area, category), count(*), sum(estimated_minutes),
       sum(amount), count(DISTINCT resident_id)
  FROM work
 WHERE month >= %(first)s AND month < %(end)s
 GROUP BY GROUPING SETS ((month, area, category), (month, area), (month, category), (month))
"""

_SPENDING_SQL = """
WITH moves AS (
    SELECT p.transfer_id, p.shop_id, p.created_at FROM payments_payment p
    UNION ALL
    SELECT r.transfer_id, p.shop_id, r.created_at
      FROM payments_refund r JOIN payments_payment p ON p.id = r.payment_id
), spending AS (
    SELECT coalesce(rp.neighbourhood_id, 0) AS area,
           date_trunc('month', m.created_at AT TIME ZONE %(tz)s)::date AS month,
           se.amount, rp.neighbourhood_id = s.neighbourhood_id AS local,
           rp.id AS resident
      FROM moves m
      JOIN accounts_shop s ON s.id = m.shop_id
      JOIN ledger_entry se ON se.transfer_id = m.transfer_id AND se.account_id = s.account_id
      JOIN ledger_entry we ON we.transfer_id = m.transfer_id AND we.account_id <> s.account_id
      JOIN accounts_residentprofile rp ON rp.wallet_id = we.account_id
)
SELECT month, area, GROUPING(area), sum(amount), coalesce(sum(amount) FILTER (WHERE local), 0),
       count(DISTINCT resident)
  FROM spending
 WHERE month >= %(first)s AND month < %(end)s
 GROUP BY GROUPING SETS ((month, area), (month))
"""

_SHOPS_SQL = """
SELECT date_trunc('month', p.created_at AT TIME ZONE %(tz)s)::date AS month,
       coalesce(s.neighbourhood_id, 0), count(DISTINCT s.id)
  FROM payments_payment p JOIN accounts_shop s ON s.id = p.shop_id
 WHERE p.created_at >= %(first_at)s AND p.created_at < %(end_at)s
 GROUP BY 1, 2
"""


def _params(months: Sequence[date]) -> dict[str, Any]:
    zone = ZoneInfo(settings.TIME_ZONE)
    first, end = months[0], _after(months[-1])
    return {
        "tz": settings.TIME_ZONE,
        "first": first,
        "end": end,
        "first_at": datetime(first.year, first.month, 1, tzinfo=zone),
        "end_at": datetime(end.year, end.month, 1, tzinfo=zone),
    }


def work_raw(months: Sequence[date]) -> dict[date, dict[Hashable, Work]]:
    """Work per month, before suppression: cells, neighbourhood and category totals, town."""
    found: dict[date, dict[Hashable, Work]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(_WORK_SQL, _params(months))
        for month, where, kind, grouping, tasks, minutes, earned, residents in cursor.fetchall():
            key: Hashable = {
                0: cell(where, kind),
                1: area(where),
                2: category(kind),
                3: TOWN,
            }[grouping]
            found[month][key] = Work(int(tasks), int(minutes), int(earned), int(residents))
    return found


def work_sums(keys: Sequence[Hashable]) -> list[Sum]:
    """How a month's work figures add up: cells to their neighbourhood and to their category,
    neighbourhoods and categories each to the town."""
    cells = [key for key in keys if key[0] == "cell"]  # type: ignore[index]
    areas = sorted({key[1] for key in cells})  # type: ignore[index]
    kinds = sorted({key[2] for key in cells})  # type: ignore[index]
    return [
        *(Sum(area(a), tuple(c for c in cells if c[1] == a)) for a in areas),  # type: ignore[index]
        *(Sum(category(k), tuple(c for c in cells if c[2] == k)) for k in kinds),  # type: ignore[index]
        Sum(TOWN, tuple(area(a) for a in areas)),
        Sum(TOWN, tuple(category(k) for k in kinds)),
    ]


def work_published(months: Sequence[date]) -> dict[date, dict[Hashable, Work]]:
    """Work per month as published: figures of fewer than five residents withheld, and the
    complementary cells that would give them away."""
    published = {}
    for month, figures in work_raw(months).items():
        hidden = suppress(
            residents={key: work.residents for key, work in figures.items()},
            sums=work_sums(list(figures)),
        )
        published[month] = {
            key: (Work(withheld=True) if key in hidden else work) for key, work in figures.items()
        }
    return published


def spending_raw(months: Sequence[date]) -> dict[date, dict[Hashable, Spending]]:
    found: dict[date, dict[Hashable, Spending]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(_SPENDING_SQL, _params(months))
        for month, where, grouping, spent, local, residents in cursor.fetchall():
            key = TOWN if grouping else area(where)
            found[month][key] = Spending(int(spent), int(local), int(residents))
    return found


def spending_published(months: Sequence[date]) -> dict[date, dict[Hashable, Spending]]:
    """Spending per month as published, withheld like the work (the town is the sum of the
    neighbourhoods, for the amount spent and for the part spent locally alike)."""
    published = {}
    for month, figures in spending_raw(months).items():
        areas = tuple(key for key in figures if key != TOWN)
        hidden = suppress(
            residents={key: figures[key].residents for key in figures},
            sums=[Sum(TOWN, areas)],
        )
        published[month] = {
            key: (Spending(withheld=True) if key in hidden else value)
            for key, value in figures.items()
        }
    return published


def shops_taking_part(months: Sequence[date]) -> dict[date, dict[Hashable, int]]:
    """Shops paid by residents per month, by the shop's neighbourhood and for the town."""
    found: dict[date, dict[Hashable, int]] = defaultdict(lambda: defaultdict(int))
    with connection.cursor() as cursor:
        cursor.execute(_SHOPS_SQL, _params(months))
        for month, where, shops in cursor.fetchall():
            found[month][area(where)] = int(shops)
            found[month][TOWN] += int(shops)
    return found
