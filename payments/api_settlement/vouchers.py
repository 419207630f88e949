"""Staff: voucher batches with four eyes (a task manager requests, a different approver
approves or rejects, the requester fetches the codes once)."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import ActionView, Page, page_response, query, request_user, validated
from core.routes import Routes

from .. import voucher_batches
from ..models import VoucherBatch, VoucherBatchStatus
from . import serializers

# The batches, and one batch under its own prefix.
routes = Routes()
voucher_batch = routes.group("staff/voucher-batches/<int:batch_id>/")

# --- staff: vouchers ---------------------------------------------------------------------------


@routes("staff/voucher-batches/", name="api-staff-voucher-batches")
class StaffVoucherBatchesView(APIView):
    pagination_class = Page

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [serializers.VoucherRequestPermission()]
        return [serializers.VoucherReadPermission()]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=VoucherBatchStatus.values),
        ],
        responses=serializers.VoucherBatchSerializer(many=True),
        tags=["vouchers"],
    )
    def get(self, request: Request) -> Response:
        """Voucher batches, newest first, with how many were redeemed; `?status=requested` is
        the approval queue."""
        params = query(request, serializers.VoucherBatchQuerySerializer)
        rows = voucher_batches.voucher_batches_for_staff(status=params.get("status"))
        return page_response(self, request, rows, serializer=serializers.VoucherBatchSerializer)

    @extend_schema(
        request=serializers.VoucherBatchRequestSerializer,
        responses={201: serializers.VoucherBatchSerializer},
        tags=["vouchers"],
    )
    def post(self, request: Request) -> Response:
        """Ask for a batch of paper vouchers paid from a campaign's budget (task manager or
        administrator). Nothing is paid and no codes exist until a different approver
        approves; then the requester fetches the codes once (`.../sheet/`)."""
        data = validated(request, serializers.VoucherBatchRequestSerializer)
        batch = voucher_batches.voucher_batch_request(
            actor=request_user(request, User), campaign_id=data.pop("campaign"), **data
        )
        return Response(serializers.batch_body(batch), status=status.HTTP_201_CREATED)


# An approver's decision on a requested batch; the answer is the batch.
@extend_schema(request=None, responses=serializers.VoucherBatchSerializer, tags=["vouchers"])
class StaffVoucherBatchDecision(ActionView):
    permission_classes = (serializers.VoucherDecidePermission,)

    def answer(self, batch: VoucherBatch) -> dict[str, Any]:
        return serializers.batch_body(batch)


@voucher_batch("approve/", name="api-staff-voucher-batch-approve")
class StaffVoucherBatchApproveView(StaffVoucherBatchDecision):
    """Approve a requested batch (approver or administrator, not the requester): its value
    moves from the budget into escrow if the budget has it available after its published
    tasks."""

    def act(self, user: User, **arguments: Any) -> VoucherBatch:
        return voucher_batches.voucher_batch_approve(actor=user, **arguments)


@voucher_batch("reject/", name="api-staff-voucher-batch-reject")
@extend_schema(request=serializers.VoucherBatchRejectSerializer)
class StaffVoucherBatchRejectView(StaffVoucherBatchDecision):
    """Turn a requested batch down with a reason the requester reads; nothing moves."""

    form = serializers.VoucherBatchRejectSerializer

    def act(self, user: User, **arguments: Any) -> VoucherBatch:
        return voucher_batches.voucher_batch_reject(actor=user, **arguments)


@voucher_batch("sheet/", name="api-staff-voucher-batch-sheet")
class StaffVoucherBatchSheetView(APIView):
    permission_classes = (serializers.VoucherRequestPermission,)

    @extend_schema(
        request=None, responses={201: serializers.VoucherSheetSerializer}, tags=["vouchers"]
    )
    def post(self, request: Request, batch_id: int) -> Response:
        """The codes of an approved batch, for its printable sheet: made now and shown this
        once, to the person who requested the batch (audited). A second call is refused."""
        sheet = voucher_batches.voucher_batch_sheet(
            actor=request_user(request, User), batch_id=batch_id
        )
        body = serializers.batch_body(sheet.batch)
        body["vouchers"] = serializers.SheetVoucherSerializer(sheet.vouchers, many=True).data
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response
