"""Staff: list, approve and reject settlements; export approved ones into a pain.001 file,
download it, mark it paid."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import ActionView, KeysetPage, Page, page_response, query, request_user
from core.routes import Routes

from .. import settlement
from ..models import SepaExport, Settlement, SettlementStatus
from . import serializers

# Settlements and transfer files, and one of each under its own prefix.
routes = Routes()
one_settlement = routes.group("staff/settlements/<int:settlement_id>/")
one_sepa_export = routes.group("staff/sepa-exports/<int:export_id>/")

# --- staff: settlement -------------------------------------------------------------------------


@routes("staff/settlements/", name="api-staff-settlements")
class StaffSettlementsView(APIView):
    pagination_class = KeysetPage
    permission_classes = (serializers.SettlementReadPermission,)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=SettlementStatus.values),
        ],
        responses=serializers.SettlementSerializer(many=True),
        tags=["settlement"],
    )
    def get(self, request: Request) -> Response:
        """Settlements oldest first; `?status=requested` is the approval queue. Paged by cursor:
        follow `next`."""
        params = query(request, serializers.StaffSettlementQuerySerializer)
        rows = settlement.settlements_for_staff(status=params.get("status"))
        return page_response(self, request, rows, serializer=serializers.SettlementSerializer)


# What staff do to one settlement; the answer is the settlement.
@extend_schema(request=None, responses=serializers.SettlementSerializer, tags=["settlement"])
class StaffSettlementAction(ActionView):
    permission_classes = (serializers.SettlementDecidePermission,)

    def answer(self, done: Settlement) -> dict[str, Any]:
        return serializers.SettlementSerializer(done).data


@one_settlement("approve/", name="api-staff-settlement-approve")
class StaffSettlementApproveView(StaffSettlementAction):
    """Approve a requested settlement: the tokens leave the shop for the settlement
    account. Not by the person who requested it."""

    def act(self, user: User, **arguments: Any) -> Settlement:
        return settlement.settlement_approve(approver=user, **arguments)


@one_settlement("confirm-iban/", name="api-staff-settlement-confirm-iban")
class StaffSettlementIbanConfirmView(StaffSettlementAction):
    """Confirm the new IBAN of a held settlement, after checking it with the shop another
    way; it can then be approved. Not by a member of the shop."""

    permission_classes = (serializers.IbanConfirmPermission,)

    def act(self, user: User, **arguments: Any) -> Settlement:
        return settlement.settlement_iban_confirm(staff=user, **arguments)


@one_settlement("reject/", name="api-staff-settlement-reject")
@extend_schema(request=serializers.SettlementRejectSerializer)
class StaffSettlementRejectView(StaffSettlementAction):
    """Turn a requested settlement down with a reason the owner reads."""

    form = serializers.SettlementRejectSerializer

    def act(self, user: User, **arguments: Any) -> Settlement:
        return settlement.settlement_reject(approver=user, **arguments)


@routes("staff/sepa-exports/", name="api-staff-sepa-exports")
class StaffSepaExportsView(APIView):
    pagination_class = Page
    permission_classes = (serializers.SepaPermission,)

    @extend_schema(
        responses=serializers.SepaExportSerializer(many=True),
        tags=["settlement"],
    )
    def get(self, request: Request) -> Response:
        """Transfer files, newest first."""
        return page_response(
            self,
            request,
            settlement.sepa_exports_for_staff(),
            serializer=serializers.SepaExportSerializer,
        )

    @extend_schema(
        request=None, responses={201: serializers.SepaExportSerializer}, tags=["settlement"]
    )
    def post(self, request: Request) -> Response:
        """Put every approved settlement into one pain.001 credit transfer file (validated
        against its schema); they become exported."""
        export = settlement.sepa_export_create(actor=request_user(request, User))
        return Response(
            serializers.SepaExportSerializer(export).data, status=status.HTTP_201_CREATED
        )


@one_sepa_export("pain.001.xml", name="api-staff-sepa-export-file")
class StaffSepaExportFileView(APIView):
    permission_classes = (serializers.SepaPermission,)

    @extend_schema(
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.STR, description="The pain.001.001.03 document."
            )
        },
        tags=["settlement"],
    )
    def get(self, request: Request, export_id: int) -> HttpResponse:
        """Download the file for the bank (audited)."""
        export: SepaExport = settlement.sepa_export_get(
            actor=request_user(request, User), export_id=export_id
        )
        response = HttpResponse(export.xml.encode("utf-8"), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="heitje-pain.001-{export.pk}.xml"'
        response["Cache-Control"] = "no-store"
        return response


@one_sepa_export("paid/", name="api-staff-sepa-export-paid")
class StaffSepaExportPaidView(APIView):
    permission_classes = (serializers.SepaPermission,)

    @extend_schema(request=None, responses=serializers.SepaExportSerializer, tags=["settlement"])
    def post(self, request: Request, export_id: int) -> Response:
        """Record that the bank executed the file: its settlements become paid."""
        export = settlement.sepa_export_paid(actor=request_user(request, User), export_id=export_id)
        return Response(serializers.SepaExportSerializer(export).data)
