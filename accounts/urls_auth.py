"""Signing in and up, getting back in, the language: mounted at /."""

from . import views, views_auth

urlpatterns = [*views.routes.urls, *views_auth.routes.urls]
