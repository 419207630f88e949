"""Writes about people: sign-up, roles. Money moves only through ledger.services."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ledger import services as ledger_services
from ledger.models import AccountKind

from . import audit, identity, signals
from .errors import (
    EmailTaken,
    NotAllowed,
    NotAResident,
    RegistrationRefused,
    ResidencyRefused,
    UnknownResident,
)
from .models import InviteCode, Neighbourhood, ResidentProfile, Role, RoleGrant, User
from .text import line_clean

BIRTH_YEAR_FIRST = 1900
# Said on the sign-up page next to the field, by the API and on the staff residents list alike.
BIRTH_YEAR_RULE = gettext_lazy("A birth year is from 1900 to this year, or left empty.")


def birth_year_valid(birth_year: int) -> bool:
    return BIRTH_YEAR_FIRST <= birth_year <= timezone.localdate().year


def birth_year_check(birth_year: int | None) -> None:
    """An optional birth year (only the youth hourly rate reads it) is from 1900 to this year."""
    if birth_year is not None and not birth_year_valid(birth_year):
        raise RegistrationRefused(str(BIRTH_YEAR_RULE), field="birth_year")


def resident_register(
    *,
    email: str,
    password: str,
    display_name: str,
    neighbourhood_id: int | None = None,
    language: str | None = None,
    birth_year: int | None = None,
) -> User:
    """Sign a resident up: the person, the resident role and an empty wallet, all or nothing.

    The email is unique without regard to case; the password must pass the validators. A link
    to confirm the email address is mailed after commit, in the chosen language; signing in
    waits for it. The resident is not yet verified as living in the municipality, so is not
    paid until they are.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise RegistrationRefused(_("That is not a valid email address."), field="email") from None
    display_name = line_clean(display_name)
    if not 0 < len(display_name) <= 100:
        raise RegistrationRefused(
            _("A display name has 1 to 100 characters."), field="display_name"
        )
    language = language or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        raise RegistrationRefused(_("The language is nl, de or en."), field="language")
    neighbourhood = None
    if neighbourhood_id is not None:
        neighbourhood = Neighbourhood.objects.filter(pk=neighbourhood_id).first()
        if neighbourhood is None:
            raise RegistrationRefused(_("There is no such neighbourhood."), field="neighbourhood")
    birth_year_check(birth_year)
    candidate = User(email=email, display_name=display_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise RegistrationRefused(" ".join(exc.messages), field="password") from None
    currency = ledger_services.currency_get_or_create(
        code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
    )
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, password, display_name=display_name, preferred_language=language
            )
            RoleGrant.objects.create(user=user, role=Role.RESIDENT)
            wallet = ledger_services.account_open(
                currency=currency, kind=AccountKind.WALLET, name=f"Wallet of {display_name}"
            )
            ResidentProfile.objects.create(
                user=user, neighbourhood=neighbourhood, wallet=wallet, birth_year=birth_year
            )
            identity.email_verification_send(user=user)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
        if "email" not in constraint:
            raise
        raise EmailTaken(
            _("An account with this email address already exists."), field="email"
        ) from None
    return user


def resident_sign_up(
    *,
    email: str,
    password: str,
    display_name: str,
    neighbourhood_id: int | None = None,
    language: str | None = None,
    birth_year: int | None = None,
) -> str:
    """Sign-up as the public asks for it, on the page and in the API: it answers alike whether
    or not the address already has an account, so it cannot be used to find out who has one.

    The input is checked the same way for both (a weak password is refused either way). A new
    address gets an account and the link to confirm it (`resident_register`); the owner of a
    taken address gets a mail that someone tried to sign up with it, with a way to sign in
    (and the link to confirm it, if they never did): at most one an hour. Nothing else changes
    for a taken address. Returns the address as normalised, to tell the caller where to look.
    """
    try:
        user = resident_register(
            email=email,
            password=password,
            display_name=display_name,
            neighbourhood_id=neighbourhood_id,
            language=language,
            birth_year=birth_year,
        )
    except EmailTaken:
        email = email.strip().lower()
        _sign_up_attempt_notify(email=email)
        return email
    return user.email


SIGN_UP_ATTEMPT_NOTICE_EVERY = 60 * 60  # seconds: one notice per address, however many tries


def _sign_up_attempt_notify(*, email: str) -> None:
    owner = User.objects.filter(email__iexact=email, is_active=True, erased_at__isnull=True).first()
    if owner is None:
        return  # an erased or deactivated account: nobody to tell
    # Repeated sign-ups with someone's address must not flood their inbox.
    key = "sign-up-attempt:" + hashlib.sha256(owner.email.encode()).hexdigest()
    if not cache.add(key, 1, timeout=SIGN_UP_ATTEMPT_NOTICE_EVERY):
        return
    context = {"login_link": f"{settings.SITE_URL}/login/"}
    if owner.email_verified_at is None:
        context["verify_link"] = identity.email_verification_link(user=owner)
    identity.mail_to(user=owner, template="sign_up_attempt", context=context)


