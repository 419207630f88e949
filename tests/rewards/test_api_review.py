"""The review and notification API end to end: who may call what, bad input refused with
nothing changed, problem+json everywhere, someone else's notification answers 404."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Notification
from rewards.models import Claim, ClaimDecision, ClaimStatus
from tests.helpers import make_user
from tests.rewards import review_fixtures as fx


@pytest.fixture
def world(db):
    manager = make_user("manager@example.org", "task_manager")
    task = fx.task(fx.campaign(manager), manager)
    return task, manager


@pytest.fixture
def anna(db):
    return fx.resident("anna@example.org")


@pytest.fixture
def reviewer_api(db, staff_login):
    client = APIClient()
    client.user = make_user("reviewer@example.org", "reviewer", display_name="Rita Reviewer")
    staff_login(client, client.user)
    return client


def unchanged(claim):
    claim.refresh_from_db()
    return (
        claim.status == ClaimStatus.SUBMITTED
        and claim.reviewed_by_id is None
        and not ClaimDecision.objects.filter(claim=claim).exists()
    )


def test_the_queue_pages_oldest_first(world, anna, reviewer_api):
    task, _ = world
    claims = [fx.submitted(task, anna) for _ in range(3)]
    response = reviewer_api.get("/api/v1/staff/review/?limit=2")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [c["id"] for c in body["results"]] == [claims[0].pk, claims[1].pk]
    first = body["results"][0]
    assert first["stage"] == "review"
    assert first["resident_name"] == "Anna"
    assert first["task_title"] == "Paint a bench"
    assert reviewer_api.get("/api/v1/staff/review/?stage=nonsense").status_code == 400


def test_approve_then_detail_shows_every_decision(
    world, anna, reviewer_api, django_capture_on_commit_callbacks
):
    task, _ = world
    claim = fx.submitted(task, anna)
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_api.post(f"/api/v1/staff/claims/{claim.pk}/approve/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["outcome"] == "approved"
    detail = reviewer_api.get(f"/api/v1/staff/claims/{claim.pk}/").json()
    assert detail["status"] == "paid"  # Celery runs eagerly in the suite
    assert [d["kind"] for d in detail["decisions"]] == ["approve", "pay"]
    assert detail["decisions"][0]["actor"] == "Rita Reviewer"
    assert detail["decisions"][1]["actor"] is None
    assert detail["payout_transfer_id"] is not None
    assert detail["evidence"] == []
    assert fx.balance(anna) == 500


@pytest.mark.parametrize(
    "payload",
    [{}, {"reason": ""}, {"reason": "x" * 501}, {"reason": ["a"]}, {"reason": "   "}],
)
def test_a_rejection_without_a_proper_reason_changes_nothing(world, anna, reviewer_api, payload):
    task, _ = world
    claim = fx.submitted(task, anna)
    response = reviewer_api.post(f"/api/v1/staff/claims/{claim.pk}/reject/", payload, format="json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    assert unchanged(claim)
    assert not AuditEvent.objects.exists()


def test_reject_with_a_reason(world, anna, reviewer_api):
    task, _ = world
    claim = fx.submitted(task, anna)
    response = reviewer_api.post(
        f"/api/v1/staff/claims/{claim.pk}/reject/", {"reason": "Wrong bench."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "Wrong bench."
    again = reviewer_api.post(
        f"/api/v1/staff/claims/{claim.pk}/approve/", {"reason": "x"}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/review-conflict"


def test_own_task_is_refused_and_missing_claims_are_404(world, anna, reviewer_api):
    task, _ = world
    own = fx.submitted(fx.task(task.campaign, reviewer_api.user), anna)
    refused = reviewer_api.post(f"/api/v1/staff/claims/{own.pk}/approve/")
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/not-allowed"
    assert unchanged(own)
    for url in ("/api/v1/staff/claims/999999/", "/api/v1/staff/claims/999999/approve/"):
        call = reviewer_api.get if url.endswith("999999/") else reviewer_api.post
        missing = call(url)
        assert missing.status_code == 404
        assert missing.json()["type"] == "/problems/not-found"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"claims": []},
        {"claims": "1"},
        {"claims": ["x"]},
        {"claims": [0]},
        {"claims": [1] * 501},
    ],
)
def test_bulk_approve_refuses_bad_lists(world, anna, reviewer_api, payload):
    task, _ = world
    claim = fx.submitted(task, anna)
    response = reviewer_api.post("/api/v1/staff/claims/bulk-approve/", payload, format="json")
    assert response.status_code == 400
    assert unchanged(claim)


def test_bulk_approve_says_what_happened_to_each(
    world, anna, reviewer_api, django_capture_on_commit_callbacks
):
    task, _ = world
    ok = fx.submitted(task, anna)
    own = fx.submitted(fx.task(task.campaign, reviewer_api.user), anna)
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_api.post(
            "/api/v1/staff/claims/bulk-approve/",
            {"claims": [ok.pk, own.pk, 777777]},
            format="json",
        )
    assert response.status_code == 200
    results = {r["claim"]: (r["outcome"], r["code"]) for r in response.json()["results"]}
    assert results == {
        ok.pk: ("approved", ""),
        own.pk: ("refused", "not-allowed"),
        777777: ("refused", "not-found"),
    }
    assert Claim.objects.get(pk=ok.pk).status == ClaimStatus.PAID
    assert unchanged(own)


def test_release_is_for_approvers_finance_and_admins(world, reviewer_api, staff_login):
    task, _ = world
    olga = fx.resident("olga@example.org", verified=False)
    claim = fx.submitted(task, olga)
    assert reviewer_api.post(f"/api/v1/staff/claims/{claim.pk}/approve/").json()["outcome"] == (
        "held"
    )
    held = reviewer_api.get("/api/v1/staff/review/?stage=held").json()["results"]
    assert [c["id"] for c in held] == [claim.pk]
    assert "residency is verified" in held[0]["hold_reason"]
    assert reviewer_api.post(f"/api/v1/staff/claims/{claim.pk}/release/").status_code == 403
    finance = APIClient()
    staff_login(finance, make_user("finance@example.org", "finance"))
    still = finance.post(f"/api/v1/staff/claims/{claim.pk}/release/")
    assert still.status_code == 409
    assert Claim.objects.get(pk=claim.pk).hold_reason  # still held, nothing paid
    assert fx.balance(olga) == 0


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("task_manager", "/api/v1/staff/claims/{id}/approve/"),
        ("finance", "/api/v1/staff/claims/{id}/approve/"),
        ("task_manager", "/api/v1/staff/review/"),
    ],
)
def test_wrong_roles_are_refused(world, anna, staff_login, role, url):
    task, _ = world
    claim = fx.submitted(task, anna)
    client = APIClient()
    staff_login(client, make_user(f"{role}@example.org", role))
    call = client.get if url.endswith("review/") else client.post
    response = call(url.format(id=claim.pk))
    assert response.status_code == 403
    assert unchanged(claim)


def test_reviewers_without_totp_and_residents_are_refused(world, anna):
    task, _ = world
    claim = fx.submitted(task, anna)
    client = APIClient()
    client.force_login(make_user("nototp@example.org", "reviewer"))
    response = client.post(f"/api/v1/staff/claims/{claim.pk}/approve/")
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/two-factor-required"
    client.force_login(anna)
    assert client.post(f"/api/v1/staff/claims/{claim.pk}/approve/").status_code == 403
    assert client.get(f"/api/v1/staff/claims/{claim.pk}/").status_code == 403
    assert unchanged(claim)


def test_notifications_are_mine_and_marked_read(
    world, anna, reviewer_api, django_capture_on_commit_callbacks
):
    task, _ = world
    bram = fx.resident("bram@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        reviewer_api.post(f"/api/v1/staff/claims/{fx.submitted(task, anna).pk}/approve/")
        reviewer_api.post(f"/api/v1/staff/claims/{fx.submitted(task, bram).pk}/approve/")
    client = APIClient()
    client.force_login(anna)
    body = client.get("/api/v1/notifications/").json()
    assert body["count"] == 2
    assert [n["kind"] for n in body["results"]] == ["claim.paid", "claim.approved"]
    assert all(n["read_at"] is None for n in body["results"])
    mine = body["results"][0]["id"]
    read = client.post(f"/api/v1/notifications/{mine}/read/")
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    theirs = Notification.objects.filter(user=bram).first()
    refused = client.post(f"/api/v1/notifications/{theirs.pk}/read/")
    assert refused.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert APIClient().get("/api/v1/notifications/").status_code in (401, 403)
