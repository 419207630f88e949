"""Writes about people: sign-up, roles. Money moves only through ledger.services."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from ledger import services as ledger_services
from ledger.models import AccountKind

from .errors import RegistrationRefused
from .models import Neighbourhood, ResidentProfile, Role, RoleGrant, User

LANGUAGES = {"nl", "de", "en"}


def resident_register(
    *,
    email: str,
    password: str,
    display_name: str,
    neighbourhood_id: int | None = None,
    language: str = "nl",
) -> User:
    """Sign a resident up: the person, the resident role and an empty wallet, all or nothing.

    The email is unique without regard to case; the password must pass the validators. The
    resident is not yet verified as living in the municipality, so is not paid until they are.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise RegistrationRefused("That is not a valid email address.", field="email") from None
    display_name = (display_name or "").strip()
    if not 0 < len(display_name) <= 100:
        raise RegistrationRefused("A display name has 1 to 100 characters.", field="display_name")
    if language not in LANGUAGES:
        raise RegistrationRefused("The language is nl, de or en.", field="language")
    neighbourhood = None
    if neighbourhood_id is not None:
        neighbourhood = Neighbourhood.objects.filter(pk=neighbourhood_id).first()
        if neighbourhood is None:
            raise RegistrationRefused("There is no such neighbourhood.", field="neighbourhood")
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
            ResidentProfile.objects.create(user=user, neighbourhood=neighbourhood, wallet=wallet)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
        if "email" not in constraint:
            raise
        raise RegistrationRefused(
            "An account with this email address already exists.", field="email"
        ) from None
    return user
