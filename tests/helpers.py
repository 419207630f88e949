"""Helpers shared by the test suites (the conftest fixtures wrap them)."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

__all__ = ["PASSWORD", "make_user", "staff_login"]


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
