"""Helpers shared by the test suites (the conftest fixtures wrap them)."""

from datetime import UTC, datetime

from django.db import connection
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ResidentProfile, User
from payments.models import Settlement, SettlementStatus
from shops.models import Shop
from tests.factories import PASSWORD, SHOP, ResidentFactory, ShopFactory, UserFactory

__all__ = [
    "PASSWORD",
    "audit_rows",
    "make_user",
    "resident_rows",
    "settlement_rows",
    "shop_rows",
    "staff_login",
]

BUSY_SECOND = datetime(2026, 1, 1, tzinfo=UTC)


def make_user(email: str, *roles: str, **extra) -> User:
    """A person with the given roles and a verified email, signing in with PASSWORD."""
    return UserFactory.create(email=email, roles=roles, **extra)


def staff_login(client, user: User) -> TOTPDevice:
    """Sign `user` in on a test client with a session that passed TOTP: a confirmed device of
    theirs, marked verified in the session as django-otp's login does."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def audit_rows(count, ties_every=3):
    """`count` audit events written straight into the table, every `ties_every` of them at the
    same moment (a busy second), so the pages must also split rows of equal time."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_auditevent "
            "(actor_label, action, target_type, target_id, detail, user_agent, created_at) "
            "SELECT 'tm@example.org', 'neighbourhood.rename', 'neighbourhood', n::text, '{}', '', "
            "timestamptz '2026-01-01' + (n / %s) * interval '1 second' "
            "FROM generate_series(1, %s) AS n",
            [ties_every, count],
        )


def resident_rows(count):
    """`count` residents, every other one verified, all signed up in the same second."""
    made = [ResidentFactory.create(verified=False) for _ in range(count)]
    ResidentProfile.objects.filter(user__in=made[::2]).update(residency_verified_at=BUSY_SECOND)
    User.objects.filter(pk__in=[u.pk for u in made]).update(date_joined=BUSY_SECOND)
    return [u.pk for u in made]


def shop_rows(count):
    """`count` pending shops applied for in the same second, every other one also asking for a
    new name, all in one same second too (the cursor splits the tie by id); and one approved
    shop (with its ledger account)."""
    owner = UserFactory.create()
    Shop.objects.bulk_create(
        Shop(**{**SHOP, "name": f"Winkel {n}"}, created_by=owner) for n in range(count)
    )
    Shop.objects.update(created_at=BUSY_SECOND)
    pending = list(Shop.objects.order_by("id").values_list("id", flat=True))
    Shop.objects.filter(pk__in=pending[::2]).update(
        pending_name="Nieuwe naam", pending_address="Markt 1", change_requested_at=BUSY_SECOND
    )
    approved = ShopFactory.create().pk
    return pending, approved


def settlement_rows(count):
    """`count` settlements of one shop, requested in the same second, every other one
    approved."""
    shop = ShopFactory.create()
    finance = UserFactory.create(roles=["finance"])
    made = [
        Settlement.objects.create(shop=shop, amount=100 + n, iban=shop.iban, requested_by=finance)
        for n in range(count)
    ]
    Settlement.objects.update(requested_at=BUSY_SECOND)
    Settlement.objects.filter(pk__in=[s.pk for s in made[1::2]]).update(
        status=SettlementStatus.APPROVED, decided_by=make_user("ap@example.org", "approver")
    )
    return [s.pk for s in made]
