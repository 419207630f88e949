"""A small demo town: the currency, its issuer, a funded budget, wallets, shops and a few
hundred transfers between them. Idempotent: every transfer carries a `seed:` idempotency key,
so a second run finds what the first one wrote and posts nothing new."""

import base64
import hashlib
import io
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Neighbourhood, Role, RoleGrant, User
from accounts.services import resident_register
from ledger import selectors, services
from ledger.models import Account, AccountKind, Currency, TransferKind
from ledger.services import TransferRequest, legs_between
from rewards.claims import claim_reserve, claim_submit
from rewards.models import Campaign, MintRequest, MintStatus, TaskCategory
from rewards.work import task_create, task_publish
from shops.models import Shop, ShopCategory, ShopMember, ShopRole, ShopStatus

from .history import seed_history

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
DEMO_STAFF_PASSWORD = "heitje-demo-staff"  # noqa: S105 - published demo login
DEMO_SHOP_PASSWORD = "heitje-demo-shop"  # noqa: S105 - published demo login
# Every demo staff member's authenticator shares this published TOTP secret.
DEMO_TOTP_KEY = hashlib.sha1(b"heitje-demo-totp", usedforsecurity=False).hexdigest()
DEMO_TOTP_SECRET = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
STAFF = [
    ("taskmanager@heitje.example", "Tessa Taakbeheer", Role.TASK_MANAGER),
    ("reviewer@heitje.example", "Ruud Reviewer", Role.REVIEWER),
    ("approver@heitje.example", "Anouk Akkoord", Role.APPROVER),
    ("finance@heitje.example", "Frank Financien", Role.FINANCE),
]
# (shop, owner email, owner name, cashier email, cashier name, category, IBAN)
SHOP_PEOPLE = [
    (
        "Bakkerij Bemelmans",
        "bakker@heitje.example",
        "Bert Bemelmans",
        "kassa@heitje.example",
        "Kim Kassa",
        ShopCategory.BAKERY,
        "NL91ABNA0417164300",
    ),
    (
        "Fietsenmaker Op de Locht",
        "fietsen@heitje.example",
        "Femke Op de Locht",
        "",
        "",
        ShopCategory.SERVICES,
        "NL20INGB0001234567",
    ),
]


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
    User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(
        email_verified_at=timezone.now()
    )
    return user.resident.wallet


