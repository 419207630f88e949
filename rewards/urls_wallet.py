"""The resident's task pages, mounted at /wallet/tasks/."""

from django.urls import URLPattern, URLResolver, path

from . import views_wallet as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.task_list, name="rewards-wallet-tasks"),
    path("<int:task_id>/", views.task_detail, name="rewards-wallet-task"),
    path("<int:task_id>/claim/", views.task_claim, name="rewards-wallet-task-claim"),
    path("claims/", views.claim_list, name="rewards-wallet-claims"),
    path("claims/<int:claim_id>/", views.claim_detail, name="rewards-wallet-claim"),
    path(
        "claims/<int:claim_id>/withdraw/",
        views.claim_withdraw,
        name="rewards-wallet-claim-withdraw",
    ),
    path(
        "claims/<int:claim_id>/photos/<int:evidence_id>/",
        views.evidence_file,
        name="rewards-wallet-evidence",
    ),
    path("notifications/", views.notification_list, name="rewards-wallet-notifications"),
    path(
        "notifications/read-all/",
        views.notifications_read_all,
        name="rewards-wallet-notifications-read-all",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="rewards-wallet-notification-read",
    ),
]
