"""The staff console for rewards (/staff/rewards/): campaigns with their budget figures, mint
requests, tasks, the review queues and claims with their evidence. Each page needs a staff role
and a session that passed TOTP (accounts.permissions.staff_page); the services check the roles
again and their refusals are shown on the field they name, or as a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import AccountsError, NotFound
from accounts.forms_auth import form_refusal, form_status
from accounts.models import Role, User
from accounts.permissions import roles_of, staff_page

from . import campaigns, evidence, review, roles, selectors, work
from .forms import CampaignForm, MintRequestForm, ReasonForm, TaskForm, to_minor
from .models import Campaign, CampaignStatus, MintRequest, MintStatus, Task, TaskStatus

PAGE_SIZE = 50

# Who sees what. Everyone on the staff may read campaigns and their budgets; the services
# decide who may change them.
READ_ROLES = (Role.TASK_MANAGER, Role.REVIEWER, Role.APPROVER, Role.FINANCE, Role.ADMIN)
MANAGE_ROLES = campaigns.CAMPAIGN_ROLES
MINT_ROLES = (*campaigns.MINT_REQUEST_ROLES, *campaigns.MINT_APPROVE_ROLES)
REVIEW_READ_ROLES = tuple(sorted(roles.READER_ROLES))
DECIDE_ROLES = tuple(sorted(roles.REVIEWER_ROLES | roles.APPROVER_ROLES))
RELEASE_ROLES = tuple(sorted(roles.RELEASE_ROLES))


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _may(request: HttpRequest, roles: Any) -> bool:
    return bool(roles_of(request.user) & set(roles))


def _can(request: HttpRequest) -> dict[str, bool]:
    """What the person may do, so the pages offer only those buttons."""
    return {
        "manage": _may(request, MANAGE_ROLES),
        "request_mint": _may(request, campaigns.MINT_REQUEST_ROLES),
        "approve_mint": _may(request, campaigns.MINT_APPROVE_ROLES),
        "review": _may(request, REVIEW_READ_ROLES),
        "decide": _may(request, DECIDE_ROLES),
        "release": _may(request, RELEASE_ROLES),
    }


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> Any:
    return render(request, template, {"can": _can(request), **context}, status=status)


def _campaign_or_404(campaign_id: int) -> Campaign:
    try:
        return selectors.campaign_get(campaign_id=campaign_id)
    except NotFound:
        raise Http404 from None


def _task_or_404(task_id: int) -> Task:
    try:
        return selectors.task_get(task_id=task_id)
    except NotFound:
        raise Http404 from None


def _act(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Run a service for a button without a form: its refusal becomes an error message."""
    try:
        action()
    except NotFound:
        raise Http404 from None
    except AccountsError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


# --- campaigns --------------------------------------------------------------------------------


@staff_page(*READ_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    """Campaigns (active first) with budget, committed, paid and remaining."""
    status = request.GET.get("status", CampaignStatus.ACTIVE)
    if status not in CampaignStatus.values and status != "all":
        status = CampaignStatus.ACTIVE
    page = Paginator(
        selectors.campaigns_list(status=None if status == "all" else status), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [(c, selectors.campaign_budget(campaign=c)) for c in page.object_list]
    return _page(
        request,
        "rewards/staff/home.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "status_choices": [*CampaignStatus.choices, ("all", _("All"))],
            "queue_count": review.review_queue(stage=review.Stage.REVIEW).count(),
            "second_count": review.review_queue(stage=review.Stage.SECOND_APPROVAL).count(),
            "mints_waiting": MintRequest.objects.filter(status=MintStatus.REQUESTED).count(),
        },
    )


@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            campaign = campaigns.campaign_create(
                actor=_user(request),
                name=fields["name"],
                description=fields["description"],
                starts_on=fields["starts_on"],
                ends_on=fields["ends_on"],
                neighbourhood_ids=fields["neighbourhood_ids"],
            )
        except AccountsError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, _("The campaign is created."))
            return redirect("rewards-staff-campaign", campaign_id=campaign.pk)
    return _page(
        request,
        "rewards/staff/campaign_form.html",
        {"form": form, "campaign": None},
        status=form_status(form),
    )


