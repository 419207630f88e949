"""API of paper vouchers and settlement (tags "vouchers" and "settlement").

Staff (TOTP-verified session): voucher batches, four eyes (a task manager requests, a different
approver approves or rejects, the requester fetches the codes once); list, approve and reject
settlements; export approved settlements into a pain.001 file, download it, mark it paid.
Shops: redeem a voucher at the till (owner or cashier); the owner requests and lists
settlements. Someone else's shop answers 404. The views only validate input and call
payments.voucher_batches / payments.vouchers / payments.settlement.
"""

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.permissions import staff_permission
from core.api import Page, page_response
from shops.selectors import shop_membership

from . import settlement, voucher_batches, vouchers
from .models import (
    Payment,
    SepaExport,
    Settlement,
    SettlementStatus,
    VoucherBatch,
    VoucherBatchStatus,
)

VoucherRequestPermission = staff_permission(*voucher_batches.REQUEST_ROLES)
VoucherDecidePermission = staff_permission(*voucher_batches.APPROVE_ROLES)
VoucherReadPermission = staff_permission(
    *sorted({*voucher_batches.REQUEST_ROLES, *voucher_batches.APPROVE_ROLES})
)
SettlementReadPermission = staff_permission(Role.APPROVER, Role.FINANCE, Role.ADMIN)
SettlementDecidePermission = staff_permission(*settlement.APPROVE_ROLES)
IbanConfirmPermission = staff_permission(*settlement.IBAN_CONFIRM_ROLES)
SepaPermission = staff_permission(*settlement.EXPORT_ROLES)


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- serializers -----------------------------------------------------------------------------


class VoucherBatchRequestSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    name = serializers.CharField(max_length=voucher_batches.NAME_MAX)
    value = serializers.IntegerField(min_value=1, help_text="Minor units (cents) per voucher.")
    count = serializers.IntegerField(min_value=1, max_value=voucher_batches.COUNT_MAX)
    expires_at = serializers.DateTimeField()


class VoucherBatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    campaign = serializers.IntegerField(source="budget.campaign.pk")
    value = serializers.IntegerField(help_text="Minor units per voucher.")
    count = serializers.IntegerField()
    status = serializers.ChoiceField(choices=VoucherBatchStatus.choices)
    redeemed = serializers.IntegerField(help_text="Vouchers redeemed so far.")
    expires_at = serializers.DateTimeField()
    expired_at = serializers.DateTimeField(allow_null=True)
    escrow_account = serializers.IntegerField(source="escrow_id", allow_null=True)
    funding_transfer = serializers.IntegerField(source="funding_transfer_id", allow_null=True)
    requested_by = serializers.EmailField(source="requested_by.email")
    requested_at = serializers.DateTimeField()
    decided_by = serializers.EmailField(source="decided_by.email", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField(help_text="Why it was turned down, if it was.")
    sheet_printed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the requester fetched the codes (once)."
    )


class VoucherBatchQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=VoucherBatchStatus.choices, required=False)


class VoucherBatchRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=voucher_batches.REASON_MAX)


class SheetVoucherSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Printed on the voucher, in groups of four.")
    qr_payload = serializers.CharField(help_text="What the voucher's QR code encodes.")


class VoucherSheetSerializer(VoucherBatchSerializer):
    vouchers = SheetVoucherSerializer(
        many=True, help_text="The codes, shown this once: only their hashes are kept."
    )


class RedeemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=100, help_text="Typed or scanned.")


class VoucherPaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop = serializers.IntegerField(source="shop_id")
    amount = serializers.IntegerField(help_text="Minor units.")
    method = serializers.CharField()
    transfer = serializers.IntegerField(source="transfer_id")
    created_at = serializers.DateTimeField()


class SettlementRequestSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, help_text="Minor units (cents) of tokens.")


class SettlementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop = serializers.IntegerField(source="shop_id")
    shop_name = serializers.CharField(source="shop.name")
    amount = serializers.IntegerField(help_text="Tokens redeemed, minor units.")
    fee = serializers.IntegerField(help_text="Redemption fee, minor units.")
    payout_cents = serializers.SerializerMethodField(help_text="Euro cents transferred.")
    iban = serializers.CharField()
    status = serializers.ChoiceField(choices=SettlementStatus.choices)
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(help_text="Why it was turned down, if it was.")
    transfer = serializers.IntegerField(source="transfer_id", allow_null=True)
    export = serializers.IntegerField(source="export_id", allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    iban_changed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the shop last changed its IBAN before asking."
    )
    held = serializers.SerializerMethodField(
        help_text="Asked soon after an IBAN change and not yet confirmed: cannot be approved."
    )
    iban_confirmed_at = serializers.DateTimeField(
        allow_null=True, help_text="When staff confirmed the new IBAN of a held settlement."
    )

    def get_payout_cents(self, obj: Settlement) -> int:
        return obj.amount - obj.fee

    def get_held(self, obj: Settlement) -> bool:
        return settlement.settlement_is_held(obj)


class ShopSettlementsSerializer(serializers.Serializer):
    balance = serializers.IntegerField(help_text="The shop's balance, minor units.")
    available = serializers.IntegerField(
        help_text="What can still be requested: the balance minus open requests."
    )
    fee_permille = serializers.IntegerField()
    settlements = SettlementSerializer(many=True)


class StaffSettlementQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SettlementStatus.choices, required=False)


class SettlementRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=settlement.REASON_MAX)


class SepaExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message_id = serializers.CharField()
    total_cents = serializers.IntegerField(help_text="Sum of the transfers, euro cents.")
    count = serializers.IntegerField(help_text="Number of transfers.")
    created_by = serializers.EmailField(source="created_by.email")
    created_at = serializers.DateTimeField()


def _batch_body(batch: VoucherBatch) -> dict[str, Any]:
    """A batch just written, with its redeemed count (as the listing annotates it)."""
    found = voucher_batches.voucher_batches_for_staff().get(pk=batch.pk)
    return dict(VoucherBatchSerializer(found).data)


# --- staff: vouchers ---------------------------------------------------------------------------


class StaffVoucherBatchesView(APIView):
    pagination_class = Page

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [VoucherRequestPermission()]
        return [VoucherReadPermission()]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=VoucherBatchStatus.values),
        ],
        responses=VoucherBatchSerializer(many=True),
        tags=["vouchers"],
    )
    def get(self, request: Request) -> Response:
        """Voucher batches, newest first, with how many were redeemed; `?status=requested` is
        the approval queue."""
        query = VoucherBatchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = voucher_batches.voucher_batches_for_staff(status=query.validated_data.get("status"))
        return page_response(self, request, rows, serializer=VoucherBatchSerializer)

    @extend_schema(
        request=VoucherBatchRequestSerializer,
        responses={201: VoucherBatchSerializer},
        tags=["vouchers"],
    )
    def post(self, request: Request) -> Response:
        """Ask for a batch of paper vouchers paid from a campaign's budget (task manager or
        administrator). Nothing is paid and no codes exist until a different approver
        approves; then the requester fetches the codes once (`.../sheet/`)."""
        form = VoucherBatchRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        batch = voucher_batches.voucher_batch_request(
            actor=_user(request),
            campaign_id=data["campaign"],
            name=data["name"],
            value=data["value"],
            count=data["count"],
            expires_at=data["expires_at"],
        )
        return Response(_batch_body(batch), status=status.HTTP_201_CREATED)


class StaffVoucherBatchApproveView(APIView):
    permission_classes = (VoucherDecidePermission,)

    @extend_schema(request=None, responses=VoucherBatchSerializer, tags=["vouchers"])
    def post(self, request: Request, batch_id: int) -> Response:
        """Approve a requested batch (approver or administrator, not the requester): its value
        moves from the budget into escrow if the budget has it available after its published
        tasks."""
        batch = voucher_batches.voucher_batch_approve(actor=_user(request), batch_id=batch_id)
        return Response(_batch_body(batch))


class StaffVoucherBatchRejectView(APIView):
    permission_classes = (VoucherDecidePermission,)

    @extend_schema(
        request=VoucherBatchRejectSerializer, responses=VoucherBatchSerializer, tags=["vouchers"]
    )
    def post(self, request: Request, batch_id: int) -> Response:
        """Turn a requested batch down with a reason the requester reads; nothing moves."""
        form = VoucherBatchRejectSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        batch = voucher_batches.voucher_batch_reject(
            actor=_user(request), batch_id=batch_id, reason=form.validated_data["reason"]
        )
        return Response(_batch_body(batch))


