"""The resident's task pages, mounted at /wallet/tasks/."""

from . import views_wallet

urlpatterns = views_wallet.routes.urls
