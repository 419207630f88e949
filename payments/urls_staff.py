"""Staff pages of payments, under /staff/payments/."""

from . import views_staff, views_staff_expiry

urlpatterns = [*views_staff.routes.urls, *views_staff_expiry.routes.urls]