class StaffVoucherBatchSheetView(APIView):
    permission_classes = (VoucherRequestPermission,)

    @extend_schema(request=None, responses={201: VoucherSheetSerializer}, tags=["vouchers"])
    def post(self, request: Request, batch_id: int) -> Response:
        """The codes of an approved batch, for its printable sheet: made now and shown this
        once, to the person who requested the batch (audited). A second call is refused."""
        sheet = voucher_batches.voucher_batch_sheet(actor=_user(request), batch_id=batch_id)
        body = _batch_body(sheet.batch)
        body["vouchers"] = SheetVoucherSerializer(sheet.vouchers, many=True).data
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


# --- staff: settlement -------------------------------------------------------------------------


class StaffSettlementsView(APIView):
    pagination_class = Page
    permission_classes = (SettlementReadPermission,)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=SettlementStatus.values),
        ],
        responses=SettlementSerializer(many=True),
        tags=["settlement"],
    )
    def get(self, request: Request) -> Response:
        """Settlements oldest first; `?status=requested` is the approval queue."""
        query = StaffSettlementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = settlement.settlements_for_staff(status=query.validated_data.get("status"))
        return page_response(self, request, rows, serializer=SettlementSerializer)


class StaffSettlementApproveView(APIView):
    permission_classes = (SettlementDecidePermission,)

    @extend_schema(request=None, responses=SettlementSerializer, tags=["settlement"])
    def post(self, request: Request, settlement_id: int) -> Response:
        """Approve a requested settlement: the tokens leave the shop for the settlement
        account. Not by the person who requested it."""
        done = settlement.settlement_approve(approver=_user(request), settlement_id=settlement_id)
        return Response(SettlementSerializer(done).data)


class StaffSettlementIbanConfirmView(APIView):
    permission_classes = (IbanConfirmPermission,)

    @extend_schema(request=None, responses=SettlementSerializer, tags=["settlement"])
    def post(self, request: Request, settlement_id: int) -> Response:
        """Confirm the new IBAN of a held settlement, after checking it with the shop another
        way; it can then be approved. Not by a member of the shop."""
        done = settlement.settlement_iban_confirm(staff=_user(request), settlement_id=settlement_id)
        return Response(SettlementSerializer(done).data)


class StaffSettlementRejectView(APIView):
    permission_classes = (SettlementDecidePermission,)

    @extend_schema(
        request=SettlementRejectSerializer, responses=SettlementSerializer, tags=["settlement"]
    )
    def post(self, request: Request, settlement_id: int) -> Response:
        """Turn a requested settlement down with a reason the owner reads."""
        form = SettlementRejectSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        done = settlement.settlement_reject(
            approver=_user(request),
            settlement_id=settlement_id,
            reason=form.validated_data["reason"],
        )
        return Response(SettlementSerializer(done).data)


class StaffSepaExportsView(APIView):
    pagination_class = Page
    permission_classes = (SepaPermission,)

    @extend_schema(
        responses=SepaExportSerializer(many=True),
        tags=["settlement"],
    )
    def get(self, request: Request) -> Response:
        """Transfer files, newest first."""
        return page_response(
            self, request, settlement.sepa_exports_for_staff(), serializer=SepaExportSerializer
        )

    @extend_schema(request=None, responses={201: SepaExportSerializer}, tags=["settlement"])
    def post(self, request: Request) -> Response:
        """Put every approved settlement into one pain.001 credit transfer file (validated
        against its schema); they become exported."""
        export = settlement.sepa_export_create(actor=_user(request))
        return Response(SepaExportSerializer(export).data, status=status.HTTP_201_CREATED)


