"""Task rules: every field checked, the hourly cap, the budget (including under concurrent
publishing), the window inside the campaign, neighbourhoods; refusals change nothing."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent, Neighbourhood
from rewards import claims, work
from rewards.errors import BudgetExceeded, CampaignBusy, NotAllowed, TaskRefused
from rewards.models import Task, TaskStatus
from tests.concurrency import outcomes, run_together
from tests.helpers import make_user
from tests.rewards.core_helpers import funded_campaign, published_task, task_fields

pytest_plugins = ["tests.rewards.core_fixtures"]


def test_a_valid_task_is_saved_as_a_draft_and_audited(manager, campaign):
    task = work.task_create(actor=manager, campaign_id=campaign.pk, fields=task_fields())
    assert task.status == TaskStatus.DRAFT
    assert task.slots_taken == 0
    assert AuditEvent.objects.filter(action="task.create", target_id=str(task.pk)).exists()
    published = work.task_publish(actor=manager, task_id=task.pk)
    assert published.status == TaskStatus.PUBLISHED
    closed = work.task_close(actor=manager, task_id=task.pk)
    assert closed.status == TaskStatus.CLOSED
    assert AuditEvent.objects.filter(action__in=["task.publish", "task.close"]).count() == 2


NOW = timezone.now()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title_nl": ""}, "title_nl"),
        ({"title_nl": "x" * 201}, "title_nl"),
        ({"title_de": "x" * 201}, "title_de"),
        ({"description_nl": "  "}, "description_nl"),
        ({"description_en": "x" * 5001}, "description_en"),
        ({"materials_where": "x" * 301}, "materials_where"),
        ({"title_nl": "a\x00b"}, "title_nl"),
        ({"category": "gardening"}, "category"),
        ({"reward": 0}, "reward"),
        ({"reward": -100}, "reward"),
        ({"reward": "500"}, "reward"),
        ({"reward": 5.5}, "reward"),
        ({"capacity": 0}, "capacity"),
        ({"estimated_minutes": 0}, "estimated_minutes"),
        ({"per_resident_limit": 0}, "per_resident_limit"),
        ({"per_resident_limit": 11}, "per_resident_limit"),
        ({"photo_required": "yes"}, "photo_required"),
        ({"ends_at": NOW - timedelta(days=2)}, "ends_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"latitude": Decimal("91"), "longitude": Decimal("5.9")}, "latitude"),
        ({"latitude": Decimal("50.9"), "longitude": Decimal("181")}, "longitude"),
        ({"latitude": Decimal("50.9")}, "latitude"),
        ({"neighbourhood_id": 999999}, "neighbourhood"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_saved(manager, campaign, changes, field):
    with pytest.raises(TaskRefused) as refused:
        work.task_create(actor=manager, campaign_id=campaign.pk, fields=task_fields(**changes))
    assert refused.value.field == field
    assert Task.objects.count() == 0


def test_missing_fields_are_refused(manager, campaign):
    fields = task_fields()
    del fields["reward"]
    with pytest.raises(TaskRefused) as refused:
        work.task_create(actor=manager, campaign_id=campaign.pk, fields=fields)
    assert refused.value.field == "reward"
    assert Task.objects.count() == 0


def test_the_hourly_cap_rounds_down(manager, campaign, settings):
    settings.REWARDS_HOURLY_CAP = 500
    assert work.task_hourly_cap(45) == 375
    assert work.task_hourly_cap(7) == 58  # 58.33 rounded down
    ok = work.task_create(
        actor=manager,
        campaign_id=campaign.pk,
        fields=task_fields(reward=375, estimated_minutes=45),
    )
    assert ok.reward == 375
    with pytest.raises(TaskRefused, match="hourly cap") as refused:
        work.task_create(
            actor=manager,
            campaign_id=campaign.pk,
            fields=task_fields(reward=376, estimated_minutes=45),
        )
    assert refused.value.field == "reward"
    assert Task.objects.count() == 1


def test_the_window_lies_inside_the_campaign(manager, finance, approver):
    short = funded_campaign(
        manager, finance, approver, starts_on=date(2026, 5, 1), ends_on=date(2026, 5, 31)
    )
    inside = {
        "starts_at": timezone.make_aware(timezone.datetime(2026, 5, 1, 0, 0)),
        "ends_at": timezone.make_aware(timezone.datetime(2026, 5, 31, 23, 0)),
    }
    work.task_create(actor=manager, campaign_id=short.pk, fields=task_fields(**inside))
    for changes, field in (
        ({"starts_at": timezone.make_aware(timezone.datetime(2026, 4, 30, 23, 0))}, "starts_at"),
        ({"ends_at": timezone.make_aware(timezone.datetime(2026, 6, 1, 0, 30))}, "ends_at"),
    ):
        with pytest.raises(TaskRefused) as refused:
            work.task_create(
                actor=manager, campaign_id=short.pk, fields=task_fields(**{**inside, **changes})
            )
        assert refused.value.field == field
    assert Task.objects.count() == 1


def test_the_neighbourhood_belongs_to_the_campaign(manager, finance, approver):
    north, _ = Neighbourhood.objects.get_or_create(name="Noord-test")
    south, _ = Neighbourhood.objects.get_or_create(name="Zuid-test")
    local = funded_campaign(manager, finance, approver, neighbourhood_ids=[north.pk])
    with pytest.raises(TaskRefused, match="not one of the campaign"):
        work.task_create(
            actor=manager, campaign_id=local.pk, fields=task_fields(neighbourhood_id=south.pk)
        )
    task = work.task_create(
        actor=manager, campaign_id=local.pk, fields=task_fields(neighbourhood_id=north.pk)
    )
    assert task.neighbourhood == north


def test_reward_times_capacity_must_fit_the_budget(manager, finance, approver):
    small = funded_campaign(manager, finance, approver, amount=6000)
    published_task(manager, small, capacity=10)  # may cost 5000 of 6000
    with pytest.raises(BudgetExceeded, match=r"only 10\.00\xa0Heitje of the budget are still free"):
        work.task_create(actor=manager, campaign_id=small.pk, fields=task_fields(capacity=3))
    work.task_create(actor=manager, campaign_id=small.pk, fields=task_fields(capacity=2))
    assert Task.objects.filter(campaign=small).count() == 2


def test_publishing_checks_the_budget_again(manager, finance, approver):
    small = funded_campaign(manager, finance, approver, amount=6000)
    first = work.task_create(actor=manager, campaign_id=small.pk, fields=task_fields(capacity=8))
    second = work.task_create(actor=manager, campaign_id=small.pk, fields=task_fields(capacity=8))
    work.task_publish(actor=manager, task_id=first.pk)
    with pytest.raises(BudgetExceeded):
        work.task_publish(actor=manager, task_id=second.pk)
    second.refresh_from_db()
    assert second.status == TaskStatus.DRAFT


def test_updating_a_published_task_counts_its_claims(manager, campaign, task, anna, bram):
    claims.claim_reserve(user=anna, task_id=task.pk)
    claims.claim_reserve(user=bram, task_id=task.pk)
    with pytest.raises(TaskRefused, match="2 places are already taken"):
        work.task_update(actor=manager, task_id=task.pk, changes={"capacity": 1})
    updated = work.task_update(
        actor=manager, task_id=task.pk, changes={"capacity": 20, "title_en": "Paint a bench"}
    )
    assert (updated.capacity, updated.title_en) == (20, "Paint a bench")
    with pytest.raises(BudgetExceeded):
        work.task_update(actor=manager, task_id=task.pk, changes={"capacity": 201})
    task.refresh_from_db()
    assert task.capacity == 20
    with pytest.raises(TaskRefused):
        work.task_update(actor=manager, task_id=task.pk, changes={"slots_taken": 0})


def test_closed_tasks_and_campaigns_refuse_changes(manager, campaign, task):
    work.task_close(actor=manager, task_id=task.pk)
    with pytest.raises(TaskRefused):
        work.task_update(actor=manager, task_id=task.pk, changes={"title_nl": "Nieuw"})
    with pytest.raises(TaskRefused):
        work.task_publish(actor=manager, task_id=task.pk)
    from rewards import campaigns

    campaigns.campaign_close(actor=manager, campaign_id=campaign.pk)
    with pytest.raises(CampaignBusy):
        work.task_create(actor=manager, campaign_id=campaign.pk, fields=task_fields())


def test_only_task_managers_and_admins_manage_tasks(campaign, task, finance, approver, anna):
    reviewer = make_user("reviewer@example.org", "reviewer")
    for user in (finance, approver, reviewer, anna):
        with pytest.raises(NotAllowed):
            work.task_create(actor=user, campaign_id=campaign.pk, fields=task_fields())
        with pytest.raises(NotAllowed):
            work.task_close(actor=user, task_id=task.pk)
    task.refresh_from_db()
    assert task.status == TaskStatus.PUBLISHED
    assert Task.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_publishes_at_once_that_together_overspend_one_is_refused():
    manager = make_user("manager@example.org", "task_manager")
    finance = make_user("finance@example.org", "finance")
    approver = make_user("approver@example.org", "approver")
    small = funded_campaign(manager, finance, approver, amount=6000)
    drafts = [
        work.task_create(actor=manager, campaign_id=small.pk, fields=task_fields(capacity=8))
        for _ in range(2)
    ]
    results = run_together(2, lambda i: work.task_publish(actor=manager, task_id=drafts[i].pk))
    assert outcomes(results) == ["BudgetExceeded", "ok"]
    assert Task.objects.filter(status=TaskStatus.PUBLISHED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_payout_committing_during_the_budget_check_cannot_make_room(monkeypatch):
    """The budget check holds the budget account: a payout that tries to commit between the
    balance read and the owed-claims read waits, so the check never pairs an old balance with
    a new total (which made a 1,000 task fit a budget with 500 free)."""

    from django.utils import timezone

    from accounts.models import ResidentProfile
    from ledger import selectors as ledger_selectors
    from rewards import claims, payouts, review
    from rewards.errors import BudgetExceeded
    from tests.helpers import make_user
    from tests.rewards.core_helpers import funded_campaign, published_task, resident, task_fields

    manager = make_user("m@example.org", "task_manager")
    finance = make_user("f@example.org", "finance")
    approver = make_user("a@example.org", "approver")
    reviewer = make_user("r@example.org", "reviewer")
    campaign = funded_campaign(manager, finance, approver, amount=1000)
    draft = work.task_create(
        actor=manager,
        campaign_id=campaign.pk,
        fields=task_fields(reward=500, capacity=2, title_nl="B"),
    )
    task = published_task(manager, campaign, reward=500, capacity=1, photo_required=False)
    anna = resident("anna@example.org")
    ResidentProfile.objects.filter(user=anna).update(residency_verified_at=timezone.now())
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    claims.claim_submit(user=anna, claim_id=claim.pk)
    monkeypatch.setattr("rewards.review.payout_task.delay", lambda *args, **kwargs: None)
    review.claim_approve(staff=reviewer, claim_id=claim.pk)

    real_balance = ledger_selectors.account_balance
    payout = threading.Thread(
        target=lambda: (payouts.claim_pay(claim_id=claim.pk), connection.close())
    )

    def balance_then_payout(*, account_id):
        value = real_balance(account_id=account_id)
        if not payout.is_alive() and payout.ident is None:
            payout.start()
            payout.join(timeout=1)  # it waits for the budget lock instead of committing now
        return value

    monkeypatch.setattr("rewards.selectors.ledger_selectors.account_balance", balance_then_payout)
    with pytest.raises(BudgetExceeded):
        work.task_publish(actor=manager, task_id=draft.pk)
    payout.join(timeout=30)
    claim.refresh_from_db()
    assert claim.status == "paid"
    draft.refresh_from_db()
    assert draft.status == "draft"
