"""Fraud signals: what a reviewer should look at twice, found when a claim is submitted and kept
as flags (ClaimFlag) with the figures behind them; the pages write each as a plain reason.

- too fast: submitted sooner after reserving than REWARDS_FLAG_FAST_FRACTION of the task's
  estimated time;
- far away: the evidence location more than REWARDS_FLAG_DISTANCE_METRES from the task's place;
- photo used before: a photo whose perceptual hash (imagehash.phash, 64 bits) is within
  REWARDS_FLAG_PHASH_BITS bits of a photo of another claim. A perceptual hash survives
  re-encoding, resizing and slight cropping, where a byte hash (sha256) does not;
- resident not verified: the residency was not yet verified when the claim came in (the page
  drops the flag once it is);
- many claims: REWARDS_FLAG_BURST_COUNT or more claims of the resident submitted within
  REWARDS_FLAG_BURST_MINUTES.

A flag never decides anything: reviewers approve or reject as before. Fingerprints (hash and
thumbnail) are computed from the cleaned photo before any lock is taken."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import imagehash
from django.conf import settings
from django.db import connection
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image

from accounts.models import ResidentProfile

from .models import Claim, ClaimFlag, Evidence, FlagKind

THUMBNAIL_SIDE = 160
THUMBNAIL_QUALITY = 70
EARTH_RADIUS_M = 6_371_000


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A photo's perceptual hash (a signed 64-bit integer, as PostgreSQL's bigint stores it)
    and its small JPEG thumbnail."""

    phash: int
    thumbnail: bytes


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def photo_phash(image: Image.Image) -> int:
    """The 64-bit perceptual hash of an image, as a signed integer."""
    bits = imagehash.phash(image).hash.flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return _signed(value)


def phash_distance(a: int, b: int) -> int:
    """How many of the 64 bits differ between two hashes."""
    return bin((a ^ b) & ((1 << 64) - 1)).count("1")


def photo_fingerprint(content: bytes) -> Fingerprint:
    """The hash and thumbnail of a cleaned photo (rewards.evidence output)."""
    with Image.open(io.BytesIO(content)) as image:
        image.load()
        phash = photo_phash(image)
        small = image.convert("RGB")
        small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        out = io.BytesIO()
        small.save(out, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return Fingerprint(phash=phash, thumbnail=out.getvalue())


def photos_fingerprint(contents: Iterable[bytes]) -> list[Fingerprint]:
    return [photo_fingerprint(content) for content in contents]


def distance_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Great-circle distance in whole metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))))


def _similar_claims(*, claim_id: int, hashes: Sequence[int]) -> list[int]:
    """Other claims with a photo within REWARDS_FLAG_PHASH_BITS bits of one of `hashes`."""
    if not hashes:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT e.claim_id FROM rewards_evidence e"
            " WHERE e.claim_id <> %s AND e.phash IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM unnest(%s::bigint[]) h"
            "   WHERE bit_count((e.phash # h)::bit(64)) <= %s)"
            " ORDER BY e.claim_id LIMIT 10",
            [claim_id, list(hashes), int(settings.REWARDS_FLAG_PHASH_BITS)],
        )
        return [row[0] for row in cursor.fetchall()]


def claim_flags_find(*, claim: Claim, now: datetime) -> dict[str, dict[str, Any]]:
    """The signals a just-submitted claim raises (kind -> figures); reads only."""
    found: dict[str, dict[str, Any]] = {}
    task = claim.task
    elapsed = max(0, int((now - claim.reserved_at).total_seconds() // 60))
    if elapsed < task.estimated_minutes * float(settings.REWARDS_FLAG_FAST_FRACTION):
        found[FlagKind.TOO_FAST] = {"minutes": elapsed, "estimated": task.estimated_minutes}
    if None not in (claim.latitude, claim.longitude, task.latitude, task.longitude):
        metres = distance_metres(
            float(claim.latitude or Decimal(0)),
            float(claim.longitude or Decimal(0)),
            float(task.latitude or Decimal(0)),
            float(task.longitude or Decimal(0)),
        )
        if metres > int(settings.REWARDS_FLAG_DISTANCE_METRES):
            found[FlagKind.FAR_AWAY] = {
                "metres": metres,
                "limit": int(settings.REWARDS_FLAG_DISTANCE_METRES),
            }
    hashes = [
        h
        for h in Evidence.objects.filter(claim=claim).values_list("phash", flat=True)
        if h is not None
    ]
    similar = _similar_claims(claim_id=claim.pk, hashes=hashes)
    if similar:
        found[FlagKind.DUPLICATE_PHOTO] = {"claims": similar}
    verified = (
        ResidentProfile.objects.filter(user_id=claim.resident_id)
        .exclude(residency_verified_at=None)
        .exists()
    )
    if not verified:
        found[FlagKind.UNVERIFIED] = {}
    window = int(settings.REWARDS_FLAG_BURST_MINUTES)
    recent = Claim.objects.filter(
        resident_id=claim.resident_id, submitted_at__gte=now - timedelta(minutes=window)
    ).count()
    if recent >= int(settings.REWARDS_FLAG_BURST_COUNT):
        found[FlagKind.MANY_CLAIMS] = {"count": recent, "minutes": window}
    return found


def claim_flags_record(
    *, claim: Claim, evidence: Sequence[Evidence], prints: Sequence[Fingerprint], now: datetime
) -> list[ClaimFlag]:
    """Keep each photo's fingerprint, then find and keep the claim's signals (inside the
    submitting transaction, after the claim is submitted)."""
    for record, fingerprint in zip(evidence, prints, strict=True):
        record.phash, record.thumbnail = fingerprint.phash, fingerprint.thumbnail
        record.save(update_fields=["phash", "thumbnail"])
    return ClaimFlag.objects.bulk_create(
        [
            ClaimFlag(claim=claim, kind=kind, params=params)
            for kind, params in claim_flags_find(claim=claim, now=now).items()
        ],
        ignore_conflicts=True,
    )


def flag_reason(flag: ClaimFlag) -> str:
    """The flag as a plain sentence in the active language, with its figures."""
    p = flag.params or {}
    if flag.kind == FlagKind.TOO_FAST:
        return ngettext(
            "Sent %(minutes)d minute after reserving; the task takes about %(estimated)d minutes.",
            "Sent %(minutes)d minutes after reserving; the task takes about %(estimated)d minutes.",
            int(p.get("minutes", 0)),
        ) % {"minutes": int(p.get("minutes", 0)), "estimated": int(p.get("estimated", 0))}
    if flag.kind == FlagKind.FAR_AWAY:
        return _("Photo taken %(metres)s m from the task's place (more than %(limit)s m).") % {
            "metres": number_format(int(p.get("metres", 0)), force_grouping=True),
            "limit": number_format(int(p.get("limit", 0)), force_grouping=True),
        }
    if flag.kind == FlagKind.DUPLICATE_PHOTO:
        claims = ", ".join(f"#{i}" for i in p.get("claims", []))
        return _("The same or a near-identical photo was sent with claim %(claims)s.") % {
            "claims": claims
        }
    if flag.kind == FlagKind.UNVERIFIED:
        return _("The resident's residency is not verified yet.")
    if flag.kind == FlagKind.MANY_CLAIMS:
        return _("%(count)d claims from this resident within %(minutes)d minutes.") % {
            "count": int(p.get("count", 0)),
            "minutes": int(p.get("minutes", 0)),
        }
    return str(flag.get_kind_display())
