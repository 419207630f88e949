"""Shops that accept the currency, the people who work for them, and cashier invitations.

The tables keep the names they had when these models lived in accounts (`accounts_shop` ...):
the move to this app changed Django's state only (migrations 0001 here and accounts 0009)."""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Neighbourhood, User, person_ref


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
    created_by = person_ref(optional=False)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = person_ref(on_delete=models.SET_NULL)
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
        db_table = "accounts_shop"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(account__isnull=False),
                name="accounts_shop_approved_has_account",
            ),
        ]
        # The staff lists page by cursor in these orders (docs/performance.md, "Staff lists"):
        # the queue of one status by id, and the new names waiting by the time they were asked.
        indexes: ClassVar = [
            models.Index(fields=["status", "id"], name="accounts_shop_status_id_idx"),
            models.Index(
                fields=["change_requested_at", "id"],
                condition=models.Q(change_requested_at__isnull=False),
                name="accounts_shop_change_idx",
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
        db_table = "accounts_shopmember"
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
    invited_by = person_ref(optional=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = person_ref(on_delete=models.SET_NULL)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_cashierinvite"

    def __str__(self) -> str:
        return f"cashier invite for {self.email} to {self.shop}"
