"""The earning rules per year in the staff console (/staff/rewards/rules/): finance and
administrators see each year's hourly and youth rates and caps, and set this year's or a later
year's (rewards.earning.rules_set, audited)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import staff_page
from core.http import form_page
from core.routes import Routes

from .. import earning
from ..forms import EarningRulesForm
from ..models import EarningRules
from .common import request_user, staff_render

routes = Routes()

RULES_ROLES = tuple(sorted(earning.RULES_ROLES))


@routes("rules/", name="rewards-staff-rules")
@staff_page(*RULES_ROLES)
@require_GET
def rules_list(request: HttpRequest) -> HttpResponse:
    """This year, next year and every year with rules of its own, newest first."""
    this_year = timezone.localdate().year
    years = {this_year, this_year + 1, *EarningRules.objects.values_list("year", flat=True)}
    rows = [earning.rules_for_year(year=year) for year in sorted(years, reverse=True)]
    return staff_render(request, "rewards/staff/rules.html", {"rows": rows, "this_year": this_year})


@routes("rules/<int:year>/", name="rewards-staff-rules-edit")
@staff_page(*RULES_ROLES)
@require_http_methods(["GET", "POST"])
def rules_edit(request: HttpRequest, year: int) -> HttpResponse:
    this_year = timezone.localdate().year
    if not this_year <= year <= earning.LAST_YEAR:
        raise Http404
    rules = earning.rules_for_year(year=year)
    form = EarningRulesForm.for_rules(rules, request.POST or None)

    def save(data: dict[str, Any]) -> earning.Rules:
        return earning.rules_set(actor=request_user(request), year=year, **data)

    saved = _("The earning rules of %(year)s are saved.") % {"year": year}
    return form_page(
        request,
        form,
        save,
        saved,
        "rewards-staff-rules",
        template="rewards/staff/rules_form.html",
        context={"rules": rules, "year": year},
        page=staff_render,
    )
