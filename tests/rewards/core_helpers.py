"""Helpers of the campaign, task and claim tests (rewards-core): residents with wallets, a
funded campaign, valid task fields, a published task."""

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from rewards import campaigns, work
from rewards.models import Campaign, Task
from tests.factories import ResidentFactory


def resident(email: str) -> User:
    """A resident with an empty wallet (residency not verified)."""
    return ResidentFactory.create(email=email, verified=False)


def funded_campaign(
    manager: User, finance: User, approver: User, amount: int = 100_000, **extra: Any
) -> Campaign:
    """An active campaign over the whole year whose budget holds `amount`."""
    campaign = campaigns.campaign_create(
        actor=manager,
        name=extra.pop("name", "Schoon Heerlen"),
        starts_on=extra.pop("starts_on", date(2020, 1, 1)),
        ends_on=extra.pop("ends_on", date(2099, 12, 31)),
        **extra,
    )
    if amount:
        request = campaigns.mint_request(
            actor=finance, campaign_id=campaign.pk, amount=amount, reason="Spring budget"
        )
        campaigns.mint_approve(actor=approver, request_id=request.pk)
    campaign.refresh_from_db()
    return campaign


def task_fields(**changes: Any) -> dict[str, Any]:
    """Valid fields of a task open now: 5.00 tokens for an hour, 10 places."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "title_nl": "Bankje schilderen",
        "title_de": "Bank streichen",
        "description_nl": "Schilder het bankje in het park.",
        "category": "painting",
        "reward": 500,
        "estimated_minutes": 60,
        "capacity": 10,
        "per_resident_limit": 1,
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(days=14),
        "materials_where": "Wijkcentrum",
        "materials_when": "Maandag 9-12",
    }
    fields.update(changes)
    return fields


def published_task(manager: User, campaign: Campaign, **changes: Any) -> Task:
    task = work.task_create(actor=manager, campaign_id=campaign.pk, fields=task_fields(**changes))
    return work.task_publish(actor=manager, task_id=task.pk)
