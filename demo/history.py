"""A year of demo history, so the impact page's charts say something: residents in four
neighbourhoods doing tasks month by month (more of them as the year goes on, greenery in the
growing season) and spending part of what they earn, mostly at the shop in their own
neighbourhood.

Claims are paid by the payout service and payments made by the payment service, as in
production; only their dates are then set back to the month they belong to (the ledger's own
transfer times stay the time of seeding: ledger rows are never changed). Idempotent: once the
history's residents exist, nothing is added."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Neighbourhood, ResidentProfile, Role, RoleGrant, User
from impact.figures import months_back
from ledger import services
from ledger.models import AccountKind, Currency
from ledger.selectors import account_balance
from payments import services as payments
from payments.models import Payment, PaymentMethod
from rewards.models import Campaign, Claim, ClaimStatus, Task, TaskCategory, TaskStatus
from rewards.payouts import PayoutOutcome, claims_pay_batch
from shops.models import Shop

HISTORY_DOMAIN = "buurt.heitje.example"
PER_NEIGHBOURHOOD = 10
PLACES = ("Aarveld", "Beersdal", "Bekkerveld", "Caumerveld")
# (title nl, title en, category, reward in cents, minutes): within EUR 5 per estimated hour, or the
# payouts hold them (rewards.earning).
HISTORY_TASKS = [
    ("Plantsoen wieden", "Weed the green", TaskCategory.GREENERY, 750, 90),
    ("Zwerfafval prikken", "Pick up litter", TaskCategory.LITTER, 500, 60),
    ("Speeltuin vegen", "Sweep the playground", TaskCategory.PLAY_AREAS, 600, 75),
    ("Boodschappen voor een buur", "Shopping for a neighbour", TaskCategory.SOCIAL_HELP, 500, 60),
]
FIRST_NAMES = ["Lotte", "Sem", "Noor", "Daan", "Mila", "Luuk", "Yara", "Finn", "Saar", "Jesse"]


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _residents(currency: Currency, where: Neighbourhood, index: int) -> list[User]:
    """Ten verified residents of the neighbourhood; they never sign in (no password)."""
    people = []
    for n, first in enumerate(FIRST_NAMES[:PER_NEIGHBOURHOOD]):
        user = User.objects.create_user(
            f"{first.lower()}.{index}{n}@{HISTORY_DOMAIN}",
            None,
            display_name=f"{first} ({where.name})",
            email_verified_at=timezone.now(),
        )
        RoleGrant.objects.create(user=user, role=Role.RESIDENT)
        ResidentProfile.objects.create(
            user=user,
            neighbourhood=where,
            wallet=services.account_open(currency=currency, kind=AccountKind.WALLET),
            residency_verified_at=timezone.now(),
            residency_method="staff",
        )
        people.append(user)
    return people


def _tasks(campaign: Campaign, where: Neighbourhood, manager: User) -> list[Task]:
    start = timezone.now() - timedelta(days=370)
    return [
        Task.objects.create(
            campaign=campaign,
            title_nl=f"{nl} ({where.name})",
            title_en=f"{en} ({where.name})",
            description_nl=f"{nl} in {where.name}.",
            category=category,
            neighbourhood=where,
            reward=reward,
            estimated_minutes=minutes,
            capacity=1_000,
            per_resident_limit=100,
            starts_at=start,
            ends_at=timezone.now() - timedelta(hours=1),
            photo_required=False,
            status=TaskStatus.CLOSED,
            created_by=manager,
        )
        for nl, en, category, reward, minutes in HISTORY_TASKS
    ]


def _on(month_start: datetime, rng: random.Random) -> datetime:
    """A moment in that month, not in the future."""
    now = timezone.now()
    days = 27 if (month_start.year, month_start.month) != (now.year, now.month) else now.day - 1
    moment = month_start + timedelta(days=rng.randint(0, max(days, 0)), hours=rng.randint(9, 18))
    return min(moment, now - timedelta(minutes=5))


def seed_history(*, campaign: Campaign, currency: Currency) -> int:
    """Twelve months of paid claims and payments in four neighbourhoods; the claims it paid."""
    if User.objects.filter(email__endswith=f"@{HISTORY_DOMAIN}").exists():
        return 0
    rng = random.Random(15)  # noqa: S311 - demo data, not security
    manager = User.objects.get(email="taskmanager@heitje.example")
    reviewer = User.objects.get(email="reviewer@heitje.example")
    # Heerlen's first four (migration 0003 adds them; a flushed test database may not have them).
    places = [
        Neighbourhood.objects.get_or_create(municipality="Heerlen", name=name)[0] for name in PLACES
    ]
    shops = list(Shop.objects.filter(account__isnull=False).order_by("pk"))
    with transaction.atomic():
        for shop, where in zip(shops, places[::2], strict=False):
            Shop.objects.filter(pk=shop.pk, neighbourhood__isnull=True).update(neighbourhood=where)
        people = {where.pk: _residents(currency, where, i) for i, where in enumerate(places)}
        tasks = {where.pk: _tasks(campaign, where, manager) for where in places}
    local_shop = {s.neighbourhood_id: s for s in Shop.objects.filter(pk__in=[s.pk for s in shops])}
    paid = 0
    months = months_back(12)
    for i, month in enumerate(months):
        month_start = datetime(month.year, month.month, 1, tzinfo=_zone())
        growing = month.month in (4, 5, 6, 7, 8, 9)
        dates: dict[int, datetime] = {}
        with transaction.atomic():
            for where in places:
                size = max(5, 5 + round(5 * i / 11) - rng.randint(0, 1))
                active = rng.sample(people[where.pk], size)
                for person in active:
                    for _ in range(rng.choice((1, 1, 2))):
                        weights = (4 if growing else 1, 3, 2, 2)
                        task = rng.choices(tasks[where.pk], weights=weights)[0]
                        claim = Claim.objects.create(
                            task=task,
                            resident=person,
                            amount=task.reward,
                            status=ClaimStatus.APPROVED,
                            note="",
                            reviewed_by=reviewer,
                        )
                        dates[claim.pk] = _on(month_start, rng)
            outcomes = claims_pay_batch(claim_ids=list(dates))
            for claim_id, when in dates.items():
                Claim.objects.filter(pk=claim_id).update(
                    reserved_at=when - timedelta(days=2),
                    submitted_at=when,
                    reviewed_at=when + timedelta(hours=20),
                    paid_at=when + timedelta(days=1),
                )
            paid += sum(1 for outcome in outcomes.values() if outcome == PayoutOutcome.PAID)
        with transaction.atomic():
            for where in places:
                for person in rng.sample(people[where.pk], 6):
                    balance = account_balance(account_id=person.resident.wallet_id)
                    if balance < 200:
                        continue
                    nearby = local_shop.get(where.pk) if rng.random() < 0.7 else None
                    shop = nearby or rng.choice(shops)
                    payment = payments.payment_post(
                        shop=shop,
                        payer_account=person.resident.wallet,
                        amount=rng.randint(100, balance * 7 // 10),
                        method=PaymentMethod.RESIDENT_CODE,
                        idempotency_key=f"seed-history-{month:%Y-%m}-{person.pk}",
                        resident=person,
                    )
                    Payment.objects.filter(pk=payment.pk).update(created_at=_on(month_start, rng))
    # Every task holds as many places as it has claims.
    for task_id, taken in (
        Claim.objects.filter(task__campaign=campaign, task__status=TaskStatus.CLOSED)
        .values("task_id")
        .annotate(taken=Count("id"))
        .values_list("task_id", "taken")
    ):
        Task.objects.filter(pk=task_id).update(slots_taken=taken)
    return paid
