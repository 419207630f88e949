from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from knox.settings import CONSTANTS

from .errors import NotAllowed


def person_ref(*, optional: bool = True, on_delete: Any = models.PROTECT, **options: Any) -> Any:
    """A foreign key to the person who did something, with no reverse accessor: `optional` for
    what has not happened yet. The person is kept as long as the record (PROTECT), unless the
    record lets go of them (`on_delete=models.SET_NULL`, optional). `options` (a help_text) go
    to the field."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=on_delete,
        null=optional,
        blank=optional,
        related_name="+",
        **options,
    )


def ledger_ref(model: str) -> Any:
    """An optional one-to-one link to the ledger's row ("ledger.Transfer", "ledger.Account")
    that carried it out, kept as long as the ledger keeps it (PROTECT)."""
    return models.OneToOneField(
        model, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )


class TwoPersonRequest(models.Model):
    """What one person requests and a different person decides (mints, voucher batches,
    settlements). Each concrete model adds `two_people(name)` to its constraints, so the
    database refuses a decision by the requester."""

    requested_by = person_ref(optional=False)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = person_ref()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @staticmethod
    def two_people(name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=models.Q(decided_by__isnull=True)
            | ~models.Q(decided_by=models.F("requested_by")),
            name=name,
        )

    def decide(self, *, status: str, by: "User", refusal: str, **changes: Any) -> None:
        """Save the decision: `status`, who decided and when, and the `changes` that go with it
        (a reason, a transfer). Call it on the row locked for the decision; should the decider
        be the requester after all, the database refuses (`two_people`) and so does this, with
        NotAllowed(`refusal`)."""
        fields = {"status": status, "decided_by": by, "decided_at": timezone.now(), **changes}
        for name, value in fields.items():
            setattr(self, name, value)
        try:
            with transaction.atomic():
                self.save(update_fields=list(fields))
        except IntegrityError:
            raise NotAllowed(refusal) from None


def default_language() -> str:
    """The site's default language (Dutch in production; the test suite runs in English)."""
    return str(settings.LANGUAGE_CODE)


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address. What they may do comes from their roles
    (`RoleGrant`) and, on the shop side, from their memberships of shops (`shops.ShopMember`)."""

    email = models.EmailField(max_length=254, unique=True)
    display_name = models.CharField(max_length=100, blank=True)
    preferred_language = models.CharField(
        max_length=2,
        choices=settings.LANGUAGES,
        default=default_language,
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the person follows the link mailed at sign-up.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Set when the person deleted their account: personal data is gone, the row stays so that
    # the ledger's history keeps pointing at a pseudonymous account.
    erased_at = models.DateTimeField(null=True, blank=True)
    # Staff: the daily mail of what waits for their roles (accounts.waiting.staff_digest_send).
    staff_digest = models.BooleanField(default=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email


class Role(models.TextChoices):
    RESIDENT = "resident", "Resident"
    TASK_MANAGER = "task_manager", "Task manager"
    REVIEWER = "reviewer", "Reviewer"
    APPROVER = "approver", "Approver"
    FINANCE = "finance", "Finance"
    ADMIN = "admin", "Administrator"


class RoleGrant(models.Model):
    """One role held by one person; a person may hold several. Shop roles (owner, cashier) are
    per shop and live with the shop."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=16, choices=Role.choices)
    granted_by = person_ref(on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "role"], name="accounts_rolegrant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role}"


