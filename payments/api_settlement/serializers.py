"""The permissions and bodies of the voucher and settlement API."""

from typing import Any

from rest_framework import serializers

from accounts.models import Role
from accounts.permissions import staff_permission

from .. import settlement, voucher_batches
from ..models import (
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


def batch_body(batch: VoucherBatch) -> dict[str, Any]:
    """A batch just written, with its redeemed count (as the listing annotates it)."""
    found = voucher_batches.voucher_batches_for_staff().get(pk=batch.pk)
    return dict(VoucherBatchSerializer(found).data)
