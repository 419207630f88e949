"""The till and the owner's settlement pages, under /shop/<shop_id>/till/."""

from . import views_till

urlpatterns = views_till.routes.urls
