"""Payments API (tag "payments"): the resident's codes, payment requests and poster payments in
the wallet; charges, payment requests, the day's payments, refunds and the poster at the shop.
Views validate input, call one service and serialise the result; someone else's shop,
payment or request answers 404. Formats: docs/qr.md.

The views live in payments.api_wallet and payments.api_shop, their serializers in
payments.api_common; this module lists the routes."""

from django.urls import URLPattern, URLResolver, include, path

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

# The resident's side under wallet/, the shop's under shops/<id>/ (one payment request's under
# payment-requests/<id>/).
wallet_urls: list[URLPattern | URLResolver] = [
    path("pay-codes/", PayCodesView.as_view(), name="api-pay-codes"),
    path("payments/", WalletPaymentsView.as_view(), name="api-wallet-payments"),
    path("pay-requests/", PayRequestPreviewView.as_view(), name="api-pay-request-preview"),
    path("pay-requests/pay/", PayRequestPayView.as_view(), name="api-pay-request-pay"),
    path("pay-shop/", PayShopView.as_view(), name="api-pay-shop"),
]
payment_request_urls: list[URLPattern | URLResolver] = [
    path("", PaymentRequestView.as_view(), name="api-shop-payment-request"),
    path("cancel/", PaymentRequestCancelView.as_view(), name="api-shop-payment-request-cancel"),
    path("qr.<str:kind>", PaymentRequestImageView.as_view(), name="api-shop-payment-request-qr"),
]
shop_urls: list[URLPattern | URLResolver] = [
    path("charges/", ChargesView.as_view(), name="api-shop-charges"),
    path("payment-requests/", PaymentRequestsView.as_view(), name="api-shop-payment-requests"),
    path("payment-requests/<int:request_id>/", include(payment_request_urls)),
    path("payments/", ShopPaymentsView.as_view(), name="api-shop-payments"),
    path("payments/<int:payment_id>/refunds/", RefundsView.as_view(), name="api-shop-refunds"),
    path("poster.<str:kind>", PosterView.as_view(), name="api-shop-poster"),
]
urlpatterns: list[URLPattern | URLResolver] = [
    path("wallet/", include(wallet_urls)),
    path("shops/<int:shop_id>/", include(shop_urls)),
]
