"""The person's own account pages, mounted at /account/ (routes beside the views)."""

from . import views_account

urlpatterns = views_account.routes.urls
