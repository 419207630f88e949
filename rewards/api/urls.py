"""The rewards API's routes, mounted at /api/v1/: each use case's routes (declared beside its
views), joined."""

from django.urls import URLPattern, URLResolver

from . import campaigns, claims, review, rules, tasks

urlpatterns: list[URLPattern | URLResolver] = [
    *campaigns.routes.urls,
    *tasks.routes.urls,
    *claims.routes.urls,
    *review.routes.urls,
    *rules.routes.urls,
]
