from django.urls import URLPattern, URLResolver, path

from . import views_account

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_account.account_home, name="account-home"),
    path("password/", views_account.password_view, name="account-password"),
    path("email/", views_account.email_view, name="account-email"),
    path(
        "email/confirm/<str:token>/",
        views_account.email_confirm_view,
        name="account-email-confirm",
    ),
    path("sessions/", views_account.sessions_view, name="account-sessions"),
    path("data/", views_account.data_view, name="account-data"),
    path("delete/", views_account.delete_view, name="account-delete"),
]
