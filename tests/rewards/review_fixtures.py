"""Fixtures of the review and payout tests (rewards-review), built with tests.factories: a
campaign whose budget is funded by a mint, a published task, submitted claims."""

from accounts.models import User
from rewards.models import Campaign, Claim, Task
from tests.factories import (
    CampaignFactory,
    ClaimFactory,
    ResidentFactory,
    TaskFactory,
    currency,
    mint,
)
from tests.factories import balance as account_balance

__all__ = ["balance", "campaign", "currency", "mint", "resident", "submitted", "task"]


def resident(email: str, *, verified: bool = True, language: str = "en") -> User:
    return ResidentFactory.create(email=email, verified=verified, preferred_language=language)


def campaign(creator: User, budget: int = 100_000) -> Campaign:
    return CampaignFactory.create(created_by=creator, funded=budget)


def task(campaign: Campaign, creator: User, *, reward: int = 500, capacity: int = 50) -> Task:
    """A task of an hour, or as long as the hourly cap (5.00) asks for the reward."""
    return TaskFactory.create(
        campaign=campaign,
        created_by=creator,
        reward=reward,
        capacity=capacity,
        estimated_minutes=max(60, -(-reward * 60 // 500)),
    )


def submitted(task: Task, user: User, amount: int | None = None) -> Claim:
    return ClaimFactory.create(task=task, resident=user, amount=amount or task.reward)


def balance(user: User) -> int:
    return account_balance(user.resident.wallet_id)
