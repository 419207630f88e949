"""Fixtures of the paying tests (pay-core): an approved shop with its owner and a cashier, and
residents with funded wallets. Test modules load them with
`pytest_plugins = ["tests.payments.pay_fixtures"]`."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import resident_register
from ledger.models import Transfer
from payments.models import Payment
from shops.models import Shop, ShopMember, ShopRole
from tests.factories import SHOP, ShopFactory, balance
from tests.factories import mint as fund
from tests.helpers import PASSWORD, make_user

# What test modules import from here; the fixtures below are found by pytest_plugins.
__all__ = [
    "SHOP",
    "approved_shop",
    "balance",
    "fund",
    "money_snapshot",
    "new_pem",
    "public_pem",
    "resident",
]


def approved_shop(owner: User, approver: User, **changes) -> Shop:
    return ShopFactory.create(owner=owner, approver=approver, **changes)


def resident(email: str, funded: int = 0) -> User:
    user = resident_register(email=email, password=PASSWORD, display_name=email.split("@")[0])
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    if funded:
        fund(user.resident.wallet_id, funded)
    return user


def new_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def money_snapshot() -> tuple[int, int]:
    """Payments and transfers on record: a refusal leaves both as they were."""
    return Payment.objects.count(), Transfer.objects.count()


@pytest.fixture
def signing_key(settings) -> str:
    """A fresh signing key for the test (not the development key under var/)."""
    pem = new_pem()
    settings.PAYMENT_SIGNING_KEY = pem
    settings.PAYMENT_VERIFY_KEYS = []
    return pem


@pytest.fixture
def approver(db) -> User:
    return make_user("approver@example.org", Role.APPROVER)


@pytest.fixture
def owner(db) -> User:
    return make_user("owner@example.org", Role.RESIDENT)


@pytest.fixture
def shop(owner, approver, signing_key) -> Shop:
    return approved_shop(owner, approver)


@pytest.fixture
def cashier(shop) -> User:
    user = make_user("cashier@example.org")
    ShopMember.objects.create(shop=shop, user=user, role=ShopRole.CASHIER)
    return user


@pytest.fixture
def other_shop(approver) -> Shop:
    other_owner = make_user("other-owner@example.org", Role.RESIDENT)
    return approved_shop(other_owner, approver, name="Slagerij Hoensbroek")


@pytest.fixture
def anna(db) -> User:
    return resident("anna@example.org", funded=20_000)


@pytest.fixture
def bert(db) -> User:
    return resident("bert@example.org", funded=5_000)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The till's failure counters live in the cache: start each test with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
