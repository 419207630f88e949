"""A small town for the impact figures: neighbourhoods, residents living in them, tasks there,
claims paid through the payout service and payments made through the payment service, each
dated in the month a test wants."""

import itertools
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from accounts.models import Neighbourhood, ResidentProfile, User
from payments import services as payments
from payments.models import Payment, PaymentMethod
from rewards.models import Campaign, Claim, ClaimStatus, Task
from rewards.payouts import PayoutOutcome, claim_pay
from shops.models import Shop
from tests import factories

_keys = itertools.count()


def moment(year: int, month: int, day: int = 10) -> datetime:
    return datetime(year, month, day, 12, tzinfo=ZoneInfo(settings.TIME_ZONE))


@dataclass
class Town:
    campaign: Campaign

    def neighbourhood(self, name: str) -> Neighbourhood:
        return Neighbourhood.objects.get_or_create(name=name)[0]

    def resident(self, neighbourhood: Neighbourhood | None, **extra) -> User:
        user = factories.ResidentFactory.create(**extra)
        ResidentProfile.objects.filter(user=user).update(neighbourhood=neighbourhood)
        user.refresh_from_db()
        return user

    def task(self, neighbourhood: Neighbourhood | None, category: str = "painting", **extra):
        """A task; unless told, of an hour or as long as the hourly cap (5.00) asks for its
        reward, so that the payout's hourly rate passes it."""
        reward = extra.get("reward", 500)
        extra.setdefault("estimated_minutes", max(60, -(-reward * 60 // 500)))
        return factories.TaskFactory.create(
            campaign=self.campaign, neighbourhood=neighbourhood, category=category, **extra
        )

    def paid(self, task: Task, resident: User, when: datetime) -> Claim:
        """A claim handed in at `when`, approved and paid by the payout service."""
        claim = factories.ClaimFactory.create(
            task=task, resident=resident, status=ClaimStatus.APPROVED, submitted_at=when
        )
        assert claim_pay(claim_id=claim.pk) == PayoutOutcome.PAID
        claim.refresh_from_db()
        return claim

    def shop(
        self, neighbourhood: Neighbourhood | None, name: str = "Bakkerij", owner: User | None = None
    ) -> Shop:
        shop = factories.ShopFactory.create(name=name, **({"owner": owner} if owner else {}))
        Shop.objects.filter(pk=shop.pk).update(neighbourhood=neighbourhood)
        shop.refresh_from_db()
        return shop

    def pay(self, resident: User, shop: Shop, amount: int, when: datetime) -> Payment:
        """A payment from the resident's wallet through the payment service, dated `when`."""
        payment = payments.payment_post(
            shop=shop,
            payer_account=resident.resident.wallet,
            amount=amount,
            method=PaymentMethod.RESIDENT_CODE,
            idempotency_key=f"impact-test-{next(_keys)}",
            resident=resident,
        )
        Payment.objects.filter(pk=payment.pk).update(created_at=when)
        return payment


@pytest.fixture
def town(db) -> Town:
    return Town(campaign=factories.CampaignFactory.create(funded=10_000_000))
