"""The wallet's payment pages (/wallet/pay/), phone first and one-handed:
- Pay: a one-time code as a QR and a short code, replaced before it expires while the page is
  open (a screenshot is useless a minute later), with a countdown; it turns into "paid" when the
  shop has charged it.
- Scan: the camera (or typing) reads a shop's code. A signed payment request shows the shop's
  name and the amount, checked on the server (format, key, signature, expiry, currency, open),
  and is paid on confirmation; a shop's poster names the shop and the resident types the amount.
- History: the wallet's one statement (accounts.views_wallet), which names shops and tasks."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import AccountsError, NotFound
from accounts.models import ResidentProfile, User
from accounts.views_wallet import resident_page
from core.http import form_refusal, form_status, is_htmx, request_user
from core.routes import Routes
from ledger import selectors as ledger_selectors

from . import codes, qr, selectors, services
from .errors import PaymentError
from .forms import ConfirmForm, PosterPayForm, RequestForm, ScanForm
from .models import Payment, PayToken

routes = Routes()

REFRESH_BEFORE = 10  # seconds before expiry at which the page fetches a new code
POLL_SECONDS = 2


def _user(request: HttpRequest) -> User:
    return request_user(request, User)


CONFIRM_KEY = "payments_confirm_up_to"
CONFIRM_SECONDS = 5 * 60


def _confirm_up_to(request: HttpRequest) -> int:
    """The amount (minor units) the resident confirmed for a larger payment, else 0. It is set
    only by the resident's own POST of the confirm form (CSRF-protected), kept in the session
    for a few minutes, and never taken from a link: a link someone else made cannot raise it."""
    if request.GET.get("reset"):
        request.session.pop(CONFIRM_KEY, None)
        return 0
    saved = request.session.get(CONFIRM_KEY)
    if not isinstance(saved, list) or len(saved) != 2:
        return 0
    amount, until = saved
    if not isinstance(amount, int) or not isinstance(until, int | float) or until < time.time():
        request.session.pop(CONFIRM_KEY, None)
        return 0
    return min(amount, settings.PAYMENT_MAX)


def _balance(profile: ResidentProfile) -> int:
    return ledger_selectors.account_balance(account_id=profile.wallet_id)


def _code_context(
    request: HttpRequest, profile: ResidentProfile, confirm_up_to: int
) -> dict[str, Any]:
    issued = services.pay_token_issue(user=_user(request), confirm_up_to=confirm_up_to)
    seconds = max(1, int((issued.expires_at - timezone.now()).total_seconds()))
    return {
        "balance": _balance(profile),
        "code": issued,
        "qr_svg": mark_safe(qr.svg_inline(issued.payload)),  # noqa: S308
        "seconds_left": seconds,
        "confirm_up_to": confirm_up_to,
        "poll_seconds": POLL_SECONDS,
    }


def _pay_page(
    request: HttpRequest, profile: ResidentProfile, form: RequestForm, confirm_up_to: int
) -> HttpResponse:
    context: dict[str, Any] = {
        "profile": profile,
        "form": form,
        "confirm_above": settings.PAYMENT_CONFIRM_ABOVE,
        "refusal": "",
    }
    try:
        context.update(_code_context(request, profile, confirm_up_to))
    except AccountsError as exc:  # a frozen wallet: no code, and the page says why
        context["refusal"] = exc.message
    return render(request, "payments/wallet/pay.html", context, status=form_status(form))


@routes("", name="payments-wallet-pay")
@never_cache
@resident_page
@require_http_methods(["GET", "POST"])
def wallet_pay(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    """Show a fresh code. Above PAYMENT_CONFIRM_ABOVE the resident first confirms the amount
    (the form), and the code carries that confirmation."""
    if request.method == "POST":
        form = RequestForm(request.POST)
        if form.is_valid():
            request.session[CONFIRM_KEY] = [
                int(form.cleaned_data["amount"]),
                time.time() + CONFIRM_SECONDS,
            ]
            return redirect(request.path)
        return _pay_page(request, profile, form, 0)
    return _pay_page(request, profile, RequestForm(), _confirm_up_to(request))


@routes("code/", name="payments-wallet-pay-code")
@never_cache
@resident_page
@require_GET
def wallet_pay_code(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    """htmx's poll of the Pay page: nothing (204) while the code on screen is open and not about
    to expire; "paid" once a shop charged it; the shop and amount to confirm when a till
    charged it above PAYMENT_CONFIRM_ABOVE; else a fresh code."""
    newest = PayToken.objects.filter(resident_id=profile.user_id).order_by("-created_at").first()
    now = timezone.now()
    if newest is not None and newest.payment_id is not None:
        paid = Payment.objects.select_related("shop").get(pk=newest.payment_id)
        return render(
            request, "payments/wallet/_paid.html", {"payment": paid, "balance": _balance(profile)}
        )
    waiting = selectors.confirmation_waiting(token=newest) if newest is not None else None
    if waiting is not None and newest is not None and newest.used_at is None:
        try:
            payload = services.payment_request_payload(waiting)
            preview = services.payment_request_preview(user=_user(request), payload=payload)
        except AccountsError:
            pass  # no longer payable (a key rotated meanwhile): the page goes on as before
        else:
            return _confirm_page(request, preview, "payments/wallet/_confirm_charge.html")
    if (
        newest is not None
        and is_htmx(request)
        and newest.used_at is None
        and (newest.expires_at - now).total_seconds() > REFRESH_BEFORE
    ):
        return HttpResponse(status=204)
    try:
        context = _code_context(request, profile, _confirm_up_to(request))
    except AccountsError as exc:
        return render(request, "payments/wallet/_code.html", {"refusal": exc.message})
    return render(request, "payments/wallet/_code.html", context)


# --- scanning a shop's code -----------------------------------------------------------------


def _form_key() -> str:
    """A key for one payment form, so that sending it twice pays once."""
    return secrets.token_urlsafe(16)


def _scan_page(request: HttpRequest, form: ScanForm, status: int = 200) -> HttpResponse:
    # htmx swaps only 2xx answers: a refusal it should show comes back as 200.
    status = 200 if is_htmx(request) else status
    return render(request, "payments/wallet/scan.html", {"form": form}, status=status)


@routes("scan/", name="payments-wallet-scan")
@never_cache
@resident_page
@require_http_methods(["GET", "POST"])
def wallet_scan(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    """Read a shop's code (scanned, or its short code typed) and show what it asks, before
    anything is paid."""
    if request.method == "GET":
        return _scan_page(request, ScanForm())
    form = ScanForm(request.POST)
    if not form.is_valid():
        return _scan_page(request, form, 422)
    payload = form.cleaned_data["payload"].strip()
    try:
        if (
            payload.startswith(codes.REQUEST_PREFIX)
            or codes.request_short_code_parse(payload) is not None
        ):
            preview = services.payment_request_preview(user=_user(request), payload=payload)
            return _confirm_page(request, preview)
        if payload.startswith(codes.SHOP_PREFIX):
            shop = services.static_shop(payload)
            return _poster_page(
                request, shop.label, PosterPayForm(initial={"payload": payload}), _form_key()
            )
    except NotFound:
        form.add_error("payload", _("This code names no shop that takes payments."))
        return _scan_page(request, form, 422)
    except AccountsError as exc:  # whatever is wrong with the code, it is the code's fault
        form.add_error("payload", exc.message)
        return _scan_page(request, form, 422)
    form.add_error("payload", _("This is not a shop's code. Scan the code the shop shows you."))
    return _scan_page(request, form, 422)


def _confirm_page(
    request: HttpRequest,
    preview: services.RequestPreview,
    template: str = "payments/wallet/confirm.html",
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "preview": preview,
            "form": ConfirmForm(initial={"payload": preview.payload, "amount": preview.amount}),
        },
    )


def _poster_page(
    request: HttpRequest, shop_name: str, form: PosterPayForm, key: str, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "payments/wallet/poster_pay.html",
        {"shop_name": shop_name, "form": form, "key": key},
        status=status,
    )


@routes("scan/confirm/", name="payments-wallet-confirm")
@never_cache
@resident_page
@require_POST
def wallet_confirm(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    """Pay the shop's request the resident saw and confirmed. The signed code is checked again
    (it may have expired or been paid meanwhile); the amount paid is the signed one, and a
    changed amount field is refused rather than silently ignored."""
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _scan_page(request, ScanForm(), 422)
    payload = form.cleaned_data["payload"]
    try:
        preview = services.payment_request_preview(user=_user(request), payload=payload)
        if preview.amount != form.cleaned_data["amount"]:
            raise PaymentError(_("The amount changed. Scan the shop's code again."))
        payment = services.payment_request_pay(user=_user(request), payload=payload)
    except AccountsError as exc:
        scan = ScanForm(initial={"payload": ""})
        return render(
            request, "payments/wallet/scan.html", {"form": scan, "refusal": exc.message}, status=422
        )
    return redirect("payments-wallet-paid", payment_id=payment.pk)


@routes("scan/amount/", name="payments-wallet-poster-pay")
@never_cache
@resident_page
@require_POST
def wallet_poster_pay(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    form = PosterPayForm(request.POST)
    key = request.POST.get("key", "")
    if not services.CLIENT_KEY.fullmatch(key):
        key = _form_key()
    try:
        shop_name = services.static_shop(request.POST.get("payload", "")[:200]).label
    except AccountsError:
        return _scan_page(request, ScanForm(), 422)
    if form.is_valid():
        try:
            payment = services.pay_static_shop(
                user=_user(request),
                shop=form.cleaned_data["payload"],
                amount=form.cleaned_data["amount"],
                idempotency_key=key,
            )
        except AccountsError as exc:
            form_refusal(form, exc, fields={"payload": "amount"})
        else:
            return redirect("payments-wallet-paid", payment_id=payment.pk)
    return _poster_page(request, shop_name, form, key, 422)


# --- receipts and history -------------------------------------------------------------------


@routes("paid/<int:payment_id>/", name="payments-wallet-paid")
@resident_page
@require_GET
def wallet_paid(request: HttpRequest, profile: ResidentProfile, payment_id: int) -> HttpResponse:
    payment = (
        Payment.objects.filter(pk=payment_id, resident_id=profile.user_id)
        .select_related("shop")
        .first()
    )
    if payment is None:
        raise Http404
    return render(request, "payments/wallet/paid.html", {"payment": payment})


@routes("history/", name="payments-wallet-history")
@resident_page
@require_GET
def wallet_history(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    """The wallet has one history (payments, refunds and rewards, each naming the shop or the
    task): the wallet's statement."""
    return redirect(reverse("wallet-home") + "#statement")
