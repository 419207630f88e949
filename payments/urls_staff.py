"""Staff pages of payments, under /staff/payments/."""

from django.urls import URLPattern, URLResolver, path

from . import views_staff

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_staff.staff_home, name="payments-staff-home"),
    path("vouchers/", views_staff.voucher_batches, name="payments-staff-vouchers"),
    path("vouchers/issue/", views_staff.voucher_batch_issue, name="payments-staff-voucher-issue"),
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
]
