from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from knox.settings import CONSTANTS


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
    (`RoleGrant`) and, on the shop side, from their memberships of shops (`ShopMember`)."""

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
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
    residency_verified_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    residency_method = models.CharField(
        max_length=16, blank=True, choices=[("staff", "By staff"), ("invite_code", "Invite code")]
    )

    def __str__(self) -> str:
        return f"resident {self.user}"


class InviteCode(models.Model):
    """A single-use code from a municipal letter that verifies residency. Only its SHA-256 is
    stored: the codes themselves are shown once, to the staff member who generates the batch."""

    code_hash = models.CharField(max_length=64, unique=True)
    batch = models.CharField(max_length=100)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
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


class ShopCategory(models.TextChoices):
    GROCERIES = "groceries", _("Groceries")
    BAKERY = "bakery", _("Bakery")
    CAFE = "cafe", _("Café or restaurant")
    HARDWARE = "hardware", _("Hardware and garden")
    CLOTHING = "clothing", _("Clothing")
    SERVICES = "services", _("Services")
    CULTURE = "culture", _("Culture and leisure")
    OTHER = "other", _("Other")


class ShopStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    SUSPENDED = "suspended", _("Suspended")


class Shop(models.Model):
    """A local shop that accepts the currency. Its ledger account is opened when staff approve
    it; a suspended shop keeps its account (frozen) and its history."""

    name = models.CharField(max_length=100)
    address = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=ShopCategory.choices)
    iban = models.CharField(max_length=34, help_text="Validated and stored without spaces.")
    chamber_of_commerce = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=16, choices=ShopStatus.choices, default=ShopStatus.PENDING)
    account = models.OneToOneField(
        "ledger.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="shop"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=500, blank=True)
    iban_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the owner last changed the IBAN."
    )
    pending_name = models.CharField(
        max_length=100, blank=True, help_text="A new name waiting for staff review."
    )
    pending_address = models.CharField(
        max_length=200, blank=True, help_text="A new address waiting for staff review."
    )
    change_requested_at = models.DateTimeField(null=True, blank=True)
    # For the wallet's "where to spend" list.
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, null=True, blank=True, related_name="shops"
    )
    what_we_sell = models.CharField(
        max_length=200, blank=True, help_text="What the shop sells, in a few words."
    )

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(account__isnull=False),
                name="accounts_shop_approved_has_account",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name with the shop's stable number, which no other shop can share: what the
        wallet shows whenever a resident is about to pay or has paid."""
        return gettext("%(name)s · shop %(number)d") % {"name": self.name, "number": self.pk}

    @property
    def change_pending(self) -> bool:
        return self.change_requested_at is not None


class ShopRole(models.TextChoices):
    OWNER = "owner", _("Shop owner")
    CASHIER = "cashier", _("Cashier")


class ShopMember(models.Model):
    """A person's role in one shop: the owner, or a cashier the owner invited."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="shop_memberships")
    role = models.CharField(max_length=16, choices=ShopRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["shop", "user"], name="accounts_shopmember_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} of {self.shop}"


class CashierInvite(models.Model):
    """An invitation, mailed by a shop owner, to become a cashier of the shop. Only the token's
    SHA-256 is stored; the link works once, until it expires."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="cashier_invites")
    email = models.EmailField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"cashier invite for {self.email} to {self.shop}"


class AuditEvent(models.Model):
    """One staff action: who, what, on which object, when, from where. Append-only; readable
    by administrators."""

    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text="The actor's email at the time.")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.target_type}#{self.target_id}"


class SessionRecord(models.Model):
    """A signed-in session of a person, so they can see where they are signed in and end their
    other sessions. The session itself lives in Django's session store under `session_key`."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_records")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"session of {self.user} from {self.created_at:%Y-%m-%d}"


class ApiToken(models.Model):
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
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
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
