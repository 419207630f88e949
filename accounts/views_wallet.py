"""The resident's wallet pages (/wallet/): balance, residency, statement; and the PWA shell
(manifest, service worker, offline page) whose scope is /wallet/."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ledger import selectors as ledger_selectors

from . import selectors, services
from .errors import AccountsError
from .models import ResidentProfile, User

STATEMENT_PAGE = 20
THEME_COLOUR = "#0b6e4f"

# What each kind of transfer means to a resident looking at their own wallet.
KIND_LABELS = {
    "payout": gettext_lazy("Reward for a task"),
    "payment": gettext_lazy("Payment at a shop"),
    "refund": gettext_lazy("Refund from a shop"),
    "voucher": gettext_lazy("Paper voucher"),
    "expiry": gettext_lazy("Expired tokens"),
    "donation": gettext_lazy("Donation"),
    "reversal": gettext_lazy("Correction"),
    "mint": gettext_lazy("Tokens issued"),
    "settlement": gettext_lazy("Settlement"),
    "burn": gettext_lazy("Tokens withdrawn"),
}


class ResidencyCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your letter"),
        max_length=40,
        help_text=gettext_lazy(
            "12 letters and digits, for example ABCD-EFGH-JKLM. Dashes and spaces do not matter."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )


def _resident(request: HttpRequest) -> tuple[User, ResidentProfile]:
    """The signed-in resident and their profile; anyone else is refused with the 403 page."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    profile = selectors.resident_profile(user=user)
    if profile is None or "resident" not in selectors.user_roles(user=user):
        raise PermissionDenied
    return user, profile


def _before(request: HttpRequest) -> int | None:
    """The `before` cursor of the statement; anything that is not a sane version number is
    treated as "from the newest"."""
    raw = request.GET.get("before", "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    value = int(raw)
    return value if value >= 1 else None


def _statement(profile: ResidentProfile, before: int | None) -> dict[str, Any]:
    page = ledger_selectors.account_statement(
        account_id=profile.wallet_id, before_version=before, limit=STATEMENT_PAGE
    )
    lines = [
        {
            "version": line.version,
            "label": KIND_LABELS.get(line.kind, line.kind),
            "created_at": line.created_at,
            "amount": line.amount,
            "balance_after": line.balance_after,
        }
        for line in page.lines
    ]
    return {"lines": lines, "next_before": page.next_before, "before": before}


def _residency_context(profile: ResidentProfile, form: ResidencyCodeForm | None) -> dict[str, Any]:
    return {
        "profile": profile,
        "verified": profile.residency_verified_at is not None,
        "residency_form": form or ResidencyCodeForm(),
    }


@never_cache
@login_required
@require_GET
def wallet_home(request: HttpRequest) -> HttpResponse:
    """Balance, residency and the latest lines of the statement."""
    _user, profile = _resident(request)
    before = _before(request)
    context = {
        "balance": ledger_selectors.account_balance(account_id=profile.wallet_id),
        "currency": profile.wallet.currency,
        "statement": _statement(profile, before),
        **_residency_context(profile, None),
    }
    return render(request, "wallet/home.html", context)


@never_cache
@login_required
@require_GET
def wallet_statement(request: HttpRequest) -> HttpResponse:
    """Older statement lines: a fragment for htmx' "load more", else the whole wallet page."""
    _user, profile = _resident(request)
    if not request.htmx:  # type: ignore[attr-defined]
        target = redirect("wallet-home")
        before = _before(request)
        if before is not None:
            target["Location"] += f"?before={before}#statement"
        return target
    context = {
        "statement": _statement(profile, _before(request)),
        "currency": profile.wallet.currency,
    }
    return render(request, "wallet/_statement_lines.html", context)


@never_cache
@login_required
@require_POST
def wallet_residency(request: HttpRequest) -> HttpResponse:
    """Verify residency with the code from a municipal letter. With htmx only the residency box
    is swapped; without, the page reloads."""
    user, profile = _resident(request)
    form = ResidencyCodeForm(request.POST)
    if form.is_valid():
        try:
            profile = services.residency_verify_with_code(user=user, code=form.cleaned_data["code"])
        except AccountsError as exc:
            form.add_error("code", _(exc.message))
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, _("Thank you: you are verified as a resident."))
                return redirect("wallet-home")
            form = ResidencyCodeForm()
    context = _residency_context(profile, form)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "wallet/_residency.html", context)
    context.update(
        balance=ledger_selectors.account_balance(account_id=profile.wallet_id),
        currency=profile.wallet.currency,
        statement=_statement(profile, None),
    )
    return render(request, "wallet/home.html", context, status=422 if form.errors else 200)


@require_GET
def wallet_offline(request: HttpRequest) -> HttpResponse:
    """What the installed app shows when there is no network. Holds no personal data, so the
    service worker may keep it."""
    return render(request, "wallet/offline.html")


@require_GET
def wallet_manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest that makes the wallet installable."""
    icons = [
        {"src": static(f"pwa/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ] + [
        {
            "src": static(f"pwa/icon-maskable-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "maskable",
        }
        for size in (192, 512)
    ]
    manifest = {
        "id": "/wallet/",
        "name": _("Heitje wallet"),
        "short_name": "Heitje",
        "description": _("Earn and spend the community currency of your neighbourhood."),
        "lang": request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "nl",
        "start_url": "/wallet/",
        "scope": "/wallet/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": icons,
    }
    response = HttpResponse(
        json.dumps(manifest, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def wallet_service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker: keeps the shell (CSS, icons, htmx, the offline page) and never keeps
    money data. Served from /wallet/ so that its scope is the wallet."""
    response = render(
        request,
        "wallet/sw.js",
        {
            "shell": [
                static("css/site.css"),
                static("js/wallet.js"),
                static("django_htmx/htmx-2.min.js"),
                static("pwa/icon-192.png"),
                static("pwa/icon-512.png"),
                "/wallet/offline/",
            ]
        },
        content_type="application/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/wallet/"
    # Browsers check for a new worker on navigation; no caching so a new release is seen at once.
    response["Cache-Control"] = "no-cache"
    return response
