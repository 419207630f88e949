"""Trust boundaries of rewards (issue 9), over HTTP: evidence uploads are refused before any
photo is decoded when the claim is not the sender's or not open for evidence, images above the
pixel cap are refused from their header, a resident's submissions per hour are limited, one
place per resident per task (also when two requests race), the hourly cap counts claims whose
work overlaps, and claim photos are for those who may read the claim."""

import io
import struct
import zlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from rewards import claims
from rewards.models import Claim, ClaimStatus, Evidence
from tests.concurrency import run_together
from tests.helpers import make_user, staff_login
from tests.rewards.core_helpers import funded_campaign, published_task, resident

pytest_plugins = ["tests.rewards.core_fixtures"]


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Submission counts live in the cache; every test starts without any."""
    cache.clear()
    yield
    cache.clear()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` x `height` pixels and whose pixel data is not even
    compressed data: opening it works, decoding it fails. A refusal that names anything but
    the pixels being damaged was made before decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"these are not pixels" * 1900)  # about 38 KB
        + chunk(b"IEND", b"")
    )


FORTY_MEGAPIXELS = png_header_only(6400, 6250)


def photo(data: bytes, name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def submit(client: APIClient, claim_id: int, *photos: bytes):
    return client.post(
        f"/api/v1/claims/{claim_id}/submit/",
        {"photos[]": [photo(data) for data in photos]},
        format="multipart",
    )


def reserve(client, task_id: int) -> int:
    response = client.post(f"/api/v1/tasks/{task_id}/claim/")
    assert response.status_code == 201, response.content
    return response.json()["id"]


# --- item 6: evidence is checked before it is decoded -----------------------------------------


def test_an_upload_to_someone_elses_claim_is_refused_before_decoding(task, anna, bram):
    claim_id = reserve(api_as(anna), task.pk)
    response = submit(api_as(bram), claim_id, *[FORTY_MEGAPIXELS] * 5)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert Claim.objects.get(pk=claim_id).status == ClaimStatus.RESERVED
    assert not Evidence.objects.exists()


def test_an_upload_to_a_claim_not_open_for_evidence_is_refused_before_decoding(
    task, anna, evidence_dir
):
    client = api_as(anna)
    claim_id = reserve(client, task.pk)
    assert submit(client, claim_id, jpeg()).status_code == 200
    # Already submitted: refused for its state, not for the photos (which nobody decoded).
    response = submit(client, claim_id, *[FORTY_MEGAPIXELS] * 5)
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "/problems/claim-refused"
    assert "only be submitted for a reserved claim" in body["title"]
    assert Evidence.objects.count() == 1


def test_an_upload_to_an_expired_reservation_is_refused_before_decoding(
    task, anna, evidence_dir, settings
):
    client = api_as(anna)
    claim_id = reserve(client, task.pk)
    Claim.objects.filter(pk=claim_id).update(
        reserved_at=F("reserved_at") - timedelta(hours=settings.REWARDS_RESERVATION_HOURS)
    )
    response = submit(client, claim_id, png_header_only(3000, 2000))
    assert response.status_code == 409
    assert "Your reservation has expired" in response.json()["title"]
    assert not Evidence.objects.exists()


def test_the_evidence_page_refuses_a_claim_not_open_for_evidence_before_decoding(
    client, task, anna, bram, evidence_dir
):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    claims.claim_submit(user=anna, claim_id=claim.pk, photos=[io.BytesIO(jpeg())])
    url = reverse("rewards-wallet-claim", kwargs={"claim_id": claim.pk})
    client.force_login(anna)
    response = client.post(url, {"photos": [photo(FORTY_MEGAPIXELS)]})
    assert response.status_code == 422
    assert "only be submitted for a reserved claim" in response.content.decode()
    client.force_login(bram)
    assert client.post(url, {"photos": [photo(FORTY_MEGAPIXELS)]}).status_code == 404
    assert Evidence.objects.count() == 1


def test_an_image_above_the_pixel_cap_is_refused_from_its_header(task, anna, evidence_dir):
    client = api_as(anna)
    claim_id = reserve(client, task.pk)
    # 30 megapixels: above the 24 MP cap. The refusal is about the size, not the (undecodable)
    # pixels: nothing was decoded.
    response = submit(client, claim_id, jpeg(), png_header_only(6000, 5000))
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/problems/evidence-refused"
    assert body["errors"]["photos"] == [
        "Photo 2 has more than 24 megapixels. Take it at a lower resolution, or send a "
        "smaller copy."
    ]
    assert Claim.objects.get(pk=claim_id).status == ClaimStatus.RESERVED
    assert not Evidence.objects.exists()
    assert not [p for p in evidence_dir.rglob("*") if p.is_file()]


def test_a_large_photo_is_stored_small(task, anna, evidence_dir):
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (120, 160, 40)).save(out, format="JPEG")
    client = api_as(anna)
    claim_id = reserve(client, task.pk)
    response = submit(client, claim_id, out.getvalue())
    assert response.status_code == 200, response.content
    (stored,) = response.json()["evidence"]
    assert (stored["width"], stored["height"]) == (2560, 1920)


def test_the_submission_after_the_hourly_limit_gets_429(manager, campaign, anna, settings):
    settings.REWARDS_SUBMITS_PER_HOUR = 3
    client = api_as(anna)
    claim_id = reserve(client, published_task(manager, campaign).pk)
    for _ in range(3):  # refused attempts count too
        response = submit(client, claim_id)
        assert response.status_code == 422
        assert "at least one photo" in response.json()["title"]
    response = submit(client, claim_id, jpeg())
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/too-many-submissions"
    assert body["title"] == (
        "You have sent evidence 3 times in the past hour, as often as one person may. "
        "Try again later."
    )
    assert Claim.objects.get(pk=claim_id).status == ClaimStatus.RESERVED
    assert not Evidence.objects.exists()


def test_the_evidence_page_says_when_the_hourly_limit_is_reached(client, task, anna, settings):
    settings.REWARDS_SUBMITS_PER_HOUR = 1
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    url = reverse("rewards-wallet-claim", kwargs={"claim_id": claim.pk})
    client.force_login(anna)
    assert client.post(url, {"note": "Klaar"}).status_code == 422  # no photo
    response = client.post(url, {"note": "Klaar", "photos": [photo(jpeg(), "a.jpg")]})
    assert response.status_code == 429
    assert "as often as one person may" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RESERVED


# --- item 7: one place per resident per task; the hourly cap across claims ---------------------


def test_a_second_claim_on_the_same_task_is_refused(client, task, anna):
    api = api_as(anna)
    reserve(api, task.pk)
    response = api.post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/claim-refused"
    client.force_login(anna)
    response = client.post(reverse("rewards-wallet-task-claim", kwargs={"task_id": task.pk}))
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "You already hold as many claims on this task as one person may (1)." in page
    task.refresh_from_db()
    assert task.slots_taken == 1
    assert Claim.objects.filter(resident=anna).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_claims_at_once_by_one_resident_give_one_place():
    manager = make_user("manager@example.org", "task_manager")
    campaign = funded_campaign(
        manager,
        make_user("finance@example.org", "finance"),
        make_user("approver@example.org", "approver"),
    )
    task = published_task(manager, campaign)
    anna = resident("anna@example.org")
    clients = [api_as(anna), api_as(anna)]
    statuses = run_together(
        2, lambda i: clients[i].post(f"/api/v1/tasks/{task.pk}/claim/").status_code
    )
    assert sorted(statuses) == [201, 409]
    task.refresh_from_db()
    assert task.slots_taken == 1
    assert Claim.objects.filter(resident=anna).count() == 1


def test_overlapping_claims_count_toward_the_hourly_cap(manager, campaign, anna, evidence_dir):
    # Three places of an hour's work at 5.00 tokens (the cap), and another such task.
    many = published_task(manager, campaign, per_resident_limit=3)
    other = published_task(manager, campaign)
    client = api_as(anna)
    first, second = reserve(client, many.pk), reserve(client, many.pk)
    third = reserve(client, other.pk)
    assert submit(client, first, jpeg()).status_code == 200
    for claim_id in (second, third):
        response = submit(client, claim_id, jpeg())
        assert response.status_code == 409
        title = response.json()["title"]
        assert "would pay more than 5.00 tokens per hour of work" in title
        assert "or later" in title
        assert Claim.objects.get(pk=claim_id).status == ClaimStatus.RESERVED
    # An hour after the first was sent, the next hour's work may be sent.
    Claim.objects.filter(pk=first).update(submitted_at=F("submitted_at") - timedelta(minutes=60))
    assert submit(client, second, jpeg()).status_code == 200
    assert submit(client, third, jpeg()).status_code == 409
    assert Evidence.objects.count() == 2


def test_cheap_work_may_overlap_as_long_as_the_hour_pays_within_the_cap(
    manager, campaign, anna, evidence_dir
):
    # Two hours' work at 2.00 tokens each: sent together they pay 4.00 for the hour.
    cheap = published_task(manager, campaign, reward=200, per_resident_limit=3)
    client = api_as(anna)
    ids = [reserve(client, cheap.pk) for _ in range(3)]
    assert submit(client, ids[0], jpeg()).status_code == 200
    assert submit(client, ids[1], jpeg()).status_code == 200
    assert submit(client, ids[2], jpeg()).status_code == 409  # 6.00 in an hour


def test_the_evidence_page_explains_the_hourly_cap(client, manager, campaign, anna, evidence_dir):
    task = published_task(manager, campaign, per_resident_limit=2)
    first = claims.claim_reserve(user=anna, task_id=task.pk)
    second = claims.claim_reserve(user=anna, task_id=task.pk)
    claims.claim_submit(user=anna, claim_id=first.pk, photos=[io.BytesIO(jpeg())])
    client.force_login(anna)
    url = reverse("rewards-wallet-claim", kwargs={"claim_id": second.pk})
    response = client.post(url, {"photos": [photo(jpeg(), "a.jpg")]})
    assert response.status_code == 422
    assert "tokens per hour of work" in response.content.decode()
    second.refresh_from_db()
    assert second.status == ClaimStatus.RESERVED


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_cannot_both_use_the_same_hour(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }
    manager = make_user("manager@example.org", "task_manager")
    campaign = funded_campaign(
        manager,
        make_user("finance@example.org", "finance"),
        make_user("approver@example.org", "approver"),
    )
    task = published_task(manager, campaign, per_resident_limit=2)
    anna = resident("anna@example.org")
    ids = [claims.claim_reserve(user=anna, task_id=task.pk).pk for _ in range(2)]
    clients = [api_as(anna), api_as(anna)]
    statuses = run_together(2, lambda i: submit(clients[i], ids[i], jpeg()).status_code)
    assert sorted(statuses) == [200, 409]
    assert Claim.objects.filter(status=ClaimStatus.SUBMITTED).count() == 1
    assert Evidence.objects.count() == 1
    assert len([p for p in (tmp_path / "evidence").rglob("*") if p.is_file()]) == 1


# --- item 14: photos for those who may read the claim ------------------------------------------


def test_claim_photos_are_for_those_who_may_read_the_claim(task, anna, evidence_dir):
    claims.claim_submit(
        user=anna,
        claim_id=claims.claim_reserve(user=anna, task_id=task.pk).pk,
        photos=[io.BytesIO(jpeg())],
    )
    record = Evidence.objects.get()
    api_url = f"/api/v1/claims/{record.claim_id}/evidence/{record.pk}/"
    page_url = reverse(
        "rewards-staff-evidence", kwargs={"claim_id": record.claim_id, "evidence_id": record.pk}
    )

    def staff(role: str) -> Client:
        client = Client()
        staff_login(client, make_user(f"photo-{role}@example.org", role))
        return client

    task_manager = staff("task_manager")
    # Task managers cannot read claims, so neither their photos.
    assert task_manager.get(f"/api/v1/staff/claims/{record.claim_id}/").status_code == 403
    assert task_manager.get(api_url).status_code == 404
    assert task_manager.get(page_url).status_code == 403
    for role in ("reviewer", "approver", "finance"):
        client = staff(role)
        assert client.get(api_url).status_code == 200, role
        assert client.get(page_url).status_code == 200, role
    assert api_as(anna).get(api_url).status_code == 200
