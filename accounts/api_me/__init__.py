"""The person's own API: signing in and out (session or token), email verification, their
profile, password and email changes, sessions, and privacy (export, deletion). One module per
use case: `auth` (signing in), `me` (the profile, sessions and privacy); `serializers` holds
the bodies."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from .auth import (
    LoginView,
    LogoutView,
    TokenView,
    VerifyEmailResendView,
    VerifyEmailView,
)
from .me import (
    DataView,
    DeleteView,
    EmailConfirmView,
    EmailView,
    MeView,
    PasswordView,
    SessionsEndOthersView,
    SessionsView,
    SessionView,
    TokenRevokeView,
)
from .serializers import PASSWORD_MIN_LENGTH, StrictSerializer

__all__ = ["PASSWORD_MIN_LENGTH", "StrictSerializer", "urlpatterns"]

auth_urls: list[URLPattern | URLResolver] = [
    path("login/", LoginView.as_view(), name="api-login"),
    path("logout/", LogoutView.as_view(), name="api-logout"),
    path("token/", TokenView.as_view(), name="api-token"),
    path("verify-email/", VerifyEmailView.as_view(), name="api-verify-email"),
    path("verify-email/resend/", VerifyEmailResendView.as_view(), name="api-verify-email-resend"),
    path("confirm-email/", EmailConfirmView.as_view(), name="api-confirm-email"),
]
session_urls: list[URLPattern | URLResolver] = [
    path("", SessionsView.as_view(), name="api-me-sessions"),
    path("<int:session_id>/", SessionView.as_view(), name="api-me-session"),
    path("tokens/<int:token_id>/", TokenRevokeView.as_view(), name="api-me-token"),
    path("end-others/", SessionsEndOthersView.as_view(), name="api-me-sessions-end-others"),
]
me_urls: list[URLPattern | URLResolver] = [
    path("", MeView.as_view(), name="api-me"),
    path("password/", PasswordView.as_view(), name="api-me-password"),
    path("email/", EmailView.as_view(), name="api-me-email"),
    path("sessions/", include(session_urls)),
    path("data/", DataView.as_view(), name="api-me-data"),
    path("delete/", DeleteView.as_view(), name="api-me-delete"),
]
urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/", include(auth_urls)),
    path("me/", include(me_urls)),
]
