"""Bulk decisions in the review queue: reject many with one reason (each through the claim's
transition, its slot freed, its resident told); the approval message counts the held claims
and says why; filters narrow the queue and survive the decision."""

import re

from django.urls import reverse

from accounts.models import Notification, Role
from rewards.models import ClaimStatus, Task
from tests.factories import ClaimFactory, ResidentFactory, TaskFactory, UserFactory


def test_reject_selected_with_one_reason(client, staff_login):
    reviewer = UserFactory.create(roles=[Role.REVIEWER])
    task = TaskFactory.create()
    chosen = [ClaimFactory.create(task=task) for _ in range(3)]
    kept = ClaimFactory.create(task=task)
    staff_login(client, reviewer)
    url = reverse("rewards-staff-review-bulk-reject")
    empty = client.post(url, {"claims": [c.pk for c in chosen], "reason": " "}, follow=True)
    assert "Say why the claim is rejected." in empty.content.decode()
    response = client.post(
        url,
        {"claims": [c.pk for c in chosen], "reason": "Foto is van een ander bankje."},
        follow=True,
    )
    assert "3 claims rejected." in response.content.decode()
    for claim in chosen:
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.REJECTED
        assert claim.rejection_reason == "Foto is van een ander bankje."
    kept.refresh_from_db()
    assert kept.status == ClaimStatus.SUBMITTED
    assert Task.objects.get(pk=task.pk).slots_taken == 1
    assert Notification.objects.filter(user__in=[c.resident for c in chosen]).count() == 3


def test_approval_message_counts_the_held_ones_and_why(
    client, staff_login, django_capture_on_commit_callbacks
):
    reviewer = UserFactory.create(roles=[Role.REVIEWER])
    task = TaskFactory.create()
    clean = [ClaimFactory.create(task=task) for _ in range(2)]
    held = ClaimFactory.create(task=task, resident=ResidentFactory.create(verified=False))
    staff_login(client, reviewer)
    ids = [c.pk for c in [*clean, held]]
    confirm = client.post(reverse("rewards-staff-review-bulk-approve"), {"claims": ids})
    assert "1 resident is not verified yet" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("rewards-staff-review-bulk-approve"),
            {"claims": ids, "confirmed": "yes"},
            follow=True,
        )
    text = response.content.decode()
    assert "3 claims approved. 1 of them is on hold:" in text
    assert "residency" in text
    held_page = client.get(reverse("rewards-staff-review"), {"stage": "held"}).content.decode()
    assert re.search(rf'id="held-{held.pk}">[^<]*residency', held_page)


def test_filters_narrow_the_queue_and_stay_after_a_decision(client, staff_login):
    reviewer = UserFactory.create(roles=[Role.REVIEWER])
    bench, litter = TaskFactory.create(), TaskFactory.create(title_en="Pick up litter")
    one = ClaimFactory.create(task=bench)
    ClaimFactory.create(task=litter)
    staff_login(client, reviewer)
    page = client.get(reverse("rewards-staff-review"), {"task": bench.pk}).content.decode()
    assert f'id="claim-{one.pk}"' in page
    assert page.count('class="queue-row') == 1
    response = client.post(
        reverse("rewards-staff-review-bulk-reject"),
        {"claims": [one.pk], "reason": "Niet af.", "stage": "review", "task": bench.pk},
    )
    assert response["Location"] == f"/staff/rewards/review/?stage=review&task={bench.pk}"