@staff_page(*READ_ROLES)
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(campaign_id)
    return _page(
        request,
        "rewards/staff/campaign.html",
        {
            "campaign": campaign,
            "figures": selectors.campaign_budget(campaign=campaign),
            "tasks": selectors.tasks_list(campaign_id=campaign.pk),
            "mints": selectors.mint_requests_list(campaign_id=campaign.pk),
        },
    )


@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(campaign_id)
    form = CampaignForm.for_campaign(campaign, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.campaign_update(
                actor=_user(request), campaign_id=campaign.pk, changes=form.service_fields()
            )
        except NotFound:
            raise Http404 from None
        except AccountsError as exc:
            form_refusal(form, exc, fields={"neighbourhood_ids": "neighbourhoods"})
        else:
            messages.success(request, _("The campaign is saved."))
            return redirect("rewards-staff-campaign", campaign_id=campaign.pk)
    return _page(
        request,
        "rewards/staff/campaign_form.html",
        {"form": form, "campaign": campaign},
        status=form_status(form),
    )


@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def campaign_close(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """A confirmation page; closing returns the unspent budget to the issuer."""
    campaign = _campaign_or_404(campaign_id)
    error = ""
    if request.method == "POST":
        try:
            campaigns.campaign_close(actor=_user(request), campaign_id=campaign.pk)
        except NotFound:
            raise Http404 from None
        except AccountsError as exc:
            error = exc.message
        else:
            messages.success(request, _("The campaign is closed."))
            return redirect("rewards-staff-campaign", campaign_id=campaign.pk)
    return _page(
        request,
        "rewards/staff/campaign_close.html",
        {
            "campaign": campaign,
            "figures": selectors.campaign_budget(campaign=campaign),
            "error": error,
        },
        status=409 if error else 200,
    )


# --- mints ------------------------------------------------------------------------------------


@staff_page(*campaigns.MINT_REQUEST_ROLES)
@require_http_methods(["GET", "POST"])
def mint_request(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(campaign_id)
    form = MintRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.mint_request(
                actor=_user(request),
                campaign_id=campaign.pk,
                amount=to_minor(form.cleaned_data["amount"]),
                reason=form.cleaned_data["reason"],
            )
        except NotFound:
            raise Http404 from None
        except AccountsError as exc:
            form_refusal(form, exc)
        else:
            messages.success(
                request, _("The mint is requested; an approver (not you) must approve it.")
            )
            return redirect("rewards-staff-campaign", campaign_id=campaign.pk)
    return _page(
        request,
        "rewards/staff/mint_request.html",
        {"form": form, "campaign": campaign},
        status=form_status(form),
    )


@staff_page(*MINT_ROLES)
def mint_list(request: HttpRequest) -> HttpResponse:
    """Mint requests waiting for a decision, then the decided ones."""
    waiting = selectors.mint_requests_list(status=MintStatus.REQUESTED)
    decided = Paginator(
        selectors.mint_requests_list().exclude(status=MintStatus.REQUESTED), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return _page(request, "rewards/staff/mints.html", {"waiting": waiting, "decided": decided})


@staff_page(*campaigns.MINT_APPROVE_ROLES)
@require_POST
def mint_approve(request: HttpRequest, request_id: int) -> HttpResponse:
    _act(
        request,
        lambda: campaigns.mint_approve(actor=_user(request), request_id=request_id),
        _("The mint is approved: the budget holds the money."),
    )
    return redirect("rewards-staff-mints")


@staff_page(*campaigns.MINT_APPROVE_ROLES)
@require_http_methods(["GET", "POST"])
def mint_reject(request: HttpRequest, request_id: int) -> HttpResponse:
    mint = selectors.mint_requests_list().filter(pk=request_id).first()
    if mint is None:
        raise Http404
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.mint_reject(
                actor=_user(request), request_id=mint.pk, reason=form.cleaned_data["reason"]
            )
        except NotFound:
            raise Http404 from None
        except AccountsError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, _("The mint request is turned down."))
            return redirect("rewards-staff-mints")
    return _page(
        request,
        "rewards/staff/mint_reject.html",
        {"form": form, "mint": mint},
        status=form_status(form),
    )


# --- tasks ------------------------------------------------------------------------------------


@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(campaign_id)
    form = TaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            task = work.task_create(
                actor=_user(request), campaign_id=campaign.pk, fields=form.service_fields()
            )
        except NotFound:
            raise Http404 from None
        except AccountsError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, _("The task is saved as a draft."))
            return redirect("rewards-staff-task", task_id=task.pk)
    return _page(
        request,
        "rewards/staff/task_form.html",
        {"form": form, "campaign": campaign, "task": None},
        status=form_status(form),
    )


@staff_page(*READ_ROLES)
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(task_id)
    return _page(
        request,
        "rewards/staff/task.html",
        {
            "task": task,
            "campaign": task.campaign,
            "hourly_cap": work.hourly_cap_for(task.estimated_minutes),
            "claims": task.claims.select_related("resident").order_by("-reserved_at", "-id")[:100],
        },
    )


@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(task_id)
    if task.status == TaskStatus.CLOSED:
        messages.error(request, _("A closed task cannot change."))
        return redirect("rewards-staff-task", task_id=task.pk)
    form = TaskForm.for_task(task, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            work.task_update(actor=_user(request), task_id=task.pk, changes=form.service_fields())
        except NotFound:
            raise Http404 from None
        except AccountsError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, _("The task is saved."))
            return redirect("rewards-staff-task", task_id=task.pk)
    return _page(
        request,
        "rewards/staff/task_form.html",
        {"form": form, "campaign": task.campaign, "task": task},
        status=form_status(form),
    )


@staff_page(*MANAGE_ROLES)
@require_POST
def task_publish(request: HttpRequest, task_id: int) -> HttpResponse:
    _act(
        request,
        lambda: work.task_publish(actor=_user(request), task_id=task_id),
        _("The task is published: residents can claim it."),
    )
    return redirect("rewards-staff-task", task_id=task_id)


@staff_page(*MANAGE_ROLES)
@require_POST
def task_close(request: HttpRequest, task_id: int) -> HttpResponse:
    _act(
        request,
        lambda: work.task_close(actor=_user(request), task_id=task_id),
        _("The task is closed: no new claims."),
    )
    return redirect("rewards-staff-task", task_id=task_id)


# --- review -----------------------------------------------------------------------------------


def _stage(request: HttpRequest) -> str:
    value = request.GET.get("stage", request.POST.get("stage", review.Stage.REVIEW))
    return value if value in review.Stage.__members__.values() else review.Stage.REVIEW


def _back_to_queue(stage: str) -> HttpResponse:
    return redirect(reverse("rewards-staff-review") + "?" + urlencode({"stage": stage}))


@staff_page(*REVIEW_READ_ROLES)
def review_queue(request: HttpRequest) -> HttpResponse:
    """Claims waiting for staff, oldest first: review, second approval (above the threshold)
    or on hold; evidence side by side, approve or reject each, or approve several at once."""
    stage = _stage(request)
    page = Paginator(review.review_queue(stage=stage), PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(
        request,
        "rewards/staff/review.html",
        {
            "page": page,
            "stage": stage,
            "stages": [
                (review.Stage.REVIEW, _("To review")),
                (review.Stage.SECOND_APPROVAL, _("Second approval")),
                (review.Stage.HELD, _("On hold")),
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
        results = review.claims_bulk_approve(staff=_user(request), claim_ids=ids)
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
        return review.claim_for_staff(claim_id=claim_id)
    except NotFound:
        raise Http404 from None


def _claim_page(
    request: HttpRequest, claim: Any, form: ReasonForm | None = None, status: int = 200
) -> HttpResponse:
    return _page(
        request,
        "rewards/staff/claim.html",
        {
            "claim": claim,
            "stage": review.claim_stage(claim),
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
        _claim, outcome = review.claim_approve(staff=_user(request), claim_id=claim_id)
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
                staff=_user(request), claim_id=claim.pk, reason=form.cleaned_data["reason"]
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
    _act(
        request,
        lambda: review.claim_release(staff=_user(request), claim_id=claim_id),
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
