"""The wallet's home pages, mounted at /wallet/."""

from . import views_wallet

urlpatterns = views_wallet.routes.urls
