"""The staff console for rewards, mounted at /staff/rewards/."""

from django.urls import URLPattern, URLResolver, path

from .views_staff import campaigns, review, rules, tasks

urlpatterns: list[URLPattern | URLResolver] = [
    path("", campaigns.home, name="rewards-staff-home"),
    path("campaigns/new/", campaigns.campaign_create, name="rewards-staff-campaign-create"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="rewards-staff-campaign"),
    path(
        "campaigns/<int:campaign_id>/edit/",
        campaigns.campaign_edit,
        name="rewards-staff-campaign-edit",
    ),
    path(
        "campaigns/<int:campaign_id>/close/",
        campaigns.campaign_close,
        name="rewards-staff-campaign-close",
    ),
    path(
        "campaigns/<int:campaign_id>/mint/",
        campaigns.mint_request,
        name="rewards-staff-mint-request",
    ),
    path(
        "campaigns/<int:campaign_id>/tasks/new/",
        tasks.task_create,
        name="rewards-staff-task-create",
    ),
    path("rules/", rules.rules_list, name="rewards-staff-rules"),
    path("rules/<int:year>/", rules.rules_edit, name="rewards-staff-rules-edit"),
    path("mints/", campaigns.mint_list, name="rewards-staff-mints"),
    path(
        "mints/<int:request_id>/approve/", campaigns.mint_approve, name="rewards-staff-mint-approve"
    ),
    path("mints/<int:request_id>/reject/", campaigns.mint_reject, name="rewards-staff-mint-reject"),
    path("tasks/<int:task_id>/", tasks.task_detail, name="rewards-staff-task"),
    path("tasks/<int:task_id>/edit/", tasks.task_edit, name="rewards-staff-task-edit"),
    path("tasks/<int:task_id>/publish/", tasks.task_publish, name="rewards-staff-task-publish"),
    path("tasks/<int:task_id>/close/", tasks.task_close, name="rewards-staff-task-close"),
    path("review/", review.review_queue, name="rewards-staff-review"),
    path(
        "review/bulk-approve/",
        review.review_bulk_approve,
        name="rewards-staff-review-bulk-approve",
    ),
    path(
        "review/bulk-reject/",
        review.review_bulk_reject,
        name="rewards-staff-review-bulk-reject",
    ),
    path("claims/<int:claim_id>/", review.claim_detail, name="rewards-staff-claim"),
    path(
        "claims/<int:claim_id>/approve/", review.claim_approve, name="rewards-staff-claim-approve"
    ),
    path("claims/<int:claim_id>/reject/", review.claim_reject, name="rewards-staff-claim-reject"),
    path(
        "claims/<int:claim_id>/release/", review.claim_release, name="rewards-staff-claim-release"
    ),
    path(
        "claims/<int:claim_id>/photos/<int:evidence_id>/",
        review.evidence_file,
        name="rewards-staff-evidence",
    ),
    path(
        "claims/<int:claim_id>/photos/<int:evidence_id>/thumbnail/",
        review.evidence_thumbnail,
        name="rewards-staff-evidence-thumbnail",
    ),
]
