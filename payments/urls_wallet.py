"""The wallet's payment pages, under /wallet/pay/."""

from . import views_wallet

urlpatterns = views_wallet.routes.urls
