"""The rewards API (under /api/v1/): staff manage campaigns, mints and tasks; residents browse
tasks, claim them, submit evidence and follow their claims. Views only check input and call one
service; someone else's claim answers 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.permissions import has_role, staff_permission

from . import campaigns, claims, evidence, selectors, work
from .errors import NotAllowed
from .models import (
    Campaign,
    CampaignStatus,
    Claim,
    ClaimStatus,
    MintRequest,
    MintStatus,
    Task,
    TaskCategory,
    TaskStatus,
)

AnyStaff = staff_permission()


class IsResident(BasePermission):
    """Signed in and holding the resident role."""

    def has_permission(self, request: Request, view: object) -> bool:
        if not getattr(request.user, "is_authenticated", False):
            return False
        if not has_role(request.user, (Role.RESIDENT,)):
            raise NotAllowed(_("Only residents can do this."))
        return True


@extend_schema_field(OpenApiTypes.STR)
class PlainChoiceField(serializers.ChoiceField):
    """A choice documented as a plain string with its values in the help text, so that the
    schema's enums of the same field name in other apps (shop category, ...) do not collide."""

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        values = [value for value, _label in choices]
        kwargs.setdefault("help_text", "One of: " + ", ".join(values) + ".")
        super().__init__(choices=choices, **kwargs)


class Page(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _paginated(request: Request, view: APIView, qs: QuerySet[Any], body: Any) -> Response:
    paginator = Page()
    page = paginator.paginate_queryset(qs, request, view=view) or []
    return paginator.get_paginated_response([body(item) for item in page])


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


class CampaignListView(APIView):
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
        return _paginated(request, self, qs, _campaign_body)

    @extend_schema(
        request=CampaignWriteSerializer, responses={201: CampaignSerializer}, tags=["campaigns"]
    )
    def post(self, request: Request) -> Response:
        """Create a campaign with an empty budget (task managers and administrators)."""
        form = CampaignWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        campaign = campaigns.campaign_create(
            actor=_user(request),
            name=data["name"],
            description=data["description"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            neighbourhood_ids=data["neighbourhoods"],
        )
        return Response(_campaign_body(campaign), status=status.HTTP_201_CREATED)


class CampaignDetailView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(responses=CampaignSerializer, tags=["campaigns"])
    def get(self, request: Request, campaign_id: int) -> Response:
        """One campaign with its budget figures."""
        return Response(_campaign_body(selectors.campaign_get(campaign_id=campaign_id)))

    @extend_schema(
        request=CampaignWriteSerializer, responses=CampaignSerializer, tags=["campaigns"]
    )
    def patch(self, request: Request, campaign_id: int) -> Response:
        """Change name, description, window or neighbourhoods (only the fields sent)."""
        form = CampaignWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        changes = {k: v for k, v in form.validated_data.items() if k in request.data}
        if "neighbourhoods" in changes:
            changes["neighbourhood_ids"] = changes.pop("neighbourhoods")
        campaigns.campaign_update(actor=_user(request), campaign_id=campaign_id, changes=changes)
        return Response(_campaign_body(selectors.campaign_get(campaign_id=campaign_id)))


class CampaignCloseView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(request=None, responses=CampaignSerializer, tags=["campaigns"])
    def post(self, request: Request, campaign_id: int) -> Response:
        """Close the campaign: tasks close, reserved claims expire, the unspent budget goes back
        to the issuer. Refused (409) while claims are submitted or approved but unpaid."""
        campaigns.campaign_close(actor=_user(request), campaign_id=campaign_id)
        return Response(_campaign_body(selectors.campaign_get(campaign_id=campaign_id)))


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


class MintRequestCreateView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(
        request=MintCreateSerializer, responses={201: MintRequestSerializer}, tags=["campaigns"]
    )
    def post(self, request: Request, campaign_id: int) -> Response:
        """Ask to mint into the campaign's budget (finance); another person must approve."""
        form = MintCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        made = campaigns.mint_request(
            actor=_user(request),
            campaign_id=campaign_id,
            amount=form.validated_data["amount"],
            reason=form.validated_data["reason"],
        )
        return Response(_mint_body(made), status=status.HTTP_201_CREATED)


class MintRequestListView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=MintStatus.values),
            OpenApiParameter("campaign", int),
        ],
        responses=MintRequestSerializer(many=True),
        tags=["campaigns"],
    )
    def get(self, request: Request) -> Response:
        """Mint requests, newest first, optionally by status and campaign."""
        query = MintQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = selectors.mint_requests_list(
            status=query.validated_data.get("status"),
            campaign_id=query.validated_data.get("campaign"),
        )
        return _paginated(request, self, qs, _mint_body)


class MintQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MintStatus.choices, required=False)
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class MintApproveView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(request=None, responses=MintRequestSerializer, tags=["campaigns"])
    def post(self, request: Request, request_id: int) -> Response:
        """Approve: the issuer mints the amount into the budget, once. Not by the requester."""
        return Response(
            _mint_body(campaigns.mint_approve(actor=_user(request), request_id=request_id))
        )


class MintRejectView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(request=ReasonSerializer, responses=MintRequestSerializer, tags=["campaigns"])
    def post(self, request: Request, request_id: int) -> Response:
        """Turn the request down with a reason. Not by the requester."""
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        decided = campaigns.mint_reject(
            actor=_user(request), request_id=request_id, reason=form.validated_data["reason"]
        )
        return Response(_mint_body(decided))


# --- Tasks (staff) -----------------------------------------------------------------------


class TaskWriteSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(min_value=1, max_value=2**62)
    title_nl = serializers.CharField(max_length=work.TITLE_MAX)
    title_de = serializers.CharField(max_length=work.TITLE_MAX, required=False, allow_blank=True)
    title_en = serializers.CharField(max_length=work.TITLE_MAX, required=False, allow_blank=True)
    description_nl = serializers.CharField(max_length=work.DESCRIPTION_MAX)
    description_de = serializers.CharField(
        max_length=work.DESCRIPTION_MAX, required=False, allow_blank=True
    )
    description_en = serializers.CharField(
        max_length=work.DESCRIPTION_MAX, required=False, allow_blank=True
    )
    category = PlainChoiceField(choices=TaskCategory.choices)
    neighbourhood = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
    )
    reward = serializers.IntegerField(min_value=1, max_value=work.REWARD_MAX)
    estimated_minutes = serializers.IntegerField(min_value=1, max_value=work.MINUTES_MAX)
    capacity = serializers.IntegerField(min_value=1, max_value=work.CAPACITY_MAX)
    per_resident_limit = serializers.IntegerField(
        min_value=1, max_value=work.CAPACITY_MAX, required=False
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    photo_required = serializers.BooleanField(required=False)
    note_required = serializers.BooleanField(required=False)
    location_required = serializers.BooleanField(required=False)
    materials_where = serializers.CharField(
        max_length=work.MATERIALS_MAX, required=False, allow_blank=True
    )
    materials_when = serializers.CharField(
        max_length=work.MATERIALS_MAX, required=False, allow_blank=True
    )
    materials_where_de = serializers.CharField(
        max_length=work.MATERIALS_MAX, required=False, allow_blank=True
    )
    materials_where_en = serializers.CharField(
        max_length=work.MATERIALS_MAX, required=False, allow_blank=True
    )
    materials_when_de = serializers.CharField(
        max_length=work.MATERIALS_MAX, required=False, allow_blank=True
    )
    materials_when_en = serializers.CharField(
        max_length=work.MATERIALS_MAX, required=False, allow_blank=True
    )


class TaskStaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    title_nl = serializers.CharField()
    title_de = serializers.CharField()
    title_en = serializers.CharField()
    description_nl = serializers.CharField()
    description_de = serializers.CharField()
    description_en = serializers.CharField()
    category = PlainChoiceField(choices=TaskCategory.choices)
    neighbourhood = serializers.IntegerField(source="neighbourhood_id", allow_null=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    reward = serializers.IntegerField()
    estimated_minutes = serializers.IntegerField()
    capacity = serializers.IntegerField()
    per_resident_limit = serializers.IntegerField()
    slots_taken = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    photo_required = serializers.BooleanField()
    note_required = serializers.BooleanField()
    location_required = serializers.BooleanField()
    materials_where = serializers.CharField()
    materials_where_de = serializers.CharField()
    materials_where_en = serializers.CharField()
    materials_when = serializers.CharField()
    materials_when_de = serializers.CharField()
    materials_when_en = serializers.CharField()
    status = PlainChoiceField(choices=TaskStatus.choices)
    created_at = serializers.DateTimeField()


def _task_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in data.items() if k not in ("campaign", "neighbourhood")}
    if "neighbourhood" in data:
        fields["neighbourhood_id"] = data["neighbourhood"]
    return fields


def _task_body(task: Task) -> dict[str, Any]:
    return TaskStaffSerializer(task).data


class TaskStaffListView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(
        parameters=[
            OpenApiParameter("campaign", int),
            OpenApiParameter("status", str, enum=TaskStatus.values),
        ],
        responses=TaskStaffSerializer(many=True),
        tags=["tasks"],
    )
    def get(self, request: Request) -> Response:
        """Tasks, newest first, optionally of one campaign or in one state."""
        query = TaskQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = selectors.tasks_list(
            campaign_id=query.validated_data.get("campaign"),
            status=query.validated_data.get("status"),
        )
        return _paginated(request, self, qs, _task_body)

    @extend_schema(
        request=TaskWriteSerializer, responses={201: TaskStaffSerializer}, tags=["tasks"]
    )
    def post(self, request: Request) -> Response:
        """Create a draft task; every rule (hourly cap, budget, window) is checked."""
        form = TaskWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        task = work.task_create(
            actor=_user(request),
            campaign_id=form.validated_data["campaign"],
            fields=_task_fields(form.validated_data),
        )
        return Response(_task_body(task), status=status.HTTP_201_CREATED)


class TaskQuerySerializer(serializers.Serializer):
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    status = serializers.ChoiceField(choices=TaskStatus.choices, required=False)


class TaskStaffDetailView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(responses=TaskStaffSerializer, tags=["tasks"])
    def get(self, request: Request, task_id: int) -> Response:
        """One task, all languages."""
        return Response(_task_body(selectors.task_get(task_id=task_id)))

    @extend_schema(request=TaskWriteSerializer, responses=TaskStaffSerializer, tags=["tasks"])
    def patch(self, request: Request, task_id: int) -> Response:
        """Change a draft or published task (only the fields sent); the rules are checked on the
        result. The campaign cannot change."""
        form = TaskWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = {k: v for k, v in form.validated_data.items() if k in request.data}
        if "campaign" in data:
            raise serializers.ValidationError({"campaign": [_("A task cannot move campaigns.")]})
        task = work.task_update(actor=_user(request), task_id=task_id, changes=_task_fields(data))
        return Response(_task_body(task))


class TaskPublishView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(request=None, responses=TaskStaffSerializer, tags=["tasks"])
    def post(self, request: Request, task_id: int) -> Response:
        """Publish a draft (the budget is checked again under the campaign's lock)."""
        return Response(_task_body(work.task_publish(actor=_user(request), task_id=task_id)))


class TaskCloseView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(request=None, responses=TaskStaffSerializer, tags=["tasks"])
    def post(self, request: Request, task_id: int) -> Response:
        """Close a task to new claims; claims already made go on."""
        return Response(_task_body(work.task_close(actor=_user(request), task_id=task_id)))


# --- Tasks and claims (residents) --------------------------------------------------------


class NeighbourhoodSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TaskResidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(help_text="In the request's language, else Dutch.")
    description = serializers.CharField()
    category = PlainChoiceField(choices=TaskCategory.choices)
    neighbourhood = NeighbourhoodSerializer(allow_null=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    distance_km = serializers.FloatField(allow_null=True)
    reward = serializers.IntegerField(help_text="Minor units.")
    estimated_minutes = serializers.IntegerField()
    places_left = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    photo_required = serializers.BooleanField()
    note_required = serializers.BooleanField()
    location_required = serializers.BooleanField()
    materials_where = serializers.CharField()
    materials_when = serializers.CharField()


def _resident_task_body(task: Task) -> dict[str, Any]:
    title, description = selectors.task_text(task)
    materials_where, materials_when = selectors.task_materials(task)
    neighbourhood = task.neighbourhood
    return TaskResidentSerializer(
        {
            "id": task.pk,
            "title": title,
            "description": description,
            "category": task.category,
            "neighbourhood": (
                {"id": neighbourhood.pk, "name": neighbourhood.name} if neighbourhood else None
            ),
            "latitude": task.latitude,
            "longitude": task.longitude,
            "distance_km": getattr(task, "distance_km", None),
            "reward": task.reward,
            "estimated_minutes": task.estimated_minutes,
            "places_left": task.capacity - task.slots_taken,
            "starts_at": task.starts_at,
            "ends_at": task.ends_at,
            "photo_required": task.photo_required,
            "note_required": task.note_required,
            "location_required": task.location_required,
            "materials_where": materials_where,
            "materials_when": materials_when,
        }
    ).data


class TaskBrowseQuerySerializer(serializers.Serializer):
    neighbourhood = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    category = serializers.ChoiceField(choices=TaskCategory.choices, required=False)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)


class TaskBrowseView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(
        parameters=[
            OpenApiParameter("neighbourhood", int),
            OpenApiParameter("category", str, enum=TaskCategory.values),
            OpenApiParameter("lat", float, description="With lon: nearest first."),
            OpenApiParameter("lon", float),
        ],
        responses=TaskResidentSerializer(many=True),
        tags=["tasks"],
    )
    def get(self, request: Request) -> Response:
        """Published tasks open now, filtered; nearest first when a location is given."""
        query = TaskBrowseQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        qs = selectors.tasks_for_resident(
            neighbourhood_id=data.get("neighbourhood"),
            category=data.get("category"),
            latitude=data.get("lat"),
            longitude=data.get("lon"),
        )
        return _paginated(request, self, qs, _resident_task_body)


class TaskResidentDetailView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(responses=TaskResidentSerializer, tags=["tasks"])
    def get(self, request: Request, task_id: int) -> Response:
        """One published task open now."""
        return Response(_resident_task_body(selectors.task_for_resident(task_id=task_id)))


class MyClaimDecisionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class MyClaimEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class MyClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    task = serializers.IntegerField()
    task_title = serializers.CharField()
    status = PlainChoiceField(choices=ClaimStatus.choices)
    amount = serializers.IntegerField()
    reserved_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="For a reserved claim: when it expires without evidence."
    )
    submitted_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    rejection_reason = serializers.CharField()
    hold_reason = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    materials_where = serializers.CharField()
    materials_when = serializers.CharField()


