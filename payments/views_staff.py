"""Staff pages of payments (/staff/payments/): paper voucher batches (a task manager requests,
a different approver approves or turns down, the requester prints the sheet once), settlements
to approve or reject, and SEPA transfer files to download and mark paid. Every page goes
through `staff_page`; the services check the roles again and audit each action."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import AccountsError, NotAllowed, NotFound
from accounts.permissions import staff_page
from accounts.templatetags.heitje import tokens_unit
from core.api import keyset_page_for_html
from core.http import act, form_page, form_refusal, run_action
from core.routes import Routes
from ledger import selectors as ledger_selectors

from . import qr, sepa_withdraw, settlement, voucher_batches
from .budgets import budget_choices
from .forms import RejectForm, VoucherBatchForm, VoucherRejectForm
from .models import SettlementStatus, VoucherBatchStatus
from .views_staff_common import (
    ALL_ROLES,
    APPROVE_ROLES,
    EXPORT_ROLES,
    LIST_MAX,
    SETTLEMENT_ROLES,
    VOUCHER_DECIDE_ROLES,
    VOUCHER_PAGE_ROLES,
    VOUCHER_ROLES,
    euros,
    staff_can,
    staff_confirm,
    staff_render,
    staff_user,
)

routes = Routes()


@routes("", name="payments-staff-home")
@staff_page(*ALL_ROLES)
def staff_home(request: HttpRequest) -> HttpResponse:
    can = staff_can(request)
    if can["approve"] or can["export"]:
        return redirect("payments-staff-settlements")
    return redirect("payments-staff-vouchers")


# --- vouchers --------------------------------------------------------------------------------


def _vouchers_page(request: HttpRequest, form: VoucherBatchForm, status: int = 200) -> Any:
    batches = list(voucher_batches.voucher_batches_for_staff()[:LIST_MAX])
    pending = [b for b in batches if b.status == VoucherBatchStatus.REQUESTED]
    return staff_render(
        request,
        "payments/staff/vouchers.html",
        {"form": form, "batches": batches, "pending": pending, "me": request.user.pk},
        status,
    )


@routes("vouchers/", name="payments-staff-vouchers")
@staff_page(*VOUCHER_PAGE_ROLES)
def voucher_batches_page(request: HttpRequest) -> HttpResponse:
    return _vouchers_page(request, VoucherBatchForm(campaigns=budget_choices()))


@routes("vouchers/request/", name="payments-staff-voucher-request")
@staff_page(*VOUCHER_ROLES)
@require_POST
def voucher_batch_request(request: HttpRequest) -> HttpResponse:
    """Ask for a batch: nothing is paid and no codes exist until someone else approves it."""
    form = VoucherBatchForm(request.POST, campaigns=budget_choices())
    if form.is_valid():
        data = form.cleaned_data
        expires_at = timezone.make_aware(datetime.combine(data["expires_on"], time(23, 59, 59)))
        try:
            batch = voucher_batches.voucher_batch_request(
                actor=staff_user(request),
                campaign_id=data["campaign"],
                name=data["name"],
                value=data["value"],
                count=data["count"],
                expires_at=expires_at,
            )
        except NotAllowed:
            raise Http404 from None
        except NotFound:
            form.add_error("campaign", _("There is no such campaign."))
        except AccountsError as exc:
            form_refusal(form, exc, fields={"expires_at": "expires_on"})
        else:
            messages.success(
                request,
                _(
                    "Batch “%(name)s” is requested. An approver decides on it; once approved, "
                    "you print its sheet here."
                )
                % {"name": batch.name},
            )
            return redirect("payments-staff-vouchers")
    return _vouchers_page(request, form, status=422)


@routes("vouchers/<int:batch_id>/approve/", name="payments-staff-voucher-approve")
@staff_page(*VOUCHER_DECIDE_ROLES)
@require_http_methods(["GET", "POST"])
def voucher_batch_approve(request: HttpRequest, batch_id: int) -> HttpResponse:
    """GET: the batch's count, value and total in tokens and what the budget keeps, to
    confirm; POST: approve it (its value leaves the budget)."""
    if request.method == "GET":
        batch = get_object_or_404(
            voucher_batches.voucher_batches_for_staff(status=VoucherBatchStatus.REQUESTED),
            pk=batch_id,
        )
        balance = ledger_selectors.account_balance(account_id=batch.budget_id)
        return staff_confirm(
            request,
            title=_("Approve voucher batch “%(name)s”?") % {"name": batch.name},
            facts=[
                (_("Vouchers"), str(batch.count)),
                (_("Value each"), tokens_unit(batch.value)),
                (_("Total from the budget"), tokens_unit(batch.value * batch.count)),
                (_("Budget after"), tokens_unit(balance - batch.value * batch.count)),
            ],
            notes=[_("Vouchers not used by the expiry day go back to the budget.")],
            button=ngettext(
                "Approve %(count)d voucher (%(total)s)",
                "Approve %(count)d vouchers (%(total)s)",
                batch.count,
            )
            % {"count": batch.count, "total": tokens_unit(batch.value * batch.count)},
            cancel=reverse("payments-staff-vouchers"),
        )
    return run_action(
        request,
        lambda: voucher_batches.voucher_batch_approve(actor=staff_user(request), batch_id=batch_id),
        done=lambda batch: (
            _("Batch “%(name)s” is approved; its value left the campaign's budget.")
            % {"name": batch.name}
        ),
        then="payments-staff-vouchers",
        forbidden_403=False,
    )


@routes("vouchers/<int:batch_id>/reject/", name="payments-staff-voucher-reject")
@staff_page(*VOUCHER_DECIDE_ROLES)
@require_http_methods(["GET", "POST"])
def voucher_batch_reject(request: HttpRequest, batch_id: int) -> HttpResponse:
    found = get_object_or_404(voucher_batches.voucher_batches_for_staff(), pk=batch_id)
    form = VoucherRejectForm(request.POST or None)

    return form_page(
        request,
        form,
        lambda data: voucher_batches.voucher_batch_reject(
            actor=staff_user(request), batch_id=batch_id, reason=data["reason"]
        ),
        _("The voucher batch was turned down."),
        "payments-staff-vouchers",
        template="payments/staff/voucher_reject.html",
        context={"batch": found},
        page=staff_render,
    )


@routes("vouchers/<int:batch_id>/sheet/", name="payments-staff-voucher-sheet")
@never_cache
@staff_page(*VOUCHER_ROLES)
@require_POST
def voucher_batch_sheet(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The printable sheet of an approved batch, for the person who requested it, once: the
    codes are made now and not kept, so this answer is the only time they can be printed."""
    sheet = act(
        request,
        lambda: voucher_batches.voucher_batch_sheet(actor=staff_user(request), batch_id=batch_id),
        None,
    )
    if sheet is None:
        return redirect("payments-staff-vouchers")
    rows = [
        {"code": v.code, "qr": qr.svg_inline(v.qr_payload), "payload": v.qr_payload}
        for v in sheet.vouchers
    ]
    return staff_render(
        request,
        "payments/staff/voucher_sheet.html",
        {"batch": sheet.batch, "sheet": rows},
        status=201,
    )


