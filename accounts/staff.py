"""Staff services: the staff's own two-factor device, staff members and their roles, and the
list of neighbourhoods. Every staff action is audited in the transaction that makes it."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit, identity, services
from .errors import AccountsError, NotAllowed, NotFound
from .models import STAFF_ROLES, AuditEvent, Neighbourhood, ResidentProfile, Role, RoleGrant, User
from .tasks import mail_template
from .text import line_clean

NEIGHBOURHOOD_ROLES = {Role.TASK_MANAGER, Role.ADMIN}
RESIDENT_ROLES = {Role.REVIEWER, Role.ADMIN}
ADMIN_ROLES = {Role.ADMIN}


class StaffRefused(AccountsError):
    code = "staff-refused"


class TwoFactorRefused(AccountsError):
    code = "two-factor-refused"


def _require(user: User, roles: set[Role]) -> None:
    if not RoleGrant.objects.filter(user=user, role__in=roles).exists():
        raise NotAllowed(_("Your role does not allow this."))


# --- Two-factor authentication -------------------------------------------------------------


def totp_device_for_setup(*, user: User) -> TOTPDevice:
    """The authenticator the person is setting up: their newest unconfirmed device, or a new
    one. Refused once they have a confirmed device (they sign in with that one)."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise TwoFactorRefused(_("You have already set up an authenticator app."))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def _check_token(device: TOTPDevice, token: str) -> None:
    allowed, detail = device.verify_is_allowed()
    if not allowed:
        wait = (detail or {}).get("locked_until")
        if wait is not None:
            raise TwoFactorRefused(
                _("Too many wrong codes. Wait a moment (until %(time)s) and try again.")
                % {"time": timezone.localtime(wait).strftime("%H:%M:%S")},
                field="token",
            )
        raise TwoFactorRefused(_("Too many wrong codes. Try again later."), field="token")
    token = "".join(token.split())
    well_formed = token.isascii() and token.isdigit() and len(token) == device.digits
    if not well_formed or not device.verify_token(token):
        raise TwoFactorRefused(
            _("That code is not right. Enter the 6 digits your app shows now."), field="token"
        )