class MyClaimDetailSerializer(MyClaimSerializer):
    decisions = MyClaimDecisionSerializer(many=True)
    evidence = MyClaimEvidenceSerializer(many=True)


def _claim_data(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "task": claim.task_id,
        "task_title": selectors.task_text(claim.task)[0],
        "status": claim.status,
        "amount": claim.amount,
        "reserved_at": claim.reserved_at,
        "expires_at": (
            claims.reservation_deadline(claim) if claim.status == ClaimStatus.RESERVED else None
        ),
        "submitted_at": claim.submitted_at,
        "note": claim.note,
        "latitude": claim.latitude,
        "longitude": claim.longitude,
        "rejection_reason": claim.rejection_reason,
        "hold_reason": claim.hold_reason,
        "paid_at": claim.paid_at,
        "materials_where": selectors.task_materials(claim.task)[0],
        "materials_when": selectors.task_materials(claim.task)[1],
    }


def _claim_body(claim: Claim) -> dict[str, Any]:
    return MyClaimSerializer(_claim_data(claim)).data


def _claim_detail_body(claim: Claim) -> dict[str, Any]:
    data = _claim_data(claim)
    data["decisions"] = [
        {"kind": d.kind, "reason": d.reason, "created_at": d.created_at}
        for d in claim.decisions.all()
    ]
    data["evidence"] = [
        {
            "id": e.pk,
            "content_type": e.content_type,
            "width": e.width,
            "height": e.height,
            "size": e.size,
            "url": f"/api/v1/claims/{claim.pk}/evidence/{e.pk}/",
        }
        for e in claim.evidence.all()
    ]
    return MyClaimDetailSerializer(data).data


