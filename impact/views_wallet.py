"""The wallet's "what I achieved" page (a page of its own, linked from the wallet home)."""

import csv
import io

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import ResidentProfile
from accounts.views_wallet import resident_page

from .achieved import resident_achieved
from .statements import resident_year

FIRST_YEAR = 2020


@never_cache
@require_GET
@resident_page
def wallet_achieved(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    return render(request, "impact/achieved.html", {"achieved": resident_achieved(profile=profile)})


@never_cache
@require_GET
@resident_page
def wallet_year_statement(
    request: HttpRequest, profile: ResidentProfile, year: int
) -> HttpResponse:
    """The resident's own earnings in `year`, month by month, with the annual cap: a printable
    page, or CSV with ?format=csv. Only ever the signed-in resident's own wallet."""
    this_year = timezone.localdate().year
    if not FIRST_YEAR <= year <= this_year:
        return render(
            request,
            "impact/year_statement.html",
            {"problem": _("There is no statement for that year."), "year": year},
            status=404,
        )
    months = resident_year(profile=profile, year=year)
    cap = settings.REWARDS_ANNUAL_CAP
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["month", "tasks", "estimated_hours", "earned", "earned_this_year", "annual_cap"]
        )
        for line in months:
            writer.writerow(
                [
                    line.month.isoformat()[:7],
                    line.tasks,
                    line.hours,
                    f"{line.earned / 100:.2f}",
                    f"{line.earned_so_far / 100:.2f}",
                    f"{cap / 100:.2f}",
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="heitje-statement-{year}.csv"'
        return response
    return render(
        request,
        "impact/year_statement.html",
        {
            "year": year,
            "months": months,
            "total": months[-1].earned_so_far,
            "cap": cap,
            "name": profile.user.display_name or profile.user.email,
            "neighbourhood": profile.neighbourhood,
            "printed": timezone.localdate(),
        },
    )
