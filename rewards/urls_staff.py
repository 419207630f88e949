"""The staff console for rewards, mounted at /staff/rewards/."""

from .views_staff import campaigns, review, rules, tasks

urlpatterns = [*campaigns.routes.urls, *tasks.routes.urls, *rules.routes.urls, *review.routes.urls]
