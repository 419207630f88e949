"""The till and the owner's settlement pages, under /shop/<shop_id>/till/."""

from django.urls import URLPattern, URLResolver, path

from . import views_till

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_till.till_home, name="payments-till"),
    path("charge/", views_till.till_charge, name="payments-till-charge"),
    path("request/", views_till.till_request, name="payments-till-request"),
    path(
        "request/<int:request_id>/",
        views_till.till_request_show,
        name="payments-till-request-show",
    ),
    path(
        "request/<int:request_id>/status/",
        views_till.till_request_status,
        name="payments-till-request-status",
    ),
    path(
        "request/<int:request_id>/cancel/",
        views_till.till_request_cancel,
        name="payments-till-request-cancel",
    ),
    path("today/", views_till.till_day, name="payments-till-day"),
    path(
        "payments/<int:payment_id>/refund/",
        views_till.till_refund,
        name="payments-till-refund",
    ),
    path("voucher/", views_till.till_voucher, name="payments-till-voucher"),
    path("poster/", views_till.till_poster, name="payments-till-poster"),
    path("statement/", views_till.till_statement, name="payments-till-statement"),
    path("settlements/", views_till.till_settlements, name="payments-till-settlements"),
    path(
        "settlements/request/",
        views_till.till_settlement_request,
        name="payments-till-settlement-request",
    ),
]
