"""Staff pages of payments, under /staff/payments/."""

from django.urls import URLPattern, URLResolver, path

from . import views_staff, views_staff_expiry

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_staff.staff_home, name="payments-staff-home"),
    path("vouchers/", views_staff.voucher_batches_page, name="payments-staff-vouchers"),
    path(
        "vouchers/request/",
        views_staff.voucher_batch_request,
        name="payments-staff-voucher-request",
    ),
    path(
        "vouchers/<int:batch_id>/approve/",
        views_staff.voucher_batch_approve,
        name="payments-staff-voucher-approve",
    ),
    path(
        "vouchers/<int:batch_id>/reject/",
        views_staff.voucher_batch_reject,
        name="payments-staff-voucher-reject",
    ),
    path(
        "vouchers/<int:batch_id>/sheet/",
        views_staff.voucher_batch_sheet,
        name="payments-staff-voucher-sheet",
    ),
    path("settlements/", views_staff.settlements, name="payments-staff-settlements"),
    path(
        "settlements/<int:settlement_id>/approve/",
        views_staff.settlement_approve,
        name="payments-staff-settlement-approve",
    ),
    path(
        "settlements/<int:settlement_id>/confirm-iban/",
        views_staff.settlement_iban_confirm,
        name="payments-staff-settlement-confirm-iban",
    ),
    path(
        "settlements/<int:settlement_id>/reject/",
        views_staff.settlement_reject,
        name="payments-staff-settlement-reject",
    ),
    path("expiry/", views_staff_expiry.expiry_page, name="payments-staff-expiry"),
    path("exports/", views_staff.exports, name="payments-staff-exports"),
    path("exports/new/", views_staff.export_create, name="payments-staff-export-create"),
    path(
        "exports/<int:export_id>/download/",
        views_staff.export_download,
        name="payments-staff-export-download",
    ),
    path(
        "exports/<int:export_id>/paid/", views_staff.export_paid, name="payments-staff-export-paid"
    ),
    path(
        "exports/<int:export_id>/withdraw/",
        views_staff.export_withdraw,
        name="payments-staff-export-withdraw",
    ),
]
