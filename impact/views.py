"""The public impact page: what the work achieved, per neighbourhood and month, as charts with
a table beside each (docs/impact.md)."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.models import Neighbourhood
from core.routes import Routes

from . import figures
from .charts import bar_chart
from .inputs import id_or_none
from .suppression import MINIMUM_RESIDENTS

routes = Routes()


def _selected(request: HttpRequest) -> tuple[Neighbourhood | None, str]:
    """The neighbourhood asked for (None: the whole town), and a sentence when it is unknown."""
    raw = request.GET.get("neighbourhood", "")
    if not raw:
        return None, ""
    pk = id_or_none(raw)
    found = Neighbourhood.objects.filter(pk=pk).first() if pk else None
    if found is None:
        return None, _("We do not know that neighbourhood. Here are the figures of the whole town.")
    return found, ""


def _series(
    rows: list[dict[str, Any]], part: str, value: Callable[[Any], float]
) -> list[float | None]:
    """One chart series: `value` of each month's `part`, None where it is withheld."""
    return [None if row[part].withheld else value(row[part]) for row in rows]


@routes("impact/", name="impact")
def impact(request: HttpRequest) -> HttpResponse:
    """Tasks, hours, tokens earned and spent, the share spent locally, and who took part,
    month by month for the town or one neighbourhood; small figures withheld."""
    neighbourhood, problem = _selected(request)
    key = figures.area(neighbourhood.pk) if neighbourhood else figures.TOWN
    months = figures.months_back()
    work = figures.work_published(months)
    spending = figures.spending_published(months)
    shops = figures.shops_taking_part(months)
    rows: list[dict[str, Any]] = []
    for month in months:
        done = work.get(month, {}).get(key, figures.Work())
        spent = spending.get(month, {}).get(key, figures.Spending())
        shops_paid = shops.get(month, {}).get(key, 0)
        rows.append({"month": month, "work": done, "spending": spent, "shops": shops_paid})

    charts = {
        "work": bar_chart(
            slug="work",
            months=months,
            series=[
                (_("Tasks completed"), _series(rows, "work", lambda w: w.tasks)),
                (_("Estimated hours"), _series(rows, "work", lambda w: w.hours)),
            ],
        ),
        "tokens": bar_chart(
            slug="tokens",
            months=months,
            series=[
                (_("Tokens earned"), _series(rows, "work", lambda w: w.earned / 100)),
                (
                    _("Tokens spent at local shops"),
                    _series(rows, "spending", lambda s: s.spent / 100),
                ),
            ],
        ),
        "share": bar_chart(
            slug="share",
            months=months,
            series=[
                (
                    _("Share spent in the same neighbourhood (%)"),
                    _series(rows, "spending", lambda s: s.local_share or 0),
                )
            ],
            top=100,
        ),
        "people": bar_chart(
            slug="people",
            months=months,
            series=[
                (_("Residents taking part"), _series(rows, "work", lambda w: w.residents)),
                (_("Shops taking part"), [float(row["shops"]) for row in rows]),
            ],
        ),
    }
    return render(
        request,
        "impact/impact.html",
        {
            "neighbourhoods": Neighbourhood.objects.all(),
            "neighbourhood": neighbourhood,
            "problem": problem,
            "rows": rows,
            "charts": charts,
            "first_month": months[0],
            "last_month": months[-1],
            "minimum": MINIMUM_RESIDENTS,
        },
        status=400 if problem else 200,
    )
