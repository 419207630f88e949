from django.urls import URLPattern, URLResolver, path

from . import views, views_auth

urlpatterns: list[URLPattern | URLResolver] = [
    path("language/", views.language_set, name="set-language"),
    path("login/", views_auth.login_view, name="login"),
    path("logout/", views_auth.logout_view, name="logout"),
    path("signup/", views_auth.signup_view, name="signup"),
    # Before the token pattern, which would otherwise take "resend" for a token.
    path("verify-email/resend/", views_auth.resend_view, name="verify-email-resend"),
    path("verify-email/<str:token>/", views_auth.verify_email_view, name="verify-email"),
]
