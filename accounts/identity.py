"""Who a person is and how they prove it: email verification, signing in, their own profile,
password and email changes (with the password typed again), and their sessions.

Links in mail carry a token signed with the SECRET_KEY (django.core.signing) instead of a row
in the database: it names the person and the address it was sent to, so a link for an address
that has since changed no longer works, and it expires after EMAIL_VERIFICATION_MAX_AGE. An
email-change link is also bound to when the current address was confirmed, which its use moves:
it works once, even if the address is later changed back.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp import devices_for_user

from . import tokens
from .errors import (
    DomainError,
    LockedOut,
    NotFound,
    ProfileRefused,
    ReauthenticationRequired,
    VerificationRefused,
)
from .models import ApiToken, Neighbourhood, ResidentProfile, SessionRecord, User
from .signin_slowdown import (
    signin_attempt_give_back,
    signin_attempt_succeeded,
    signin_attempt_take,
)
from .tasks import mail_template
from .text import line_clean

VERIFY_SALT = "accounts.identity.verify-email"
EMAIL_CHANGE_SALT = "accounts.identity.change-email"


class InvalidCredentials(DomainError, code="invalid-credentials", status=400): ...


class EmailNotVerified(DomainError, code="email-not-verified", status=403): ...


def _locked_out() -> LockedOut:
    return LockedOut(_("Too many failed sign-in attempts. Wait 15 minutes and try again."))


def mail_to(*, user: User, to: str | None = None, template: str, context: dict[str, Any]) -> None:
    """Mail the person (at `to` when given, e.g. a new address) in their preferred language."""
    mail_template(
        to=to or user.email,
        template=template,
        context={"user": user, **context},
        language=user.preferred_language,
    )


# --- Email verification --------------------------------------------------------------------


def email_verification_token(*, user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT)


def email_verification_link(*, user: User) -> str:
    return f"{settings.SITE_URL}/verify-email/{email_verification_token(user=user)}/"


def email_verification_send(*, user: User) -> None:
    """Mail the person a link that confirms their address (once the transaction commits)."""
    mail_to(
        user=user,
        template="verify_email",
        context={
            "link": email_verification_link(user=user),
            "days": max(1, settings.EMAIL_VERIFICATION_MAX_AGE // 86400),
        },
    )


def _token_load(token: str, *, salt: str, keys: tuple[str, ...]) -> dict[str, Any]:
    try:
        data = signing.loads(
            str(token or "")[:1000], salt=salt, max_age=settings.EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.SignatureExpired:
        raise VerificationRefused(
            _("This link has expired. Ask for a new one."), field="token"
        ) from None
    except signing.BadSignature:
        raise VerificationRefused(
            _("This link is not valid. Copy the whole link from the mail, or ask for a new one."),
            field="token",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise VerificationRefused(_("This link is not valid."), field="token")
    if not all(isinstance(data.get(k), str) for k in keys):
        raise VerificationRefused(_("This link is not valid."), field="token")
    return data


def email_verify(*, token: str) -> User:
    """Follow a verification link: marks the address verified (again is harmless). A link that
    expired, was altered, or was sent to an address the person no longer has changes nothing."""
    return email_confirm(token=token)[0]


def email_confirm(*, token: str) -> tuple[User, bool]:
    """email_verify, also saying whether this link confirmed the address just now (the first
    time it was followed): only then may following it sign the person in."""
    data = _token_load(token, salt=VERIFY_SALT, keys=("e",))
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(pk=data["u"], erased_at__isnull=True, is_active=True)
            .first()
        )
        if user is None or user.email != data["e"]:
            raise VerificationRefused(
                _("This link is for an email address that is no longer on the account."),
                field="token",
            )
        newly = user.email_verified_at is None
        if newly:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
    return user, newly


def email_verification_resend(*, email: str) -> None:
    """Send the verification link again. Says nothing about whether the address has an
    account: the caller answers the same either way."""
    email = str(email or "").strip().lower()[:254]
    user = User.objects.filter(
        email=email, is_active=True, erased_at__isnull=True, email_verified_at__isnull=True
    ).first()
    if user is not None:
        email_verification_send(user=user)


# --- Signing in ----------------------------------------------------------------------------


def _password_check(*, request: HttpRequest, email: str, password: str) -> User | None:
    """The person with this email address and password, or None; raises LockedOut while
    django-axes locks the (email address, IP) pair or the email address must wait
    (signin_slowdown)."""
    signin_attempt_take(email=email)
    # django-axes reads the username from the credential named AXES_USERNAME_FORM_FIELD
    # ("email"); ModelBackend falls back to USERNAME_FIELD ("email") too.
    user = authenticate(request=request, email=email, password=password)
    if getattr(request, "axes_locked_out", False):
        signin_attempt_give_back(email=email)
        raise _locked_out()
    if not isinstance(user, User):
        return None
    signin_attempt_succeeded(email=email)
    return user


def sign_in_attempts_left(*, request: HttpRequest, email: str) -> int:
    """How many more wrong passwords for this email address from this client django-axes
    allows before it locks sign-in for AXES_COOLOFF_TIME (0: locked)."""
    from axes.handlers.proxy import AxesProxyHandler
    from axes.helpers import get_failure_limit

    credentials = {settings.AXES_USERNAME_FORM_FIELD: str(email or "").strip().lower()}
    failures = AxesProxyHandler.get_failures(request, credentials)
    return max(0, get_failure_limit(request, credentials) - failures)


def sign_in(*, request: HttpRequest, email: str, password: str) -> User:
    """Check an email address and password, for the page and the API alike.

    Goes through django.contrib.auth.authenticate with the Django request, so django-axes counts
    failures per email address and IP and refuses a locked-out pair even with the right
    password; attempts for one email address from anywhere are slowed down after a while
    (signin_slowdown). Only a person whose email address is verified may sign in; that is
    said only to someone who gave the right password.
    """
    email = str(email or "").strip().lower()
    user = _password_check(request=request, email=email, password=password)
    if user is None:
        raise InvalidCredentials(_("The email address or the password is not right."))
    if user.email_verified_at is None:
        raise EmailNotVerified(
            _(
                "Confirm your email address first: follow the link in the mail we sent you. "
                "No mail? Ask for a new link."
            ),
            field="email",
        )
    return user


def reauthenticate(
    *, user: User, password: str, request: HttpRequest | None = None, field: str = "password"
) -> None:
    """The person types their password again before a sensitive change. With a request it goes
    through authenticate(), so wrong guesses count towards the sign-in lockout."""
    if request is not None:
        checked = _password_check(request=request, email=user.email, password=password)
        ok = checked is not None and checked.pk == user.pk
    else:
        ok = user.check_password(password)
    if not ok:
        raise ReauthenticationRequired(_("That password is not right."), field=field)


# --- Profile -------------------------------------------------------------------------------

PROFILE_FIELDS = ("display_name", "neighbourhood", "preferred_language")


def profile_update(*, user: User, data: Mapping[str, Any]) -> User:
    """Change one's own display name, neighbourhood (residents) and language. Only the given
    keys change; everything is checked before anything is written."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ProfileRefused(_("These cannot be changed here."), field=sorted(unknown)[0])
    changes: dict[str, Any] = {}
    if "display_name" in data:
        changes["display_name"] = line_clean(data["display_name"])
        if not 0 < len(changes["display_name"]) <= 100:
            raise ProfileRefused(_("A display name has 1 to 100 characters."), field="display_name")
    if "preferred_language" in data:
        if data["preferred_language"] not in dict(settings.LANGUAGES):
            raise ProfileRefused(
                _("Choose one of the offered languages."), field="preferred_language"
            )
        changes["preferred_language"] = data["preferred_language"]
    with transaction.atomic():
        if "neighbourhood" in data:
            profile = ResidentProfile.objects.select_for_update().filter(user=user).first()
            if profile is None:
                raise ProfileRefused(
                    _("Only residents have a neighbourhood."), field="neighbourhood"
                )
            neighbourhood = None
            if data["neighbourhood"] is not None:
                neighbourhood = Neighbourhood.objects.filter(pk=data["neighbourhood"]).first()
                if neighbourhood is None:
                    raise ProfileRefused(
                        _("There is no such neighbourhood."), field="neighbourhood"
                    )
            profile.neighbourhood = neighbourhood
            profile.save(update_fields=["neighbourhood"])
        if changes:
            for name, value in changes.items():
                setattr(user, name, value)
            user.save(update_fields=list(changes))
    return user


