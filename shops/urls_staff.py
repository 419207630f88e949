"""Staff pages of shops, mounted at /staff/shops/."""

from . import views_staff

urlpatterns = views_staff.routes.urls
