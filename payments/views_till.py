"""The till (/shop/<id>/till/): for the shop's cashiers and owner, on a phone or tablet at the
counter. Charge a resident (amount keypad, then scan their code or type its short code), show a
payment request as a QR and see it paid without reloading, the day's payments and refunds,
paper vouchers, the printable shop poster; and for the owner, settlement to euros.

Someone who is not a member of the shop gets a 404 (the shop does not exist for them); a
cashier asking for an owner's page gets a 403. The services check all of it again. When the
session has ended, an htmx request (a charge, a poll) is not answered with the sign-in page
inside the till: htmx is told to go to sign-in, which brings the cashier back to the till."""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import AccountsError, NotAllowed, NotFound
from accounts.forms_auth import form_status
from accounts.models import User
from core.routes import Routes
from ledger import selectors as ledger_selectors
from shops.models import ShopStatus
from shops.selectors import Membership, shop_membership

from . import codes, qr, selectors, services, settlement, vouchers
from .forms import ChargeForm, RefundForm, RequestForm, SettlementRequestForm, VoucherRedeemForm
from .models import PaymentRequest
from .views_till_access import request_is_htmx as _htmx
from .views_till_access import till_page

routes = Routes()


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _membership(request: HttpRequest, shop_id: int) -> Membership:
    try:
        return shop_membership(user=_user(request), shop_id=shop_id)
    except NotFound:
        raise Http404 from None


def _owner(request: HttpRequest, shop_id: int) -> Membership:
    membership = _membership(request, shop_id)
    if not membership.is_owner:
        raise PermissionDenied
    return membership


def _context(membership: Membership, **extra: Any) -> dict[str, Any]:
    shop = membership.shop
    return {
        "shop": shop,
        "is_owner": membership.is_owner,
        "accepting": shop.status == ShopStatus.APPROVED and shop.account_id is not None,
        "confirm_above": settings.PAYMENT_CONFIRM_ABOVE,
        **extra,
    }


def _refuse(form: forms.Form, exc: AccountsError, *, about: str | None = None) -> str:
    """A service's refusal: on the field it names (else on `about`, the code field whose code
    was refused), and as the sentence the result box shows. A shop that is not the person's
    is a 404."""
    if isinstance(exc, NotFound):
        raise Http404 from None
    field = exc.field or about
    form.add_error(field if field in form.fields else None, exc.message)
    return exc.message


def _failed(request: HttpRequest) -> int:
    """htmx swaps only 2xx answers: a refusal it should show comes back as 200."""
    return 200 if _htmx(request) else 422


# --- charging a resident's code -----------------------------------------------------------------


@routes("", name="payments-till")
@till_page("GET")
def till_home(request: HttpRequest, shop_id: int) -> HttpResponse:
    membership = _membership(request, shop_id)
    return render(request, "payments/till/home.html", _context(membership, form=ChargeForm()))


@routes("charge/", name="payments-till-charge")
@till_page("POST", no_store=True)
def till_charge(request: HttpRequest, shop_id: int) -> HttpResponse:
    """Charge the amount to the resident whose code was scanned or typed. Answers the charge
    block (htmx) or the whole till page, with the result: paid and the amount, or why not."""
    membership = _membership(request, shop_id)
    form = ChargeForm(request.POST)
    payment = None
    refusal = ""
    waiting: dict[str, Any] = {}
    if form.is_valid():
        try:
            charged = services.charge_with_token(
                cashier=_user(request),
                shop_id=shop_id,
                amount=form.cleaned_data["amount"],
                code=form.cleaned_data["code"],
            )
        except AccountsError as exc:
            refusal = _refuse(form, exc, about="code")
        else:
            if isinstance(charged, PaymentRequest):
                waiting = _request_state(membership, charged.pk)
            else:
                payment = charged
            form = ChargeForm()
    context = _context(
        membership,
        form=form,
        payment=payment,
        refusal=refusal,
        refused_amount=form.cleaned_data.get("amount") if refusal and form.is_bound else None,
        refused_at=timezone.now(),
        **waiting,
    )
    status = 201 if payment is not None else (202 if waiting else _failed(request))
    if _htmx(request):
        return render(request, "payments/till/_charge.html", context, status=200)
    return render(request, "payments/till/home.html", context, status=status)


# --- the shop's payment request -------------------------------------------------------------


@routes("request/", name="payments-till-request")
@till_page("GET", "POST", no_store=True)
def till_request(request: HttpRequest, shop_id: int) -> HttpResponse:
    membership = _membership(request, shop_id)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made, _payload = services.payment_request_create(
                cashier=_user(request), shop_id=shop_id, amount=form.cleaned_data["amount"]
            )
        except AccountsError as exc:
            _refuse(form, exc)
        else:
            return redirect("payments-till-request-show", shop_id=shop_id, request_id=made.pk)
    return render(
        request,
        "payments/till/request.html",
        _context(membership, form=form),
        status=form_status(form),
    )


