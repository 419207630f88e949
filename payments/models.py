"""The shops' money side: residents' one-time pay codes, shops' signed payment requests, payments
and refunds, paper vouchers, and settlement to euros. Money moves only through ledger.services;
these rows point at the ledger's transfers and accounts (the ledger keeps no keys to them)."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import TwoPersonRequest, ledger_ref, person_ref


class PayToken(models.Model):
    """A code a resident shows at the till: a server-issued random token (>= 128 bits, only its
    SHA-256 stored) plus a short numeric code for manual entry, bound to the wallet, valid about
    a minute, used once. Using it and posting the payment happen in one transaction."""

    wallet = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pay_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    short_code = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    payment = models.OneToOneField(
        "Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="pay_token"
    )
    confirm_up_to = models.BigIntegerField(
        default=0,
        help_text="Amount (minor units) the resident confirmed in advance when asking for the "
        "code; charges above PAYMENT_CONFIRM_ABOVE need it to be at least the amount.",
    )

    class Meta:
        indexes: ClassVar = [models.Index(fields=["short_code", "expires_at"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(confirm_up_to__gte=0), name="payments_paytoken_confirm_up_to"
            ),
        ]

    def __str__(self) -> str:
        return f"pay code of {self.resident}"


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentRequest(models.Model):
    """A code a shop shows: shop, amount, currency, nonce and expiry, signed with Ed25519 over a
    canonical, versioned payload carrying a key id (docs/qr.md). Paid at most once."""

    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="payment_requests"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=16)
    nonce = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=32)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default="open")
    created_by = person_ref(optional=False)
    created_at = models.DateTimeField(auto_now_add=True)
    short_code = models.CharField(
        max_length=12,
        blank=True,
        default="",
        help_text="9 digits a resident can type instead of scanning, while the request is open.",
    )
    pay_token = models.ForeignKey(
        PayToken,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="confirmations",
        help_text="Set when the till charged this resident's code above PAYMENT_CONFIRM_ABOVE: "
        "the request waits for that resident to confirm it on their own phone.",
    )

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_request_positive"),
        ]
        indexes: ClassVar = [models.Index(fields=["short_code", "expires_at"])]

    def __str__(self) -> str:
        return f"request of {self.amount} by {self.shop}"


class PaymentMethod(models.TextChoices):
    RESIDENT_CODE = "resident_code", _("Resident's code")
    SHOP_REQUEST = "shop_request", _("Shop's code")
    STATIC_QR = "static_qr", _("Shop poster")
    VOUCHER = "voucher", _("Paper voucher")


class Payment(models.Model):
    """Tokens paid by a resident (or a voucher) to a shop; refunds never exceed it."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="payments")
    payer_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    amount = models.BigIntegerField()
    refunded = models.BigIntegerField(default=0)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    transfer = models.OneToOneField("ledger.Transfer", on_delete=models.PROTECT, related_name="+")
    cashier = person_ref()
    request = models.OneToOneField(
        PaymentRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_payment_positive"),
            models.CheckConstraint(
                condition=Q(refunded__gte=0) & Q(refunded__lte=F("amount")),
                name="payments_refund_within_payment",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["shop", "created_at"]),
            models.Index(fields=["resident", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"payment of {self.amount} to {self.shop}"


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    transfer = models.OneToOneField("ledger.Transfer", on_delete=models.PROTECT, related_name="+")
    actor = person_ref(optional=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"refund of {self.amount} on payment #{self.payment_id}"


class VoucherBatchStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class VoucherBatch(TwoPersonRequest):
    """Paper vouchers for residents without a smartphone, paid from a budget account. One
    person requests a batch; a different approver approves it (the database refuses the same
    person), which moves value x count from the budget into an escrow account (ledger kind
    "voucher"). The requester then prints the sheet once: only then are the codes made, and
    only their hashes are kept."""

    name = models.CharField(max_length=100)
    budget = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    value = models.BigIntegerField()
    count = models.PositiveIntegerField()
    expires_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=VoucherBatchStatus.choices, default=VoucherBatchStatus.REQUESTED
    )
    decision_reason = models.CharField(max_length=500, blank=True)
    escrow = ledger_ref("ledger.Account")
    funding_transfer = ledger_ref("ledger.Transfer")
    sheet_printed_by = person_ref()
    sheet_printed_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(value__gt=0), name="payments_voucher_value"),
            models.CheckConstraint(condition=Q(count__gt=0), name="payments_voucher_count"),
            TwoPersonRequest.two_people("payments_voucher_two_people"),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | (Q(escrow__isnull=False) & Q(funding_transfer__isnull=False)),
                name="payments_voucher_approved_funded",
            ),
            models.CheckConstraint(
                condition=Q(sheet_printed_at__isnull=True) | Q(status="approved"),
                name="payments_voucher_sheet_after_approval",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["status", "requested_at"], name="payments_vo_status_4f1c2e_idx")
        ]

    def __str__(self) -> str:
        return self.name


