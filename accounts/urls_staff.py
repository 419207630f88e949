"""The staff console, mounted at /staff/."""

from . import views_staff, views_staff_access

urlpatterns = [*views_staff.routes.urls, *views_staff_access.routes.urls]