def totp_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the authenticator being set up with a code it shows: from now on the person
    signs in to the console with it. A wrong code changes nothing (but counts towards the
    device's throttle)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise TwoFactorRefused(_("There is no authenticator app to confirm."), field="token")
    # Outside the transaction: a wrong code must still count towards the throttle.
    _check_token(device, token)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if device.confirmed:
            raise TwoFactorRefused(_("This authenticator app is already set up."), field="token")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Other half-finished setups are of no use any more.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        audit.record(actor=user, action="totp.confirm", target=user)
    return device


def totp_verify(*, user: User, token: str) -> TOTPDevice:
    """Check a code of the person's confirmed authenticator (to open the console)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        raise TwoFactorRefused(_("Set up an authenticator app first."), field="token")
    _check_token(device, token)
    return device


# --- Staff members -----------------------------------------------------------------------------


def _clean_roles(roles: Iterable[str]) -> set[str]:
    chosen = {str(r) for r in roles}
    unknown = chosen - {str(r) for r in STAFF_ROLES}
    if unknown:
        raise StaffRefused(
            _("Unknown roles: %(roles)s.") % {"roles": ", ".join(sorted(unknown))}, field="roles"
        )
    return chosen


def staff_members() -> QuerySet[User]:
    return (
        User.objects.filter(role_grants__role__in=STAFF_ROLES, erased_at__isnull=True)
        .distinct()
        .prefetch_related("role_grants")
        .order_by(Lower("email"))
    )


def staff_create(
    *,
    admin: User,
    email: str,
    display_name: str,
    roles: Iterable[str],
    language: str | None = None,
) -> User:
    """An administrator adds a staff member with their roles. The new person gets a mail with a
    link to choose a password (which also proves the address); before using the console they
    set up an authenticator app."""
    _require(admin, ADMIN_ROLES)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise StaffRefused(_("That is not a valid email address."), field="email") from None
    if len(email) > 254:
        raise StaffRefused(_("That is not a valid email address."), field="email")
    display_name = line_clean(display_name)
    if not 0 < len(display_name) <= 100:
        raise StaffRefused(_("A display name has 1 to 100 characters."), field="display_name")
    chosen = _clean_roles(roles)
    if not chosen:
        raise StaffRefused(_("Choose at least one role."), field="roles")
    language = language or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        raise StaffRefused(_("The language is nl, de or en."), field="language")
    if User.objects.filter(email__iexact=email).exists():
        raise _email_taken()
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, None, display_name=display_name, preferred_language=language
            )
            RoleGrant.objects.bulk_create(
                RoleGrant(user=user, role=role, granted_by=admin) for role in sorted(chosen)
            )
            audit.record(
                actor=admin, action="staff.create", target=user, detail={"roles": sorted(chosen)}
            )
            mail_template(
                to=user,
                template="staff_welcome",
                context={"user": user, "admin": admin, "link": staff_welcome_link(user=user)},
            )
    except IntegrityError:
        raise _email_taken() from None  # a concurrent sign-up with the same address
    return user


def _email_taken() -> StaffRefused:
    return StaffRefused(
        _(
            "Someone with this email address already has an account. Give them roles from the "
            "list of staff members instead."
        ),
        field="email",
    )


def staff_roles_set(*, admin: User, user_id: int, roles: Iterable[str]) -> set[str]:
    """An administrator sets a person's staff roles (other roles, such as resident, stay).
    Nobody removes their own administrator role, so there is always an administrator."""
    _require(admin, ADMIN_ROLES)
    chosen = _clean_roles(roles)
    with transaction.atomic():
        # Every administrator grant is held while roles change, and the actor must still be an
        # administrator under that lock: two administrators taking each other's role at the same
        # moment cannot leave the municipality with none.
        admins = set(
            RoleGrant.objects.select_for_update()
            .filter(role=Role.ADMIN)
            .values_list("user_id", flat=True)
        )
        if admin.pk not in admins:
            raise NotAllowed(_("Your role does not allow this."))
        user = User.objects.select_for_update().filter(pk=user_id, erased_at__isnull=True).first()
        if user is None:
            raise NotFound(_("There is no such person."))
        if user.pk == admin.pk and Role.ADMIN not in chosen:
            raise StaffRefused(_("You cannot remove your own administrator role."), field="roles")
        before = set(
            RoleGrant.objects.filter(user=user, role__in=STAFF_ROLES).values_list("role", flat=True)
        )
        if before != chosen:
            RoleGrant.objects.filter(user=user, role__in=before - chosen).delete()
            RoleGrant.objects.bulk_create(
                RoleGrant(user=user, role=role, granted_by=admin)
                for role in sorted(chosen - before)
            )
            audit.record(
                actor=admin,
                action="staff.roles_set",
                target=user,
                detail={"before": sorted(before), "after": sorted(chosen)},
            )
    return chosen


def staff_totp_reset(*, admin: User, user_id: int) -> int:
    """An administrator removes a staff member's authenticator devices (a lost or replaced
    phone): their sessions end, and at the next sign-in they set up a new device before any
    staff page works. Administrators reset others only. Returns how many devices went."""
    _require(admin, ADMIN_ROLES)
    if user_id == admin.pk:
        raise StaffRefused(_("Ask another administrator to reset your own two-step sign-in."))
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, erased_at__isnull=True).first()
        if user is None:
            raise NotFound(_("There is no such person."))
        removed, _detail = TOTPDevice.objects.filter(user=user).delete()
        identity.sessions_end_all(user=user)
        audit.record(actor=admin, action="totp.reset", target=user, detail={"devices": removed})
    return removed


def staff_welcome_link(*, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.SITE_URL}/staff/welcome/{uid}/{token}/"


def staff_welcome_user(*, uidb64: str, token: str) -> User:
    """The person a welcome link is for, while the link is valid (it works once: choosing the
    password changes what the token is made of)."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64[:64])))
    except (TypeError, ValueError, OverflowError):
        pk = 0
    user = User.objects.filter(pk=pk, erased_at__isnull=True, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token[:100]):
        raise StaffRefused(
            _("This link is not valid any more. Ask an administrator for a new one."),
            field="token",
        )
    return user


def staff_welcome_set_password(*, uidb64: str, token: str, password: str) -> User:
    """A new staff member chooses their password from the welcome link; the link proves the
    email address."""
    with transaction.atomic():
        user = staff_welcome_user(uidb64=uidb64, token=token)
        user = User.objects.select_for_update().get(pk=user.pk)
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise StaffRefused(" ".join(exc.messages), field="password") from None
        user.set_password(password)
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
        user.save(update_fields=["password", "email_verified_at"])
    return user


# --- Neighbourhoods --------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not 0 < len(name) <= 100:
        raise StaffRefused(_("A name has 1 to 100 characters."), field="name")
    return name


def _taken(name: str, municipality: str, exclude: int | None = None) -> bool:
    qs = Neighbourhood.objects.filter(name__iexact=name, municipality=municipality)
    return qs.exclude(pk=exclude).exists() if exclude else qs.exists()


def _name_taken() -> StaffRefused:
    return StaffRefused(_("There is already a neighbourhood with this name."), field="name")


def neighbourhood_create(*, staff: User, name: str, municipality: str = "Heerlen") -> Neighbourhood:
    """Task managers and administrators add a neighbourhood; names are unique per municipality
    (without regard to case)."""
    _require(staff, NEIGHBOURHOOD_ROLES)
    name = _clean_name(name)
    try:
        with transaction.atomic():
            if _taken(name, municipality):
                raise _name_taken()
            neighbourhood = Neighbourhood.objects.create(name=name, municipality=municipality)
            audit.record(
                actor=staff,
                action="neighbourhood.create",
                target=neighbourhood,
                detail={"name": name},
            )
    except IntegrityError:
        raise _name_taken() from None
    return neighbourhood


