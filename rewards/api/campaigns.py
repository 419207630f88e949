"""Campaigns and their mints, for staff (under /api/v1/staff/): list, create, change and close a
campaign; request, approve and reject a mint into its budget (two people)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import ActionView, Page, page_response, query, sent, validated
from core.routes import Routes

from .. import campaigns, selectors
from ..models import (
    Campaign,
    CampaignStatus,
    MintRequest,
    MintStatus,
)
from .common import AnyStaff, PlainChoiceField, request_user

# One campaign and one mint request, each under its own prefix.
routes = Routes()
campaign = routes.group("staff/campaigns/<int:campaign_id>/")
mint_request = routes.group("staff/mint-requests/<int:request_id>/")

# --- Campaigns and mints (staff) ---------------------------------------------------------


class BudgetSerializer(serializers.Serializer):
    balance = serializers.IntegerField(help_text="Minor units in the budget account now.")
    paid = serializers.IntegerField()
    budget = serializers.IntegerField(help_text="balance + paid")
    committed = serializers.IntegerField(help_text="Approved, not yet paid.")
    in_progress = serializers.IntegerField(help_text="Reserved and submitted claims.")
    open_slots = serializers.IntegerField(help_text="Reward x free slots of published tasks.")
    remaining = serializers.IntegerField(help_text="balance - committed")
    available = serializers.IntegerField(help_text="What new or larger tasks may still use.")


class CampaignSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    neighbourhoods = serializers.ListField(child=serializers.IntegerField())
    status = PlainChoiceField(choices=CampaignStatus.choices)
    budget_account_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    budget = BudgetSerializer()


class CampaignWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=campaigns.NAME_MAX)
    description = serializers.CharField(
        max_length=campaigns.DESCRIPTION_MAX, required=False, allow_blank=True, default=""
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    neighbourhoods = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        default=list,
        max_length=200,
    )


def _campaign_body(campaign: Campaign) -> dict[str, Any]:
    return CampaignSerializer(
        {
            "id": campaign.pk,
            "name": campaign.name,
            "description": campaign.description,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "neighbourhoods": sorted(n.pk for n in campaign.neighbourhoods.all()),
            "status": campaign.status,
            "budget_account_id": campaign.budget_id,
            "created_at": campaign.created_at,
            "closed_at": campaign.closed_at,
            "budget": selectors.campaign_budget(campaign=campaign),
        }
    ).data


def _campaign_detail(campaign_id: int) -> dict[str, Any]:
    """The campaign as it is now (after a change), with its budget figures."""
    return _campaign_body(selectors.campaign_get(campaign_id=campaign_id))


@routes("staff/campaigns/", name="api-staff-campaigns")
class CampaignListView(APIView):
    pagination_class = Page
    permission_classes = (AnyStaff,)

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=CampaignStatus.values)],
        responses=CampaignSerializer(many=True),
        tags=["campaigns"],
    )
    def get(self, request: Request) -> Response:
        """Campaigns with their budget figures, newest first (paged: limit, offset)."""
        wanted = request.query_params.get("status")
        qs = selectors.campaigns_list(status=wanted if wanted in CampaignStatus.values else None)
        return page_response(self, request, qs, body=_campaign_body)

    @extend_schema(
        request=CampaignWriteSerializer, responses={201: CampaignSerializer}, tags=["campaigns"]
    )
    def post(self, request: Request) -> Response:
        """Create a campaign with an empty budget (task managers and administrators)."""
        data = validated(request, CampaignWriteSerializer)
        campaign = campaigns.campaign_create(
            actor=request_user(request), neighbourhood_ids=data.pop("neighbourhoods"), **data
        )
        return Response(_campaign_body(campaign), status=status.HTTP_201_CREATED)


@campaign("", name="api-staff-campaign")
class CampaignDetailView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(responses=CampaignSerializer, tags=["campaigns"])
    def get(self, request: Request, campaign_id: int) -> Response:
        """One campaign with its budget figures."""
        return Response(_campaign_detail(campaign_id))

    @extend_schema(
        request=CampaignWriteSerializer, responses=CampaignSerializer, tags=["campaigns"]
    )
    def patch(self, request: Request, campaign_id: int) -> Response:
        """Change name, description, window or neighbourhoods (only the fields sent)."""
        changes = sent(request, CampaignWriteSerializer)
        if "neighbourhoods" in changes:
            changes["neighbourhood_ids"] = changes.pop("neighbourhoods")
        campaigns.campaign_update(
            actor=request_user(request), campaign_id=campaign_id, changes=changes
        )
        return Response(_campaign_detail(campaign_id))


@campaign("close/", name="api-staff-campaign-close")
class CampaignCloseView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(request=None, responses=CampaignSerializer, tags=["campaigns"])
    def post(self, request: Request, campaign_id: int) -> Response:
        """Close the campaign: tasks close, reserved claims expire, the unspent budget goes back
        to the issuer. Refused (409) while claims are submitted or approved but unpaid."""
        campaigns.campaign_close(actor=request_user(request), campaign_id=campaign_id)
        return Response(_campaign_detail(campaign_id))


class MintRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    campaign_name = serializers.CharField(source="campaign.name")
    amount = serializers.IntegerField()
    reason = serializers.CharField()
    status = PlainChoiceField(choices=MintStatus.choices)
    requested_by = serializers.EmailField(source="requested_by.email")
    requested_at = serializers.DateTimeField()
    decided_by = serializers.EmailField(source="decided_by.email", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()
    transfer_id = serializers.IntegerField(allow_null=True)


class MintCreateSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, max_value=campaigns.MINT_MAX)
    reason = serializers.CharField(max_length=campaigns.REASON_MAX)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=campaigns.REASON_MAX)


def _mint_body(request: MintRequest) -> dict[str, Any]:
    return MintRequestSerializer(request).data


@campaign("mint-requests/", name="api-staff-mint-request-create")
class MintRequestCreateView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(
        request=MintCreateSerializer, responses={201: MintRequestSerializer}, tags=["campaigns"]
    )
    def post(self, request: Request, campaign_id: int) -> Response:
        """Ask to mint into the campaign's budget (finance); another person must approve."""
        made = campaigns.mint_request(
            actor=request_user(request),
            campaign_id=campaign_id,
            **validated(request, MintCreateSerializer),
        )
        return Response(_mint_body(made), status=status.HTTP_201_CREATED)


class MintQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MintStatus.choices, required=False)
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


@routes("staff/mint-requests/", name="api-staff-mint-requests")
class MintRequestListView(APIView):
    pagination_class = Page
    permission_classes = (AnyStaff,)

    @extend_schema(
        parameters=[MintQuerySerializer],
        responses=MintRequestSerializer(many=True),
        tags=["campaigns"],
    )
    def get(self, request: Request) -> Response:
        """Mint requests, newest first, optionally by status and campaign."""
        params = query(request, MintQuerySerializer)
        qs = selectors.mint_requests_list(
            status=params.get("status"),
            campaign_id=params.get("campaign"),
        )
        return page_response(self, request, qs, body=_mint_body)


# A second person's decision on a mint request; the answer is the request.
@extend_schema(request=None, responses=MintRequestSerializer, tags=["campaigns"])
class MintDecision(ActionView):
    permission_classes = (AnyStaff,)

    def answer(self, decided: MintRequest) -> dict[str, Any]:
        return _mint_body(decided)


@mint_request("approve/", name="api-staff-mint-approve")
class MintApproveView(MintDecision):
    """Approve: the issuer mints the amount into the budget, once. Not by the requester."""

    def act(self, user: User, **arguments: Any) -> MintRequest:
        return campaigns.mint_approve(actor=user, **arguments)


@mint_request("reject/", name="api-staff-mint-reject")
@extend_schema(request=ReasonSerializer)
class MintRejectView(MintDecision):
    """Turn the request down with a reason. Not by the requester."""

    form = ReasonSerializer

    def act(self, user: User, **arguments: Any) -> MintRequest:
        return campaigns.mint_reject(actor=user, **arguments)
