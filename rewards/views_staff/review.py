"""Reviewing in the staff console (/staff/rewards/): the queues (review, second approval, on
hold), approving several at once, a claim with its evidence and decisions, approve, reject,
release a hold, and the claim's photos."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.forms_staff import DOCUMENTS
from accounts.models import Neighbourhood, ResidentProfile, User
from accounts.permissions import roles_of, staff_page
from accounts.staff import RESIDENT_ROLES
from core.http import act, found_or_404, run_action, submit
from core.routes import Routes

from .. import evidence, queue, review, selectors
from ..forms import ReasonForm
from ..models import Claim, ClaimStatus, Task
from .common import (
    DECIDE_ROLES,
    PAGE_SIZE,
    RELEASE_ROLES,
    REVIEW_READ_ROLES,
    request_user,
    staff_render,
)

routes = Routes()

# --- review -----------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """Narrow the queue by task, neighbourhood, age and flag (all optional)."""

    task = forms.TypedChoiceField(label=_l("Task"), required=False, coerce=int, empty_value=None)
    neighbourhood = forms.TypedChoiceField(
        label=_l("Neighbourhood"), required=False, coerce=int, empty_value=None
    )
    age = forms.ChoiceField(label=_l("Waiting"), required=False)
    flag = forms.ChoiceField(label=_l("Flag"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tasks = Task.objects.filter(
            claims__status__in=(ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)
        ).distinct()
        choices: dict[str, list[tuple[Any, str]]] = {
            "task": [("", _("All tasks"))]
            + [(t.pk, selectors.task_text(t)[0]) for t in tasks.order_by("title_nl")[:200]],
            "neighbourhood": [("", _("All neighbourhoods"))]
            + [(n.pk, n.name) for n in Neighbourhood.objects.all()],
            "age": [
                ("", _("Any age")),
                ("1d", _("Over 1 day")),
                ("3d", _("Over 3 days")),
                ("7d", _("Over 7 days")),
            ],
            "flag": [("", _("Flags or not")), *queue.flag_choices()],
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options

    def filters(self) -> queue.QueueFilter:
        if not self.is_valid():
            return queue.QueueFilter()
        data = self.cleaned_data
        return queue.QueueFilter(
            task_id=data.get("task"),
            neighbourhood_id=data.get("neighbourhood"),
            older_than=data.get("age") or "",
            flag=data.get("flag") or "",
        )


def _stage(request: HttpRequest) -> str:
    value = request.GET.get("stage", request.POST.get("stage", selectors.Stage.REVIEW))
    return value if value in selectors.Stage.__members__.values() else selectors.Stage.REVIEW


def _filters(request: HttpRequest) -> queue.QueueFilter:
    source = request.GET if request.method == "GET" else request.POST
    return QueueFilterForm(source).filters()


def _queue_query(stage: str, filters: queue.QueueFilter) -> str:
    return urlencode({"stage": stage, **filters.query()})


def _back_to_queue(stage: str, filters: queue.QueueFilter | None = None) -> HttpResponse:
    return redirect(
        reverse("rewards-staff-review") + "?" + _queue_query(stage, filters or queue.QueueFilter())
    )


@routes("review/", name="rewards-staff-review")
@staff_page(*REVIEW_READ_ROLES)
def review_queue(request: HttpRequest) -> HttpResponse:
    """Claims waiting for staff, oldest first: review, second approval (above the threshold)
    or on hold; one compact row per claim (thumbnail, task, resident, neighbourhood, reward,
    age, flags), filtered by task, neighbourhood, age and flag; select all on the page, then
    approve or reject with one reason."""
    stage = _stage(request)
    form = QueueFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(queue.claims_queue(stage=stage, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = _queue_query(stage, filters)
    return staff_render(
        request,
        "rewards/staff/review.html",
        {
            "page": page,
            "rows": queue.queue_rows(page.object_list),
            "stage": stage,
            "stages": [
                (selectors.Stage.REVIEW, _("To review")),
                (selectors.Stage.SECOND_APPROVAL, _("Second approval")),
                (selectors.Stage.HELD, _("On hold")),
            ],
            "filter_form": form,
            "filters": filters.query(),
            "query": query,
            "filtered": bool(filters.query()),
        },
    )


def _bulk_ids(request: HttpRequest) -> list[int]:
    raw = request.POST.getlist("claims")
    ids = [
        int(value)
        for value in raw
        if value.isascii() and value.isdigit() and 0 < int(value) < 2**63
    ]
    return ids if len(ids) == len(raw) else []


def _held_summary(results: list[review.BulkResult]) -> str:
    """How many of the approved claims are held, and why, in one sentence."""
    held = [r.claim_id for r in results if r.outcome == review.Outcome.HELD]
    if not held:
        return ""
    reasons: dict[str, int] = {}
    for reason in Claim.objects.filter(pk__in=held).values_list("hold_reason", flat=True):
        reasons[_(reason)] = reasons.get(_(reason), 0) + 1
    why = " ".join(f"{text} ({count})" for text, count in reasons.items())
    return ngettext(
        "%(count)d of them is on hold: %(why)s",
        "%(count)d of them are on hold: %(why)s",
        len(held),
    ) % {"count": len(held), "why": why}


def _bulk_messages(
    request: HttpRequest, results: list[review.BulkResult] | None, done_text: Any
) -> None:
    """What a bulk decision did, claim by claim (nothing when the whole of it was refused: its
    refusal is already said)."""
    results = results or []
    done = [r for r in results if r.outcome != review.Outcome.REFUSED]
    if done:
        text = done_text(len(done))
        held = _held_summary(results)
        second = sum(1 for r in results if r.outcome == review.Outcome.AWAITING_SECOND_APPROVAL)
        if second:
            text += " " + ngettext(
                "%(count)d of them waits for a second approver.",
                "%(count)d of them wait for a second approver.",
                second,
            ) % {"count": second}
        if held:
            text += " " + held
        messages.success(request, text)
    for result in results:
        if result.outcome == review.Outcome.REFUSED:
            messages.error(
                request,
                _("Claim #%(id)d: %(why)s") % {"id": result.claim_id, "why": result.detail},
            )


def _bulk_decide(
    request: HttpRequest,
    *,
    none_chosen: str,
    decide: Callable[[User, list[int]], list[review.BulkResult]],
    done_text: Callable[[int], str],
    confirm: Callable[[HttpRequest, str, queue.QueueFilter, list[int]], HttpResponse] | None = None,
) -> HttpResponse:
    """The steps of a bulk decision: the chosen claims (none: `none_chosen`, back to the queue),
    the `confirm` page until it is confirmed, then `decide(staff, ids)` and what it did claim by
    claim (`done_text(count)`), back to the queue with its stage and filters."""
    stage, filters = _stage(request), _filters(request)
    ids = _bulk_ids(request)
    if not ids:
        messages.error(request, none_chosen)
        return _back_to_queue(stage, filters)
    if confirm is not None and request.POST.get("confirmed") != "yes":
        return confirm(request, stage, filters, ids)
    staff = request_user(request)
    _bulk_messages(request, act(request, lambda: decide(staff, ids), None), done_text)
    return _back_to_queue(stage, filters)


def _bulk_confirm(
    request: HttpRequest, stage: str, filters: queue.QueueFilter, ids: list[int]
) -> HttpResponse:
    """How many claims and how much a bulk approval pays, to confirm."""
    chosen = list(queue.claims_queue(stage=stage, filters=queue.QueueFilter()).filter(pk__in=ids))
    return staff_render(
        request,
        "rewards/staff/bulk_confirm.html",
        {
            "claims": chosen,
            "ids": ids,
            "count": len(chosen),
            "total": sum(c.amount for c in chosen),
            "unverified": sum(1 for c in chosen if not c.resident_verified),
            "second": sum(
                1
                for c in chosen
                if c.reviewed_by_id is None and c.amount > settings.REWARDS_SECOND_APPROVAL_ABOVE
            ),
            "stage": stage,
            "filters": filters.query(),
            "query": _queue_query(stage, filters),
        },
    )


@routes("review/bulk-approve/", name="rewards-staff-review-bulk-approve")
@staff_page(*DECIDE_ROLES)
@require_POST
def review_bulk_approve(request: HttpRequest) -> HttpResponse:
    """Approve the selected claims, after a confirmation that shows how many and how much."""
    return _bulk_decide(
        request,
        none_chosen=_("Choose the claims to approve."),
        decide=lambda staff, ids: review.claims_bulk_approve(staff=staff, claim_ids=ids),
        done_text=lambda n: (
            ngettext("%(count)d claim approved.", "%(count)d claims approved.", n) % {"count": n}
        ),
        confirm=_bulk_confirm,
    )


@routes("review/bulk-reject/", name="rewards-staff-review-bulk-reject")
@staff_page(*DECIDE_ROLES)
@require_POST
def review_bulk_reject(request: HttpRequest) -> HttpResponse:
    """Reject the selected claims with one reason the residents read."""
    reason = request.POST.get("reason", "")
    return _bulk_decide(
        request,
        none_chosen=_("Choose the claims to reject."),
        decide=lambda staff, ids: review.claims_bulk_reject(
            staff=staff, claim_ids=ids, reason=reason
        ),
        done_text=lambda n: (
            ngettext("%(count)d claim rejected.", "%(count)d claims rejected.", n) % {"count": n}
        ),
    )


def _claim_or_404(claim_id: int) -> Any:
    return found_or_404(selectors.claim_for_staff, claim_id=claim_id)


def _metres(value: int | None) -> str | None:
    return None if value is None else number_format(value, force_grouping=True)


def _claim_page(
    request: HttpRequest, claim: Any, form: ReasonForm | None = None, status: int = 200
) -> HttpResponse:
    stage = selectors.claim_stage(claim)
    filters = _filters(request)
    return staff_render(
        request,
        "rewards/staff/claim.html",
        {
            "claim": claim,
            "stage": stage,
            "title": selectors.task_text(claim.task)[0],
            "reason_form": form or ReasonForm(),
            "flags": queue.claim_flags(claim),
            "distance": _metres(queue.claim_distance(claim)),
            "unverified": not ResidentProfile.objects.filter(user_id=claim.resident_id)
            .exclude(residency_verified_at=None)
            .exists(),
            "may_verify": bool(roles_of(request.user) & {str(r) for r in RESIDENT_ROLES}),
            "documents": list(DOCUMENTS.items()),
            "filters": filters.query(),
            "query": _queue_query(stage or selectors.Stage.REVIEW, filters),
            "next_id": queue.claim_next(stage=stage, filters=filters, after=claim)
            if stage
            else None,
        },
        status=status,
    )


@routes("claims/<int:claim_id>/", name="rewards-staff-claim")
@staff_page(*REVIEW_READ_ROLES)
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    return _claim_page(request, _claim_or_404(claim_id))


def _after_decision(request: HttpRequest, claim_id: int, stage: str) -> HttpResponse:
    """Where a decision leads: the next claim of the queue ("& next"), the claim, or the queue."""
    filters = _filters(request)
    if request.POST.get("next") == "next":
        following = queue.claims_queue(stage=stage, filters=filters).exclude(pk=claim_id).first()
        if following is None:
            messages.info(request, _("That was the last claim waiting here."))
            return _back_to_queue(stage, filters)
        return redirect(
            reverse("rewards-staff-claim", kwargs={"claim_id": following.pk})
            + "?"
            + _queue_query(stage, filters)
        )
    if request.POST.get("next") == "claim":
        return redirect("rewards-staff-claim", claim_id=claim_id)
    return _back_to_queue(stage, filters)


@routes("claims/<int:claim_id>/approve/", name="rewards-staff-claim-approve")
@staff_page(*DECIDE_ROLES)
@require_POST
def claim_approve(request: HttpRequest, claim_id: int) -> HttpResponse:
    stage = _stage(request)
    act(
        request,
        lambda: review.claim_approve(staff=request_user(request), claim_id=claim_id),
        lambda done: (
            {
                review.Outcome.APPROVED: _("Claim #%(id)d is approved; the payout is on its way."),
                review.Outcome.HELD: _("Claim #%(id)d is approved but on hold: %(why)s"),
                review.Outcome.AWAITING_SECOND_APPROVAL: _(
                    "Claim #%(id)d is approved once; a second approver must approve it too."
                ),
            }.get(done[1], _("Claim #%(id)d is approved."))
            % {"id": claim_id, "why": _(done[0].hold_reason) if done[0].hold_reason else ""}
        ),
    )
    return _after_decision(request, claim_id, stage)


@routes("claims/<int:claim_id>/reject/", name="rewards-staff-claim-reject")
@staff_page(*DECIDE_ROLES)
@require_POST
def claim_reject(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _claim_or_404(claim_id)
    form = ReasonForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: review.claim_reject(
            staff=request_user(request), claim_id=claim.pk, reason=data["reason"]
        ),
        _("Claim #%(id)d is rejected.") % {"id": claim.pk},
        lambda _claim: _after_decision(request, claim.pk, _stage(request)),
    )
    if done is not None:
        return done
    return _claim_page(request, claim, form, status=422)


@routes("claims/<int:claim_id>/release/", name="rewards-staff-claim-release")
@staff_page(*RELEASE_ROLES)
@require_POST
def claim_release(request: HttpRequest, claim_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda: review.claim_release(staff=request_user(request), claim_id=claim_id),
        done=_("The hold is lifted; the payout is on its way."),
        then="rewards-staff-claim",
        forbidden_403=False,
        claim_id=claim_id,
    )


@routes(
    "claims/<int:claim_id>/photos/<int:evidence_id>/thumbnail/",
    name="rewards-staff-evidence-thumbnail",
)
@staff_page(*REVIEW_READ_ROLES)
def evidence_thumbnail(request: HttpRequest, claim_id: int, evidence_id: int) -> HttpResponse:
    """A 160 px copy of a claim's photo for the queue (who may see the photo, else 404)."""
    content = found_or_404(
        queue.evidence_thumbnail, user=request.user, claim_id=claim_id, evidence_id=evidence_id
    )
    response = HttpResponse(content, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@routes("claims/<int:claim_id>/photos/<int:evidence_id>/", name="rewards-staff-evidence")
@staff_page(*REVIEW_READ_ROLES)
def evidence_file(request: HttpRequest, claim_id: int, evidence_id: int) -> HttpResponse:
    return evidence_response(request, claim_id, evidence_id)


def evidence_response(request: HttpRequest, claim_id: int, evidence_id: int) -> HttpResponse:
    """A private photo of a claim (for its resident or TOTP-verified staff, else 404); never
    kept by any cache."""
    record, handle = found_or_404(
        evidence.evidence_open, user=request.user, claim_id=claim_id, evidence_id=evidence_id
    )
    # Re-encoded photos are small (at most 2560 px on the longest side): read them whole.
    with handle:
        response = HttpResponse(handle.read(), content_type=record.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
