"""Campaigns and mints in the staff console (/staff/rewards/): the campaigns with their budget
figures, creating, changing and closing one; asking for a mint into its budget, approving or
rejecting it (another person)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.errors import AccountsError, NotFound
from accounts.permissions import staff_page
from accounts.templatetags.heitje import tokens_unit
from core.http import form_page, run_action
from core.routes import Routes

from .. import campaigns, selectors
from ..forms import CampaignForm, MintRequestForm, ReasonForm
from ..models import Campaign, CampaignStatus, MintRequest, MintStatus
from .common import (
    MANAGE_ROLES,
    MINT_ROLES,
    PAGE_SIZE,
    READ_ROLES,
    campaign_or_404,
    request_user,
    staff_render,
)

routes = Routes()

# --- campaigns --------------------------------------------------------------------------------


@routes("", name="rewards-staff-home")
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
    return staff_render(
        request,
        "rewards/staff/home.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "status_choices": [*CampaignStatus.choices, ("all", _("All"))],
            "queue_count": selectors.claims_for_review(stage=selectors.Stage.REVIEW).count(),
            "second_count": selectors.claims_for_review(
                stage=selectors.Stage.SECOND_APPROVAL
            ).count(),
            "mints_waiting": MintRequest.objects.filter(status=MintStatus.REQUESTED).count(),
        },
    )


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    """The campaign form: a new campaign (`campaign` None), or the changes to `campaign`;
    saved, it goes to the campaign's page."""
    data = request.POST or None
    form = CampaignForm(data) if campaign is None else CampaignForm.for_campaign(campaign, data)

    def save(_data: dict[str, Any]) -> Campaign:
        actor = request_user(request)
        if campaign is None:
            return campaigns.campaign_create(actor=actor, **form.service_fields())
        return campaigns.campaign_update(
            actor=actor, campaign_id=campaign.pk, changes=form.service_fields()
        )

    return form_page(
        request,
        form,
        save,
        _("The campaign is created.") if campaign is None else _("The campaign is saved."),
        lambda saved: redirect("rewards-staff-campaign", campaign_id=saved.pk),
        template="rewards/staff/campaign_form.html",
        context={"campaign": campaign},
        page=staff_render,
        fields={"neighbourhood_ids": "neighbourhoods"},
    )


@routes("campaigns/new/", name="rewards-staff-campaign-create")
@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    return _campaign_form(request, None)


@routes("campaigns/<int:campaign_id>/", name="rewards-staff-campaign")
@staff_page(*READ_ROLES)
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_or_404(campaign_id)
    return staff_render(
        request,
        "rewards/staff/campaign.html",
        {
            "campaign": campaign,
            "figures": selectors.campaign_budget(campaign=campaign),
            "tasks": selectors.tasks_list(campaign_id=campaign.pk),
            "mints": selectors.mint_requests_list(campaign_id=campaign.pk),
        },
    )


@routes("campaigns/<int:campaign_id>/edit/", name="rewards-staff-campaign-edit")
@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _campaign_form(request, campaign_or_404(campaign_id))


@routes("campaigns/<int:campaign_id>/close/", name="rewards-staff-campaign-close")
@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def campaign_close(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """A confirmation page; closing returns the unspent budget to the issuer."""
    campaign = campaign_or_404(campaign_id)
    error = ""
    if request.method == "POST":
        try:
            campaigns.campaign_close(actor=request_user(request), campaign_id=campaign.pk)
        except NotFound:
            raise Http404 from None
        except AccountsError as exc:
            error = exc.message
        else:
            messages.success(request, _("The campaign is closed."))
            return redirect("rewards-staff-campaign", campaign_id=campaign.pk)
    return staff_render(
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


@routes("campaigns/<int:campaign_id>/mint/", name="rewards-staff-mint-request")
@staff_page(*campaigns.MINT_REQUEST_ROLES)
@require_http_methods(["GET", "POST"])
def mint_request(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_or_404(campaign_id)
    form = MintRequestForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda data: campaigns.mint_request(
            actor=request_user(request),
            campaign_id=campaign.pk,
            amount=data["amount"],
            reason=data["reason"],
        ),
        _("The mint is requested; an approver (not you) must approve it."),
        "rewards-staff-campaign",
        template="rewards/staff/mint_request.html",
        context={"campaign": campaign},
        page=staff_render,
        campaign_id=campaign.pk,
    )


@routes("mints/", name="rewards-staff-mints")
@staff_page(*MINT_ROLES)
def mint_list(request: HttpRequest) -> HttpResponse:
    """Mint requests waiting for a decision, then the decided ones."""
    waiting = selectors.mint_requests_list(status=MintStatus.REQUESTED)
    decided = Paginator(
        selectors.mint_requests_list().exclude(status=MintStatus.REQUESTED), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return staff_render(
        request, "rewards/staff/mints.html", {"waiting": waiting, "decided": decided}
    )


@routes("mints/<int:request_id>/approve/", name="rewards-staff-mint-approve")
@staff_page(*campaigns.MINT_APPROVE_ROLES)
@require_http_methods(["GET", "POST"])
def mint_approve(request: HttpRequest, request_id: int) -> HttpResponse:
    """GET: what the approval does, in tokens (the budget before and after), to confirm;
    POST: approve the mint."""
    if request.method == "GET":
        mint = get_object_or_404(
            selectors.mint_requests_list(status=MintStatus.REQUESTED), pk=request_id
        )
        figures = selectors.campaign_budget(campaign=mint.campaign)
        return staff_render(
            request,
            "staff/confirm.html",
            {
                "base": "rewards/staff/_base.html",
                "title": _("Approve minting %(amount)s into “%(campaign)s”?")
                % {"amount": tokens_unit(mint.amount), "campaign": mint.campaign.name},
                "facts": [
                    (_("New tokens"), tokens_unit(mint.amount)),
                    (_("Budget now"), tokens_unit(figures.balance)),
                    (_("Budget after"), tokens_unit(figures.balance + mint.amount)),
                    (_("Asked by"), mint.requested_by.display_name or mint.requested_by.email),
                ],
                "notes": [mint.reason] if mint.reason else [],
                "action": request.path,
                "button": _("Approve the mint"),
                "cancel": reverse("rewards-staff-mints"),
            },
        )
    return run_action(
        request,
        lambda: campaigns.mint_approve(actor=request_user(request), request_id=request_id),
        done=_("The mint is approved: the budget holds the money."),
        then="rewards-staff-mints",
        forbidden_403=False,
    )


@routes("mints/<int:request_id>/reject/", name="rewards-staff-mint-reject")
@staff_page(*campaigns.MINT_APPROVE_ROLES)
@require_http_methods(["GET", "POST"])
def mint_reject(request: HttpRequest, request_id: int) -> HttpResponse:
    mint = get_object_or_404(selectors.mint_requests_list(), pk=request_id)
    form = ReasonForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda data: campaigns.mint_reject(
            actor=request_user(request), request_id=mint.pk, reason=data["reason"]
        ),
        _("The mint request is turned down."),
        "rewards-staff-mints",
        template="rewards/staff/mint_reject.html",
        context={"mint": mint},
        page=staff_render,
    )