def _request_state(membership: Membership, request_id: int) -> dict[str, Any]:
    state = selectors.request_status(request_id=request_id, shop=membership.shop)
    if state is None:
        raise Http404
    seconds_left = max(0, int((state.expires_at - timezone.now()).total_seconds()))
    return {"state": state, "seconds_left": seconds_left}


@routes("request/<int:request_id>/", name="payments-till-request-show")
@till_page("GET", no_store=True)
def till_request_show(request: HttpRequest, shop_id: int, request_id: int) -> HttpResponse:
    """The request's QR code for the resident to scan, with its state polled every second."""
    membership = _membership(request, shop_id)
    state = _request_state(membership, request_id)
    made = PaymentRequest.objects.get(pk=request_id)
    try:
        payload = services.payment_request_payload(made)
    except NotFound:
        payload = ""  # signed with a key that has since been rotated out: no longer shown
    return render(
        request,
        "payments/till/request_show.html",
        _context(
            membership,
            payload=payload,
            short_code=codes.short_code_groups(made.short_code),
            qr_svg=mark_safe(qr.svg_inline(payload)) if payload else "",  # noqa: S308
            **state,
        ),
    )


@routes("request/<int:request_id>/status/", name="payments-till-request-status")
@till_page("GET", no_store=True)
def till_request_status(request: HttpRequest, shop_id: int, request_id: int) -> HttpResponse:
    """For htmx's poll: nothing (204, htmx keeps the page as it is) while the request waits,
    else the new state, which stops the polling."""
    membership = _membership(request, shop_id)
    state = _request_state(membership, request_id)
    if state["state"].status == "open" and _htmx(request):
        return HttpResponse(status=204)
    return render(request, "payments/till/_request_status.html", _context(membership, **state))


@routes("request/<int:request_id>/cancel/", name="payments-till-request-cancel")
@till_page("POST")
def till_request_cancel(request: HttpRequest, shop_id: int, request_id: int) -> HttpResponse:
    _membership(request, shop_id)
    at_resident = PaymentRequest.objects.filter(
        pk=request_id, shop_id=shop_id, pay_token__isnull=False
    ).exists()
    try:
        services.payment_request_cancel(
            cashier=_user(request), shop_id=shop_id, request_id=request_id
        )
    except NotFound:
        raise Http404 from None
    except AccountsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The code is cancelled: it can no longer be paid."))
    # A charge the resident was to confirm goes back to the Charge page, a shown code to its own.
    return redirect("payments-till" if at_resident else "payments-till-request", shop_id=shop_id)


# --- the day's payments and refunds ---------------------------------------------------------


@routes("today/", name="payments-till-day")
@till_page("GET")
def till_day(request: HttpRequest, shop_id: int) -> HttpResponse:
    membership = _membership(request, shop_id)
    day = selectors.shop_day_payments(shop=membership.shop)
    return render(request, "payments/till/day.html", _context(membership, day=day))