class TaskClaimView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(request=None, responses={201: MyClaimSerializer}, tags=["claims"])
    def post(self, request: Request, task_id: int) -> Response:
        """Reserve a place on the task (409 when full or over your limit on it)."""
        claim = claims.claim_reserve(user=_user(request), task_id=task_id)
        claim = selectors.claim_for_resident(user=_user(request), claim_id=claim.pk)
        return Response(_claim_body(claim), status=status.HTTP_201_CREATED)


class ClaimListView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=ClaimStatus.values)],
        responses=MyClaimSerializer(many=True),
        tags=["claims"],
    )
    def get(self, request: Request) -> Response:
        """My claims, newest first."""
        wanted = request.query_params.get("status")
        qs = selectors.claims_of_resident(
            user=_user(request), status=wanted if wanted in ClaimStatus.values else None
        )
        return _paginated(request, self, qs, _claim_body)


class ClaimDetailView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(responses=MyClaimDetailSerializer, tags=["claims"])
    def get(self, request: Request, claim_id: int) -> Response:
        """One of my claims with its decisions and photos (anyone else's: 404)."""
        claim = selectors.claim_for_resident(user=_user(request), claim_id=claim_id)
        return Response(_claim_detail_body(claim))


class ClaimWithdrawView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(request=None, responses=MyClaimSerializer, tags=["claims"])
    def post(self, request: Request, claim_id: int) -> Response:
        """Give up a reserved or submitted claim; its place is freed."""
        claims.claim_withdraw(user=_user(request), claim_id=claim_id)
        claim = selectors.claim_for_resident(user=_user(request), claim_id=claim_id)
        return Response(_claim_body(claim))


class SubmitSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=claims.NOTE_MAX, required=False, allow_blank=True, default=""
    )
    latitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-90, max_value=90, default=None
    )
    longitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-180, max_value=180, default=None
    )


class ClaimSubmitView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "ClaimSubmitForm",
                {
                    "photos[]": serializers.ListField(
                        child=serializers.FileField(), required=False, max_length=5
                    ),
                    "note": serializers.CharField(required=False, max_length=claims.NOTE_MAX),
                    "latitude": serializers.FloatField(required=False),
                    "longitude": serializers.FloatField(required=False),
                },
            )
        },
        responses=MyClaimDetailSerializer,
        tags=["claims"],
    )
    def post(self, request: Request, claim_id: int) -> Response:
        """Submit evidence for a reserved claim: up to 5 photos (JPEG, PNG or HEIC, 10 MB and
        24 megapixels each; stored without EXIF or GPS), a note and an optional location.
        409 when the claim is not reserved or the hourly cap across your claims refuses it
        (checked before any photo is decoded); 429 after too many submissions in an hour."""
        form = SubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        photos = request.FILES.getlist("photos[]") + request.FILES.getlist("photos")
        claims.claim_submit(
            user=_user(request),
            claim_id=claim_id,
            photos=photos,
            note=form.validated_data["note"],
            latitude=form.validated_data["latitude"],
            longitude=form.validated_data["longitude"],
        )
        claim = selectors.claim_for_resident(user=_user(request), claim_id=claim_id)
        return Response(_claim_detail_body(claim))


class EvidenceFileView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        responses={(200, "image/jpeg"): bytes, (200, "image/png"): bytes}, tags=["claims"]
    )
    def get(self, request: Request, claim_id: int, evidence_id: int) -> FileResponse:
        """A photo of a claim, for the claim's resident or staff with a TOTP-verified session;
        404 for anyone else. Never cached by shared caches."""
        record, handle = evidence.evidence_open(
            user=request.user, claim_id=claim_id, evidence_id=evidence_id
        )
        response = FileResponse(handle, content_type=record.content_type)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Disposition"] = "inline"
        return response


urlpatterns: list[URLPattern | URLResolver] = [
    path("staff/campaigns/", CampaignListView.as_view(), name="api-staff-campaigns"),
    path(
        "staff/campaigns/<int:campaign_id>/",
        CampaignDetailView.as_view(),
        name="api-staff-campaign",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/close/",
        CampaignCloseView.as_view(),
        name="api-staff-campaign-close",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/mint-requests/",
        MintRequestCreateView.as_view(),
        name="api-staff-mint-request-create",
    ),
    path("staff/mint-requests/", MintRequestListView.as_view(), name="api-staff-mint-requests"),
    path(
        "staff/mint-requests/<int:request_id>/approve/",
        MintApproveView.as_view(),
        name="api-staff-mint-approve",
    ),
    path(
        "staff/mint-requests/<int:request_id>/reject/",
        MintRejectView.as_view(),
        name="api-staff-mint-reject",
    ),
    path("staff/tasks/", TaskStaffListView.as_view(), name="api-staff-tasks"),
    path("staff/tasks/<int:task_id>/", TaskStaffDetailView.as_view(), name="api-staff-task"),
    path(
        "staff/tasks/<int:task_id>/publish/",
        TaskPublishView.as_view(),
        name="api-staff-task-publish",
    ),
    path("staff/tasks/<int:task_id>/close/", TaskCloseView.as_view(), name="api-staff-task-close"),
    path("tasks/", TaskBrowseView.as_view(), name="api-tasks"),
    path("tasks/<int:task_id>/", TaskResidentDetailView.as_view(), name="api-task"),
    path("tasks/<int:task_id>/claim/", TaskClaimView.as_view(), name="api-task-claim"),
    path("claims/", ClaimListView.as_view(), name="api-claims"),
    path("claims/<int:claim_id>/", ClaimDetailView.as_view(), name="api-claim"),
    path("claims/<int:claim_id>/withdraw/", ClaimWithdrawView.as_view(), name="api-claim-withdraw"),
    path("claims/<int:claim_id>/submit/", ClaimSubmitView.as_view(), name="api-claim-submit"),
    path(
        "claims/<int:claim_id>/evidence/<int:evidence_id>/",
        EvidenceFileView.as_view(),
        name="api-claim-evidence",
    ),
]
