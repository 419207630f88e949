"""Staff page of wallet expiry (/staff/payments/expiry/, finance and administrators): each
currency's rule, how many wallets are within a month of expiry and their tokens, and a form to
switch expiry on (1 to 120 months) or off. The form asks (GET) for a confirmation that says
what happens to residents; its button posts the same address, and `payments.expiry` switches
the rule with the audit event `currency.expiry` (as `manage.py currency_expiry` does)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.permissions import staff_page
from accounts.templatetags.heitje import tokens_unit
from core.http import act, form_status
from core.routes import Routes
from ledger.models import Currency

from . import expiry
from .views_staff_common import EXPIRY_ROLES, staff_confirm, staff_render, staff_user

routes = Routes()

MONTHS_MIN, MONTHS_MAX = 1, 120


class ExpiryForm(forms.Form):
    """The new rule of one currency: `rule` "on" with `months`, or "off"."""

    code = forms.CharField(widget=forms.HiddenInput)
    months = forms.IntegerField(
        label=gettext_lazy("Months without a payment or reward"),
        help_text=gettext_lazy("A whole number from 1 to 120."),
        min_value=MONTHS_MIN,
        max_value=MONTHS_MAX,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    rule = forms.ChoiceField(choices=(("on", "on"), ("off", "off")), widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("rule") == "on" and data.get("months") is None and "months" not in self.errors:
            self.add_error("months", _("Say after how many months, from 1 to 120."))
        code = data.get("code")
        if code and not Currency.objects.filter(code=code).exists():
            self.add_error(None, _("There is no such currency."))
        return data

    def new_months(self) -> int | None:
        return self.cleaned_data["months"] if self.cleaned_data["rule"] == "on" else None


def _rule_text(months: int | None) -> str:
    if months is None:
        return _("Off: wallets never expire")
    return ngettext(
        "On: after %(months)d month without a payment or reward",
        "On: after %(months)d months without a payment or reward",
        months,
    ) % {"months": months}


def _auto_id(code: str) -> str:
    return "expiry-" + "".join(c for c in code.lower() if c.isalnum()) + "-%s"


def _overview(request: HttpRequest, form: ExpiryForm | None = None, status: int = 200) -> Any:
    rows = []
    for currency in Currency.objects.order_by("code"):
        outlook = expiry.expiry_outlook(currency=currency)
        mine = form if form is not None and form.data.get("code") == currency.code else None
        rows.append(
            {
                "currency": currency,
                "rule": _rule_text(currency.expiry_months),
                "wallets": outlook.wallets,
                "amount": tokens_unit(outlook.amount, currency.decimals),
                "form": mine
                or ExpiryForm(
                    initial={"code": currency.code, "months": currency.expiry_months},
                    auto_id=_auto_id(currency.code),
                ),
            }
        )
    return staff_render(request, "payments/staff/expiry.html", {"rows": rows}, status)


def _confirm(request: HttpRequest, form: ExpiryForm) -> HttpResponse:
    currency = Currency.objects.get(code=form.cleaned_data["code"])
    months = form.new_months()
    outlook = expiry.expiry_outlook(currency=currency, months=months)
    facts = [
        (_("Now"), _rule_text(currency.expiry_months)),
        (_("After this change"), _rule_text(months)),
    ]
    if months is None:
        title = _("Switch wallet expiry off for %(currency)s?") % {"currency": currency.name}
        facts += [  # the outlook under the rule in force: these keep their tokens
            (_("Wallets that keep their tokens now"), str(outlook.wallets)),
            (_("Tokens they keep"), tokens_unit(outlook.amount, currency.decimals)),
        ]
        notes = [
            _(
                "No wallet expires while expiry is off: residents keep all their tokens, "
                "however long they do not use their wallet."
            ),
            _("Notices already sent stay in residents' messages, but nothing is taken."),
        ]
        button = _("Switch expiry off")
    else:
        title = _("Let dormant wallets expire after %(months)d months?") % {"months": months}
        facts += [
            (_("Wallets within a month of expiry"), str(outlook.wallets)),
            (_("Tokens involved"), tokens_unit(outlook.amount, currency.decimals)),
        ]
        notes = [
            ngettext(
                "A resident who has not paid or received anything for %(months)d month loses "
                "the tokens in their wallet: they return to the municipality.",
                "A resident who has not paid or received anything for %(months)d months loses "
                "the tokens in their wallet: they return to the municipality.",
                months,
            )
            % {"months": months},
            _(
                "Nobody loses tokens without warning: each resident gets a message and a mail "
                "a month before, and any payment or reward in that month keeps the tokens."
            ),
            ngettext(
                "%(count)d wallet (%(amount)s) is that quiet already: its resident is told "
                "tomorrow and loses the tokens a month later unless they use the wallet.",
                "%(count)d wallets (%(amount)s) are that quiet already: their residents are told "
                "tomorrow and lose the tokens a month later unless they use the wallet.",
                outlook.wallets,
            )
            % {"count": outlook.wallets, "amount": tokens_unit(outlook.amount, currency.decimals)},
        ]
        button = _("Switch expiry on (%(months)d months)") % {"months": months}
    return staff_confirm(
        request,
        title=title,
        facts=facts,
        notes=notes,
        button=button,
        danger=months is not None,
        action=request.get_full_path(),
        cancel=reverse("payments-staff-expiry"),
    )


@routes("expiry/", name="payments-staff-expiry")
@never_cache
@staff_page(*EXPIRY_ROLES)
@require_http_methods(["GET", "POST"])
def expiry_page(request: HttpRequest) -> HttpResponse:
    """GET: the rules and the overview; GET with the form's fields: the confirmation; POST
    (to the confirmation's address): switch the rule, then back to the overview."""
    if not request.GET:
        return _overview(request)
    form = ExpiryForm(request.GET, auto_id=_auto_id(request.GET.get("code", "")))
    if not form.is_valid():
        return _overview(request, form, form_status(form))
    if request.method == "GET":
        return _confirm(request, form)
    months = form.new_months()
    act(
        request,
        lambda: expiry.currency_expiry_switch(
            actor=staff_user(request), code=form.cleaned_data["code"], months=months
        ),
        _rule_text(months),
    )
    return redirect("payments-staff-expiry")
