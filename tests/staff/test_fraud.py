"""Fraud signals at submission: each flag is raised by a claim built to trigger it, and none by
a clean claim; the perceptual hash finds a re-encoded, cropped copy of a photo and not a
different photo. Flags explain themselves in figures."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import translation

from rewards import evidence, fraud
from rewards.models import ClaimFlag, FlagKind
from tests.factories import ResidentFactory
from tests.staff import builders


@pytest.fixture(autouse=True)
def _evidence(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }


def kinds(claim) -> set[str]:
    return set(ClaimFlag.objects.filter(claim=claim).values_list("kind", flat=True))


def test_phash_finds_a_reencoded_cropped_copy_and_not_another_photo(settings):
    original = builders.photo(1)
    # 3 % cut off each side, scaled to 70 % and saved again at JPEG quality 60.
    copy = builders.recropped(original, crop=0.03, quality=60)
    other = builders.photo(2)
    stored = [evidence.photo_process(builders.upload(c)) for c in (original, copy, other)]
    assert stored[0].sha256 != stored[1].sha256  # bytes differ: a byte hash would miss it
    hashes = [fraud.photo_fingerprint(p.content).phash for p in stored]
    limit = settings.REWARDS_FLAG_PHASH_BITS
    assert fraud.phash_distance(hashes[0], hashes[1]) <= limit
    assert fraud.phash_distance(hashes[0], hashes[2]) > limit


def test_clean_claim_has_no_flags(db):
    task = builders.task_at_place()
    claim = builders.submit(task, ResidentFactory.create(), content=builders.photo(10))
    assert kinds(claim) == set()


def test_too_fast(db):
    task = builders.task_at_place()
    claim = builders.submit(
        task, ResidentFactory.create(), content=builders.photo(11), worked=timedelta(minutes=2)
    )
    assert kinds(claim) == {FlagKind.TOO_FAST}
    flag = ClaimFlag.objects.get(claim=claim)
    with translation.override("en"):
        assert fraud.flag_reason(flag) == (
            "Sent 2 minutes after reserving; the task takes about 180 minutes."
        )


def test_far_from_the_task_in_metres(db):
    task = builders.task_at_place()
    claim = builders.submit(
        task, ResidentFactory.create(), content=builders.photo(12), where=builders.FAR
    )
    assert kinds(claim) == {FlagKind.FAR_AWAY}
    flag = ClaimFlag.objects.get(claim=claim)
    assert 1_900 < flag.params["metres"] < 2_100
    with translation.override("nl"):
        assert " m " in fraud.flag_reason(flag)


def test_same_photo_cropped_and_reencoded_in_another_claim(db):
    task = builders.task_at_place()
    original = builders.photo(13)
    first = builders.submit(task, ResidentFactory.create(), content=original)
    second = builders.submit(task, ResidentFactory.create(), content=builders.recropped(original))
    different = builders.submit(task, ResidentFactory.create(), content=builders.photo(14))
    assert kinds(first) == set()
    assert kinds(second) == {FlagKind.DUPLICATE_PHOTO}
    assert ClaimFlag.objects.get(claim=second).params["claims"] == [first.pk]
    assert kinds(different) == set()


def test_unverified_resident(db):
    task = builders.task_at_place()
    claim = builders.submit(
        task, ResidentFactory.create(verified=False), content=builders.photo(15)
    )
    assert kinds(claim) == {FlagKind.UNVERIFIED}


@override_settings(REWARDS_FLAG_BURST_COUNT=3, REWARDS_FLAG_BURST_MINUTES=60)
def test_many_claims_in_a_short_time(db):
    resident = ResidentFactory.create()
    made = [
        builders.submit(
            builders.task_at_place(reward=100), resident, content=builders.photo(20 + n)
        )
        for n in range(3)
    ]
    assert [kinds(c) for c in made] == [set(), set(), {FlagKind.MANY_CLAIMS}]
    assert ClaimFlag.objects.get(claim=made[2]).params == {"count": 3, "minutes": 60}
