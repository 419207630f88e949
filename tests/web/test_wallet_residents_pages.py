"""The wallet for residents who are new (issue 11), over HTTP: pick-up hours are task data that
staff set and that count in the reservation window (and its expiry); the task list starts in
the resident's neighbourhood; the wallet says what waits for the residency, names the other side
of each line, and lists where to spend. (The browser tests show the same on a phone.)"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Neighbourhood, ResidentProfile
from rewards import claims, review, selectors
from rewards.models import Claim, ClaimStatus, Task
from shops import services as shops
from shops.models import Shop
from tests.helpers import make_user, staff_login
from tests.rewards.core_helpers import funded_campaign, published_task, resident
from tests.web.test_rewards_pages import task_post


@pytest.fixture
def manager(db):
    return make_user("mia@example.org", "task_manager")


@pytest.fixture
def campaign(manager):
    finance = make_user("fenna@example.org", "finance")
    approver = make_user("abel@example.org", "approver")
    return funded_campaign(manager, finance, approver)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def local(day_offset: int, hour: int) -> datetime:
    return timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=day_offset), time(hour, 0))
    )


def test_staff_set_pick_up_hours_and_residents_see_them(client, manager, campaign):
    staff_login(client, manager)
    url = reverse("rewards-staff-task-create", kwargs={"campaign_id": campaign.pk})
    refused = client.post(url, task_post(pickup_opens="09:00"))
    assert refused.status_code == 422
    assert "Give both pick-up times, or neither." in text(refused)
    refused = client.post(url, task_post(pickup_opens="12:00", pickup_closes="09:00"))
    assert refused.status_code == 422
    assert "Pick-up must close after it opens." in text(refused)
    assert not Task.objects.exists()

    client.post(url, task_post(pickup_opens="09:00", pickup_closes="12:00"))
    task = Task.objects.get()
    assert (task.pickup_opens, task.pickup_closes) == (time(9, 0), time(12, 0))
    client.post(reverse("rewards-staff-task-publish", kwargs={"task_id": task.pk}))

    ria = resident("ria@example.org")
    client.force_login(ria)
    page = text(client.get(reverse("rewards-wallet-task", kwargs={"task_id": task.pk})))
    assert "Every day from 09:00 to 12:00" in page


def test_the_reservation_counts_from_the_first_pick_up(client, settings, manager, campaign):
    settings.REWARDS_RESERVATION_HOURS = 4
    task = published_task(manager, campaign, pickup_opens=time(9, 0), pickup_closes=time(12, 0))
    ria = resident("ria@example.org")
    claim = claims.claim_reserve(user=ria, task_id=task.pk)

    # Claimed in the evening: the hours count from 09:00 the next morning.
    Claim.objects.filter(pk=claim.pk).update(reserved_at=local(-1, 20))
    claim.refresh_from_db()
    assert selectors.claim_reservation_deadline(claim) == local(0, 13)
    # Claimed at 11:00 with 4 hours: until 15:00. Claimed at 11:30 with 0 hours: still until
    # the pick-up closes, never less than the rest of that period.
    Claim.objects.filter(pk=claim.pk).update(reserved_at=local(0, 11))
    claim.refresh_from_db()
    assert selectors.claim_reservation_deadline(claim) == local(0, 15)
    settings.REWARDS_RESERVATION_HOURS = 0
    assert selectors.claim_reservation_deadline(claim) == local(0, 12)

    # The expiry sweep keeps to the same deadline: at 12:30 the evening claim still runs.
    settings.REWARDS_RESERVATION_HOURS = 4
    Claim.objects.filter(pk=claim.pk).update(reserved_at=local(-1, 20))
    assert claims.claims_expire(now=local(0, 12) + timedelta(minutes=30)) == 0
    client.force_login(ria)
    page = client.get(reverse("rewards-wallet-claim", kwargs={"claim_id": claim.pk}))
    assert 'type="hidden" name="latitude"' in page.content.decode()
    assert claims.claims_expire(now=local(0, 13) + timedelta(minutes=1)) == 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.EXPIRED


def test_the_task_list_starts_in_the_residents_neighbourhood(client, manager, campaign):
    home, other, empty = (Neighbourhood.objects.create(name=n) for n in ("Noord", "Zuid", "Oost"))
    now = timezone.now()
    elsewhere = published_task(
        manager, campaign, neighbourhood_id=other.pk, ends_at=now + timedelta(days=1)
    )
    mine = published_task(manager, campaign, neighbourhood_id=home.pk)
    ria = resident("ria@example.org")
    ResidentProfile.objects.filter(user=ria).update(neighbourhood=home)
    client.force_login(ria)

    page = text(client.get(reverse("rewards-wallet-tasks")))
    assert page.index(f'id="task-{mine.pk}"') < page.index(f'id="task-{elsewhere.pk}"')
    assert "Tasks in your neighbourhood, Noord, come first." in page

    empty_page = text(client.get(reverse("rewards-wallet-tasks"), {"neighbourhood": empty.pk}))
    assert "No open tasks in Oost right now." in empty_page
    assert f'href="?neighbourhood={home.pk}"' in empty_page
    assert f'href="?neighbourhood={other.pk}"' in empty_page


def test_the_wallet_says_what_waits_names_the_task_and_lists_shops(client, manager, campaign):
    reviewer = make_user("rob@example.org", "reviewer")
    task = published_task(
        manager, campaign, photo_required=False, reward=1500, estimated_minutes=180
    )
    ria = resident("ria@example.org")
    claim = claims.claim_reserve(user=ria, task_id=task.pk)
    claims.claim_submit(user=ria, claim_id=claim.pk, note="Gedaan")
    review.claim_approve(staff=reviewer, claim_id=claim.pk)
    client.force_login(ria)

    home = text(client.get(reverse("wallet-home")))
    assert "15.00 Heitje waiting for your residency" in home  # (a no-break space before the unit)
    assert 'id="municipality-phone"' in home

    owner = make_user("owner@example.org", "resident")
    shop = shops.shop_apply(
        owner=owner,
        name="Bakkerij Ria",
        address="Markt 1",
        category="bakery",
        iban="NL91ABNA0417164300",
    )
    assert f'id="shop-{shop.pk}"' not in text(client.get(reverse("wallet-shops")))  # pending
    approver = make_user("approver2@example.org", "approver")
    shops.shop_approve(staff=approver, shop_id=shop.pk)
    Shop.objects.filter(pk=shop.pk).update(what_we_sell="Brood en vlaai")
    listed = text(client.get(reverse("wallet-shops")))
    assert f'id="shop-{shop.pk}"' in listed
    assert "Brood en vlaai" in listed
    assert "Markt 1" in listed
