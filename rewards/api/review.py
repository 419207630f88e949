"""Staff review API (the queues, a claim with its decisions, approve, reject, bulk approve,
release a hold) and everyone's notifications. Views validate, call one service, serialise."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Notification, User
from accounts.notifications import notification_mark_read
from accounts.permissions import staff_permission
from core.api import ActionView, Page, page_response, query, validated
from core.routes import Routes

from .. import review, roles, selectors
from ..models import Claim, ClaimStatus
from ..selectors import task_text
from .common import request_user, stored_degrees

# One claim under review, under staff/claims/<id>/.
routes = Routes()
claim = routes.group("staff/claims/<int:claim_id>/")

ReaderPermission = staff_permission(*roles.READER_ROLES)
DeciderPermission = staff_permission(*(roles.REVIEWER_ROLES | roles.APPROVER_ROLES))
ReleasePermission = staff_permission(*roles.RELEASE_ROLES)


class DecisionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    actor = serializers.CharField(allow_null=True, help_text="Who decided; null for the rules.")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReviewClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    stage = serializers.ChoiceField(
        choices=[*[(s.value, s.value) for s in selectors.Stage], ("", "")],
        help_text="review, second_approval, held, or empty when no staff step is due.",
    )
    amount = serializers.IntegerField(help_text="Minor units.")
    task_id = serializers.IntegerField()
    task_title = serializers.CharField()
    task_created_by = serializers.IntegerField()
    campaign_id = serializers.IntegerField()
    resident_id = serializers.IntegerField()
    resident_name = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()
    latitude = stored_degrees()
    longitude = stored_degrees()
    evidence = serializers.ListField(child=serializers.IntegerField(), help_text="Photo ids.")
    reviewed_by = serializers.CharField(allow_null=True)
    approved_by = serializers.CharField(allow_null=True, help_text="The second approver.")
    hold_reason = serializers.CharField()
    rejection_reason = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    payout_transfer_id = serializers.IntegerField(allow_null=True)


class ClaimDetailSerializer(ReviewClaimSerializer):
    decisions = DecisionSerializer(many=True)


class QueueQuerySerializer(serializers.Serializer):
    stage = serializers.ChoiceField(
        choices=[s.value for s in selectors.Stage], required=False, default=selectors.Stage.REVIEW
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=review.REASON_MAX)


class ApproveResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[o.value for o in review.Outcome])
    claim = ClaimDetailSerializer()


class BulkApproveSerializer(serializers.Serializer):
    claims = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=review.BULK_MAX,
    )


class BulkResultSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=[o.value for o in review.Outcome])
    code = serializers.CharField(help_text="Why it was refused (a problem type), else empty.")
    detail = serializers.CharField()


class BulkResultsSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


def _name(user: User | None) -> str | None:
    return None if user is None else user.display_name or user.email


def _claim_body(claim: Claim, *, decisions: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": claim.pk,
        "status": claim.status,
        "stage": selectors.claim_stage(claim),
        "amount": claim.amount,
        "task_id": claim.task_id,
        "task_title": task_text(claim.task)[0],
        "task_created_by": claim.task.created_by_id,
        "campaign_id": claim.task.campaign_id,
        "resident_id": claim.resident_id,
        "resident_name": _name(claim.resident),
        "submitted_at": claim.submitted_at,
        "note": claim.note,
        "latitude": claim.latitude,
        "longitude": claim.longitude,
        "evidence": [e.pk for e in claim.evidence.all()],
        "reviewed_by": _name(claim.reviewed_by),
        "approved_by": _name(claim.approved_by),
        "hold_reason": _(claim.hold_reason) if claim.hold_reason else "",
        "rejection_reason": claim.rejection_reason,
        "paid_at": claim.paid_at,
        "payout_transfer_id": claim.payout_transfer_id,
    }
    if decisions:
        body["decisions"] = [
            {
                "kind": d.kind,
                "actor": _name(d.actor),
                "reason": _(d.reason) if d.reason and d.kind != "reject" else d.reason,
                "created_at": d.created_at,
            }
            for d in claim.decisions.all()
        ]
        return ClaimDetailSerializer(body).data
    return ReviewClaimSerializer(body).data


def _detail(claim_id: int) -> dict[str, Any]:
    return _claim_body(selectors.claim_for_staff(claim_id=claim_id), decisions=True)


@routes("staff/review/", name="api-staff-review")
class ReviewQueueView(APIView):
    pagination_class = Page
    permission_classes = [ReaderPermission]

    @extend_schema(
        parameters=[
            OpenApiParameter("stage", enum=[s.value for s in selectors.Stage]),
        ],
        responses=ReviewClaimSerializer(many=True),
        tags=["review"],
        summary="Claims waiting for staff, oldest first",
    )
    def get(self, request: Request) -> Response:
        params = query(request, QueueQuerySerializer)
        rows = selectors.claims_for_review(stage=params["stage"])
        return page_response(self, request, rows, body=_claim_body)


@claim("", name="api-staff-claim")
class ClaimDetailView(APIView):
    permission_classes = [ReaderPermission]

    @extend_schema(responses=ClaimDetailSerializer, tags=["review"])
    def get(self, request: Request, claim_id: int) -> Response:
        return Response(_detail(claim_id))


# A staff decision on one claim; the answer is the claim with its decisions.
@extend_schema(request=None, responses=ClaimDetailSerializer, tags=["review"])
class ClaimDecision(ActionView):
    permission_classes = [DeciderPermission]

    def answer(self, claim: Claim) -> dict[str, Any]:
        return _detail(claim.pk)


@claim("approve/", name="api-staff-claim-approve")
@extend_schema(
    request=None,
    responses=ApproveResultSerializer,
    tags=["review"],
    summary="Approve a claim (the review, or the second approval above the threshold)",
)
class ClaimApproveView(ActionView):
    permission_classes = [DeciderPermission]

    def act(self, user: User, **arguments: Any) -> tuple[Claim, review.Outcome]:
        return review.claim_approve(staff=user, **arguments)

    def answer(self, result: tuple[Claim, review.Outcome]) -> dict[str, Any]:
        claim, outcome = result
        return {"outcome": outcome.value, "claim": _detail(claim.pk)}


@claim("reject/", name="api-staff-claim-reject")
@extend_schema(request=RejectSerializer)
class ClaimRejectView(ClaimDecision):
    form = RejectSerializer

    def act(self, user: User, **arguments: Any) -> Claim:
        return review.claim_reject(staff=user, **arguments)


@routes("staff/claims/bulk-approve/", name="api-staff-claims-bulk-approve")
class ClaimsBulkApproveView(APIView):
    permission_classes = [DeciderPermission]

    @extend_schema(
        request=BulkApproveSerializer,
        responses=BulkResultsSerializer,
        tags=["review"],
        summary="Approve up to 500 claims; says per claim what happened",
    )
    def post(self, request: Request) -> Response:
        results = review.claims_bulk_approve(
            staff=request_user(request),
            claim_ids=validated(request, BulkApproveSerializer)["claims"],
        )
        return Response(
            BulkResultsSerializer(
                {
                    "results": [
                        {
                            "claim": r.claim_id,
                            "outcome": r.outcome.value,
                            "code": r.code,
                            "detail": r.detail,
                        }
                        for r in results
                    ]
                }
            ).data
        )


@claim("release/", name="api-staff-claim-release")
@extend_schema(summary="Lift a hold whose reason no longer applies; the claim is then paid")
class ClaimReleaseView(ClaimDecision):
    permission_classes = [ReleasePermission]

    def act(self, user: User, **arguments: Any) -> Claim:
        return review.claim_release(staff=user, **arguments)


@routes("notifications/", name="api-notifications")
class NotificationsView(APIView):
    pagination_class = Page

    @extend_schema(
        responses=NotificationSerializer(many=True),
        tags=["notifications"],
        summary="My notifications, newest first",
    )
    def get(self, request: Request) -> Response:
        rows = Notification.objects.filter(user=request_user(request))
        return page_response(self, request, rows, serializer=NotificationSerializer)


@routes("notifications/<int:notification_id>/read/", name="api-notification-read")
class NotificationReadView(APIView):
    @extend_schema(request=None, responses=NotificationSerializer, tags=["notifications"])
    def post(self, request: Request, notification_id: int) -> Response:
        notification = notification_mark_read(
            user=request_user(request), notification_id=notification_id
        )
        return Response(NotificationSerializer(notification).data, status=status.HTTP_200_OK)
