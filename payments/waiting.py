"""What the payments queues hold for the staff home, the badge and the digest (registered in
PaymentsConfig.ready): voucher batches and settlements to approve, SEPA files to mark paid."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from accounts.waiting import staff_waiting_register

from . import settlement, voucher_batches
from .models import SepaExport, Settlement, SettlementStatus, VoucherBatch, VoucherBatchStatus


def _batches_requested() -> int:
    return VoucherBatch.objects.filter(status=VoucherBatchStatus.REQUESTED).count()


def _settlements_requested() -> int:
    return Settlement.objects.filter(status=SettlementStatus.REQUESTED).count()


def _files_exported() -> int:
    exported = SepaExport.objects.filter(settlements__status=SettlementStatus.EXPORTED)
    return exported.distinct().count()


# The payments queues, in the order shown: key, label, who works it, the staff page that lists
# it, how many wait in it now.
_QUEUES = (
    (
        "voucher-batches",
        gettext_lazy("Voucher batches to approve"),
        voucher_batches.APPROVE_ROLES,
        "payments-staff-vouchers",
        _batches_requested,
    ),
    (
        "settlements",
        gettext_lazy("Settlements to approve"),
        settlement.APPROVE_ROLES,
        "payments-staff-settlements",
        _settlements_requested,
    ),
    (
        "sepa-files",
        gettext_lazy("SEPA files to mark paid"),
        settlement.EXPORT_ROLES,
        "payments-staff-exports",
        _files_exported,
    ),
)


def waiting_register() -> None:
    for key, label, roles, url_name, count in _QUEUES:
        staff_waiting_register(key=key, label=label, roles=roles, url_name=url_name, count=count)