# Letters and digits that cannot be mistaken for one another on a printed letter.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 12  # 60 bits: guessing is hopeless and sign-up is rate limited
MAX_BATCH = 5000
VERIFIER_ROLES = {Role.REVIEWER, Role.ADMIN}


def _code_hash(code: str) -> str:
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def _require_role(user: User, roles: set[Role], what: str) -> None:
    if not RoleGrant.objects.filter(user=user, role__in=roles).exists():
        raise NotAllowed(_("Only %(who)s may do this.") % {"who": what})


def invite_codes_generate(
    *, created_by: User, count: int, valid_days: int, batch: str
) -> list[str]:
    """Generate a batch of single-use residency codes for municipal letters; returns the codes
    (shown once: only their hashes are kept). Only reviewers and administrators may."""
    _require_role(created_by, VERIFIER_ROLES, _("reviewers and administrators"))
    if not 1 <= count <= MAX_BATCH:
        raise ResidencyRefused(
            _("A batch has 1 to %(max)d codes.") % {"max": MAX_BATCH}, field="count"
        )
    if not 1 <= valid_days <= 366:
        raise ResidencyRefused(_("Codes stay valid for 1 to 366 days."), field="valid_days")
    batch = (batch or "").strip()
    if not 0 < len(batch) <= 100:
        raise ResidencyRefused(_("A batch needs a name of 1 to 100 characters."), field="batch")
    codes = [
        "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH)) for _ in range(count)
    ]
    expires_at = timezone.now() + timedelta(days=valid_days)
    with transaction.atomic():
        InviteCode.objects.bulk_create(
            InviteCode(
                code_hash=_code_hash(c), batch=batch, created_by=created_by, expires_at=expires_at
            )
            for c in codes
        )
        audit.record(
            actor=created_by,
            action="invite_codes.generate",
            detail={"batch": batch, "count": count, "valid_days": valid_days},
        )
    return [f"{c[:4]}-{c[4:8]}-{c[8:]}" for c in codes]


def _announce_residency(user: User) -> None:
    transaction.on_commit(lambda: signals.residency_verified.send(sender=User, user=user))


def residency_verify_with_code(*, user: User, code: str) -> ResidentProfile:
    """Verify a resident's residency with a code from a municipal letter. A code works once,
    until it expires, and only for someone not yet verified (who then keeps it unused)."""
    with transaction.atomic():
        profile = ResidentProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            raise NotAResident(_("Only residents can verify their residency."))
        if profile.residency_verified_at is not None:
            raise ResidencyRefused(_("You are already verified as a resident."), field="code")
        invite = (
            InviteCode.objects.select_for_update().filter(code_hash=_code_hash(code or "")).first()
        )
        if invite is None:
            raise ResidencyRefused(
                _("That code is not valid. Check the letter and try again."), field="code"
            )
        if invite.used_by_id is not None:
            raise ResidencyRefused(_("That code has already been used."), field="code")
        if invite.created_by_id == user.pk:
            # Staff who generate letter codes never verify themselves with one (as with
            # verification by staff, nobody confirms their own residency).
            raise NotAllowed(_("Nobody can verify their own residency."))
        now = timezone.now()
        if invite.expires_at <= now:
            raise ResidencyRefused(
                _("That code has expired. Ask the municipality for a new one."), field="code"
            )
        invite.used_by, invite.used_at = user, now
        invite.save(update_fields=["used_by", "used_at"])
        profile.residency_verified_at, profile.residency_method = now, "invite_code"
        profile.save(update_fields=["residency_verified_at", "residency_method"])
        _announce_residency(user)
    return profile


def residency_verify_by_staff(*, staff: User, resident_id: int) -> ResidentProfile:
    """A reviewer or administrator confirms that a resident lives in the municipality. Nobody
    verifies themselves."""
    _require_role(staff, VERIFIER_ROLES, _("reviewers and administrators"))
    with transaction.atomic():
        profile = ResidentProfile.objects.select_for_update().filter(user_id=resident_id).first()
        if profile is None:
            raise UnknownResident(_("There is no such resident."))
        if profile.user_id == staff.pk:
            raise NotAllowed(_("Nobody can verify their own residency."))
        if profile.residency_verified_at is None:
            profile.residency_verified_at = timezone.now()
            profile.residency_verified_by = staff
            profile.residency_method = "staff"
            profile.save(
                update_fields=["residency_verified_at", "residency_verified_by", "residency_method"]
            )
            audit.record(actor=staff, action="resident.verify_residency", target=profile.user)
            _announce_residency(profile.user)
    return profile
