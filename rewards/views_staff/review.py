"""Reviewing in the staff console (/staff/rewards/): the queues (review, second approval, on
hold), approving several at once, a claim with its evidence and decisions, approve, reject,
release a hold, and the claim's photos."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.errors import AccountsError, NotFound
from accounts.forms_auth import form_refusal
from accounts.permissions import staff_page

from .. import evidence, review, selectors
from ..forms import ReasonForm
from .common import (
    DECIDE_ROLES,
    PAGE_SIZE,
    RELEASE_ROLES,
    REVIEW_READ_ROLES,
    button_act,
    request_user,
    staff_render,
)

# --- review -----------------------------------------------------------------------------------


def _stage(request: HttpRequest) -> str:
    value = request.GET.get("stage", request.POST.get("stage", selectors.Stage.REVIEW))
    return value if value in selectors.Stage.__members__.values() else selectors.Stage.REVIEW


def _back_to_queue(stage: str) -> HttpResponse:
    return redirect(reverse("rewards-staff-review") + "?" + urlencode({"stage": stage}))


@staff_page(*REVIEW_READ_ROLES)
def review_queue(request: HttpRequest) -> HttpResponse:
    """Claims waiting for staff, oldest first: review, second approval (above the threshold)
    or on hold; evidence side by side, approve or reject each, or approve several at once."""
    stage = _stage(request)
    page = Paginator(selectors.claims_for_review(stage=stage), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return staff_render(
        request,
        "rewards/staff/review.html",
        {
            "page": page,
            "stage": stage,
            "stages": [
                (selectors.Stage.REVIEW, _("To review")),
                (selectors.Stage.SECOND_APPROVAL, _("Second approval")),
                (selectors.Stage.HELD, _("On hold")),
            ],
            "reason_form": ReasonForm(),
        },
    )


@staff_page(*DECIDE_ROLES)
@require_POST
def review_bulk_approve(request: HttpRequest) -> HttpResponse:
    stage = _stage(request)
    raw = request.POST.getlist("claims")
    ids = [
        int(value)
        for value in raw
        if value.isascii() and value.isdigit() and 0 < int(value) < 2**63
    ]
    if not ids or len(ids) != len(raw):
        messages.error(request, _("Choose the claims to approve."))
        return _back_to_queue(stage)
    try:
        results = review.claims_bulk_approve(staff=request_user(request), claim_ids=ids)
    except AccountsError as exc:
        messages.error(request, exc.message)
        return _back_to_queue(stage)
    done = [r for r in results if r.outcome != review.Outcome.REFUSED]
    if done:
        messages.success(
            request,
            ngettext("%(count)d claim approved.", "%(count)d claims approved.", len(done))
            % {"count": len(done)},
        )
    for result in results:
        if result.outcome == review.Outcome.REFUSED:
            messages.error(
                request,
                _("Claim #%(id)d: %(why)s") % {"id": result.claim_id, "why": result.detail},
            )
    return _back_to_queue(stage)


def _claim_or_404(claim_id: int) -> Any:
    try:
        return selectors.claim_for_staff(claim_id=claim_id)
    except NotFound:
        raise Http404 from None


def _claim_page(
    request: HttpRequest, claim: Any, form: ReasonForm | None = None, status: int = 200
) -> HttpResponse:
    return staff_render(
        request,
        "rewards/staff/claim.html",
        {
            "claim": claim,
            "stage": selectors.claim_stage(claim),
            "title": selectors.task_text(claim.task)[0],
            "reason_form": form or ReasonForm(),
        },
        status=status,
    )


@staff_page(*REVIEW_READ_ROLES)
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    return _claim_page(request, _claim_or_404(claim_id))


@staff_page(*DECIDE_ROLES)
@require_POST
def claim_approve(request: HttpRequest, claim_id: int) -> HttpResponse:
    stage = _stage(request)
    try:
        _claim, outcome = review.claim_approve(staff=request_user(request), claim_id=claim_id)
    except NotFound:
        raise Http404 from None
    except AccountsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            {
                review.Outcome.APPROVED: _("Claim #%(id)d is approved; the payout is on its way."),
                review.Outcome.HELD: _("Claim #%(id)d is approved but on hold."),
                review.Outcome.AWAITING_SECOND_APPROVAL: _(
                    "Claim #%(id)d is approved once; a second approver must approve it too."
                ),
            }.get(outcome, _("Claim #%(id)d is approved."))
            % {"id": claim_id},
        )
    if request.POST.get("next") == "claim":
        return redirect("rewards-staff-claim", claim_id=claim_id)
    return _back_to_queue(stage)


@staff_page(*DECIDE_ROLES)
@require_POST
def claim_reject(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _claim_or_404(claim_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            review.claim_reject(
                staff=request_user(request), claim_id=claim.pk, reason=form.cleaned_data["reason"]
            )
        except NotFound:
            raise Http404 from None
        except AccountsError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, _("Claim #%(id)d is rejected.") % {"id": claim.pk})
            if request.POST.get("next") == "claim":
                return redirect("rewards-staff-claim", claim_id=claim.pk)
            return _back_to_queue(_stage(request))
    return _claim_page(request, claim, form, status=422)


@staff_page(*RELEASE_ROLES)
@require_POST
def claim_release(request: HttpRequest, claim_id: int) -> HttpResponse:
    button_act(
        request,
        lambda: review.claim_release(staff=request_user(request), claim_id=claim_id),
        _("The hold is lifted; the payout is on its way."),
    )
    return redirect("rewards-staff-claim", claim_id=claim_id)


@staff_page(*REVIEW_READ_ROLES)
def evidence_file(request: HttpRequest, claim_id: int, evidence_id: int) -> HttpResponse:
    return evidence_response(request, claim_id, evidence_id)


def evidence_response(request: HttpRequest, claim_id: int, evidence_id: int) -> HttpResponse:
    """A private photo of a claim (for its resident or TOTP-verified staff, else 404); never
    kept by any cache."""
    try:
        record, handle = evidence.evidence_open(
            user=request.user, claim_id=claim_id, evidence_id=evidence_id
        )
    except NotFound:
        raise Http404 from None
    # Re-encoded photos are small (at most 2560 px on the longest side): read them whole.
    with handle:
        response = HttpResponse(handle.read(), content_type=record.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