# --- Sessions ------------------------------------------------------------------------------


def _session_store(key: str) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


def _sessions_end(records: list[SessionRecord]) -> int:
    """End sessions: gone from the session store (the browser is signed out on its next
    request) and marked ended in the list."""
    for record in records:
        _session_store(record.session_key).delete()
    ids = [r.pk for r in records]
    SessionRecord.objects.filter(pk__in=ids).update(ended_at=timezone.now())
    return len(ids)


def session_mark_ended(*, session_key: str) -> None:
    """Signing out: the session's record shows it ended."""
    SessionRecord.objects.filter(session_key=session_key, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )


def session_rekey(*, old_key: str, new_key: str | None) -> None:
    """The session kept its person but got a new key (after a password change): its record
    follows it."""
    if new_key and new_key != old_key:
        SessionRecord.objects.filter(session_key=old_key).update(session_key=new_key)


def session_list(*, user: User) -> list[SessionRecord]:
    """One's own sessions that have not ended, most recently used first."""
    return list(
        SessionRecord.objects.filter(user=user, ended_at__isnull=True).order_by(
            "-last_seen_at", "-id"
        )
    )


def session_end(*, user: User, session_id: int) -> SessionRecord:
    """End one of one's own sessions. Someone else's session is not found, never ended."""
    with transaction.atomic():
        record = (
            SessionRecord.objects.select_for_update()
            .filter(pk=session_id, user=user, ended_at__isnull=True)
            .first()
        )
        if record is None:
            raise NotFound(_("There is no such session."))
        _sessions_end([record])
    return record


