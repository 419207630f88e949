"""Campaigns, their budgets and tasks; residents' claims on tasks, the evidence and every
decision on them. Money moves only through ledger.services: a campaign points at its budget
account, a paid claim at its payout transfer (the ledger keeps no keys to these rows)."""

from typing import ClassVar

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import TwoPersonRequest, ledger_ref, person_ref


class CampaignStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Campaign(models.Model):
    """A campaign with its own ledger budget. Money enters the budget only through a mint that
    one finance person requests and another approves; closing returns what is left."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    starts_on = models.DateField()
    ends_on = models.DateField()
    neighbourhoods = models.ManyToManyField(
        "accounts.Neighbourhood", blank=True, related_name="campaigns"
    )
    budget = models.OneToOneField(
        "ledger.Account", on_delete=models.PROTECT, related_name="campaign"
    )
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE
    )
    created_by = person_ref(optional=False)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_by = person_ref()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="rewards_campaign_window"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MintStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class MintRequest(TwoPersonRequest):
    """A request to mint tokens into a campaign's budget: requested by one finance person,
    decided by a different approver (the database refuses the same person)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="mint_requests")
    amount = models.BigIntegerField(help_text="Minor units.")
    reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=16, choices=MintStatus.choices, default=MintStatus.REQUESTED
    )
    decision_reason = models.CharField(max_length=500, blank=True)
    transfer = ledger_ref("ledger.Transfer")

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="rewards_mint_positive"),
            TwoPersonRequest.two_people("rewards_mint_two_people"),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(transfer__isnull=False),
                name="rewards_mint_approved_has_transfer",
            ),
        ]

    def __str__(self) -> str:
        return f"mint of {self.amount} into {self.campaign}"


class TaskCategory(models.TextChoices):
    GREENERY = "greenery", _("Greenery")
    LITTER = "litter", _("Litter")
    PLAY_AREAS = "play_areas", _("Play areas")
    PAINTING = "painting", _("Painting")
    SOCIAL_HELP = "social_help", _("Social help")
    EVENTS = "events", _("Events")
    OTHER = "other", _("Other")


class TaskStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class Task(models.Model):
    """Liveability work a resident can claim. `slots_taken` counts the claims holding a slot
    (reserved, submitted, approved or paid); the database keeps it within `capacity`."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="tasks")
    title_nl = models.CharField(max_length=200)
    title_de = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    description_nl = models.TextField(max_length=5000)
    description_de = models.TextField(max_length=5000, blank=True)
    description_en = models.TextField(max_length=5000, blank=True)
    category = models.CharField(max_length=16, choices=TaskCategory.choices)
    neighbourhood = models.ForeignKey(
        "accounts.Neighbourhood",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    reward = models.BigIntegerField(help_text="Minor units paid per approved completion.")
    estimated_minutes = models.PositiveIntegerField()
    capacity = models.PositiveIntegerField(help_text="How many completions are paid.")
    per_resident_limit = models.PositiveIntegerField(default=1)
    slots_taken = models.PositiveIntegerField(default=0)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    photo_required = models.BooleanField(default=True)
    note_required = models.BooleanField(default=False)
    location_required = models.BooleanField(default=False)
    # Where and when to pick up the materials, in Dutch (like title_nl), and optionally in
    # German and English (rewards.selectors.task_materials falls back to the Dutch).
    materials_where = models.CharField(max_length=300, blank=True)
    materials_where_de = models.CharField(max_length=300, blank=True)
    materials_where_en = models.CharField(max_length=300, blank=True)
    materials_when = models.CharField(max_length=300, blank=True)
    materials_when_de = models.CharField(max_length=300, blank=True)
    materials_when_en = models.CharField(max_length=300, blank=True)
    # When the materials can be picked up, every day (local time); none: at any time. The
    # reservation window counts from the first pick-up time after the claim (claims.py).
    pickup_opens = models.TimeField(null=True, blank=True)
    pickup_closes = models.TimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.DRAFT)
    created_by = person_ref(optional=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(reward__gt=0), name="rewards_task_reward_positive"),
            models.CheckConstraint(
                condition=Q(capacity__gt=0), name="rewards_task_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(slots_taken__lte=F("capacity")), name="rewards_task_not_oversubscribed"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="rewards_task_window"
            ),
            models.CheckConstraint(
                condition=Q(pickup_opens__isnull=True, pickup_closes__isnull=True)
                | Q(pickup_closes__gt=F("pickup_opens")),
                name="rewards_task_pickup_hours",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "neighbourhood", "category"])]

    def __str__(self) -> str:
        return self.title_nl


class ClaimStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


# The states in which a claim holds one of the task's slots.
SLOT_HOLDING = (
    ClaimStatus.RESERVED,
    ClaimStatus.SUBMITTED,
    ClaimStatus.APPROVED,
    ClaimStatus.PAID,
)


class Claim(models.Model):
    """A resident's claim on a task, from reservation to payout. `amount` is the reward at the
    time of claiming. An approved claim may be held (`hold_reason`): over the annual cap, or
    the resident's residency not yet verified; it is paid when the hold is lifted."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="claims")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims"
    )
    amount = models.BigIntegerField()
    status = models.CharField(
        max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.RESERVED
    )
    reserved_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    reviewed_by = person_ref()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    approved_by = person_ref(help_text="The second approver, for claims above the threshold.")
    approved_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    hold_reason = models.CharField(max_length=300, blank=True)
    payout_transfer = ledger_ref("ledger.Transfer")
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="rewards_claim_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(payout_transfer__isnull=False),
                name="rewards_claim_paid_has_transfer",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("resident")),
                name="rewards_claim_no_self_review",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | (~Q(approved_by=F("resident")) & ~Q(approved_by=F("reviewed_by"))),
                name="rewards_claim_second_pair_of_eyes",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["resident", "status"]),
            models.Index(fields=["task", "resident"]),
        ]

    def __str__(self) -> str:
        return f"claim #{self.pk} on {self.task}"


