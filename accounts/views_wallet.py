"""The resident's wallet (/wallet/): balance, residency, statement, and the installable shell
(manifest, service worker, offline page). Phone first: one column, big tap targets."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError
from core.forms import text_field
from core.http import form_refusal, is_htmx
from core.routes import Routes
from ledger import selectors as ledger_selectors

from . import selectors, services, wallet_hooks
from .models import ResidentProfile, User

routes = Routes()

STATEMENT_PAGE = 20

# What each kind of transfer means to a resident, in words.
KIND_LABELS = {
    "mint": gettext_lazy("Tokens issued"),
    "payout": gettext_lazy("Reward for a task"),
    "payment": gettext_lazy("Payment at a shop"),
    "refund": gettext_lazy("Refund from a shop"),
    "voucher": gettext_lazy("Voucher"),
    "settlement": gettext_lazy("Settlement"),
    "expiry": gettext_lazy("Tokens expired"),
    "burn": gettext_lazy("Tokens withdrawn"),
    "donation": gettext_lazy("Donation to the community fund"),
    "reversal": gettext_lazy("Correction"),
}


class ResidencyCodeForm(forms.Form):
    code = text_field(
        gettext_lazy("Code from the letter"),
        40,
        {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
        help_text=gettext_lazy("12 letters and digits, for example ABCD-EFGH-JKLM."),
    )


def resident_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wallet pages: sign in first; only residents have a wallet (anyone else: 403)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        assert isinstance(request.user, User)
        profile = selectors.resident_profile(user=request.user)
        if profile is None:
            raise PermissionDenied
        return view(request, profile, *args, **kwargs)

    return wrapped


def uncached_resident_page(
    *methods: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A resident's own wallet page: `resident_page` (sign in first; anyone but a resident: 403)
    behind the check of `methods` (else 405), never kept by a cache (`never_cache`)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return never_cache(require_http_methods(list(methods))(resident_page(view)))

    return decorate


def _before(request: HttpRequest) -> int | None:
    """`?before=` of the statement: a positive account version, anything else is the start."""
    value = request.GET.get("before", "")
    if value.isascii() and value.isdigit() and 0 < len(value) <= 18:
        return int(value)
    return None


def _other_side(line: ledger_selectors.StatementLine, names: dict[int, str]) -> tuple[str, str]:
    """Who or what is on the other side of a line (a shop, a task), and a detail (a refund's
    reason). Payments and refunds carry the shop's name as it was when they were made."""
    meta = line.metadata or {}
    name = names.get(line.transfer_id) or str(meta.get("shop") or "")
    detail = str(meta.get("reason") or "") if line.kind == "refund" else ""
    return name, detail


def _statement(profile: ResidentProfile, before: int | None) -> dict[str, Any]:
    page = ledger_selectors.account_statement(
        account_id=profile.wallet_id, before_version=before, limit=STATEMENT_PAGE
    )
    names = wallet_hooks.wallet_line_names(page.lines)
    lines = []
    for line in page.lines:
        other, detail = _other_side(line, names)
        lines.append(
            {
                "version": line.version,
                "kind": KIND_LABELS.get(line.kind, line.kind),
                "other": other,
                "detail": detail,
                "created_at": line.created_at,
                "amount": line.amount,
                "balance_after": line.balance_after,
            }
        )
    return {
        "lines": lines,
        "next_before": page.next_before,
        "before": before,
        "decimals": profile.wallet.currency.decimals,
    }


def _tasks_url() -> str | None:
    try:
        return reverse("rewards-wallet-tasks")
    except NoReverseMatch:
        return None


def _page(
    request: HttpRequest, profile: ResidentProfile, form: ResidencyCodeForm, status: int = 200
) -> HttpResponse:
    wallet = profile.wallet
    context = {
        "profile": profile,
        "balance": ledger_selectors.account_balance(account_id=wallet.pk),
        "currency": wallet.currency,
        "wallet": wallet,
        "form": form,
        "tasks_url": _tasks_url(),
        "waiting": 0
        if profile.residency_verified_at
        else wallet_hooks.wallet_waiting_for_residency(user_id=profile.user_id),
        "notices": wallet_hooks.wallet_notices(user_id=profile.user_id),
        **_statement(profile, _before(request)),
    }
    return render(request, "wallet/home.html", context, status=status)