class Neighbourhood(models.Model):
    """A neighbourhood of a municipality; staff can edit the list."""

    municipality = models.CharField(max_length=100, default="Heerlen")
    name = models.CharField(max_length=100)

    class Meta:
        ordering: ClassVar = ["municipality", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="accounts_neighbourhood_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ResidentProfile(models.Model):
    """A resident and their wallet. Residency must be verified before the first payout."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="resident")
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, null=True, blank=True, related_name="residents"
    )
    wallet = models.OneToOneField(
        "ledger.Account", on_delete=models.PROTECT, related_name="resident"
    )
    residency_verified_at = models.DateTimeField(null=True, blank=True)
    residency_verified_by = person_ref(on_delete=models.SET_NULL)
    residency_method = models.CharField(
        max_length=16, blank=True, choices=[("staff", "By staff"), ("invite_code", "Invite code")]
    )
    # Optional, given at sign-up or set by staff: only to apply the youth hourly rate of the
    # volunteer-allowance rules (rewards.earning). No birth date is asked: the year is enough.
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(birth_year__isnull=True)
                | models.Q(birth_year__gte=1900, birth_year__lte=2100),
                name="accounts_resident_birth_year_sane",
            ),
        ]
        # The staff list pages by cursor on the id; the residents waiting for verification
        # (`?verified=false`) are a small, newest part of it (docs/performance.md, "Staff lists").
        indexes: ClassVar = [
            models.Index(
                fields=["id"],
                condition=models.Q(residency_verified_at__isnull=True),
                name="accounts_resident_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"resident {self.user}"


class InviteCode(models.Model):
    """A single-use code from a municipal letter that verifies residency. Only its SHA-256 is
    stored: the codes themselves are shown once, to the staff member who generates the batch."""

    code_hash = models.CharField(max_length=64, unique=True)
    batch = models.CharField(max_length=100)
    created_by = person_ref(optional=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_by = models.OneToOneField(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="invite_code"
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(used_by__isnull=True, used_at__isnull=True)
                | models.Q(used_by__isnull=False, used_at__isnull=False),
                name="accounts_invitecode_used_together",
            ),
        ]

    def __str__(self) -> str:
        return f"invite code of batch {self.batch}"


STAFF_ROLES = frozenset({Role.TASK_MANAGER, Role.REVIEWER, Role.APPROVER, Role.FINANCE, Role.ADMIN})


class RequestOrigin(models.Model):
    """Where a person acted from, as their request said: the client's IP address (none when
    unknown) and its user agent, at most 300 characters."""

    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True


class AuditEvent(RequestOrigin):
    """One staff action: who, what, on which object, when, from where. Append-only; readable
    by administrators."""

    actor = person_ref(on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=254, help_text="The actor's email at the time.")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.target_type}#{self.target_id}"


class SessionRecord(RequestOrigin):
    """A signed-in session of a person, so they can see where they are signed in and end their
    other sessions. The session itself lives in Django's session store under `session_key`."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_records")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"session of {self.user} from {self.created_at:%Y-%m-%d}"


class ApiToken(RequestOrigin):
    """An API token of one device (a till, an app), from `POST /api/v1/auth/token/`: the token
    model of django-rest-knox (KNOX_TOKEN_MODEL), which reads the fields it knows. Only the
    token's hash is kept (`digest`, SHA-512); `token_key`, its first characters, finds the row.
    It expires (`expiry`, API_TOKEN_TTL_HOURS after it was made; knox refuses and deletes it
    then) and is revoked by deleting it. Listed with the person's sessions."""

    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    token_key = models.CharField(
        max_length=CONSTANTS.MAXIMUM_TOKEN_PREFIX_LENGTH + CONSTANTS.TOKEN_KEY_LENGTH,
        db_index=True,
    )
    # knox finds a person's other tokens under this name (and deletes the expired ones).
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_token_set")
    created = models.DateTimeField(auto_now_add=True)
    expiry = models.DateTimeField()
    device_name = models.CharField(max_length=100, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API token of {self.user} ({self.device_name or 'unnamed device'})"


class Notification(models.Model):
    """An in-app message to a person (a claim approved, a payout landed ...), written in their
    language when it is created; mail goes out alongside."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=2000)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user}"


class MailSent(models.Model):
    """One mail that went out, by the key of the event it tells about (accounts.tasks): a
    message delivered again (a worker killed after sending, before acknowledging) sends
    nothing the second time. Holds no address or text."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
