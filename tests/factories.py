"""factory_boy factories for the objects most tests start from.

Money goes through `ledger.services`, as in production: a resident's wallet is opened by the
ledger, a shop is approved by the shop service (which opens its account), a campaign's budget is
funded by a mint. Everything else is plain ORM rows in the state a test wants.

- `UserFactory.create(roles=["reviewer"])`: a person who signs in with `PASSWORD`;
- `ResidentFactory.create(funded=1_000, verified=False)`: the User, its wallet at
  `user.resident.wallet`;
- `ShopFactory.create(owner=owner, funded=500)`: an approved shop with its account;
- `CampaignFactory.create(created_by=manager, funded=5_000)`: an active campaign, budget funded;
- `TaskFactory.create(campaign=campaign, reward=500)`: a published task open now;
- `ClaimFactory.create(task=task, resident=anna)`: a submitted claim holding a place.
"""

from datetime import date, timedelta
from typing import Any

import factory
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from accounts.models import ResidentProfile, Role, RoleGrant, User
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.models import AccountKind, Currency
from rewards.models import Campaign, Claim, ClaimStatus, Task, TaskStatus
from shops import services as shops
from shops.models import Shop

PASSWORD = "Bench-painter-2026!"


def currency() -> Currency:
    """The project's currency, created (with its issuer) on first use."""
    return ledger_services.currency_get_or_create(
        code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
    )


def mint(account_id: int, amount: int) -> None:
    """Put `amount` new tokens in an account, from the issuer (set-up only)."""
    issuer = ledger_selectors.issuer_account(currency=currency())
    ledger_services.transfer_post(
        kind="mint",
        legs=ledger_services.legs_between(
            source_id=issuer.pk, destination_id=account_id, amount=amount
        ),
    )


def balance(account_id: int) -> int:
    return ledger_selectors.account_balance(account_id=account_id)


def _grant_roles(user: User, create: bool, roles: Any, **kwargs: Any) -> None:
    for role in roles or ():
        RoleGrant.objects.create(user=user, role=role)


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A person with a verified email who signs in with `PASSWORD`; `roles` are granted."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    email_verified_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return model_class.objects.create_user(kwargs.pop("email"), PASSWORD, **kwargs)

    roles = factory.PostGeneration(_grant_roles)


class ResidentFactory(UserFactory):
    """A resident: the role, a wallet opened by the ledger and funded with `funded` tokens, and
    a profile, residency verified unless `verified=False`."""

    display_name = factory.LazyAttribute(lambda u: u.email.split("@")[0].title())
    verified = True
    funded = 0

    @classmethod
    def _create(
        cls, model_class: type[User], *args: Any, verified: bool, funded: int, **kwargs: Any
    ) -> User:
        user = super()._create(model_class, *args, **kwargs)
        RoleGrant.objects.create(user=user, role=Role.RESIDENT)
        wallet = ledger_services.account_open(currency=currency(), kind=AccountKind.WALLET)
        ResidentProfile.objects.create(
            user=user, wallet=wallet, residency_verified_at=timezone.now() if verified else None
        )
        if funded:
            mint(wallet.pk, funded)
        return user


SHOP = {
    "name": "Bakkerij Kerkrade",
    "address": "Saroleastraat 1, 6411 Heerlen",
    "category": "bakery",
    "iban": "NL91ABNA0417164300",
}


class ShopFactory(factory.Factory[Shop]):
    """A shop applied for by `owner` and approved by `approver` through the shop service, so it
    has its ledger account; `funded` tokens are minted into it."""

    class Meta:
        model = Shop

    owner = factory.SubFactory(UserFactory)
    approver = factory.SubFactory(UserFactory, roles=[Role.APPROVER])
    name = SHOP["name"]
    address = SHOP["address"]
    category = SHOP["category"]
    iban = SHOP["iban"]
    funded = 0

    @classmethod
    def _create(
        cls, model_class: type[Shop], *args: Any, approver: User, funded: int, **fields: Any
    ) -> Shop:
        applied = shops.shop_apply(**fields)
        shop = shops.shop_approve(staff=approver, shop_id=applied.pk)
        if funded:
            assert shop.account_id is not None
            mint(shop.account_id, funded)
        return shop


class CampaignFactory(factory.django.DjangoModelFactory[Campaign]):
    """An active campaign over every test's dates, its budget account funded with `budget`."""

    class Meta:
        model = Campaign

    name = "Schoon Heerlen"
    starts_on = date(2020, 1, 1)
    ends_on = date(2099, 12, 31)
    created_by = factory.SubFactory(UserFactory, roles=[Role.TASK_MANAGER])
    budget = factory.LazyFunction(
        lambda: ledger_services.account_open(currency=currency(), kind=AccountKind.BUDGET)
    )
    funded = 100_000

    @classmethod
    def _create(
        cls, model_class: type[Campaign], *args: Any, funded: int, **kwargs: Any
    ) -> Campaign:
        campaign = super()._create(model_class, *args, **kwargs)
        if funded:
            mint(campaign.budget_id, funded)
        return campaign


class TaskFactory(factory.django.DjangoModelFactory[Task]):
    """A published task, open from yesterday for two weeks: 5.00 tokens for an hour."""

    class Meta:
        model = Task

    campaign = factory.SubFactory(CampaignFactory)
    created_by = factory.SelfAttribute("campaign.created_by")
    title_nl = "Bankje schilderen"
    title_de = "Bank streichen"
    title_en = "Paint a bench"
    description_nl = "Schilder het bankje in het park."
    category = "painting"
    reward = 500
    estimated_minutes = 60
    capacity = 50
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    status = TaskStatus.PUBLISHED


class ClaimFactory(factory.django.DjangoModelFactory[Claim]):
    """A submitted claim for the task's reward, holding one of its places."""

    class Meta:
        model = Claim

    task = factory.SubFactory(TaskFactory)
    resident = factory.SubFactory(ResidentFactory)
    amount = factory.SelfAttribute("task.reward")
    status = ClaimStatus.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)
    note = "Done, see the photo."

    @classmethod
    def _create(cls, model_class: type[Claim], *args: Any, **kwargs: Any) -> Claim:
        Task.objects.filter(pk=kwargs["task"].pk).update(slots_taken=F("slots_taken") + 1)
        return super()._create(model_class, *args, **kwargs)