@routes("payments/<int:payment_id>/refund/", name="payments-till-refund")
@till_page("GET", "POST", no_store=True)
def till_refund(request: HttpRequest, shop_id: int, payment_id: int) -> HttpResponse:
    membership = _membership(request, shop_id)
    payment = selectors.shop_payment(shop_id=shop_id, payment_id=payment_id)
    if payment is None:
        raise Http404
    form = RefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.refund(
                actor=_user(request),
                shop_id=shop_id,
                payment_id=payment_id,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except NotAllowed as exc:
            form.add_error("amount", exc.message)
        except AccountsError as exc:
            _refuse(form, exc)
        else:
            messages.success(
                request, _("Refunded. The resident sees it in their wallet's history.")
            )
            return redirect("payments-till-day", shop_id=shop_id)
    return render(
        request,
        "payments/till/refund.html",
        _context(
            membership,
            form=form,
            payment=payment,
            refundable=selectors.payment_refundable(payment=payment),
            refund_max=(None if membership.is_owner else settings.CASHIER_REFUND_MAX),
        ),
        status=form_status(form),
    )


# --- paper vouchers and the poster ----------------------------------------------------------


@routes("voucher/", name="payments-till-voucher")
@till_page("GET", "POST", no_store=True)
def till_voucher(request: HttpRequest, shop_id: int) -> HttpResponse:
    membership = _membership(request, shop_id)
    form = VoucherRedeemForm(request.POST or None)
    payment = None
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            payment = vouchers.voucher_redeem(
                cashier=_user(request), shop_id=shop_id, code=form.cleaned_data["code"]
            )
        except AccountsError as exc:
            refusal = _refuse(form, exc, about="code")
        else:
            form = VoucherRedeemForm()
    status = 201 if payment is not None else (422 if form.errors or refusal else 200)
    return render(
        request,
        "payments/till/voucher.html",
        _context(membership, form=form, payment=payment, refusal=refusal),
        status=status,
    )


@routes("poster/", name="payments-till-poster")
@till_page("GET")
def till_poster(request: HttpRequest, shop_id: int) -> HttpResponse:
    """A printable page with the shop's static QR code: it names the shop only, and the
    resident types the amount in the wallet."""
    membership = _membership(request, shop_id)
    payload = codes.shop_encode(membership.shop.pk)
    return render(
        request,
        "payments/till/poster.html",
        _context(
            membership,
            payload=payload,
            qr_svg=mark_safe(qr.svg_inline(payload)),  # noqa: S308
        ),
    )


# --- settlement (owner) ---------------------------------------------------------------------


def _settlements_page(
    request: HttpRequest, membership: Membership, form: SettlementRequestForm
) -> HttpResponse:
    rows = [
        {"settlement": s, "payout": s.amount - s.fee}
        for s in settlement.shop_settlements(owner=_user(request), shop_id=membership.shop.pk)
    ]
    return render(
        request,
        "payments/till/settlements.html",
        _context(
            membership,
            form=form,
            settlements=rows,
            available=settlement.settlement_available(shop=membership.shop),
            fee_permille=settings.SETTLEMENT_FEE_PERMILLE,
        ),
        status=form_status(form),
    )


@routes("settlements/", name="payments-till-settlements")
@till_page("GET")
def till_settlements(request: HttpRequest, shop_id: int) -> HttpResponse:
    return _settlements_page(request, _owner(request, shop_id), SettlementRequestForm())


@routes("settlements/request/", name="payments-till-settlement-request")
@till_page("POST")
def till_settlement_request(request: HttpRequest, shop_id: int) -> HttpResponse:
    membership = _owner(request, shop_id)
    form = SettlementRequestForm(request.POST)
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        if amount is None:
            amount = settlement.settlement_available(shop=membership.shop).amount
        try:
            settlement.settlement_request(owner=_user(request), shop_id=shop_id, amount=amount)
        except AccountsError as exc:
            _refuse(form, exc)
        else:
            messages.success(
                request,
                _("Your request is sent. Someone at the municipality will approve it."),
            )
            return redirect("payments-till-settlements", shop_id=shop_id)
    return _settlements_page(request, membership, form)


# What each kind of transfer means on a shop's statement, in words.
SHOP_KIND_LABELS = {
    "payment": gettext_lazy("Payment by a resident"),
    "voucher": gettext_lazy("Paper voucher"),
    "refund": gettext_lazy("Refund to a resident"),
    "settlement": gettext_lazy("Redeemed for euros"),
    "reversal": gettext_lazy("Correction"),
}
STATEMENT_PAGE = 50


def _statement_lines(account_id: int, before: int | None, limit: int) -> Any:
    return ledger_selectors.account_statement(
        account_id=account_id, before_version=before, limit=limit
    )


@routes("statement/", name="payments-till-statement")
@till_page("GET", no_store=True)
def till_statement(request: HttpRequest, shop_id: int) -> HttpResponse:
    """The owner's statement of the shop account, newest first, a page at a time; `?format=csv`
    downloads the whole history for the bookkeeping."""
    membership = _owner(request, shop_id)
    shop = membership.shop
    if shop.account_id is None:
        return render(
            request, "payments/till/statement.html", _context(membership, lines=[], csv=False)
        )
    decimals = shop.account.currency.decimals if shop.account else 2
    if request.GET.get("format") == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["version", "date", "kind", "amount", "balance_after", "transfer"])
        before: int | None = None
        while True:
            page = _statement_lines(shop.account_id, before, 500)
            for line in page.lines:
                writer.writerow(
                    [
                        line.version,
                        line.created_at.isoformat(),
                        line.kind,
                        f"{line.amount / 10**decimals:.{decimals}f}",
                        f"{line.balance_after / 10**decimals:.{decimals}f}",
                        line.transfer_id,
                    ]
                )
            if page.next_before is None:
                break
            before = page.next_before
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="shop-{shop.pk}-statement.csv"'
        return response
    value = request.GET.get("before", "")
    before = int(value) if value.isascii() and value.isdigit() and 0 < len(value) <= 18 else None
    page = _statement_lines(shop.account_id, before, STATEMENT_PAGE)
    lines = [
        {
            "version": line.version,
            "kind": SHOP_KIND_LABELS.get(line.kind, line.kind),
            "created_at": line.created_at,
            "amount": line.amount,
            "balance_after": line.balance_after,
        }
        for line in page.lines
    ]
    return render(
        request,
        "payments/till/statement.html",
        _context(
            membership,
            lines=lines,
            next_before=page.next_before,
            before=before,
            decimals=decimals,
            csv=True,
        ),
    )
