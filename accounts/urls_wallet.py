from django.urls import URLPattern, URLResolver, path

from . import views_wallet

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_wallet.wallet_home, name="wallet-home"),
    path("statement/", views_wallet.wallet_statement, name="wallet-statement"),
    path("residency/", views_wallet.wallet_residency, name="wallet-residency"),
    path("offline/", views_wallet.wallet_offline, name="wallet-offline"),
    path("manifest.webmanifest", views_wallet.wallet_manifest, name="wallet-manifest"),
    path("sw.js", views_wallet.wallet_service_worker, name="wallet-sw"),
]
