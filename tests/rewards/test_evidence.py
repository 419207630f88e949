"""Evidence: photos are decoded and re-encoded without metadata, anything else is refused with
nothing kept (files included), the task's evidence rules hold, and only the resident and
verified staff can open the files."""

import io
import struct
import zlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from rewards import claims, evidence
from rewards.errors import ClaimRefused, EvidenceRefused, NotFound
from rewards.models import ClaimStatus, Evidence
from tests.helpers import make_user
from tests.rewards.core_helpers import published_task

pytest_plugins = ["tests.rewards.core_fixtures"]

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(size=(40, 20)) -> bytes:
    """A JPEG whose EXIF says: rotate 90 degrees, made by "Camera", taken at 50N 53'."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "Camera"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (50.0, 53.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def image_bytes(fmt: str, mode: str = "RGB", size=(30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (0, 120, 0, 128) if mode == "RGBA" else (0, 120, 0)).save(
        out, format=fmt, **save
    )
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims a huge image (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_gps_and_exif_are_stripped_and_the_photo_turned_upright(task, anna, evidence_dir):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    submitted = claims.claim_submit(
        user=anna,
        claim_id=claim.pk,
        photos=[upload(jpeg_with_gps())],
        note="Geschilderd",
        latitude="50.888",
        longitude="5.979",
    )
    assert submitted.status == ClaimStatus.SUBMITTED
    assert submitted.latitude == Decimal("50.888000")
    (record,) = Evidence.objects.filter(claim=claim)
    (path,) = stored_files(evidence_dir)
    data = path.read_bytes()
    assert record.size == len(data)
    assert record.content_type == "image/jpeg"
    assert b"Exif" not in data
    assert b"Camera" not in data
    stored = Image.open(io.BytesIO(data))
    assert dict(stored.getexif()) == {}
    assert stored.getexif().get_ifd(GPS_IFD) == {}
    assert "exif" not in stored.info
    assert stored.size == (20, 40)  # turned by the EXIF orientation
    assert (record.width, record.height) == (20, 40)


def test_png_with_transparency_stays_png_without_text_chunks(task, anna, evidence_dir):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address")
    data = image_bytes("PNG", mode="RGBA", pnginfo=info)
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    claims.claim_submit(user=anna, claim_id=claim.pk, photos=[upload(data, "a.png")])
    record = Evidence.objects.get(claim=claim)
    (path,) = stored_files(evidence_dir)
    stored = Image.open(path)
    assert record.content_type == "image/png"
    assert stored.mode == "RGBA"
    assert b"home address" not in path.read_bytes()


def test_heic_and_opaque_png_become_jpeg(task, anna, evidence_dir):
    photos = [upload(image_bytes("HEIF"), "a.heic"), upload(image_bytes("PNG"), "b.png")]
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    claims.claim_submit(user=anna, claim_id=claim.pk, photos=photos)
    types = list(Evidence.objects.filter(claim=claim).values_list("content_type", flat=True))
    assert types == ["image/jpeg", "image/jpeg"]
    assert all(Image.open(p).format == "JPEG" for p in stored_files(evidence_dir))


TRUNCATED = image_bytes("JPEG", size=(400, 400))[:300]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is a text file, not a photo\n" * 20, "not a JPEG, PNG or HEIC"),
        (TRUNCATED, "not a JPEG, PNG or HEIC"),
        (b"", "empty"),
        (image_bytes("GIF"), "not a JPEG, PNG or HEIC"),
        (png_declaring(20000, 20000), "more than 24 megapixels"),
    ],
    ids=["text-named-jpg", "truncated-jpeg", "empty", "gif", "bomb"],
)
def test_what_is_not_a_usable_photo_is_refused_and_nothing_kept(
    task, anna, evidence_dir, data, message
):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    good = upload(image_bytes("JPEG"))
    with pytest.raises(EvidenceRefused, match=message):
        claims.claim_submit(user=anna, claim_id=claim.pk, photos=[good, upload(data)])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RESERVED
    assert Evidence.objects.count() == 0
    assert stored_files(evidence_dir) == []


def test_the_pixel_limit_is_a_setting(task, anna, evidence_dir, settings):
    settings.EVIDENCE_MAX_PIXELS = 50 * 50
    with pytest.raises(EvidenceRefused, match="megapixels"):
        evidence.photo_process(upload(image_bytes("PNG", size=(60, 60))))
    assert evidence.photo_process(upload(image_bytes("PNG", size=(50, 50)))).width == 50


def test_too_many_or_too_large_photos_are_refused(task, anna, evidence_dir, settings):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    six = [upload(image_bytes("JPEG")) for _ in range(6)]
    with pytest.raises(EvidenceRefused, match="At most 5 photos"):
        claims.claim_submit(user=anna, claim_id=claim.pk, photos=six)
    settings.EVIDENCE_MAX_BYTES = 100
    with pytest.raises(EvidenceRefused, match="larger than"):
        claims.claim_submit(user=anna, claim_id=claim.pk, photos=[upload(b"x" * 101)])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RESERVED
    assert stored_files(evidence_dir) == []


def test_the_tasks_evidence_rules_hold(manager, campaign, anna, evidence_dir):
    task = published_task(
        manager, campaign, photo_required=True, note_required=True, location_required=True
    )
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    photo = image_bytes("JPEG")
    cases = [
        ({"note": "ok", "latitude": "50.9", "longitude": "5.9"}, "photo"),
        ({"photos": [upload(photo)], "latitude": "50.9", "longitude": "5.9"}, "note"),
        ({"photos": [upload(photo)], "note": "ok"}, "location"),
        ({"photos": [upload(photo)], "note": "x" * 2001}, "2000"),
        ({"photos": [upload(photo)], "note": "ok", "latitude": "91", "longitude": "5"}, "-90"),
        ({"photos": [upload(photo)], "note": "ok", "latitude": "50.9"}, "both"),
        ({"photos": [upload(photo)], "note": "ok", "latitude": "x", "longitude": "5"}, "number"),
    ]
    for kwargs, message in cases:
        with pytest.raises(EvidenceRefused, match=message):
            claims.claim_submit(user=anna, claim_id=claim.pk, **kwargs)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RESERVED
    assert stored_files(evidence_dir) == []


def test_a_note_only_task_needs_no_photo(manager, campaign, anna, evidence_dir):
    task = published_task(manager, campaign, photo_required=False, note_required=True)
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    done = claims.claim_submit(user=anna, claim_id=claim.pk, note="Koffie geschonken")
    assert (done.status, done.note) == (ClaimStatus.SUBMITTED, "Koffie geschonken")


def test_only_a_reserved_claim_of_ones_own_can_be_submitted(task, anna, bram, evidence_dir):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    photos = [upload(image_bytes("JPEG"))]
    with pytest.raises(NotFound):
        claims.claim_submit(user=bram, claim_id=claim.pk, photos=photos)
    claims.claim_submit(user=anna, claim_id=claim.pk, photos=photos)
    with pytest.raises(ClaimRefused):
        claims.claim_submit(user=anna, claim_id=claim.pk, photos=[upload(image_bytes("JPEG"))])
    assert Evidence.objects.count() == 1
    assert len(stored_files(evidence_dir)) == 1


def test_an_expired_reservation_cannot_be_submitted(task, anna, evidence_dir, settings):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    settings.REWARDS_RESERVATION_HOURS = 0
    with pytest.raises(ClaimRefused, match="expired"):
        claims.claim_submit(user=anna, claim_id=claim.pk, photos=[upload(image_bytes("JPEG"))])
    assert stored_files(evidence_dir) == []


def test_files_written_are_deleted_when_the_transaction_fails(
    task, anna, evidence_dir, monkeypatch
):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    original = claims.claim_transition

    def failing_transition(*, claim, to, **kwargs):
        if to == ClaimStatus.SUBMITTED:
            raise RuntimeError("database went away")
        return original(claim=claim, to=to, **kwargs)

    monkeypatch.setattr(claims, "claim_transition", failing_transition)
    photos = [upload(image_bytes("JPEG")), upload(image_bytes("PNG"))]
    with pytest.raises(RuntimeError):
        claims.claim_submit(user=anna, claim_id=claim.pk, photos=photos)
    monkeypatch.undo()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RESERVED
    assert Evidence.objects.count() == 0
    assert stored_files(evidence_dir) == []


def test_evidence_opens_for_the_resident_and_verified_staff_only(task, anna, bram, evidence_dir):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    claims.claim_submit(user=anna, claim_id=claim.pk, photos=[upload(image_bytes("JPEG"))])
    record = Evidence.objects.get()
    record_seen, handle = evidence.evidence_open(
        user=anna, claim_id=claim.pk, evidence_id=record.pk
    )
    with handle:
        assert handle.read()[:2] == b"\xff\xd8"
    assert record_seen == record
    reviewer = make_user("reviewer@example.org", "reviewer")
    for someone in (bram, reviewer):
        with pytest.raises(NotFound):
            evidence.evidence_open(user=someone, claim_id=claim.pk, evidence_id=record.pk)
    reviewer.is_verified = lambda: True  # what django-otp sets after a TOTP check
    _, handle = evidence.evidence_open(user=reviewer, claim_id=claim.pk, evidence_id=record.pk)
    handle.close()
    with pytest.raises(NotFound):
        evidence.evidence_open(user=anna, claim_id=claim.pk + 1, evidence_id=record.pk)
