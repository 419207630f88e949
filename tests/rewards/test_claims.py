"""Claims: reserving a slot (never oversubscribed, per-resident limit, even under
concurrency), withdrawing, expiry, slot release, and the resident's task list."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Neighbourhood
from rewards import claims, selectors, work
from rewards.errors import ClaimRefused, NotAllowed, NotFound, TaskFull
from rewards.models import Claim, ClaimStatus, Task
from rewards.tasks import claims_expire_task
from tests import concurrency
from tests.concurrency import run_together
from tests.helpers import make_user
from tests.rewards.core_helpers import funded_campaign, published_task, resident, task_fields

pytest_plugins = ["tests.rewards.core_fixtures"]


def test_a_resident_reserves_a_slot_at_the_current_reward(task, anna):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    task.refresh_from_db()
    assert (claim.status, claim.amount, claim.resident) == (ClaimStatus.RESERVED, 500, anna)
    assert task.slots_taken == 1


def test_unverified_residents_may_claim(task, anna):
    assert anna.resident.residency_verified_at is None
    assert claims.claim_reserve(user=anna, task_id=task.pk).status == ClaimStatus.RESERVED


def test_the_per_resident_limit_counts_slot_holding_claims(manager, campaign, anna):
    task = published_task(manager, campaign, per_resident_limit=2)
    first = claims.claim_reserve(user=anna, task_id=task.pk)
    claims.claim_reserve(user=anna, task_id=task.pk)
    with pytest.raises(ClaimRefused, match=r"\(2\)"):
        claims.claim_reserve(user=anna, task_id=task.pk)
    task.refresh_from_db()
    assert task.slots_taken == 2
    claims.claim_withdraw(user=anna, claim_id=first.pk)
    claims.claim_reserve(user=anna, task_id=task.pk)
    assert Claim.objects.filter(resident=anna, status=ClaimStatus.RESERVED).count() == 2


def test_a_full_task_refuses_and_changes_nothing(manager, campaign, anna, bram):
    task = published_task(manager, campaign, capacity=1)
    claims.claim_reserve(user=anna, task_id=task.pk)
    with pytest.raises(TaskFull):
        claims.claim_reserve(user=bram, task_id=task.pk)
    task.refresh_from_db()
    assert task.slots_taken == 1
    assert Claim.objects.count() == 1


def test_drafts_closed_and_out_of_window_tasks_cannot_be_claimed(manager, campaign, anna):
    draft = work.task_create(actor=manager, campaign_id=campaign.pk, fields=task_fields())
    with pytest.raises(NotFound):
        claims.claim_reserve(user=anna, task_id=draft.pk)
    with pytest.raises(NotFound):
        claims.claim_reserve(user=anna, task_id=999999)
    later = published_task(
        manager,
        campaign,
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=2),
    )
    with pytest.raises(ClaimRefused, match="not open"):
        claims.claim_reserve(user=anna, task_id=later.pk)
    closed = published_task(manager, campaign)
    work.task_close(actor=manager, task_id=closed.pk)
    with pytest.raises(ClaimRefused):
        claims.claim_reserve(user=anna, task_id=closed.pk)
    assert Claim.objects.count() == 0
    assert not Task.objects.filter(slots_taken__gt=0).exists()


def test_only_residents_claim(task, manager):
    for user in (manager, make_user("nobody@example.org")):
        with pytest.raises(NotAllowed):
            claims.claim_reserve(user=user, task_id=task.pk)
    task.refresh_from_db()
    assert task.slots_taken == 0


def test_withdrawing_frees_the_slot_and_only_the_owner_may(task, anna, bram):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    with pytest.raises(NotFound):
        claims.claim_withdraw(user=bram, claim_id=claim.pk)
    withdrawn = claims.claim_withdraw(user=anna, claim_id=claim.pk)
    task.refresh_from_db()
    assert withdrawn.status == ClaimStatus.WITHDRAWN
    assert withdrawn.closed_at is not None
    assert task.slots_taken == 0
    with pytest.raises(ClaimRefused):
        claims.claim_withdraw(user=anna, claim_id=claim.pk)
    task.refresh_from_db()
    assert task.slots_taken == 0


def test_old_reservations_expire_and_free_their_slots(task, anna, bram, settings):
    settings.REWARDS_RESERVATION_HOURS = 72
    old = claims.claim_reserve(user=anna, task_id=task.pk)
    fresh = claims.claim_reserve(user=bram, task_id=task.pk)
    Claim.objects.filter(pk=old.pk).update(reserved_at=timezone.now() - timedelta(hours=73))
    assert claims_expire_task.delay().get() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    task.refresh_from_db()
    assert old.status == ClaimStatus.EXPIRED
    assert fresh.status == ClaimStatus.RESERVED
    assert task.slots_taken == 1
    assert claims.claims_expire() == 0
    task.refresh_from_db()
    assert task.slots_taken == 1


def test_slot_release_needs_a_transaction_and_frees_one_slot(task, anna):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    with transaction.atomic():
        claims.slot_release(claim)
    task.refresh_from_db()
    assert task.slots_taken == 0
    with transaction.atomic():
        claims.slot_release(claim)  # never below zero
    task.refresh_from_db()
    assert task.slots_taken == 0


def test_the_task_list_filters_and_puts_the_nearest_first(manager, campaign):
    north, _ = Neighbourhood.objects.get_or_create(name="Noord-list")
    near = published_task(
        manager,
        campaign,
        title_nl="Dichtbij",
        latitude=Decimal("50.888"),
        longitude=Decimal("5.979"),
        neighbourhood_id=north.pk,
    )
    far = published_task(
        manager, campaign, title_nl="Ver weg", latitude=Decimal("50.95"), longitude=Decimal("6.1")
    )
    nowhere = published_task(manager, campaign, title_nl="Overal", category="litter")
    work.task_create(actor=manager, campaign_id=campaign.pk, fields=task_fields())  # draft
    here = {"latitude": Decimal("50.887"), "longitude": Decimal("5.978")}
    listed = list(selectors.tasks_for_resident(**here))
    assert listed == [near, far, nowhere]
    assert listed[0].distance_km < 1 < listed[1].distance_km
    assert list(selectors.tasks_for_resident(neighbourhood_id=north.pk)) == [near]
    assert list(selectors.tasks_for_resident(category="litter")) == [nowhere]
    later = timezone.now() + timedelta(days=30)
    assert list(selectors.tasks_for_resident(now=later)) == []


def test_titles_follow_the_language_with_dutch_as_fallback(task):
    assert selectors.task_text(task, "de")[0] == "Bank streichen"
    assert selectors.task_text(task, "en")[0] == "Bankje schilderen"


def _race(users, task_id):
    """Everyone reserves at once: "reserved" or the refusal's name, per person."""
    results = run_together(
        len(users), lambda i: claims.claim_reserve(user=users[i], task_id=task_id)
    )
    return ["reserved" if name == "ok" else name for name in concurrency.outcomes(results)]


