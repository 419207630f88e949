"""Helpers shared by the test suites (the conftest fixtures wrap them)."""

from django.db import connection
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

__all__ = ["PASSWORD", "audit_rows", "make_user", "staff_login"]


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
