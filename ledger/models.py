"""The double-entry ledger.

Every movement of tokens is a `Transfer` with two or more `Entry` legs whose signed amounts sum
to zero in one currency. An entry's amount is the change of its account's balance: the issuer
(the only account allowed below zero) goes negative by what it puts into circulation, so that,
per currency, all balances always sum to zero and the supply is minus the issuer's balance.

Amounts are integers in minor units (cents of a token). Ledger rows are never updated or
deleted; corrections are reversing transfers. PostgreSQL enforces all of that (see the
migration `0002_ledger_guards`), so raw SQL cannot break it either. Only `ledger.services`
writes here.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now


class Currency(models.Model):
    """A community's currency. 1 token is worth EUR 1; `decimals` places of minor units."""

    code = models.CharField(max_length=24, unique=True)
    name = models.CharField(max_length=100)
    decimals = models.PositiveSmallIntegerField(default=2)
    # Optional expiry (off when null): a wallet with no entry for this many months returns its
    # balance to the issuer, a month's notice first (payments.expiry, docs/ledger.md).
    expiry_months = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name_plural = "currencies"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z][A-Z0-9]{1,22}[A-Z0-9]$"),
                name="ledger_currency_code_format",
            ),
            models.CheckConstraint(condition=Q(decimals__lte=6), name="ledger_currency_decimals"),
            models.CheckConstraint(
                condition=Q(expiry_months__isnull=True)
                | Q(expiry_months__gte=1, expiry_months__lte=120),
                name="ledger_currency_expiry_months",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class AccountKind(models.TextChoices):
    ISSUER = "issuer", "Issuer"
    BUDGET = "budget", "Campaign budget"
    WALLET = "wallet", "Resident wallet"
    SHOP = "shop", "Shop"
    SETTLEMENT = "settlement", "Settlement"
    EXPIRY = "expiry", "Expiry"
    FUND = "fund", "Community fund"
    VOUCHER = "voucher", "Voucher escrow"


class AccountStatus(models.TextChoices):
    OPEN = "open", "Open"
    FROZEN = "frozen", "Frozen"
    CLOSED = "closed", "Closed"


class Account(models.Model):
    """A ledger account. `balance` and `version` cache the sum and count of its entries."""

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(max_length=16, choices=AccountKind.choices)
    name = models.CharField(max_length=200, blank=True)
    balance = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)
    allow_negative = models.BooleanField(default=False)
    status = models.CharField(
        max_length=8, choices=AccountStatus.choices, default=AccountStatus.OPEN
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance__gte=0),
                name="ledger_account_no_overdraft",
            ),
            models.CheckConstraint(condition=Q(version__gte=0), name="ledger_account_version"),
            models.CheckConstraint(
                condition=Q(allow_negative=False) | Q(kind=AccountKind.ISSUER),
                name="ledger_account_only_issuer_negative",
            ),
            models.UniqueConstraint(
                fields=["currency"],
                condition=Q(kind=AccountKind.ISSUER),
                name="ledger_account_one_issuer_per_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.name}".strip()


class TransferKind(models.TextChoices):
    MINT = "mint", "Mint"
    PAYOUT = "payout", "Payout"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    VOUCHER = "voucher", "Voucher"
    SETTLEMENT = "settlement", "Settlement"
    EXPIRY = "expiry", "Expiry"
    BURN = "burn", "Burn"
    DONATION = "donation", "Donation"
    REVERSAL = "reversal", "Reversal"


class Transfer(models.Model):
    """One balanced movement of tokens, written once and never changed."""

    # No index of its own: a handful of values, maintained on every insert for no query.
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=16, choices=TransferKind.choices)
    # Idempotency: (scope, key) is unique; request_hash tells a retry from a different request.
    idempotency_scope = models.CharField(max_length=64, default="", blank=True)
    # NULL means no key: NULLs never collide in the unique constraint, '' would.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    request_hash = models.CharField(max_length=64)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    metadata = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())
    # The inserting transaction's id: sealing uses it to know which transfers are final
    # (every transaction below a snapshot's xmin has ended), without serialising writers.
    txid = models.BigIntegerField(
        db_default=RawSQL("pg_current_xact_id()::text::bigint", ()), editable=False
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"], name="ledger_transfer_idempotency"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["txid"], name="ledger_transfer_txid")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Entry(models.Model):
    """One leg of a transfer: the signed change of one account's balance.

    `account_version` numbers an account's entries 1, 2, 3... without gaps and `balance_after` is
    the balance right after this entry, so an account's history is ordered and self-checking.
    """

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries")
    # Indexed by the (account, version) and (account, transfer) indexes below.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    account_version = models.BigIntegerField()

    class Meta:
        verbose_name_plural = "entries"
        constraints: ClassVar = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_nonzero"),
            models.CheckConstraint(
                condition=Q(account_version__gte=1), name="ledger_entry_version"
            ),
            models.UniqueConstraint(
                fields=["account", "account_version"], name="ledger_entry_account_version"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["account", "transfer"], name="ledger_entry_account_transfer"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} on account #{self.account_id} in transfer #{self.transfer_id}"


class AccountStatusChange(models.Model):
    """Who froze, unfroze or closed an account, when and why."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="status_changes")
    status = models.CharField(max_length=8, choices=AccountStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"account #{self.account_id} -> {self.status}"


class Block(models.Model):
    """A signed seal over every transfer whose transaction id lies in [txid_from, txid_to).

    Every transaction with an id below a snapshot's xmin has ended, so that set can never grow
    once sealed. Blocks chain by `prev_hash`; `hash` is over the canonical header and is what the
    Ed25519 `signature` signs.
    """

    height = models.BigIntegerField(unique=True)
    txid_from = models.BigIntegerField()
    txid_to = models.BigIntegerField()
    first_transfer_id = models.BigIntegerField(null=True)
    last_transfer_id = models.BigIntegerField(null=True)
    transfer_count = models.IntegerField()
    merkle_root = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=128)
    sealed_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(txid_to__gt=models.F("txid_from")), name="ledger_block_range"
            ),
            models.CheckConstraint(condition=Q(transfer_count__gt=0), name="ledger_block_nonempty"),
        ]

    def __str__(self) -> str:
        return f"block {self.height}"
