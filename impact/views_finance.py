"""The staff finance page and the funders' report (CSV and a printable page)."""

import csv
import io
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.permissions import staff_page
from core.routes import Routes
from rewards.models import Campaign

from . import finance
from .inputs import id_or_none

routes = Routes()

FINANCE_ROLES = (Role.FINANCE, Role.APPROVER, Role.TASK_MANAGER, Role.ADMIN)


@routes("staff/finance/", name="staff-finance")
@require_GET
@staff_page(*FINANCE_ROLES)
def finance_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "impact/finance.html",
        {
            "burn": finance.budget_burn(),
            "weeks": finance.weeks(),
            "circulation": finance.circulation(),
            "settlements": finance.settlements_due(),
            "campaigns": finance.campaigns(),
        },
    )


def _report_input(request: HttpRequest) -> tuple[Campaign | None, date, date, str]:
    """The campaign and period asked for, or a sentence saying what is wrong with them."""
    raw = request.GET.get("campaign", "")
    pk = id_or_none(raw)
    campaign = Campaign.objects.filter(pk=pk).first() if pk else None
    try:
        first = date.fromisoformat(request.GET.get("from", ""))
        last = date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        today = timezone.localdate()
        return campaign, today, today, _("Enter the period as two dates, from and to.")
    if campaign is None:
        return None, first, last, _("Choose a campaign.")
    if last < first:
        return campaign, first, last, _("The end of the period lies before its start.")
    return campaign, first, last, ""


def _csv(campaign: Campaign, first: date, last: date, lines: list[finance.ReportLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "campaign",
            "from",
            "to",
            "category",
            "tasks_completed",
            "estimated_hours",
            "residents",
            "tokens_paid_out",
        ]
    )
    for line in lines:
        writer.writerow(
            [
                campaign.name,
                first.isoformat(),
                last.isoformat(),
                line.category or "total",
                line.tasks,
                line.hours,
                line.residents,
                f"{line.tokens / 100:.2f}",
            ]
        )
    return out.getvalue()


@routes("staff/finance/report/", name="staff-finance-report")
@require_GET
@staff_page(*FINANCE_ROLES)
def funders_report(request: HttpRequest) -> HttpResponse:
    """A campaign's work in a period for its funders: a printable page, or CSV (?format=csv)."""
    campaign, first, last, problem = _report_input(request)
    if problem or campaign is None:
        return render(
            request,
            "impact/funders_report.html",
            {"problem": problem, "campaigns": finance.campaigns()},
            status=400,
        )
    lines = finance.funders_report(campaign=campaign, first=first, last=last)
    if request.GET.get("format") == "csv":
        response = HttpResponse(
            _csv(campaign, first, last, lines), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="heitje-report-{campaign.pk}-{first}-{last}.csv"'
        )
        return response
    return render(
        request,
        "impact/funders_report.html",
        {
            "campaign": campaign,
            "first": first,
            "last": last,
            "lines": lines[:-1],
            "total": lines[-1],
            "query": request.GET.urlencode(),
        },
    )
