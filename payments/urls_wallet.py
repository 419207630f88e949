"""The wallet's payment pages, under /wallet/pay/."""

from django.urls import URLPattern, URLResolver, path

from . import views_wallet

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_wallet.wallet_pay, name="payments-wallet-pay"),
    path("code/", views_wallet.wallet_pay_code, name="payments-wallet-pay-code"),
    path("scan/", views_wallet.wallet_scan, name="payments-wallet-scan"),
    path("scan/confirm/", views_wallet.wallet_confirm, name="payments-wallet-confirm"),
    path("scan/amount/", views_wallet.wallet_poster_pay, name="payments-wallet-poster-pay"),
    path("paid/<int:payment_id>/", views_wallet.wallet_paid, name="payments-wallet-paid"),
    path("history/", views_wallet.wallet_history, name="payments-wallet-history"),
]
