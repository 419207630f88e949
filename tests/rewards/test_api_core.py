"""The rewards API end to end: staff campaigns, mints and tasks; residents browse, claim,
submit photos and read their claims; evidence served privately. Bad input answers 400 or
422 with nothing changed; someone else's claim answers 404."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from ledger import selectors as ledger_selectors
from rewards import claims, work
from rewards.models import Campaign, Claim, ClaimStatus, Evidence, MintRequest, Task, TaskStatus
from tests.helpers import make_user, staff_login
from tests.rewards.core_helpers import published_task, task_fields

pytest_plugins = ["tests.rewards.core_fixtures"]


@pytest.fixture
def api():
    return APIClient()


def as_staff(user):
    client = APIClient()
    staff_login(client, user)
    return client


def as_user(user):
    client = APIClient()
    client.force_login(user)
    return client


def jpeg() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Camera"
    Image.new("RGB", (32, 24), (10, 90, 200)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def api_task_body(campaign, **changes):
    fields = task_fields(**changes)
    body = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in fields.items()}
    body["campaign"] = campaign.pk
    return body


def test_staff_create_fund_and_read_a_campaign(manager, finance, approver):
    created = as_staff(manager).post(
        "/api/v1/staff/campaigns/",
        {"name": "Groen", "starts_on": "2026-01-01", "ends_on": "2026-12-31"},
        format="json",
    )
    assert created.status_code == 201, created.content
    campaign_id = created.json()["id"]
    assert created.json()["budget"]["balance"] == 0
    asked = as_staff(finance).post(
        f"/api/v1/staff/campaigns/{campaign_id}/mint-requests/",
        {"amount": 50_000, "reason": "Voorjaar"},
        format="json",
    )
    assert asked.status_code == 201, asked.content
    request_id = asked.json()["id"]
    own = as_staff(finance).post(f"/api/v1/staff/mint-requests/{request_id}/approve/")
    assert own.status_code == 403
    listed = as_staff(approver).get("/api/v1/staff/mint-requests/?status=requested")
    assert [r["id"] for r in listed.json()["results"]] == [request_id]
    approved = as_staff(approver).post(f"/api/v1/staff/mint-requests/{request_id}/approve/")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    detail = as_staff(manager).get(f"/api/v1/staff/campaigns/{campaign_id}/")
    budget = detail.json()["budget"]
    assert (budget["balance"], budget["remaining"], budget["available"]) == (50_000,) * 3


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "x" * 201, "starts_on": "2026-01-01", "ends_on": "2026-12-31"},
        {"name": "G", "starts_on": "soon", "ends_on": "2026-12-31"},
        {"name": "G", "starts_on": "2026-01-01", "ends_on": "2025-12-31"},
        {"name": "G", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "neighbourhoods": "1"},
        {"name": "G", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "neighbourhoods": [0]},
    ],
)
def test_bad_campaigns_make_nothing(manager, body):
    response = as_staff(manager).post("/api/v1/staff/campaigns/", body, format="json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    assert Campaign.objects.count() == 0


@pytest.mark.parametrize(
    "body", [{}, {"amount": 0, "reason": "x"}, {"amount": "lots", "reason": "x"}, {"amount": 5}]
)
def test_bad_mint_requests_make_nothing(finance, campaign, body):
    before = MintRequest.objects.count()
    response = as_staff(finance).post(
        f"/api/v1/staff/campaigns/{campaign.pk}/mint-requests/", body, format="json"
    )
    assert response.status_code == 400
    assert MintRequest.objects.count() == before


def test_staff_tasks_through_the_api(manager, campaign):
    client = as_staff(manager)
    created = client.post("/api/v1/staff/tasks/", api_task_body(campaign), format="json")
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    patched = client.patch(
        f"/api/v1/staff/tasks/{task_id}/", {"title_en": "Paint a bench"}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["title_en"] == "Paint a bench"
    assert patched.json()["reward"] == 500
    assert client.post(f"/api/v1/staff/tasks/{task_id}/publish/").json()["status"] == "published"
    listed = client.get(f"/api/v1/staff/tasks/?campaign={campaign.pk}&status=published")
    assert [t["id"] for t in listed.json()["results"]] == [task_id]
    assert client.post(f"/api/v1/staff/tasks/{task_id}/close/").json()["status"] == "closed"
    assert AuditEvent.objects.filter(action__startswith="task.").count() == 4


@pytest.mark.parametrize(
    ("changes", "status", "problem"),
    [
        ({"reward": 501}, 422, "task-refused"),
        ({"reward": 500, "capacity": 201}, 409, "over-budget"),
        ({"starts_at": "2019-12-31T12:00:00+01:00"}, 422, "task-refused"),
        ({"title_nl": "x" * 201}, 400, "validation-error"),
        ({"reward": "five"}, 400, "validation-error"),
        ({"category": "gardening"}, 400, "validation-error"),
        ({"latitude": "95"}, 400, "validation-error"),
        ({"campaign": 999999}, 404, "not-found"),
    ],
)
def test_bad_tasks_make_nothing(manager, campaign, changes, status, problem):
    body = api_task_body(campaign)
    body.update(changes)
    response = as_staff(manager).post("/api/v1/staff/tasks/", body, format="json")
    assert response.status_code == status, response.content
    assert response.json()["type"] == f"/problems/{problem}"
    assert Task.objects.count() == 0


def test_missing_task_fields_make_nothing(manager, campaign):
    body = api_task_body(campaign)
    del body["estimated_minutes"]
    response = as_staff(manager).post("/api/v1/staff/tasks/", body, format="json")
    assert response.status_code == 400
    assert "estimated_minutes" in response.json()["errors"]
    assert Task.objects.count() == 0


def test_wrong_staff_roles_are_refused(finance, campaign, task):
    reviewer = make_user("reviewer@example.org", "reviewer")
    for user in (finance, reviewer):
        client = as_staff(user)
        made = client.post("/api/v1/staff/tasks/", api_task_body(campaign), format="json")
        assert made.status_code == 403
        assert client.post(f"/api/v1/staff/campaigns/{campaign.pk}/close/").status_code == 403
    assert Task.objects.count() == 1
    campaign.refresh_from_db()
    assert campaign.status == "active"


def test_staff_without_totp_are_refused(manager, campaign):
    response = as_user(manager).post("/api/v1/staff/tasks/", api_task_body(campaign), format="json")
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/two-factor-required"
    assert Task.objects.count() == 0


def test_closing_a_campaign_through_the_api(manager, campaign, task):
    response = as_staff(manager).post(f"/api/v1/staff/campaigns/{campaign.pk}/close/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert response.json()["budget"]["balance"] == 0
    again = as_staff(manager).post(f"/api/v1/staff/campaigns/{campaign.pk}/close/")
    assert again.status_code == 409


def test_residents_browse_in_their_language_claim_and_follow(task, anna, manager):
    client = as_user(anna)
    listed = client.get("/api/v1/tasks/?lat=50.88&lon=5.97", HTTP_ACCEPT_LANGUAGE="de")
    assert listed.status_code == 200
    (item,) = listed.json()["results"]
    assert item["id"] == task.pk
    assert item["places_left"] == 10
    anna.preferred_language = "de"
    anna.save()
    assert client.get(f"/api/v1/tasks/{task.pk}/").json()["title"] == "Bank streichen"
    anna.preferred_language = "en"
    anna.save()
    assert client.get(f"/api/v1/tasks/{task.pk}/").json()["title"] == "Bankje schilderen"
    claimed = client.post(f"/api/v1/tasks/{task.pk}/claim/")
    assert claimed.status_code == 201, claimed.content
    body = claimed.json()
    assert (body["status"], body["amount"], body["materials_where"]) == (
        "reserved",
        500,
        "Wijkcentrum",
    )
    assert body["expires_at"] is not None
    mine = client.get("/api/v1/claims/").json()["results"]
    assert [c["id"] for c in mine] == [body["id"]]
    again = client.post(f"/api/v1/tasks/{task.pk}/claim/")
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/claim-refused"
    withdrawn = client.post(f"/api/v1/claims/{body['id']}/withdraw/")
    assert withdrawn.json()["status"] == "withdrawn"
    task.refresh_from_db()
    assert task.slots_taken == 0


def test_bad_browse_queries_are_refused(anna, task):
    client = as_user(anna)
    for query in ("lat=91&lon=5", "category=gardening", "neighbourhood=abc"):
        response = client.get(f"/api/v1/tasks/?{query}")
        assert response.status_code == 400, query


def test_drafts_are_invisible_to_residents(manager, campaign, anna):
    draft = work.task_create(actor=manager, campaign_id=campaign.pk, fields=task_fields())
    client = as_user(anna)
    assert client.get(f"/api/v1/tasks/{draft.pk}/").status_code == 404
    assert client.post(f"/api/v1/tasks/{draft.pk}/claim/").status_code == 404
    assert client.get("/api/v1/tasks/").json()["results"] == []
    assert Claim.objects.count() == 0


def test_staff_are_not_residents(task, manager):
    response = as_staff(manager).post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 403
    assert Claim.objects.count() == 0


def test_submit_photos_and_fetch_them_privately(task, anna, bram, evidence_dir):
    client = as_user(anna)
    claim_id = client.post(f"/api/v1/tasks/{task.pk}/claim/").json()["id"]
    submitted = client.post(
        f"/api/v1/claims/{claim_id}/submit/",
        {
            "photos[]": [SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")],
            "note": "Klaar",
            "latitude": "50.88",
            "longitude": "5.97",
        },
        format="multipart",
    )
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert body["status"] == "submitted"
    (photo,) = body["evidence"]
    fetched = client.get(photo["url"])
    assert fetched.status_code == 200
    assert fetched["Content-Type"] == "image/jpeg"
    assert fetched["Cache-Control"] == "private, no-store"
    data = b"".join(fetched.streaming_content)
    assert data[:2] == b"\xff\xd8"
    assert b"Camera" not in data
    # Someone else's claim and photo: 404, as if they did not exist.
    other = as_user(bram)
    assert other.get(f"/api/v1/claims/{claim_id}/").status_code == 404
    assert other.get(photo["url"]).status_code == 404
    assert other.post(f"/api/v1/claims/{claim_id}/withdraw/").status_code == 404
    reviewer = make_user("reviewer@example.org", "reviewer")
    assert as_user(reviewer).get(photo["url"]).status_code == 404  # no TOTP
    assert as_staff(reviewer).get(photo["url"]).status_code == 200
    assert APIClient().get(photo["url"]).status_code in (401, 403)
    assert Claim.objects.get(pk=claim_id).status == ClaimStatus.SUBMITTED


def test_a_text_file_named_jpg_is_refused_with_nothing_kept(task, anna, evidence_dir):
    client = as_user(anna)
    claim_id = client.post(f"/api/v1/tasks/{task.pk}/claim/").json()["id"]
    response = client.post(
        f"/api/v1/claims/{claim_id}/submit/",
        {"photos[]": [SimpleUploadedFile("a.jpg", b"not a photo" * 50, "image/jpeg")]},
        format="multipart",
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/evidence-refused"
    assert "not a JPEG, PNG or HEIC" in response.json()["title"]
    assert Evidence.objects.count() == 0
    assert not [p for p in evidence_dir.rglob("*") if p.is_file()]
    assert Claim.objects.get(pk=claim_id).status == ClaimStatus.RESERVED


@pytest.mark.parametrize(
    "fields",
    [{"note": "x" * 2001}, {"latitude": "north"}, {"latitude": "91", "longitude": "5"}],
)
def test_bad_submit_fields_are_refused(task, anna, evidence_dir, fields):
    client = as_user(anna)
    claim_id = client.post(f"/api/v1/tasks/{task.pk}/claim/").json()["id"]
    body = {"photos[]": [SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")], **fields}
    response = client.post(f"/api/v1/claims/{claim_id}/submit/", body, format="multipart")
    assert response.status_code == 400
    assert Claim.objects.get(pk=claim_id).status == ClaimStatus.RESERVED
    assert Evidence.objects.count() == 0


def test_claim_detail_lists_decisions(task, anna, manager):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    claim.status = ClaimStatus.REJECTED
    claim.rejection_reason = "Geen foto van het bankje"
    claim.save()
    claim.decisions.create(actor=manager, kind="reject", reason="Geen foto van het bankje")
    body = as_user(anna).get(f"/api/v1/claims/{claim.pk}/").json()
    assert body["rejection_reason"] == "Geen foto van het bankje"
    assert [d["kind"] for d in body["decisions"]] == ["reject"]
    assert "actor" not in body["decisions"][0]


def test_a_full_task_answers_409_and_changes_nothing(manager, campaign, anna, bram):
    task = published_task(manager, campaign, capacity=1)
    assert as_user(anna).post(f"/api/v1/tasks/{task.pk}/claim/").status_code == 201
    full = as_user(bram).post(f"/api/v1/tasks/{task.pk}/claim/")
    assert full.status_code == 409
    assert full.json()["type"] == "/problems/task-full"
    assert Claim.objects.filter(task=task).count() == 1
    assert ledger_selectors.account_balance(account_id=campaign.budget_id) == 100_000


def test_tasks_out_of_window_are_not_listed(manager, campaign, anna):
    published_task(
        manager,
        campaign,
        starts_at=timezone.now() + timedelta(days=2),
        ends_at=timezone.now() + timedelta(days=3),
    )
    assert as_user(anna).get("/api/v1/tasks/").json()["results"] == []
    assert Task.objects.filter(status=TaskStatus.PUBLISHED).count() == 1
