"""The open data: the published work figures per month, neighbourhood and task category, as
rows for CSV and JSON (schema and licence in docs/open-data.md)."""

import csv
import io
from collections.abc import Hashable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Neighbourhood
from rewards.models import Claim, ClaimStatus

from . import figures
from .suppression import MINIMUM_RESIDENTS

FIELDS = (
    "month",
    "level",
    "neighbourhood_id",
    "neighbourhood",
    "category",
    "tasks_completed",
    "estimated_hours",
    "tokens_earned",
    "residents",
    "withheld",
)
LICENCE = "CC-BY-4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
MAX_MONTHS = 120
_LEVELS = {"cell": "cell", "area": "neighbourhood", "category": "category", "town": "town"}
_ORDER = {"town": 0, "area": 1, "category": 2, "cell": 3}


def months_published() -> list[date]:
    """Every month from the first paid claim to this one (at most ten years)."""
    first = Claim.objects.filter(status=ClaimStatus.PAID).aggregate(
        first=Min(Coalesce("submitted_at", "paid_at"))
    )["first"]
    today = timezone.localdate()
    if first is None:
        return [date(today.year, today.month, 1)]
    start = timezone.localtime(first).date()
    count = (today.year - start.year) * 12 + today.month - start.month + 1
    return figures.months_back(min(max(count, 1), MAX_MONTHS), today=today)


def rows() -> Iterator[dict[str, Any]]:
    """One row per published figure: cells, neighbourhood and category totals, the town."""
    names = dict(Neighbourhood.objects.values_list("pk", "name"))
    published = figures.work_published(months_published())
    for month in sorted(published):
        keys: list[Hashable] = sorted(
            published[month],
            key=lambda k: (_ORDER[k[0]], repr(k)),  # type: ignore[index]
        )
        for key in keys:
            work = published[month][key]
            kind = key[0]  # type: ignore[index]
            where = key[1] if kind in ("cell", "area") else None  # type: ignore[index]
            category = key[-1] if kind in ("cell", "category") else None  # type: ignore[index]
            yield {
                "month": month.isoformat()[:7],
                "level": _LEVELS[kind],
                "neighbourhood_id": where or None,
                "neighbourhood": names.get(where, "") if where else "",
                "category": category,
                "tasks_completed": None if work.withheld else work.tasks,
                "estimated_hours": None if work.withheld else str(work.hours),
                "tokens_earned": None
                if work.withheld
                else f"{Decimal(work.earned).scaleb(-2):.2f}",
                "residents": None if work.withheld else work.residents,
                "withheld": work.withheld,
            }


def as_csv(data: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in data:
        writer.writerow(
            {
                key: ("" if value is None else str(value).lower() if key == "withheld" else value)
                for key, value in row.items()
            }
        )
    return out.getvalue()


def as_json(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "title": "Heitje: work done per neighbourhood, month and task category",
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "minimum_residents": MINIMUM_RESIDENTS,
        "fields": list(FIELDS),
        "rows": data,
    }