def _person(email: str, password: str, name: str, *roles: str, superuser: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        make = User.objects.create_superuser if superuser else User.objects.create_user
        user = make(email, password, display_name=name, email_verified_at=timezone.now())
    for role in roles:
        RoleGrant.objects.get_or_create(user=user, role=role)
    return user


def _staff(email: str, password: str, name: str, role: str, *, superuser: bool = False) -> None:
    user = _person(email, password, name, role, superuser=superuser)
    if not TOTPDevice.objects.filter(user=user).exists():
        TOTPDevice.objects.create(user=user, name="Demo authenticator", key=DEMO_TOTP_KEY)


def _shops(accounts: list[Account], admin: User) -> None:
    for account, (name, owner_email, owner, cashier_email, cashier, category, iban) in zip(
        accounts, SHOP_PEOPLE, strict=True
    ):
        owner_user = _person(owner_email, DEMO_SHOP_PASSWORD, owner)
        shop = Shop.objects.filter(account=account).first() or Shop.objects.create(
            name=name,
            address=f"{name}, Heerlen",
            category=category,
            iban=iban,
            status=ShopStatus.APPROVED,
            account=account,
            created_by=owner_user,
            reviewed_by=admin,
            reviewed_at=timezone.now(),
        )
        ShopMember.objects.get_or_create(shop=shop, user=owner_user, role=ShopRole.OWNER)
        if cashier_email:
            cashier_user = _person(cashier_email, DEMO_SHOP_PASSWORD, cashier)
            ShopMember.objects.get_or_create(shop=shop, user=cashier_user, role=ShopRole.CASHIER)


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


# (title nl, title de, title en, category, reward in cents, minutes, capacity)
DEMO_TASKS = [
    (
        "Bank schilderen in het park",
        "Parkbank streichen",
        "Paint a park bench",
        TaskCategory.PAINTING,
        1_500,
        180,
        6,
    ),
    (
        "Speeltoestellen schoonmaken",
        "Spielgeräte reinigen",
        "Clean play equipment",
        TaskCategory.PLAY_AREAS,
        1_200,
        150,
        8,
    ),
    (
        "Zwerfafval opruimen langs de Geleenbeek",
        "Müll sammeln am Geleenbeek",
        "Pick up litter along the Geleenbeek",
        TaskCategory.LITTER,
        500,
        60,
        20,
    ),
    (
        "Boodschappen doen voor een buur",
        "Einkaufen für Nachbarn",
        "Do shopping for a neighbour",
        TaskCategory.SOCIAL_HELP,
        500,
        60,
        10,
    ),
]


def _rewards(budget: Account, mint_transfer_id: int) -> None:
    """The demo campaign around the seeded budget: its two-person mint on record, published
    tasks, and claims in several states for the wallet and the review queue."""
    if Campaign.objects.filter(budget=budget).exists():
        return
    manager = User.objects.get(email="taskmanager@heitje.example")
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="Schoon Heerlen 2026",
        description="Samen houden we de wijk schoon, groen en gezellig.",
        starts_on=today - timedelta(days=365),
        ends_on=today + timedelta(days=335),
        budget=budget,
        created_by=manager,
    )
    MintRequest.objects.create(
        campaign=campaign,
        amount=1_000_000,
        reason="Demo campaign budget",
        status=MintStatus.APPROVED,
        requested_by=User.objects.get(email="finance@heitje.example"),
        decided_by=User.objects.get(email="approver@heitje.example"),
        decided_at=timezone.now(),
        transfer_id=mint_transfer_id,
    )
    now = timezone.now()
    neighbourhoods = list(Neighbourhood.objects.order_by("name")[:4])
    tasks = []
    for n, (nl, de, en, category, reward, minutes, capacity) in enumerate(DEMO_TASKS):
        task = task_create(
            actor=manager,
            campaign_id=campaign.pk,
            fields={
                "title_nl": nl,
                "title_de": de,
                "title_en": en,
                "description_nl": f"{nl}. Materiaal ligt klaar in de klusbox.",
                "description_de": f"{de}. Material liegt in der Klusbox bereit.",
                "description_en": f"{en}. Materials are ready in the klusbox.",
                "category": category,
                "neighbourhood_id": neighbourhoods[n % len(neighbourhoods)].pk
                if neighbourhoods
                else None,
                "reward": reward,
                "estimated_minutes": minutes,
                "capacity": capacity,
                "starts_at": now - timedelta(days=1),
                "ends_at": now + timedelta(days=60),
                "photo_required": category != TaskCategory.SOCIAL_HELP,
                "materials_where": "Wijkcentrum, Akerstraat 10",
                "materials_where_de": "Stadtteilzentrum, Akerstraat 10",
                "materials_where_en": "Community centre, Akerstraat 10",
                "materials_when": "ma-vr 9:00-17:00",
                "materials_when_de": "Mo-Fr 9:00-17:00",
                "materials_when_en": "Mon-Fri 9:00-17:00",
            },
        )
        tasks.append(task_publish(actor=manager, task_id=task.pk))
    anna = User.objects.get(email="anna@heitje.example")
    chantal = User.objects.get(email="chantal@heitje.example")
    claim_reserve(user=chantal, task_id=tasks[2].pk)
    submitted = claim_reserve(user=anna, task_id=tasks[0].pk)
    claim_submit(
        user=anna,
        claim_id=submitted.pk,
        photos=[_demo_photo()],
        note="Bank bij de vijver is geschuurd en geschilderd.",
    )


def _demo_photo() -> io.BytesIO:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (46, 125, 50)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = "bench.jpg"
    return buffer


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
        _staff(email, password, "Demo admin", Role.ADMIN, superuser=True)
        for staff_email, staff_name, role in STAFF:
            _staff(staff_email, DEMO_STAFF_PASSWORD, staff_name, role)
        _shops(shops, User.objects.get(email=email))
        mint = next(t for t in transfers if t.kind == TransferKind.MINT)
        # Two residents are verified as living in Heerlen; the others show the unverified state.
        for user in User.objects.filter(email__in=["anna@heitje.example", "bram@heitje.example"]):
            profile = user.resident
            if profile.residency_verified_at is None:
                profile.residency_verified_at = timezone.now()
                profile.residency_method = "staff"
                profile.save(update_fields=["residency_verified_at", "residency_method"])
    # Outside the seed's transaction: claims and evidence files commit one by one.
    _rewards(budget, mint.pk)
    # A year of paid work and spending in four neighbourhoods, for the impact page.
    seed_history(campaign=Campaign.objects.get(budget=budget), currency=currency)
    logins = (
        [("admin", email, password)]
        + [(role.value, mail, DEMO_STAFF_PASSWORD) for mail, _name, role in STAFF]
        + [
            ("resident", f"{name.split()[0].lower()}@heitje.example", DEMO_RESIDENT_PASSWORD)
            for name in RESIDENTS[:3]
        ]
        + [("shop owner", row[1], DEMO_SHOP_PASSWORD) for row in SHOP_PEOPLE]
        + [("cashier", row[3], DEMO_SHOP_PASSWORD) for row in SHOP_PEOPLE if row[3]]
    )
    return SeedResult(currency=currency, transfers=len(transfers), logins=logins)
