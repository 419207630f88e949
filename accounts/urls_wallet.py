from django.urls import URLPattern, URLResolver, path

from . import views_wallet

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_wallet.wallet_home, name="wallet-home"),
    path("statement/", views_wallet.wallet_statement, name="wallet-statement"),
    path("residency/", views_wallet.wallet_residency, name="wallet-residency"),
    path("shops/", views_wallet.wallet_shops, name="wallet-shops"),
    path("manifest.webmanifest", views_wallet.manifest, name="wallet-manifest"),
    path("sw.js", views_wallet.service_worker, name="wallet-sw"),
    path("offline/", views_wallet.offline, name="wallet-offline"),
]
