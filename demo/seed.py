"""A small demo town: the currency, its issuer, a funded budget, wallets, shops and a few
hundred transfers between them. Idempotent: every transfer carries a `seed:` idempotency key,
so a second run finds what the first one wrote and posts nothing new."""

import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from accounts.models import User
from accounts.services import resident_register
from ledger import selectors, services
from ledger.models import Account, AccountKind, Currency, TransferKind
from ledger.services import TransferRequest, legs_between

SCOPE = "seed"
RESIDENTS = [
    "Anna Janssen",
    "Bram Hermans",
    "Chantal Smeets",
    "Dirk Vossen",
    "Esra Yilmaz",
    "Fenna Kleijnen",
    "Gijs Ramakers",
    "Hanna Schmitz",
]
SHOPS = ["Bakkerij Bemelmans", "Fietsenmaker Op de Locht"]
DEMO_ADMIN = ("admin@heitje.example", "heitje-demo-admin")
DEMO_RESIDENT_PASSWORD = "heitje-demo-resident"  # noqa: S105 - published demo login


@dataclass(frozen=True)
class SeedResult:
    currency: Currency
    transfers: int
    logins: list[tuple[str, str, str]]


def _account(currency: Currency, kind: str, name: str) -> Account:
    existing = Account.objects.filter(currency=currency, kind=kind, name=name).first()
    return existing or services.account_open(currency=currency, kind=kind, name=name)


def _resident_wallet(name: str) -> Account:
    email = f"{name.split()[0].lower()}@heitje.example"
    user = User.objects.filter(email=email).first() or resident_register(
        email=email, password=DEMO_RESIDENT_PASSWORD, display_name=name
    )
    return user.resident.wallet


def _requests(
    budget: Account,
    wallets: list[Account],
    shops: list[Account],
    settlement: Account,
    issuer: Account,
) -> list[TransferRequest]:
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    mint = TransferRequest(
        kind=TransferKind.MINT,
        legs=legs_between(source_id=issuer.id, destination_id=budget.id, amount=1_000_000),
        idempotency_scope=SCOPE,
        idempotency_key="mint-1",
        metadata={"note": "Demo campaign budget"},
    )
    requests = [mint]
    held = dict.fromkeys((w.id for w in wallets), 0)
    tasks = [("Paint a bench", 1_500), ("Clean play equipment", 1_200), ("Help a neighbour", 500)]
    for n in range(1, 301):
        wallet = rng.choice(wallets)
        if n % 3 or held[wallet.id] < 500:
            title, amount = rng.choice(tasks)
            legs = legs_between(source_id=budget.id, destination_id=wallet.id, amount=amount)
            kind, meta = TransferKind.PAYOUT, {"task": title}
            held[wallet.id] += amount
        else:
            amount = rng.randint(100, held[wallet.id])
            shop = rng.choice(shops)
            legs = legs_between(source_id=wallet.id, destination_id=shop.id, amount=amount)
            kind, meta = TransferKind.PAYMENT, {"shop": shop.name}
            held[wallet.id] -= amount
        requests.append(
            TransferRequest(
                kind=kind,
                legs=legs,
                idempotency_scope=SCOPE,
                idempotency_key=f"t-{n}",
                metadata=meta,
            )
        )
    requests.append(
        TransferRequest(
            kind=TransferKind.SETTLEMENT,
            legs=legs_between(source_id=shops[0].id, destination_id=settlement.id, amount=2_000),
            idempotency_scope=SCOPE,
            idempotency_key="settle-1",
            metadata={"note": "Redeemed for euros"},
        )
    )
    return requests


def seed_demo() -> SeedResult:
    """Create or complete the demo town; running it again changes nothing."""
    with transaction.atomic():
        currency = services.currency_get_or_create(
            code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
        )
        issuer = selectors.issuer_account(currency=currency)
        budget = _account(currency, AccountKind.BUDGET, "Demo campaign: Schoon Heerlen")
        settlement = _account(currency, AccountKind.SETTLEMENT, "Settlement (euro redemptions)")
        wallets = [_resident_wallet(name) for name in RESIDENTS]
        shops = [_account(currency, AccountKind.SHOP, name) for name in SHOPS]
        transfers = services.transfers_post_batch(
            requests=_requests(budget, wallets, shops, settlement, issuer)
        )
        email, password = DEMO_ADMIN
        if not User.objects.filter(email=email).exists():
            User.objects.create_superuser(email, password, display_name="Demo admin")
    logins = [("admin", email, password)] + [
        ("resident", f"{name.split()[0].lower()}@heitje.example", DEMO_RESIDENT_PASSWORD)
        for name in RESIDENTS[:2]
    ]
    return SeedResult(currency=currency, transfers=len(transfers), logins=logins)
