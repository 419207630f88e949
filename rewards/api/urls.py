"""The rewards API's routes, mounted at /api/v1/: each use case's own urls, joined."""

from django.urls import URLPattern, URLResolver

from . import campaigns, claims, review, rules, tasks

urlpatterns: list[URLPattern | URLResolver] = [
    *campaigns.urlpatterns,
    *tasks.urlpatterns,
    *claims.urlpatterns,
    *review.urlpatterns,
    *rules.urlpatterns,
]
