"""The shop's own pages, mounted at /shop/."""

from . import views

urlpatterns = views.routes.urls
