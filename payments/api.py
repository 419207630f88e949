"""Payments API (tag "payments"): the resident's codes, payment requests and poster payments in
the wallet; charges, payment requests, the day's payments, refunds and the poster at the shop.
Views validate input, call one service and serialise the result; someone else's shop,
payment or request answers 404. Formats: docs/qr.md.

The views live in payments.api_wallet and payments.api_shop, their serializers in
payments.api_common; this module lists the routes."""

from django.urls import URLPattern, URLResolver, path

from .api_shop import (
    ChargesView,
    PaymentRequestCancelView,
    PaymentRequestImageView,
    PaymentRequestsView,
    PaymentRequestView,
    PosterView,
    RefundsView,
    ShopPaymentsView,
)
from .api_wallet import (
    PayCodesView,
    PayRequestPayView,
    PayRequestPreviewView,
    PayShopView,
    WalletPaymentsView,
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("wallet/pay-codes/", PayCodesView.as_view(), name="api-pay-codes"),
    path("wallet/payments/", WalletPaymentsView.as_view(), name="api-wallet-payments"),
    path("wallet/pay-requests/", PayRequestPreviewView.as_view(), name="api-pay-request-preview"),
    path("wallet/pay-requests/pay/", PayRequestPayView.as_view(), name="api-pay-request-pay"),
    path("wallet/pay-shop/", PayShopView.as_view(), name="api-pay-shop"),
    path("shops/<int:shop_id>/charges/", ChargesView.as_view(), name="api-shop-charges"),
    path(
        "shops/<int:shop_id>/payment-requests/",
        PaymentRequestsView.as_view(),
        name="api-shop-payment-requests",
    ),
    path(
        "shops/<int:shop_id>/payment-requests/<int:request_id>/",
        PaymentRequestView.as_view(),
        name="api-shop-payment-request",
    ),
    path(
        "shops/<int:shop_id>/payment-requests/<int:request_id>/cancel/",
        PaymentRequestCancelView.as_view(),
        name="api-shop-payment-request-cancel",
    ),
    path(
        "shops/<int:shop_id>/payment-requests/<int:request_id>/qr.<str:kind>",
        PaymentRequestImageView.as_view(),
        name="api-shop-payment-request-qr",
    ),
    path("shops/<int:shop_id>/payments/", ShopPaymentsView.as_view(), name="api-shop-payments"),
    path(
        "shops/<int:shop_id>/payments/<int:payment_id>/refunds/",
        RefundsView.as_view(),
        name="api-shop-refunds",
    ),
    path("shops/<int:shop_id>/poster.<str:kind>", PosterView.as_view(), name="api-shop-poster"),
]