class Voucher(models.Model):
    batch = models.ForeignKey(VoucherBatch, on_delete=models.PROTECT, related_name="vouchers")
    code_hash = models.CharField(max_length=64, unique=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="voucher"
    )

    def __str__(self) -> str:
        return f"voucher of {self.batch}"


class SettlementStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    EXPORTED = "exported", _("Exported to the bank")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")


class SepaExport(models.Model):
    """A SEPA credit transfer file (pain.001) for the municipality's bank."""

    message_id = models.CharField(max_length=35, unique=True)
    created_by = person_ref(optional=False)
    created_at = models.DateTimeField(auto_now_add=True)
    total_cents = models.BigIntegerField()
    count = models.PositiveIntegerField()
    xml = models.TextField()

    def __str__(self) -> str:
        return self.message_id


class Settlement(TwoPersonRequest):
    """A shop's request to redeem tokens for euros: requested by the owner, approved by an
    approver who did not request it; the tokens then move from the shop to the settlement
    account, and finance exports the euro transfer."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="settlements")
    amount = models.BigIntegerField(help_text="Tokens redeemed, minor units.")
    fee = models.BigIntegerField(default=0, help_text="Redemption fee, minor units.")
    iban = models.CharField(max_length=34)
    status = models.CharField(
        max_length=16, choices=SettlementStatus.choices, default=SettlementStatus.REQUESTED
    )
    reason = models.CharField(max_length=500, blank=True)
    transfer = ledger_ref("ledger.Transfer")
    export = models.ForeignKey(
        SepaExport, on_delete=models.PROTECT, null=True, blank=True, related_name="settlements"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    iban_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the shop last changed its IBAN, as at request time."
    )
    iban_held = models.BooleanField(
        default=False, help_text="Requested soon after an IBAN change: staff confirm it first."
    )
    iban_confirmed_by = person_ref()
    iban_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The staff list pages by cursor on the id; the queue of one status too
        # (docs/performance.md, "Staff lists").
        indexes: ClassVar = [
            models.Index(fields=["status", "id"], name="payments_settl_status_id_idx"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_settlement_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "rejected"])
                | Q(iban_held=False)
                | Q(iban_confirmed_at__isnull=False),
                name="payments_settlement_held_until_iban_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(fee__gte=0) & Q(fee__lt=F("amount")), name="payments_settlement_fee"
            ),
            TwoPersonRequest.two_people("payments_settlement_two_people"),
        ]

    def __str__(self) -> str:
        return f"settlement of {self.amount} for {self.shop}"


class CodeAttempts(models.Model):
    """A till's count of resident-code look-ups in its current window (payments.services), kept
    here while the cache (Redis), where it is normally counted, is unreachable: the guess limit
    holds without Redis and till payments do not depend on it."""

    key = models.CharField(max_length=100, unique=True)
    taken = models.IntegerField(default=0)
    window_ends = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.taken}"


class WalletExpiry(models.Model):
    """One due expiry of a dormant wallet (payments.expiry): the notice sent to the resident
    for the wallet as it stood at `version` (its latest entry, made at `last_activity_at`), and,
    if nothing moved on the wallet by `due_at`, the transfer that returned its balance to the
    issuer. One per (wallet, version): a notice goes out once per due expiry, and any entry on
    the wallet after it makes it moot (the wallet's version moves on)."""

    wallet = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    version = models.BigIntegerField()
    amount = models.BigIntegerField(help_text="The balance (minor units) the notice names.")
    last_activity_at = models.DateTimeField()
    notified_at = models.DateTimeField()
    due_at = models.DateTimeField()
    transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "wallet expiries"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["wallet", "version"], name="payments_walletexpiry_once_per_version"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_walletexpiry_amount"),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("notified_at")), name="payments_walletexpiry_notice_first"
            ),
            models.CheckConstraint(
                condition=Q(transfer__isnull=True, expired_at__isnull=True)
                | Q(transfer__isnull=False, expired_at__gte=F("due_at")),
                name="payments_walletexpiry_expired_when_due",
            ),
        ]

    def __str__(self) -> str:
        return f"expiry of wallet #{self.wallet_id} at version {self.version}"