def neighbourhood_rename(*, staff: User, neighbourhood_id: int, name: str) -> Neighbourhood:
    """Task managers and administrators correct a neighbourhood's name (residents, tasks and
    campaigns keep pointing at it)."""
    _require(staff, NEIGHBOURHOOD_ROLES)
    name = _clean_name(name)
    try:
        with transaction.atomic():
            neighbourhood = (
                Neighbourhood.objects.select_for_update().filter(pk=neighbourhood_id).first()
            )
            if neighbourhood is None:
                raise NotFound(_("There is no such neighbourhood."))
            if _taken(name, neighbourhood.municipality, exclude=neighbourhood.pk):
                raise _name_taken()
            before = neighbourhood.name
            if before != name:
                neighbourhood.name = name
                neighbourhood.save(update_fields=["name"])
                audit.record(
                    actor=staff,
                    action="neighbourhood.rename",
                    target=neighbourhood,
                    detail={"before": before, "after": name},
                )
    except IntegrityError:
        raise _name_taken() from None
    return neighbourhood


# --- Reading -------------------------------------------------------------------------------------


def residents_for_staff(
    *, query: str = "", verified: bool | None = None
) -> QuerySet[ResidentProfile]:
    """Residents for the verification list, in the order they signed up (with `verified=False`,
    the longest waiting first); `query` matches name or email. By id, so that the list pages by
    cursor (core.api.KeysetPage) on the primary key's index."""
    qs = ResidentProfile.objects.select_related("user", "neighbourhood").filter(
        user__erased_at__isnull=True
    )
    query = (query or "").strip()[:100]
    if query:
        qs = qs.filter(Q(user__display_name__icontains=query) | Q(user__email__icontains=query))
    if verified is not None:
        qs = qs.filter(residency_verified_at__isnull=not verified)
    return qs.order_by("id")


def audit_events(*, action: str = "", actor: str = "") -> QuerySet[AuditEvent]:
    """The audit log, newest first; `action` is exact (or a prefix ending in a dot, such as
    `shop.`), `actor` the actor's email (without regard to case)."""
    qs = AuditEvent.objects.all()
    action = (action or "").strip()[:64]
    if action:
        qs = (
            qs.filter(action__startswith=action)
            if action.endswith(".")
            else qs.filter(action=action)
        )
    actor = (actor or "").strip()[:254]
    if actor:
        qs = qs.filter(actor_label__iexact=actor)
    return qs.order_by("-created_at", "-id")


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


# --- Verifying a resident, with what was checked -------------------------------------------

RESIDENCY_DOCUMENTS = ("passport", "id_card", "residence_permit", "brp_extract")


def residency_verify_checked(
    *, staff: User, resident_id: int, code: str = "", document: str = ""
) -> ResidentProfile:
    """Verify a resident in one step, saying what was checked: the code of their municipal
    letter (used up, as when they enter it themselves) or a document seen in person. Audited
    with the method; nobody verifies themselves; only reviewers and administrators."""
    _require(staff, RESIDENT_ROLES)
    code = (code or "").strip()
    if not code and document not in RESIDENCY_DOCUMENTS:
        raise StaffRefused(
            _("Give the code from the resident's letter, or choose the document you checked."),
            field="code",
        )
    if resident_id == staff.pk:
        raise NotAllowed(_("Nobody can verify their own residency."))
    with transaction.atomic():
        if code:
            resident = User.objects.filter(pk=resident_id).first()
            if resident is None:
                raise NotFound(_("There is no such resident."))
            profile = services.residency_verify_with_code(user=resident, code=code)
            detail = {"method": "letter_code"}
        else:
            profile = services.residency_verify_by_staff(staff=staff, resident_id=resident_id)
            detail = {"method": "document", "document": document}
        audit.record(
            actor=staff, action="resident.residency_checked", target=profile.user, detail=detail
        )
    return profile


def resident_birth_year_set(
    *, staff: User, resident_id: int, birth_year: int | None
) -> ResidentProfile:
    """Set (or clear, with None) a resident's birth year, which only the youth hourly rate of
    the earning rules reads; reviewers and administrators, who see residents' documents.
    Audited with the year before and after."""
    _require(staff, RESIDENT_ROLES)
    services.birth_year_check(birth_year)
    with transaction.atomic():
        profile = (
            ResidentProfile.objects.select_for_update()
            .select_related("user")
            .filter(user_id=resident_id)
            .first()
        )
        if profile is None:
            raise NotFound(_("There is no such resident."))
        before = profile.birth_year
        profile.birth_year = birth_year
        profile.save(update_fields=["birth_year"])
        audit.record(
            actor=staff,
            action="resident.birth_year_set",
            target=profile.user,
            detail={"before": before, "after": birth_year},
        )
    return profile