@routes("", name="wallet-home")
@uncached_resident_page("GET")
def wallet_home(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    return _page(request, profile, ResidencyCodeForm())


@routes("statement/", name="wallet-statement")
@uncached_resident_page("GET")
def wallet_statement(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    """The next (older) lines of the statement: a fragment for htmx's "load more", else the
    whole wallet page from that point."""
    if not is_htmx(request):
        return _page(request, profile, ResidencyCodeForm())
    return render(request, "wallet/_lines.html", _statement(profile, _before(request)))


@routes("residency/", name="wallet-residency")
@uncached_resident_page("POST")
def wallet_residency(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    """Verify residency with the code from the municipality's letter. htmx swaps the residency
    box; without JavaScript the wallet page comes back (with the error on the field)."""
    form = ResidencyCodeForm(request.POST)
    verified_now = False
    if profile.residency_verified_at is not None:
        pass  # verified already (another tab): the box shows it, no code is spent
    elif form.is_valid():
        assert isinstance(request.user, User)
        try:
            profile = services.residency_verify_with_code(
                user=request.user, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form_refusal(form, exc)
        else:
            verified_now = True
    if is_htmx(request):
        # htmx swaps only 2xx answers: the refusal is in the fragment, on the field.
        return render(
            request,
            "wallet/_residency.html",
            {"profile": profile, "form": form, "verified_now": verified_now},
        )
    if profile.residency_verified_at is not None:
        if verified_now:
            messages.success(request, _("Thank you: your residency is verified."))
        return redirect("wallet-home")
    return _page(request, profile, form, status=422)


# --- The installable shell --------------------------------------------------------------------

ICONS = [
    ("pwa/icon-192.png", "192x192", "any"),
    ("pwa/icon-512.png", "512x512", "any"),
    ("pwa/icon-maskable-192.png", "192x192", "maskable"),
    ("pwa/icon-maskable-512.png", "512x512", "maskable"),
]
THEME_COLOUR = "#0b6e4f"


def _shell_assets() -> list[str]:
    """What the service worker keeps for offline use: styles, scripts and icons (never money
    data: no wallet page, no API answer)."""
    files = [
        "css/site.css",
        "css/console.css",
        "css/payments.css",
        "css/wallet.css",
        "django_htmx/htmx-2.min.js",
        "js/wallet.js",
        "js/payments.js",
    ]
    return [static(f) for f in files] + [static(icon) for icon, _size, _purpose in ICONS]


@routes("manifest.webmanifest", name="wallet-manifest")
@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    wallet = reverse("wallet-home")
    body = {
        "name": _("Heitje wallet"),
        "short_name": "Heitje",
        "description": _("Your community currency: balance, tasks and payments."),
        "lang": request.LANGUAGE_CODE,
        "id": wallet,
        "start_url": wallet,
        "scope": wallet,
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [
            {"src": static(icon), "sizes": size, "type": "image/png", "purpose": purpose}
            for icon, size, purpose in ICONS
        ],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@routes("sw.js", name="wallet-sw")
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    assets = _shell_assets()
    # The offline page is fetched without cookies: the worker asks for it in the reader's language.
    offline = f"{reverse('wallet-offline')}?lang={request.LANGUAGE_CODE}"
    # A new deploy (new asset names) gives a new cache and so a new worker.
    version = hashlib.sha256("\n".join([offline, *assets]).encode()).hexdigest()[:12]
    response = render(
        request,
        "wallet/sw.js",
        {
            "version": version,
            "offline_url": json.dumps(offline),
            "assets": json.dumps(assets),
            "scope": json.dumps(reverse("wallet-home")),
        },
        content_type="application/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = reverse("wallet-home")
    response["Cache-Control"] = "no-cache"
    return response


@routes("offline/", name="wallet-offline")
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker when the phone has no connection. It holds no personal data:
    the worker fetches it without cookies, naming the reader's language (`?lang=`)."""
    language = request.GET.get("lang", "")
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language
    return render(request, "wallet/offline.html")