class StaffSepaExportFileView(APIView):
    permission_classes = (SepaPermission,)

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
        export: SepaExport = settlement.sepa_export_get(actor=_user(request), export_id=export_id)
        response = HttpResponse(export.xml.encode("utf-8"), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="heitje-pain.001-{export.pk}.xml"'
        response["Cache-Control"] = "no-store"
        return response


class StaffSepaExportPaidView(APIView):
    permission_classes = (SepaPermission,)

    @extend_schema(request=None, responses=SepaExportSerializer, tags=["settlement"])
    def post(self, request: Request, export_id: int) -> Response:
        """Record that the bank executed the file: its settlements become paid."""
        export = settlement.sepa_export_paid(actor=_user(request), export_id=export_id)
        return Response(SepaExportSerializer(export).data)


# --- shops -------------------------------------------------------------------------------------


class ShopVoucherRedeemView(APIView):
    @extend_schema(
        request=RedeemSerializer, responses={201: VoucherPaymentSerializer}, tags=["vouchers"]
    )
    def post(self, request: Request, shop_id: int) -> Response:
        """Redeem a paper voucher at the till (owner or cashier): its value is paid into the
        shop, once."""
        form = RedeemSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        payment: Payment = vouchers.voucher_redeem(
            cashier=_user(request), shop_id=shop_id, code=form.validated_data["code"]
        )
        return Response(VoucherPaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class ShopSettlementsView(APIView):
    @extend_schema(responses=ShopSettlementsSerializer, tags=["settlement"])
    def get(self, request: Request, shop_id: int) -> Response:
        """The shop's settlements, newest first, and what can still be requested (owner)."""
        rows = list(settlement.shop_settlements(owner=_user(request), shop_id=shop_id))
        shop = shop_membership(user=_user(request), shop_id=shop_id).shop
        available = settlement.settlement_available(shop=shop)
        return Response(
            ShopSettlementsSerializer(
                {
                    "balance": available.balance,
                    "available": available.amount,
                    "fee_permille": settings.SETTLEMENT_FEE_PERMILLE,
                    "settlements": rows,
                }
            ).data
        )

    @extend_schema(
        request=SettlementRequestSerializer,
        responses={201: SettlementSerializer},
        tags=["settlement"],
    )
    def post(self, request: Request, shop_id: int) -> Response:
        """Ask to redeem tokens for euros, paid to the shop's IBAN (owner of an approved
        shop; at most the balance minus open requests)."""
        form = SettlementRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        done = settlement.settlement_request(
            owner=_user(request), shop_id=shop_id, amount=form.validated_data["amount"]
        )
        return Response(SettlementSerializer(done).data, status=status.HTTP_201_CREATED)


urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "staff/voucher-batches/",
        StaffVoucherBatchesView.as_view(),
        name="api-staff-voucher-batches",
    ),
    path(
        "staff/voucher-batches/<int:batch_id>/approve/",
        StaffVoucherBatchApproveView.as_view(),
        name="api-staff-voucher-batch-approve",
    ),
    path(
        "staff/voucher-batches/<int:batch_id>/reject/",
        StaffVoucherBatchRejectView.as_view(),
        name="api-staff-voucher-batch-reject",
    ),
    path(
        "staff/voucher-batches/<int:batch_id>/sheet/",
        StaffVoucherBatchSheetView.as_view(),
        name="api-staff-voucher-batch-sheet",
    ),
    path("staff/settlements/", StaffSettlementsView.as_view(), name="api-staff-settlements"),
    path(
        "staff/settlements/<int:settlement_id>/approve/",
        StaffSettlementApproveView.as_view(),
        name="api-staff-settlement-approve",
    ),
    path(
        "staff/settlements/<int:settlement_id>/confirm-iban/",
        StaffSettlementIbanConfirmView.as_view(),
        name="api-staff-settlement-confirm-iban",
    ),
    path(
        "staff/settlements/<int:settlement_id>/reject/",
        StaffSettlementRejectView.as_view(),
        name="api-staff-settlement-reject",
    ),
    path("staff/sepa-exports/", StaffSepaExportsView.as_view(), name="api-staff-sepa-exports"),
    path(
        "staff/sepa-exports/<int:export_id>/pain.001.xml",
        StaffSepaExportFileView.as_view(),
        name="api-staff-sepa-export-file",
    ),
    path(
        "staff/sepa-exports/<int:export_id>/paid/",
        StaffSepaExportPaidView.as_view(),
        name="api-staff-sepa-export-paid",
    ),
    path(
        "shops/<int:shop_id>/vouchers/redeem/",
        ShopVoucherRedeemView.as_view(),
        name="api-shop-voucher-redeem",
    ),
    path(
        "shops/<int:shop_id>/settlements/",
        ShopSettlementsView.as_view(),
        name="api-shop-settlements",
    ),
]
