"""Fixtures of the review and payout tests (rewards-review), built directly with the ORM and the
ledger: a campaign whose budget is funded by a mint, a published task, submitted claims."""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from accounts.models import ResidentProfile, User
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.models import AccountKind
from rewards.models import Campaign, Claim, ClaimStatus, Task, TaskStatus
from tests.helpers import make_user


def currency():
    return ledger_services.currency_get_or_create(
        code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
    )


def resident(email: str, *, verified: bool = True, language: str = "en") -> User:
    user = make_user(
        email, "resident", display_name=email.split("@")[0].title(), preferred_language=language
    )
    wallet = ledger_services.account_open(currency=currency(), kind=AccountKind.WALLET)
    ResidentProfile.objects.create(
        user=user, wallet=wallet, residency_verified_at=timezone.now() if verified else None
    )
    return user


def mint(campaign: Campaign, amount: int) -> None:
    issuer = ledger_selectors.issuer_account(currency=currency())
    ledger_services.transfer_post(
        kind="mint",
        legs=ledger_services.legs_between(
            source_id=issuer.pk, destination_id=campaign.budget_id, amount=amount
        ),
    )


def campaign(creator: User, budget: int = 100_000) -> Campaign:
    account = ledger_services.account_open(currency=currency(), kind=AccountKind.BUDGET)
    made = Campaign.objects.create(
        name="Schoon Heerlen",
        starts_on=date(2020, 1, 1),
        ends_on=date(2099, 12, 31),
        budget=account,
        created_by=creator,
    )
    if budget:
        mint(made, budget)
    return made


def task(campaign: Campaign, creator: User, *, reward: int = 500, capacity: int = 50) -> Task:
    now = timezone.now()
    return Task.objects.create(
        campaign=campaign,
        title_nl="Bankje schilderen",
        title_de="Bank streichen",
        title_en="Paint a bench",
        description_nl="Schilder het bankje in het park.",
        category="painting",
        reward=reward,
        estimated_minutes=60,
        capacity=capacity,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=14),
        status=TaskStatus.PUBLISHED,
        created_by=creator,
    )


def submitted(task: Task, user: User, amount: int | None = None) -> Claim:
    Task.objects.filter(pk=task.pk).update(slots_taken=F("slots_taken") + 1)
    return Claim.objects.create(
        task=task,
        resident=user,
        amount=amount or task.reward,
        status=ClaimStatus.SUBMITTED,
        submitted_at=timezone.now(),
        note="Done, see the photo.",
    )


def balance(user: User) -> int:
    return ledger_selectors.account_balance(account_id=user.resident.wallet_id)
