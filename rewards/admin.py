"""Read-only admin views of rewards. Every change goes through the services (rules, locks,
audit, ledger); the admin only lets staff look."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Campaign, Claim, ClaimDecision, Evidence, MintRequest, Task


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("name", "starts_on", "ends_on", "status", "budget")
    list_filter = ("status",)
    search_fields = ("name",)


@admin.register(MintRequest)
class MintRequestAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "amount", "status", "requested_by", "decided_by", "requested_at")
    list_filter = ("status",)


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = (
        "title_nl",
        "campaign",
        "category",
        "reward",
        "capacity",
        "slots_taken",
        "status",
    )
    list_filter = ("status", "category")
    search_fields = ("title_nl",)


class EvidenceInline(admin.TabularInline):
    model = Evidence
    fields = ("content_type", "width", "height", "size", "sha256", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


class DecisionInline(admin.TabularInline):
    model = ClaimDecision
    fields = ("kind", "actor", "reason", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("id", "task", "resident", "status", "amount", "reserved_at")
    list_filter = ("status",)
    inlines = (EvidenceInline, DecisionInline)
