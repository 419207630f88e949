"""A resident's claims (under /api/v1/): claim a task, follow, withdraw, submit evidence, fetch
a photo. Someone else's claim answers 404."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsResident
from core.api import Page, page_response, validated
from core.routes import Routes

from .. import claims, evidence, selectors
from ..models import (
    Claim,
    ClaimStatus,
)
from .common import PlainChoiceField, request_user, stored_degrees

# One claim of the resident's, under claims/<id>/.
routes = Routes()
claim = routes.group("claims/<int:claim_id>/")


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
    latitude = stored_degrees()
    longitude = stored_degrees()
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
            selectors.claim_reservation_deadline(claim)
            if claim.status == ClaimStatus.RESERVED
            else None
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


def _my_claim(request: Request, claim_id: int) -> Claim:
    """One of the signed-in resident's claims, as it is now (anyone else's: 404)."""
    return selectors.claim_for_resident(user=request_user(request), claim_id=claim_id)


@routes("tasks/<int:task_id>/claim/", name="api-task-claim")
class TaskClaimView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(request=None, responses={201: MyClaimSerializer}, tags=["claims"])
    def post(self, request: Request, task_id: int) -> Response:
        """Reserve a place on the task (409 when full or over your limit on it)."""
        claim = claims.claim_reserve(user=request_user(request), task_id=task_id)
        return Response(_claim_body(_my_claim(request, claim.pk)), status=status.HTTP_201_CREATED)


@routes("claims/", name="api-claims")
class ClaimListView(APIView):
    pagination_class = Page
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
            user=request_user(request), status=wanted if wanted in ClaimStatus.values else None
        )
        return page_response(self, request, qs, body=_claim_body)


@claim("", name="api-claim")
class ClaimDetailView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(responses=MyClaimDetailSerializer, tags=["claims"])
    def get(self, request: Request, claim_id: int) -> Response:
        """One of my claims with its decisions and photos (anyone else's: 404)."""
        return Response(_claim_detail_body(_my_claim(request, claim_id)))


@claim("withdraw/", name="api-claim-withdraw")
class ClaimWithdrawView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(request=None, responses=MyClaimSerializer, tags=["claims"])
    def post(self, request: Request, claim_id: int) -> Response:
        """Give up a reserved or submitted claim; its place is freed."""
        claims.claim_withdraw(user=request_user(request), claim_id=claim_id)
        return Response(_claim_body(_my_claim(request, claim_id)))


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


@claim("submit/", name="api-claim-submit")
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
        fields = validated(request, SubmitSerializer)
        photos = request.FILES.getlist("photos[]") + request.FILES.getlist("photos")
        claims.claim_submit(user=request_user(request), claim_id=claim_id, photos=photos, **fields)
        return Response(_claim_detail_body(_my_claim(request, claim_id)))


@claim("evidence/<int:evidence_id>/", name="api-claim-evidence")
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