def evidence_storage() -> Storage:
    """Evidence lives in its own private storage (settings.STORAGES["evidence"]), never under a
    public URL: files are served by a view that checks who asks."""
    return storages["evidence"]


class Evidence(models.Model):
    """A photo submitted with a claim: decoded and re-encoded server side (no EXIF, no GPS),
    stored privately (only the resident and staff can fetch it)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(storage=evidence_storage, upload_to="claims/%Y/%m/")
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # A 64-bit perceptual hash (imagehash.phash, as a signed bigint) to find the same photo
    # re-encoded or cropped in other claims (rewards.fraud); null for photos sent before it.
    phash = models.BigIntegerField(null=True, blank=True)
    # A small JPEG (at most THUMBNAIL_SIDE px) for the review queue, so a page of 50 claims
    # does not load 50 full photos.
    thumbnail = models.BinaryField(blank=True, default=b"", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"photo of claim #{self.claim_id}"


class DecisionKind(models.TextChoices):
    APPROVE = "approve", _("Approved")
    SECOND_APPROVE = "second_approve", _("Approved by a second approver")
    REJECT = "reject", _("Rejected")
    HOLD = "hold", _("Held")
    RELEASE = "release", _("Hold lifted")
    PAY = "pay", _("Paid")


class ClaimDecision(models.Model):
    """Every decision on a claim: who, when, why. Shown on the claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="decisions")
    actor = person_ref()
    kind = models.CharField(max_length=16, choices=DecisionKind.choices)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on claim #{self.claim_id}"


class FlagKind(models.TextChoices):
    TOO_FAST = "too_fast", _("Too fast")
    FAR_AWAY = "far_away", _("Far from the task")
    DUPLICATE_PHOTO = "duplicate_photo", _("Photo used before")
    UNVERIFIED = "unverified", _("Resident not verified")
    MANY_CLAIMS = "many_claims", _("Many claims")


class ClaimFlag(models.Model):
    """A fraud signal found when the claim was submitted (rewards.fraud): the kind and the
    figures behind it (`params`), from which the page writes a plain reason in its language."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["claim", "kind"], name="rewards_claimflag_once"),
        ]
        indexes: ClassVar = [models.Index(fields=["kind", "claim"])]

    def __str__(self) -> str:
        return f"{self.kind} on claim #{self.claim_id}"


class EarningRules(models.Model):
    """The volunteer-allowance rules of one calendar year (rewards.earning): what a resident may
    be paid per estimated hour of a task (a lower youth rate under an age), per month and per
    year. Amounts in minor units of the token (1 token = EUR 1). Staff set them; a year without
    a row falls back to the settings (REWARDS_HOURLY_CAP, REWARDS_ANNUAL_CAP, ...)."""

    year = models.PositiveSmallIntegerField(unique=True)
    hourly_cap = models.BigIntegerField()
    youth_hourly_cap = models.BigIntegerField()
    youth_under_age = models.PositiveSmallIntegerField(default=21)
    monthly_cap = models.BigIntegerField()
    annual_cap = models.BigIntegerField()
    updated_by = person_ref()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-year"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="rewards_rules_year_sane"
            ),
            models.CheckConstraint(
                condition=Q(youth_hourly_cap__gt=0, youth_hourly_cap__lte=F("hourly_cap")),
                name="rewards_rules_youth_rate_at_most_hourly",
            ),
            models.CheckConstraint(
                condition=Q(monthly_cap__gt=0, monthly_cap__lte=F("annual_cap")),
                name="rewards_rules_month_within_year",
            ),
            models.CheckConstraint(
                condition=Q(youth_under_age__gte=1, youth_under_age__lte=99),
                name="rewards_rules_youth_age_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"earning rules {self.year}"