@pytest.mark.django_db(transaction=True)
def test_fifty_residents_claim_ten_places_at_once_and_ten_get_one():
    manager = make_user("manager@example.org", "task_manager")
    campaign = funded_campaign(
        manager,
        make_user("finance@example.org", "finance"),
        make_user("approver@example.org", "approver"),
    )
    task = published_task(manager, campaign, capacity=10)
    residents = [resident(f"r{n}@example.org") for n in range(50)]
    outcomes = _race(residents, task.pk)
    assert outcomes.count("reserved") == 10
    assert outcomes.count("TaskFull") == 40
    task.refresh_from_db()
    assert task.slots_taken == 10
    assert Claim.objects.filter(task=task, status=ClaimStatus.RESERVED).count() == 10


@pytest.mark.django_db(transaction=True)
def test_one_resident_claiming_many_times_at_once_gets_the_limit():
    manager = make_user("manager@example.org", "task_manager")
    campaign = funded_campaign(
        manager,
        make_user("finance@example.org", "finance"),
        make_user("approver@example.org", "approver"),
    )
    task = published_task(manager, campaign, capacity=10, per_resident_limit=2)
    anna = resident("anna@example.org")
    outcomes = _race([anna] * 12, task.pk)
    assert outcomes.count("reserved") == 2
    task.refresh_from_db()
    assert task.slots_taken == 2
    assert Claim.objects.filter(task=task, resident=anna).count() == 2
