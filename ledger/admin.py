"""Read-only views of the ledger for administrators: money never moves through the admin."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin

from .models import Account, AccountStatusChange, Block, Currency, Entry, Transfer


@admin.register(Currency)
class CurrencyAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "decimals")


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "name", "currency", "balance", "version", "status")
    list_filter = ("kind", "status", "currency")
    search_fields = ("name",)


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ("account", "amount", "balance_after", "account_version")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "currency", "created_at", "idempotency_scope", "idempotency_key")
    list_filter = ("kind", "currency")
    inlines = (EntryInline,)


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = (
        "height",
        "transfer_count",
        "first_transfer_id",
        "last_transfer_id",
        "sealed_at",
        "key_id",
    )


@admin.register(AccountStatusChange)
class AccountStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("account", "status", "actor", "created_at")