# --- settlements -----------------------------------------------------------------------------


@routes("settlements/", name="payments-staff-settlements")
@staff_page(*SETTLEMENT_ROLES)
def settlements(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", SettlementStatus.REQUESTED)
    if status not in SettlementStatus.values:
        status = ""
    # By cursor, as the API: every settlement can be reached, and a deep page costs what the
    # first one does.
    rows, next_page, previous_page = keyset_page_for_html(
        request, settlement.settlements_for_staff(status=status or None)
    )
    return staff_render(
        request,
        "payments/staff/settlements.html",
        {
            "settlements": rows,
            "next": next_page,
            "previous": previous_page,
            "status": status,
            "statuses": SettlementStatus.choices,
            "me": request.user.pk,
        },
    )


@routes("settlements/<int:settlement_id>/approve/", name="payments-staff-settlement-approve")
@staff_page(*APPROVE_ROLES)
@require_http_methods(["GET", "POST"])
def settlement_approve(request: HttpRequest, settlement_id: int) -> HttpResponse:
    """GET: the shop, the tokens, the fee and the euros to transfer, to confirm; POST: approve
    (the tokens leave the shop's account)."""
    if request.method == "GET":
        found = get_object_or_404(
            settlement.settlements_for_staff(status=SettlementStatus.REQUESTED), pk=settlement_id
        )
        return staff_confirm(
            request,
            title=_("Approve the settlement of %(shop)s?") % {"shop": found.shop.name},
            facts=[
                (_("Tokens from the shop"), tokens_unit(found.amount)),
                (_("Fee"), tokens_unit(found.fee)),
                (_("Euros to transfer"), euros(found.amount - found.fee)),
                ("IBAN", found.iban),
            ],
            notes=[_("The tokens leave the shop now; finance then makes the SEPA file.")],
            button=_("Approve the settlement (%(euros)s)")
            % {"euros": euros(found.amount - found.fee)},
            cancel=reverse("payments-staff-settlements"),
        )
    return run_action(
        request,
        lambda: settlement.settlement_approve(
            approver=staff_user(request), settlement_id=settlement_id
        ),
        done=lambda done: (
            _("Settlement %(id)d is approved; the tokens left the shop.") % {"id": done.pk}
        ),
        then="payments-staff-settlements",
        forbidden_403=False,
    )


@routes(
    "settlements/<int:settlement_id>/confirm-iban/", name="payments-staff-settlement-confirm-iban"
)
@staff_page(*(str(r) for r in settlement.IBAN_CONFIRM_ROLES))
@require_POST
def settlement_iban_confirm(request: HttpRequest, settlement_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda: settlement.settlement_iban_confirm(
            staff=staff_user(request), settlement_id=settlement_id
        ),
        done=lambda done: (
            _("The new IBAN of settlement %(id)d is confirmed; it can be approved now.")
            % {"id": done.pk}
        ),
        then="payments-staff-settlements",
        forbidden_403=False,
    )


@routes("settlements/<int:settlement_id>/reject/", name="payments-staff-settlement-reject")
@staff_page(*APPROVE_ROLES)
@require_http_methods(["GET", "POST"])
def settlement_reject(request: HttpRequest, settlement_id: int) -> HttpResponse:
    found = get_object_or_404(settlement.settlements_for_staff(), pk=settlement_id)
    form = RejectForm(request.POST or None)

    return form_page(
        request,
        form,
        lambda data: settlement.settlement_reject(
            approver=staff_user(request), settlement_id=settlement_id, reason=data["reason"]
        ),
        _("The settlement was turned down."),
        "payments-staff-settlements",
        template="payments/staff/settlement_reject.html",
        context={"settlement": found},
        page=staff_render,
    )


# --- SEPA transfer files ---------------------------------------------------------------------


@routes("exports/", name="payments-staff-exports")
@staff_page(*EXPORT_ROLES)
def exports(request: HttpRequest) -> HttpResponse:
    waiting = settlement.settlements_for_staff(status=SettlementStatus.APPROVED).count()
    rows = list(
        settlement.sepa_exports_for_staff().annotate(
            unpaid=Count("settlements", filter=Q(settlements__status=SettlementStatus.EXPORTED))
        )[:LIST_MAX]
    )
    return staff_render(
        request, "payments/staff/exports.html", {"exports": rows, "waiting": waiting}
    )


@routes("exports/new/", name="payments-staff-export-create")
@staff_page(*EXPORT_ROLES)
@require_http_methods(["GET", "POST"])
def export_create(request: HttpRequest) -> HttpResponse:
    """GET: how many approved settlements and how many euros go into the file, to confirm;
    POST: make the file."""
    if request.method == "GET":
        waiting = list(settlement.settlements_for_staff(status=SettlementStatus.APPROVED))
        if not waiting:
            messages.info(request, _("No approved settlements are waiting for export."))
            return redirect("payments-staff-exports")
        total = sum(s.amount - s.fee for s in waiting)
        count = len(waiting)
        return staff_confirm(
            request,
            title=_("Make the SEPA file?"),
            facts=[
                (_("Transfers"), str(count)),
                (_("Total in euros"), euros(total)),
            ],
            notes=[_("Until it is marked paid, the file can be withdrawn.")],
            button=ngettext(
                "Make the file: %(count)d transfer, %(euros)s",
                "Make the file: %(count)d transfers, %(euros)s",
                count,
            )
            % {"count": count, "euros": euros(total)},
            cancel=reverse("payments-staff-exports"),
        )
    return run_action(
        request,
        lambda: settlement.sepa_export_create(actor=staff_user(request)),
        done=lambda export: (
            ngettext(
                "Transfer file %(name)s is ready: %(count)d transfer.",
                "Transfer file %(name)s is ready: %(count)d transfers.",
                export.count,
            )
            % {"name": export.message_id, "count": export.count}
        ),
        then="payments-staff-exports",
        forbidden_403=False,
    )


@routes("exports/<int:export_id>/download/", name="payments-staff-export-download")
@staff_page(*EXPORT_ROLES)
def export_download(request: HttpRequest, export_id: int) -> HttpResponse:
    try:
        export = settlement.sepa_export_get(actor=staff_user(request), export_id=export_id)
    except AccountsError:
        raise Http404 from None
    response = HttpResponse(export.xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.message_id}.xml"'
    response["Cache-Control"] = "no-store"
    return response


def _export_or_404(export_id: int) -> Any:
    found = (
        settlement.sepa_exports_for_staff()
        .annotate(
            unpaid=Count("settlements", filter=Q(settlements__status=SettlementStatus.EXPORTED))
        )
        .filter(pk=export_id)
        .first()
    )
    if found is None or not found.unpaid:
        raise Http404
    return found


def _export_facts(export: Any) -> list[tuple[str, str]]:
    return [
        (_("File"), export.message_id),
        (_("Transfers"), str(export.count)),
        (_("Total in euros"), euros(export.total_cents)),
    ]


@routes("exports/<int:export_id>/paid/", name="payments-staff-export-paid")
@staff_page(*EXPORT_ROLES)
@require_http_methods(["GET", "POST"])
def export_paid(request: HttpRequest, export_id: int) -> HttpResponse:
    """GET: the file's transfers and total, to confirm the bank paid them; POST: mark paid."""
    if request.method == "GET":
        export = _export_or_404(export_id)
        return staff_confirm(
            request,
            title=_("Mark %(name)s paid?") % {"name": export.message_id},
            facts=_export_facts(export),
            notes=[
                _("Only when the bank has executed the file: the shops are told they are paid.")
            ],
            button=_("The bank paid it: mark paid"),
            cancel=reverse("payments-staff-exports"),
        )
    return run_action(
        request,
        lambda: settlement.sepa_export_paid(actor=staff_user(request), export_id=export_id),
        done=lambda export: (
            _("Transfer file %(name)s is marked paid.") % {"name": export.message_id}
        ),
        then="payments-staff-exports",
        forbidden_403=False,
    )


@routes("exports/<int:export_id>/withdraw/", name="payments-staff-export-withdraw")
@staff_page(*EXPORT_ROLES)
@require_http_methods(["GET", "POST"])
def export_withdraw(request: HttpRequest, export_id: int) -> HttpResponse:
    """GET: the file's transfers and total, to confirm; POST: withdraw the unpaid file (its
    settlements wait for the next file)."""
    if request.method == "GET":
        export = _export_or_404(export_id)
        return staff_confirm(
            request,
            title=_("Withdraw %(name)s?") % {"name": export.message_id},
            facts=_export_facts(export),
            notes=[
                _(
                    "Only if the file was not sent to the bank, or the bank refused it. Its "
                    "settlements go back to approved and go into the next file."
                )
            ],
            button=_("Withdraw the file"),
            danger=True,
            cancel=reverse("payments-staff-exports"),
        )
    return run_action(
        request,
        lambda: sepa_withdraw.sepa_export_withdraw(actor=staff_user(request), export_id=export_id),
        done=lambda export: (
            ngettext(
                "Transfer file %(name)s is withdrawn; its %(count)d settlement waits for the "
                "next file.",
                "Transfer file %(name)s is withdrawn; its %(count)d settlements wait for the "
                "next file.",
                export.count,
            )
            % {"name": export.message_id, "count": export.count}
        ),
        then="payments-staff-exports",
        forbidden_403=False,
    )
