"""The staff console for rewards, mounted at /staff/rewards/."""

from django.urls import URLPattern, URLResolver, path

from . import views_staff as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="rewards-staff-home"),
    path("campaigns/new/", views.campaign_create, name="rewards-staff-campaign-create"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="rewards-staff-campaign"),
    path(
        "campaigns/<int:campaign_id>/edit/",
        views.campaign_edit,
        name="rewards-staff-campaign-edit",
    ),
    path(
        "campaigns/<int:campaign_id>/close/",
        views.campaign_close,
        name="rewards-staff-campaign-close",
    ),
    path(
        "campaigns/<int:campaign_id>/mint/",
        views.mint_request,
        name="rewards-staff-mint-request",
    ),
    path(
        "campaigns/<int:campaign_id>/tasks/new/",
        views.task_create,
        name="rewards-staff-task-create",
    ),
    path("mints/", views.mint_list, name="rewards-staff-mints"),
    path("mints/<int:request_id>/approve/", views.mint_approve, name="rewards-staff-mint-approve"),
    path("mints/<int:request_id>/reject/", views.mint_reject, name="rewards-staff-mint-reject"),
    path("tasks/<int:task_id>/", views.task_detail, name="rewards-staff-task"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="rewards-staff-task-edit"),
    path("tasks/<int:task_id>/publish/", views.task_publish, name="rewards-staff-task-publish"),
    path("tasks/<int:task_id>/close/", views.task_close, name="rewards-staff-task-close"),
    path("review/", views.review_queue, name="rewards-staff-review"),
    path(
        "review/bulk-approve/",
        views.review_bulk_approve,
        name="rewards-staff-review-bulk-approve",
    ),
    path("claims/<int:claim_id>/", views.claim_detail, name="rewards-staff-claim"),
    path("claims/<int:claim_id>/approve/", views.claim_approve, name="rewards-staff-claim-approve"),
    path("claims/<int:claim_id>/reject/", views.claim_reject, name="rewards-staff-claim-reject"),
    path("claims/<int:claim_id>/release/", views.claim_release, name="rewards-staff-claim-release"),
    path(
        "claims/<int:claim_id>/photos/<int:evidence_id>/",
        views.evidence_file,
        name="rewards-staff-evidence",
    ),
]
