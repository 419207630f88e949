"""The person's own API: signing in and out (session or token), email verification, their
profile, password and email changes, sessions, and privacy (export, deletion). One module per
use case: `auth` (signing in), `me` (the profile, sessions and privacy); `serializers` holds
the bodies."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

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

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/login/", LoginView.as_view(), name="api-login"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/verify-email/", VerifyEmailView.as_view(), name="api-verify-email"),
    path(
        "auth/verify-email/resend/",
        VerifyEmailResendView.as_view(),
        name="api-verify-email-resend",
    ),
    path("auth/confirm-email/", EmailConfirmView.as_view(), name="api-confirm-email"),
    path("me/", MeView.as_view(), name="api-me"),
    path("me/password/", PasswordView.as_view(), name="api-me-password"),
    path("me/email/", EmailView.as_view(), name="api-me-email"),
    path("me/sessions/", SessionsView.as_view(), name="api-me-sessions"),
    path("me/sessions/<int:session_id>/", SessionView.as_view(), name="api-me-session"),
    path("me/sessions/tokens/<int:token_id>/", TokenRevokeView.as_view(), name="api-me-token"),
    path(
        "me/sessions/end-others/",
        SessionsEndOthersView.as_view(),
        name="api-me-sessions-end-others",
    ),
    path("me/data/", DataView.as_view(), name="api-me-data"),
    path("me/delete/", DeleteView.as_view(), name="api-me-delete"),
]
