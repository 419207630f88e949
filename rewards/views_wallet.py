"""The resident's task pages (/wallet/tasks/): tasks near me, a task and its claim button, my
claims with their states in words, the evidence form (photos from the phone's camera), and my
notifications. Phone first. Someone else's claim answers 404, so ids cannot be probed."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import AccountsError, NotFound
from accounts.models import Notification, ResidentProfile, Role, User
from accounts.permissions import has_role
from accounts.selectors import resident_profile
from accounts.views_wallet import resident_page
from core.http import act, form_refusal, form_status, found_or_404, request_user, run_action
from core.routes import Routes

from . import claims, payouts, selectors
from .errors import TooManySubmissions
from .forms import EvidenceForm, TaskFilterForm
from .models import Claim, ClaimStatus, Task, TaskCategory
from .views_staff.review import evidence_response

routes = Routes()

PAGE_SIZE = 30

# What each state means to the resident, in words.
STATE_WORDS = {
    ClaimStatus.RESERVED: gettext_lazy("Reserved for you: do the task and send your evidence."),
    ClaimStatus.SUBMITTED: gettext_lazy("Sent: waiting for a reviewer."),
    ClaimStatus.APPROVED: gettext_lazy("Approved: the payment is on its way."),
    ClaimStatus.PAID: gettext_lazy("Paid into your wallet."),
    ClaimStatus.REJECTED: gettext_lazy("Not approved."),
    ClaimStatus.WITHDRAWN: gettext_lazy("You gave this task back."),
    ClaimStatus.EXPIRED: gettext_lazy("Expired: no evidence came in time."),
}


# Why a reward waits, written for the resident, each with what they can do next. The stored
# hold reasons (rewards.payouts) are written for staff.
HOLD_WORDS = {
    payouts.HOLD_UNVERIFIED: gettext_lazy(
        "Waiting for your residency. Enter the code from the municipality's letter in your "
        "wallet; without a letter, go to the municipality's desk. It is paid as soon as you are "
        "verified."
    ),
    payouts.HOLD_ANNUAL_CAP: gettext_lazy(
        "You have earned the most a resident may earn this year. This reward is paid from "
        "1 January; you do not need to do anything."
    ),
    payouts.HOLD_MONTHLY_CAP: gettext_lazy(
        "You have earned the most a resident may earn this month. This reward is paid from the "
        "first of next month; you do not need to do anything."
    ),
    payouts.HOLD_HOURLY_RATE: gettext_lazy(
        "This reward is more per hour of work than the volunteer-allowance rules allow for you "
        "(young residents have a lower rate). Staff will look at it; you do not need to do "
        "anything."
    ),
    payouts.HOLD_BUDGET: gettext_lazy(
        "The project's money has run out for now. It is paid once the municipality tops it up; "
        "you do not need to do anything."
    ),
    payouts.HOLD_ACCOUNT: gettext_lazy(
        "Your wallet or the project's budget is frozen for now. Call or visit the "
        "municipality's desk to ask why."
    ),
}


def resident_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign in first; only residents (with a wallet, `resident_page`, and the resident role)
    have tasks: anyone else gets 403."""

    @resident_page
    @functools.wraps(view)
    def wrapped(
        request: HttpRequest, _profile: ResidentProfile, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        if not has_role(request.user, (Role.RESIDENT,)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _user(request: HttpRequest) -> User:
    return request_user(request, User)


def _unread(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render a tasks page; every one shows the count of unread notifications in its menu."""
    return render(request, template, {"unread": _unread(_user(request)), **context}, status=status)


def _places_left(task: Task) -> int:
    return max(task.capacity - task.slots_taken, 0)


def _task_row(task: Task) -> dict[str, Any]:
    title, description = selectors.task_text(task)
    materials_where, materials_when = selectors.task_materials(task)
    return {
        "task": task,
        "title": title,
        "description": description,
        "materials_where": materials_where,
        "materials_when": materials_when,
        "places_left": _places_left(task),
        "distance_km": getattr(task, "distance_km", None),
    }


def _claim_row(claim: Claim) -> dict[str, Any]:
    held = claim.status == ClaimStatus.APPROVED and bool(claim.hold_reason)
    return {
        "claim": claim,
        "title": selectors.task_text(claim.task)[0],
        "words": STATE_WORDS.get(ClaimStatus(claim.status), ""),
        "held": held,
        "hold_words": HOLD_WORDS.get(claim.hold_reason, _(claim.hold_reason)) if held else "",
        "hold_residency": held and claim.hold_reason == payouts.HOLD_UNVERIFIED,
        "deadline": selectors.claim_reservation_deadline(claim)
        if claim.status == ClaimStatus.RESERVED
        else None,
    }


@routes("", name="rewards-wallet-tasks")
@resident_only
def task_list(request: HttpRequest) -> HttpResponse:
    """Published tasks open now, filtered by neighbourhood and category; the resident's own
    neighbourhood first, or nearest first when the browser shared a location (lat/lon), with
    the distance shown. An empty list says why and offers neighbourhoods that have tasks."""
    form = TaskFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    user = _user(request)
    profile = resident_profile(user=user)
    own = profile.neighbourhood if profile is not None else None
    if form.is_valid():
        data = form.cleaned_data
        if data["neighbourhood"] is not None:
            filters["neighbourhood_id"] = data["neighbourhood"].pk
        if data["category"]:
            filters["category"] = data["category"]
        if data["lat"] is not None and data["lon"] is not None:
            filters["latitude"], filters["longitude"] = data["lat"], data["lon"]
    first = own.pk if own is not None and "neighbourhood_id" not in filters else None
    page = Paginator(
        selectors.tasks_for_resident(**filters, first_neighbourhood_id=first), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [_task_row(task) for task in page.object_list]
    elsewhere = []
    if not rows and not form.errors:
        elsewhere = [
            (neighbourhood, count)
            for neighbourhood, count in selectors.neighbourhoods_with_tasks(
                category=filters.get("category"),
                latitude=filters.get("latitude"),
                longitude=filters.get("longitude"),
            )
            if neighbourhood.pk != filters.get("neighbourhood_id")
        ]
    return _render(
        request,
        "rewards/wallet/tasks.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            # Nearest first once a location is shared; else the resident's own neighbourhood.
            "own": own if first is not None and "latitude" not in filters else None,
            "own_count": sum(1 for row in rows if own and row["task"].neighbourhood_id == own.pk),
            "chosen": form.cleaned_data.get("neighbourhood") if form.is_valid() else None,
            "chosen_category": filters.get("category", ""),
            "chosen_category_label": dict(TaskCategory.choices).get(filters.get("category", "")),
            "elsewhere": elsewhere,
            "near": "latitude" in filters,
            "open_claims": selectors.claims_open_count(user=user),
            "query": request.GET.copy(),
        },
        status=400 if form.errors else 200,
    )


@routes("<int:task_id>/", name="rewards-wallet-task")
@resident_only
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = found_or_404(selectors.task_for_resident, task_id=task_id)
    mine = selectors.claims_of_resident(user=_user(request)).filter(task=task)
    rows = [_claim_row(c) for c in mine[:10]]
    # Once the task is reserved, the page's one action is sending the evidence, not claiming
    # another place.
    reserved = next(
        (row["claim"] for row in rows if row["claim"].status == ClaimStatus.RESERVED), None
    )
    return _render(
        request,
        "rewards/wallet/task.html",
        {**_task_row(task), "mine": rows, "reserved": reserved},
    )


@routes("<int:task_id>/claim/", name="rewards-wallet-task-claim")
@resident_only
@require_POST
def task_claim(request: HttpRequest, task_id: int) -> HttpResponse:
    claim = act(
        request,
        lambda: claims.claim_reserve(user=_user(request), task_id=task_id),
        _("The task is yours. Do it, then send your evidence here."),
    )
    if claim is None:
        return redirect("rewards-wallet-task", task_id=task_id)
    return redirect("rewards-wallet-claim", claim_id=claim.pk)


@routes("claims/", name="rewards-wallet-claims")
@resident_only
def claim_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.claims_of_resident(user=_user(request)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return _render(
        request,
        "rewards/wallet/claims.html",
        {"page": page, "rows": [_claim_row(c) for c in page.object_list]},
    )


def _claim_or_404(user: User, claim_id: int) -> Claim:
    return found_or_404(selectors.claim_for_resident, user=user, claim_id=claim_id)


@routes("claims/<int:claim_id>/", name="rewards-wallet-claim")
@resident_only
@require_http_methods(["GET", "POST"])
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    """One of my claims: its state in words, the task's evidence rules and materials, the
    evidence form while it is reserved, and what was decided."""
    user = _user(request)
    claim = _claim_or_404(user, claim_id)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    status = None
    if request.method == "POST":
        if claim.status != ClaimStatus.RESERVED:
            form.add_error(None, _("Evidence can only be submitted for a reserved claim."))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                claims.claim_submit(
                    user=user,
                    claim_id=claim.pk,
                    photos=data["photos"],
                    note=data["note"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                )
            except NotFound:
                raise Http404 from None
            except TooManySubmissions as exc:
                form_refusal(form, exc)
                status = exc.status
            except AccountsError as exc:
                form_refusal(form, exc)
            else:
                messages.success(request, _("Thank you! Your evidence is sent for review."))
                return redirect("rewards-wallet-claim", claim_id=claim.pk)
    row = _claim_row(claim)
    return _render(
        request,
        "rewards/wallet/claim.html",
        {
            **row,
            "row": row,
            "description": selectors.task_text(claim.task)[1],
            "materials": selectors.task_materials(claim.task),
            "form": form,
            "withdrawable": claim.status in (ClaimStatus.RESERVED, ClaimStatus.SUBMITTED),
        },
        status=status or form_status(form),
    )


@routes("claims/<int:claim_id>/withdraw/", name="rewards-wallet-claim-withdraw")
@resident_only
@require_POST
def claim_withdraw(request: HttpRequest, claim_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda: claims.claim_withdraw(user=_user(request), claim_id=claim_id),
        done=_("You gave the task back; the place is free for someone else."),
        then="rewards-wallet-claim",
        forbidden_403=False,
        claim_id=claim_id,
    )


@routes("claims/<int:claim_id>/photos/<int:evidence_id>/", name="rewards-wallet-evidence")
@resident_only
def evidence_file(request: HttpRequest, claim_id: int, evidence_id: int) -> HttpResponse:
    return evidence_response(request, claim_id, evidence_id)


# --- notifications ----------------------------------------------------------------------------


@routes("notifications/", name="rewards-wallet-notifications")
@resident_only
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.filter(user=_user(request)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return _render(request, "rewards/wallet/notifications.html", {"page": page})


@routes("notifications/<int:notification_id>/read/", name="rewards-wallet-notification-read")
@resident_only
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    updated = Notification.objects.filter(
        pk=notification_id, user=_user(request), read_at__isnull=True
    ).update(read_at=timezone.now())
    if (
        not updated
        and not Notification.objects.filter(pk=notification_id, user=_user(request)).exists()
    ):
        raise Http404
    return redirect("rewards-wallet-notifications")


@routes("notifications/read-all/", name="rewards-wallet-notifications-read-all")
@resident_only
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=_user(request), read_at__isnull=True).update(
        read_at=timezone.now()
    )
    messages.success(request, _("All notifications are marked as read."))
    return redirect("rewards-wallet-notifications")
