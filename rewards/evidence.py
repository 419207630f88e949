"""Evidence photos: decode every upload with Pillow, refuse what is not a JPEG, PNG or HEIC
image (or is too large, truncated or a decompression bomb), turn it upright by its EXIF
orientation and re-encode it without any metadata (no EXIF, no GPS, no ICC or text chunks);
store it in the private "evidence" storage and serve it only to the claim's resident and to
staff who may read the claim, in a session that passed TOTP.

Decoding costs CPU and memory, so rewards.claims checks who submits, the claim's state and the
resident's submission limit before any photo is decoded, and this module refuses images above
EVIDENCE_MAX_PIXELS from their header, before decoding a pixel.

Files are written by `photos_store` before the database rows commit; the caller deletes them
(`photos_discard`) when its transaction fails, so no file outlives a refused submission.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import secrets
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import pillow_heif
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import User
from accounts.permissions import has_role, two_factor_verified

from .errors import EvidenceRefused, NotFound
from .models import Claim, Evidence, evidence_storage
from .roles import READER_ROLES

pillow_heif.register_heif_opener()

ACCEPTED_FORMATS = ("JPEG", "PNG", "HEIF")
LONGEST_SIDE = 2560  # enough to judge the work; keeps stored photos small
JPEG_QUALITY = 85


@dataclass(frozen=True, slots=True)
class Photo:
    """A decoded, cleaned and re-encoded photo, ready to store."""

    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def _read(upload: IO[bytes] | Any, *, index: int) -> bytes:
    limit = int(settings.EVIDENCE_MAX_BYTES)
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(index, limit)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(index, limit)
    if not data:
        raise EvidenceRefused(_("Photo %(n)d is empty.") % {"n": index}, field="photos")
    return bytes(data)


def _too_large(index: int, limit: int) -> EvidenceRefused:
    return EvidenceRefused(
        _("Photo %(n)d is larger than %(mb)d MB.") % {"n": index, "mb": limit // (1024 * 1024)},
        field="photos",
    )


def _not_an_image(index: int) -> EvidenceRefused:
    return EvidenceRefused(
        _("Photo %(n)d is not a JPEG, PNG or HEIC image, or it is damaged.") % {"n": index},
        field="photos",
    )


def _bomb(index: int) -> EvidenceRefused:
    return EvidenceRefused(
        _(
            "Photo %(n)d has more than %(mp)d megapixels. Take it at a lower resolution, or "
            "send a smaller copy."
        )
        % {"n": index, "mp": int(settings.EVIDENCE_MAX_PIXELS) // 1_000_000},
        field="photos",
    )


def _target_size(width: int, height: int) -> tuple[int, int]:
    """The stored size: the longest side at most LONGEST_SIDE, the aspect ratio kept."""
    scale = min(1.0, LONGEST_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def photo_process(upload: IO[bytes] | Any, *, index: int = 1) -> Photo:
    """Decode one upload and re-encode it clean. JPEG and HEIC become JPEG; PNG stays PNG when
    it has transparency, else JPEG. Raises EvidenceRefused for anything else, for files above
    EVIDENCE_MAX_BYTES, images above EVIDENCE_MAX_PIXELS and truncated or damaged files.

    Decoding is the expensive part, so the pixel count is read from the header (Image.open
    decodes nothing) and refused before any pixel is decoded; a JPEG is then decoded straight
    at the smallest of 1/1, 1/2, 1/4 or 1/8 scale that still covers the stored size (draft),
    and everything else is shrunk right after decoding, before turning or converting it."""
    data = _read(upload, index=index)
    max_pixels = int(settings.EVIDENCE_MAX_PIXELS)
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            source_format = image.format
            width, height = image.size
            if width * height > max_pixels:
                raise _bomb(index)
            keep_alpha = source_format == "PNG" and (
                image.mode in ("RGBA", "LA", "PA")
                or (image.mode == "P" and "transparency" in image.info)
            )
            mode = "RGBA" if keep_alpha else "RGB"
            target = _target_size(width, height)
            if source_format == "JPEG":
                image.draft(None, target)
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                # Palettes, CMYK and 16-bit images are resampled in the mode they are stored in.
                image = image.convert(mode)
            image.thumbnail(target)
            upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(index) from None
    except EvidenceRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError):
        raise _not_an_image(index) from None
    converted = upright.convert(mode)
    # A fresh image carries pixels only: nothing of the original's info (EXIF, GPS, ICC, text).
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    out = io.BytesIO()
    if keep_alpha:
        clean.save(out, format="PNG", optimize=True)
        content_type, extension = "image/png", "png"
    else:
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        content_type, extension = "image/jpeg", "jpg"
    content = out.getvalue()
    return Photo(
        content=content,
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def photos_process(uploads: Iterable[IO[bytes] | Any]) -> list[Photo]:
    """Process every upload (all or nothing): refuses more than EVIDENCE_MAX_PHOTOS."""
    uploads = list(uploads)
    if len(uploads) > int(settings.EVIDENCE_MAX_PHOTOS):
        raise EvidenceRefused(
            _("At most %(max)d photos.") % {"max": int(settings.EVIDENCE_MAX_PHOTOS)},
            field="photos",
        )
    return [photo_process(upload, index=n) for n, upload in enumerate(uploads, start=1)]


def photos_store(*, claim: Claim, photos: Iterable[Photo], written: list[str]) -> list[Evidence]:
    """Write the photos to the evidence storage and create their rows (inside the caller's
    transaction). Every name written is appended to `written` as soon as it exists, so the
    caller can delete the files if the transaction fails."""
    storage = evidence_storage()
    records = []
    folder = timezone.now().strftime("claims/%Y/%m")
    for photo in photos:
        name = posixpath.join(folder, f"{claim.pk}-{secrets.token_hex(16)}.{photo.extension}")
        name = storage.save(name, ContentFile(photo.content))
        written.append(name)
        record = Evidence(
            claim=claim,
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
            size=len(photo.content),
            sha256=photo.sha256,
        )
        record.file.name = name
        record.save()
        records.append(record)
    return records


def photos_discard(names: Iterable[str]) -> None:
    """Delete files written for a submission that did not commit."""
    storage = evidence_storage()
    for name in names:
        storage.delete(name)


def evidence_visible(*, user: Any, claim: Claim) -> bool:
    """The claim's resident, or staff who may read the claim itself (rewards.roles.READER_ROLES:
    reviewer, approver, finance, admin; not task managers) in a session that passed TOTP."""
    if not getattr(user, "is_authenticated", False):
        return False
    if claim.resident_id == user.pk:
        return True
    return has_role(user, READER_ROLES) and two_factor_verified(user)


def evidence_open(
    *, user: User | Any, claim_id: int, evidence_id: int
) -> tuple[Evidence, IO[bytes]]:
    """The evidence record and its file opened for reading, for someone who may see it; for
    anyone else, or when it does not exist, NotFound (never tell which)."""
    record = (
        Evidence.objects.select_related("claim").filter(pk=evidence_id, claim_id=claim_id).first()
    )
    if record is None or not evidence_visible(user=user, claim=record.claim):
        raise NotFound(_("There is no such photo."))
    try:
        handle = evidence_storage().open(record.file.name or "", "rb")
    except FileNotFoundError:
        raise NotFound(_("There is no such photo.")) from None
    return record, handle
