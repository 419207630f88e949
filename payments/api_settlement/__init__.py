"""API of paper vouchers and settlement (tags "vouchers" and "settlement").

Staff (TOTP-verified session): voucher batches, four eyes (a task manager requests, a different
approver approves or rejects, the requester fetches the codes once); list, approve and reject
settlements; export approved settlements into a pain.001 file, download it, mark it paid.
Shops: redeem a voucher at the till (owner or cashier); the owner requests and lists
settlements. Someone else's shop answers 404. The views only validate input and call
payments.voucher_batches / payments.vouchers / payments.settlement.

One module per use case: `vouchers`, `settlements` (staff), `shops`; `serializers` holds
the permissions and bodies.
"""

from django.urls import URLPattern, URLResolver, include, path

from .settlements import (
    StaffSepaExportFileView,
    StaffSepaExportPaidView,
    StaffSepaExportsView,
    StaffSettlementApproveView,
    StaffSettlementIbanConfirmView,
    StaffSettlementRejectView,
    StaffSettlementsView,
)
from .shops import (
    ShopSettlementsView,
    ShopVoucherRedeemView,
)
from .vouchers import (
    StaffVoucherBatchApproveView,
    StaffVoucherBatchesView,
    StaffVoucherBatchRejectView,
    StaffVoucherBatchSheetView,
)

# One voucher batch, one settlement, one transfer file (staff), and one shop: each under its own
# prefix.
voucher_batch_urls: list[URLPattern | URLResolver] = [
    path(
        "approve/", StaffVoucherBatchApproveView.as_view(), name="api-staff-voucher-batch-approve"
    ),
    path("reject/", StaffVoucherBatchRejectView.as_view(), name="api-staff-voucher-batch-reject"),
    path("sheet/", StaffVoucherBatchSheetView.as_view(), name="api-staff-voucher-batch-sheet"),
]
settlement_urls: list[URLPattern | URLResolver] = [
    path("approve/", StaffSettlementApproveView.as_view(), name="api-staff-settlement-approve"),
    path(
        "confirm-iban/",
        StaffSettlementIbanConfirmView.as_view(),
        name="api-staff-settlement-confirm-iban",
    ),
    path("reject/", StaffSettlementRejectView.as_view(), name="api-staff-settlement-reject"),
]
sepa_export_urls: list[URLPattern | URLResolver] = [
    path("pain.001.xml", StaffSepaExportFileView.as_view(), name="api-staff-sepa-export-file"),
    path("paid/", StaffSepaExportPaidView.as_view(), name="api-staff-sepa-export-paid"),
]
shop_urls: list[URLPattern | URLResolver] = [
    path("vouchers/redeem/", ShopVoucherRedeemView.as_view(), name="api-shop-voucher-redeem"),
    path("settlements/", ShopSettlementsView.as_view(), name="api-shop-settlements"),
]
urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "staff/voucher-batches/",
        StaffVoucherBatchesView.as_view(),
        name="api-staff-voucher-batches",
    ),
    path("staff/voucher-batches/<int:batch_id>/", include(voucher_batch_urls)),
    path("staff/settlements/", StaffSettlementsView.as_view(), name="api-staff-settlements"),
    path("staff/settlements/<int:settlement_id>/", include(settlement_urls)),
    path("staff/sepa-exports/", StaffSepaExportsView.as_view(), name="api-staff-sepa-exports"),
    path("staff/sepa-exports/<int:export_id>/", include(sepa_export_urls)),
    path("shops/<int:shop_id>/", include(shop_urls)),
]
