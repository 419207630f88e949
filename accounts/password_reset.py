"""Getting back in without the password: a reset link by mail, made and checked by Django's own
password-reset tokens (django.contrib.auth.tokens.default_token_generator). A token is bound to
the password hash and the last sign-in, so it works once, and it expires after
PASSWORD_RESET_TIMEOUT. The pages are Django's PasswordReset*View with our forms, which call
the services here."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .identity import mail_to, sessions_end_others
from .models import User

# Reset mails one address may be sent per hour: enough to retry, too few to flood an inbox.
MAILS_PER_HOUR = 3


def password_reset_link(*, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password-reset-confirm", kwargs={"uidb64": uid, "token": token})
    return f"{settings.SITE_URL}{path}"


def password_reset_request(*, email: str) -> None:
    """Mail a reset link to the account with this address, in the person's language. Says
    nothing about whether there is one: the caller answers the same either way. At most
    MAILS_PER_HOUR mails per address and hour; more asks are ignored just as silently."""
    email = str(email or "").strip().lower()[:254]
    user = User.objects.filter(email=email, is_active=True, erased_at__isnull=True).first()
    if user is None or not user.has_usable_password():
        return
    key = f"accounts:password-reset:{user.pk}"
    cache.add(key, 0, timeout=60 * 60)
    if cache.incr(key) > MAILS_PER_HOUR:
        return
    mail_to(
        user=user,
        template="password_reset",
        context={
            "link": password_reset_link(user=user),
            "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
        },
    )


def password_reset_complete(*, user: User, new_password: str) -> User:
    """Set the password chosen through a reset link (already checked against the password
    rules by the form). Every session and API token of the person ends: whoever knew the old
    password is out. The person is told by mail."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        sessions_end_others(user=user, current_key=None)
        mail_to(user=user, template="password_changed", context={})
    return user
