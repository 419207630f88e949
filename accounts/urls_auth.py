from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, reverse_lazy

from . import views, views_auth
from .forms_auth import PasswordResetRequestForm, PasswordResetSetForm

urlpatterns: list[URLPattern | URLResolver] = [
    path("language/", views.language_set, name="set-language"),
    path("login/", views_auth.login_view, name="login"),
    path("logout/", views_auth.logout_view, name="logout"),
    path("signup/", views_auth.signup_view, name="signup"),
    # Before the token pattern, which would otherwise take "resend" for a token.
    path("verify-email/resend/", views_auth.resend_view, name="verify-email-resend"),
    path("verify-email/<str:token>/", views_auth.verify_email_view, name="verify-email"),
    # Getting back in: Django's own views and tokens (accounts.password_reset).
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetRequestForm,
            template_name="auth/password_reset.html",
            success_url=reverse_lazy("password-reset-sent"),
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="auth/password_reset_sent.html"),
        name="password-reset-sent",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="auth/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=PasswordResetSetForm,
            template_name="auth/password_reset_confirm.html",
            success_url=reverse_lazy("password-reset-done"),
        ),
        name="password-reset-confirm",
    ),
]
