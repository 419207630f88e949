from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from impact import views_wallet as impact_wallet
from ledger import api as ledger_api
from shops import views as shops_views

from . import metrics, views

handler403 = "core.problems.permission_denied"
handler404 = "core.problems.page_not_found"
handler500 = "core.problems.server_error"

# The Django admin where ADMIN_URL says, or nowhere when ADMIN_ENABLED is off.
admin_urls: list[URLPattern | URLResolver] = (
    [path(settings.ADMIN_URL, admin.site.urls)] if settings.ADMIN_ENABLED else []
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    *admin_urls,
    # Pages: sign-in and sign-up, the person's own account, and the three front doors.
    path("", include("accounts.urls_auth")),
    path("account/", include("accounts.urls_account")),
    path("wallet/tasks/", include("rewards.urls_wallet")),
    path("wallet/pay/", include("payments.urls_wallet")),
    # Where to spend: the shops' list, in the wallet (shops sit above accounts).
    path("wallet/shops/", shops_views.wallet_shops, name="wallet-shops"),
    path("wallet/achieved/", impact_wallet.wallet_achieved, name="wallet-achieved"),
    path(
        "wallet/achieved/<int:year>/",
        impact_wallet.wallet_year_statement,
        name="wallet-year-statement",
    ),
    path("wallet/", include("accounts.urls_wallet")),
    path("staff/shops/", include("shops.urls_staff")),
    path("staff/rewards/", include("rewards.urls_staff")),
    path("staff/payments/", include("payments.urls_staff")),
    path("staff/", include("accounts.urls_staff")),
    path("shop/<int:shop_id>/till/", include("payments.urls_shop")),
    path("shop/", include("shops.urls")),
    # Public: the impact page, the transparency page, the open data (docs/impact.md).
    path("", include("impact.urls")),
    # The API.
    path("api/v1/", include("accounts.api_me")),
    path("api/v1/", include("shops.api")),
    path("api/v1/", include("accounts.api_staff")),
    path("api/v1/", include("rewards.api.urls")),
    path("api/v1/", include("payments.api")),
    path("api/v1/", include("payments.api_settlement")),
    path("api/v1/", include("payments.api_expiry")),
    # Public keys of the shops' signed payment requests (docs/qr.md).
    path(".well-known/", include("payments.urls_public")),
    path("api/v1/transparency/", ledger_api.TransparencyView.as_view(), name="api-transparency"),
    path("api/v1/transparency/keys/", ledger_api.LedgerKeysView.as_view(), name="api-ledger-keys"),
    path("api/v1/residents/", accounts_api.SignUpView.as_view(), name="api-signup"),
    path("api/v1/wallet/", accounts_api.WalletView.as_view(), name="api-wallet"),
    path(
        "api/v1/wallet/statement/",
        accounts_api.WalletStatementView.as_view(),
        name="api-wallet-statement",
    ),
    path(
        "api/v1/wallet/residency/", accounts_api.ResidencyCodeView.as_view(), name="api-residency"
    ),
    path(
        "api/v1/staff/invite-codes/",
        accounts_api.InviteCodeBatchView.as_view(),
        name="api-invite-codes",
    ),
    path(
        "api/v1/staff/residents/<int:resident_id>/verify/",
        accounts_api.ResidentVerifyView.as_view(),
        name="api-resident-verify",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