def sessions_end_others(
    *, user: User, current_key: str | None, current_token: ApiToken | None = None
) -> int:
    """End every session and revoke every API token of the person except the current one (the
    session `current_key`, or the token `current_token` the request uses). Returns how many
    sessions and tokens ended."""
    with transaction.atomic():
        records = list(
            SessionRecord.objects.select_for_update()
            .filter(user=user, ended_at__isnull=True)
            .exclude(session_key=current_key or "")
        )
        revoked = tokens.api_tokens_revoke_all(user=user, keep=current_token)
        return _sessions_end(records) + revoked


def sessions_end_all(*, user: User) -> None:
    """End every session and revoke every API token and authenticator device (account
    erasure)."""
    _sessions_end(list(SessionRecord.objects.filter(user=user, ended_at__isnull=True)))
    tokens.api_tokens_revoke_all(user=user)
    for device in devices_for_user(user, confirmed=None):
        device.delete()


# --- Password and email changes ------------------------------------------------------------


def password_change(
    *,
    user: User,
    current_password: str,
    new_password: str,
    request: HttpRequest | None = None,
    current_key: str | None = None,
    current_token: ApiToken | None = None,
) -> User:
    """Change one's password: the current one first, a strong new one, and every other session
    and API token ends (the caller keeps the current session with update_session_auth_hash, or
    the token `current_token` it used)."""
    reauthenticate(user=user, password=current_password, request=request, field="current_password")
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ProfileRefused(" ".join(exc.messages), field="new_password") from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        sessions_end_others(user=user, current_key=current_key, current_token=current_token)
        mail_to(user=user, template="password_changed", context={})
    return user


def email_change_request(
    *, user: User, password: str, new_email: str, request: HttpRequest | None = None
) -> None:
    """Ask to change one's email address: the password first; the new address must be free;
    a link goes to the new address and the change happens only when it is followed. The old
    address is told, so a stranger's change does not go unnoticed."""
    reauthenticate(user=user, password=password, request=request)
    new_email = str(new_email or "").strip().lower()
    try:
        if len(new_email) > 254:
            raise ValidationError("too long")
        validate_email(new_email)
    except ValidationError:
        raise ProfileRefused(_("That is not a valid email address."), field="new_email") from None
    if new_email == user.email:
        raise ProfileRefused(_("That is already your email address."), field="new_email")
    if User.objects.filter(email__iexact=new_email).exists():
        raise ProfileRefused(
            _("Another account already uses this email address."), field="new_email"
        )
    token = signing.dumps(
        {"u": user.pk, "o": user.email, "n": new_email, "s": _email_stamp(user)},
        salt=EMAIL_CHANGE_SALT,
    )
    link = f"{settings.SITE_URL}/account/email/confirm/{token}/"
    mail_to(user=user, to=new_email, template="email_change", context={"link": link})
    mail_to(user=user, template="email_change_notice", context={"new_email": new_email})


def _email_stamp(user: User) -> str:
    """What an email-change link is bound to besides the address: when the current address was
    confirmed. Every confirmed change moves it, so a link works once: after the address changed
    (even back to the one the link was asked from) the link is dead."""
    confirmed = user.email_verified_at.isoformat() if user.email_verified_at else ""
    return salted_hmac(EMAIL_CHANGE_SALT, f"{user.pk}:{user.email}:{confirmed}").hexdigest()[:32]


def email_change_confirm(*, token: str) -> User:
    """Follow the link sent to the new address: the address changes (and counts as verified)
    if the account still has the address the request was made from, unchanged since (a link
    works once), and the new one is free. Following it again right away changes nothing."""
    data = _token_load(token, salt=EMAIL_CHANGE_SALT, keys=("o", "n", "s"))
    try:
        with transaction.atomic():
            user = (
                User.objects.select_for_update()
                .filter(pk=data["u"], erased_at__isnull=True, is_active=True)
                .first()
            )
            if user is not None and user.email == data["n"]:
                return user  # followed before
            if (
                user is None
                or user.email != data["o"]
                or not constant_time_compare(_email_stamp(user), data["s"])
            ):
                raise VerificationRefused(
                    _("This link is for an email address that is no longer on the account."),
                    field="token",
                )
            if User.objects.filter(email__iexact=data["n"]).exists():
                raise IntegrityError("email taken")
            user.email = data["n"]
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email", "email_verified_at"])
    except IntegrityError:
        raise VerificationRefused(
            _("Another account already uses this email address."), field="token"
        ) from None
    return user
