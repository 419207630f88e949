from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from accounts import api_me as accounts_me
from accounts import api_staff as accounts_staff
from impact import views_wallet as impact_wallet
from ledger import api as ledger_api
from payments import api as payments_api
from payments import api_expiry as payments_expiry
from payments import api_settlement as payments_settlement
from rewards.api import urls as rewards_api
from shops import api as shops_api
from shops import views as shops_views

from . import metrics, views

handler403 = "core.problems.permission_denied"
handler404 = "core.problems.page_not_found"
handler500 = "core.problems.server_error"

# The Django admin where ADMIN_URL says, or nowhere when ADMIN_ENABLED is off.
admin_urls: list[URLPattern | URLResolver] = (
    [path(settings.ADMIN_URL, admin.site.urls)] if settings.ADMIN_ENABLED else []
)

# The API, each app's routes declared beside its views (core.routes). One prefix, matched
# before the pages: an API request walks none of the page patterns (issue 14).
api_urls: list[URLPattern | URLResolver] = [
    *payments_api.routes.urls,
    *payments_settlement.urlpatterns,
    *payments_expiry.routes.urls,
    *accounts_me.routes.urls,
    *shops_api.routes.urls,
    *accounts_staff.routes.urls,
    *rewards_api.urlpatterns,
    *ledger_api.routes.urls,
    *accounts_api.routes.urls,
]

urlpatterns = [
    path("api/v1/", include(api_urls)),
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
    path("wallet/shops/", include(shops_views.wallet.urls)),
    path("wallet/achieved/", include(impact_wallet.routes.urls)),
    path("wallet/", include("accounts.urls_wallet")),
    path("staff/shops/", include("shops.urls_staff")),
    path("staff/rewards/", include("rewards.urls_staff")),
    path("staff/payments/", include("payments.urls_staff")),
    path("staff/", include("accounts.urls_staff")),
    path("shop/<int:shop_id>/till/", include("payments.urls_shop")),
    path("shop/", include("shops.urls")),
    # Public: the impact page, the transparency page, the open data (docs/impact.md).
    path("", include("impact.urls")),
    # Public keys of the shops' signed payment requests (docs/qr.md).
    path(".well-known/", include("payments.urls_public")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
