"""What the payments queues hold for the staff home, the badge and the digest (registered in
PaymentsConfig.ready): voucher batches and settlements to approve, SEPA files to mark paid."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from accounts.waiting import staff_waiting_register

from . import settlement, voucher_batches
from .models import SepaExport, Settlement, SettlementStatus, VoucherBatch, VoucherBatchStatus


def waiting_register() -> None:
    staff_waiting_register(
        key="voucher-batches",
        label=gettext_lazy("Voucher batches to approve"),
        roles=voucher_batches.APPROVE_ROLES,
        url_name="payments-staff-vouchers",
        count=lambda: VoucherBatch.objects.filter(status=VoucherBatchStatus.REQUESTED).count(),
    )
    staff_waiting_register(
        key="settlements",
        label=gettext_lazy("Settlements to approve"),
        roles=settlement.APPROVE_ROLES,
        url_name="payments-staff-settlements",
        count=lambda: Settlement.objects.filter(status=SettlementStatus.REQUESTED).count(),
    )
    staff_waiting_register(
        key="sepa-files",
        label=gettext_lazy("SEPA files to mark paid"),
        roles=settlement.EXPORT_ROLES,
        url_name="payments-staff-exports",
        count=lambda: (
            SepaExport.objects.filter(settlements__status=SettlementStatus.EXPORTED)
            .distinct()
            .count()
        ),
    )
