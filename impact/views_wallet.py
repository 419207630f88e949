"""The wallet's "what I achieved" page (a page of its own, linked from the wallet home)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ResidentProfile
from accounts.views_wallet import uncached_resident_page
from core.http import csv_response
from core.money import amount_plain
from core.routes import Routes
from rewards.earning import rules_by_month, rules_for_year

from .achieved import resident_achieved
from .statements import resident_year

routes = Routes()

FIRST_YEAR = 2020


@routes("", name="wallet-achieved")
@uncached_resident_page("GET")
def wallet_achieved(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    return render(request, "impact/achieved.html", {"achieved": resident_achieved(profile=profile)})


@routes("<int:year>/", name="wallet-year-statement")
@uncached_resident_page("GET")
def wallet_year_statement(
    request: HttpRequest, profile: ResidentProfile, year: int
) -> HttpResponse:
    """The resident's own earnings in `year`, month by month, with the year's earning rules
    (their hourly rate, the monthly and the annual cap): a printable page, or CSV with
    ?format=csv. Only ever the signed-in resident's own wallet."""
    this_year = timezone.localdate().year
    if not FIRST_YEAR <= year <= this_year:
        return render(
            request,
            "impact/year_statement.html",
            {"problem": _("There is no statement for that year."), "year": year},
            status=404,
        )
    months = resident_year(profile=profile, year=year)
    rules = rules_for_year(year=year)
    rate = rules.hourly_rate(profile.birth_year)
    by_month = rules_by_month(year=year)
    if request.GET.get("format") == "csv":
        return csv_response(
            filename=f"heitje-statement-{year}.csv",
            header=[
                "month",
                "tasks",
                "estimated_hours",
                "earned",
                "earned_this_year",
                "monthly_cap",
                "annual_cap",
                "hourly_rate",
            ],
            rows=(
                [
                    line.month.isoformat()[:7],
                    line.tasks,
                    line.hours,
                    amount_plain(line.earned),
                    amount_plain(line.earned_so_far),
                    amount_plain(applied.monthly_cap) if applied.monthly_cap else "",
                    amount_plain(applied.annual_cap),
                    amount_plain(applied.hourly_rate(profile.birth_year)),
                ]
                for line, applied in zip(months, by_month, strict=True)
            ),
        )
    return render(
        request,
        "impact/year_statement.html",
        {
            "year": year,
            "months": list(zip(months, by_month, strict=True)),
            "total": months[-1].earned_so_far,
            "rules": rules,
            "rate": rate,
            "youth": rules.is_youth(profile.birth_year),
            "name": profile.user.display_name or profile.user.email,
            "neighbourhood": profile.neighbourhood,
            "printed": timezone.localdate(),
        },
    )
