"""Privacy (GDPR): a person downloads everything held about them, and deletes their account.

Deleting does not delete rows the ledger's history needs. The person's row stays with its
personal data erased (a pseudonymous address, no name, no password), their wallet is emptied
into the community fund through the ledger, closed, and renamed, so every past transfer still
balances and points at an account that no longer says whose it was.

Other apps hold data about people too; accounts does not import them (imports point down).
They take part through accounts.signals: `account_erasing` (sent inside the deletion's
transaction: shops refuses while the person owns a shop and ends their cashier roles, rewards
withdraws the person's open claims and erases notes, locations and photos) and
`data_exporting` (each receiver returns its part of the export: shops, the memberships and
cashier invitations; rewards, the claims).
"""

from __future__ import annotations

from typing import Any, cast

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.models import AccountKind, AccountStatus, TransferKind

from . import identity
from .errors import DeletionRefused, ProfileRefused
from .models import (
    ApiToken,
    AuditEvent,
    InviteCode,
    Notification,
    ResidentProfile,
    RoleGrant,
    SessionRecord,
    User,
)
from .signals import account_erasing, data_exporting

STATEMENT_PAGE = 500


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _wallet(profile: ResidentProfile) -> dict[str, Any]:
    wallet = profile.wallet
    lines: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        page = ledger_selectors.account_statement(
            account_id=wallet.pk, before_version=before, limit=STATEMENT_PAGE
        )
        lines.extend(
            {
                "version": line.version,
                "transfer_id": line.transfer_id,
                "kind": line.kind,
                "created_at": _when(line.created_at),
                "amount": line.amount,
                "balance_after": line.balance_after,
                "metadata": line.metadata,
            }
            for line in page.lines
        )
        if page.next_before is None:
            break
        before = page.next_before
    return {
        "account_id": wallet.pk,
        "currency": wallet.currency.code,
        "decimals": wallet.currency.decimals,
        "balance": ledger_selectors.account_balance(account_id=wallet.pk),
        "status": wallet.status,
        "statement": lines,
    }


def data_export(*, user: User) -> dict[str, Any]:
    """Everything held about the person, as plain JSON-ready data: profile, roles, resident
    profile and residency, wallet with its full statement, sessions and API tokens (never a
    token itself: only its hash is kept), the use of an invitation code, notifications, the
    audit events of what they did, and what other apps hold (the `data_exporting` signal: shops
    adds the shop memberships and the cashier invitations to their address, rewards the
    claims)."""
    profile = (
        ResidentProfile.objects.select_related("wallet__currency", "neighbourhood")
        .filter(user=user)
        .first()
    )
    invite = InviteCode.objects.filter(used_by=user).first()
    data: dict[str, Any] = {
        "exported_at": _when(timezone.now()),
        "profile": {
            "id": user.pk,
            "email": user.email,
            "display_name": user.display_name,
            "preferred_language": user.preferred_language,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "email_verified_at": _when(user.email_verified_at),
        },
        "roles": [
            {"role": g.role, "granted_at": _when(g.created_at)}
            for g in RoleGrant.objects.filter(user=user).order_by("created_at", "id")
        ],
        "resident": None
        if profile is None
        else {
            "neighbourhood": profile.neighbourhood.name if profile.neighbourhood else None,
            "residency_verified_at": _when(profile.residency_verified_at),
            "residency_method": profile.residency_method,
            "wallet": _wallet(profile),
        },
        "sessions": [
            {
                "started_at": _when(s.created_at),
                "last_seen_at": _when(s.last_seen_at),
                "ended_at": _when(s.ended_at),
                "ip_address": s.ip_address,
                "user_agent": s.user_agent,
            }
            for s in SessionRecord.objects.filter(user=user).order_by("created_at", "id")
        ],
        "api_tokens": [
            {
                "device_name": t.device_name,
                "created_at": _when(t.created),
                "expires_at": _when(t.expiry),
                "last_used_at": _when(t.last_used_at),
                "ip_address": t.ip_address,
                "user_agent": t.user_agent,
            }
            for t in ApiToken.objects.filter(user=user).order_by("created", "id")
        ],
        "invite_code": None
        if invite is None
        else {"batch": invite.batch, "used_at": _when(invite.used_at)},
        "audit_events": [
            {
                "at": _when(e.created_at),
                "action": e.action,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "detail": e.detail,
                "ip_address": e.ip_address,
                "user_agent": e.user_agent,
            }
            for e in AuditEvent.objects.filter(actor=user).order_by("created_at", "id")
        ],
        "notifications": [
            {
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "link": n.link,
                "created_at": _when(n.created_at),
                "read_at": _when(n.read_at),
            }
            for n in Notification.objects.filter(user=user).order_by("created_at", "id")
        ],
    }
    for receiver, response in data_exporting.send(sender=User, user=user):
        fragment = cast("dict[str, Any] | None", response)
        if not fragment:
            continue
        clash = set(fragment) & set(data)
        if clash:
            raise RuntimeError(f"{receiver!r} exports keys already taken: {sorted(clash)}")
        data.update(fragment)
    return data


def erased_email(user: User) -> str:
    return f"erased-{user.pk}@erased.invalid"


def person_erase(
    *, user: User, password: str, confirm: bool, request: HttpRequest | None = None
) -> None:
    """Delete one's own account, after typing the password again.

    All or nothing, in one transaction: tokens left in the wallet are donated to the community
    fund through the ledger (idempotency key `erase:<user id>`), the wallet is closed and
    renamed, and the person's data is erased or pseudonymised; their notifications are
    deleted; every session, API token and authenticator device ends; other apps erase their
    part in the same transaction (`account_erasing`: shops refuses while the person owns a shop,
    who must hand it over first, and ends their cashier roles; rewards ends the open claims and
    erases notes, locations and photos). The ledger's history stays whole.
    """
    if confirm is not True:
        raise ProfileRefused(_("Confirm that you want to delete your account."), field="confirm")
    identity.reauthenticate(user=user, password=password, request=request)
    with transaction.atomic():
        # FOR NO KEY UPDATE: rows that point at the person (a payout's notification, an audit
        # event) can still be written meanwhile, so a payout holding a claim that the erasure
        # below waits for can finish instead of deadlocking with it.
        user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        if user.erased_at is not None:
            raise DeletionRefused(_("This account has already been deleted."))
        # Before the wallet is touched: shops refuses an owner; rewards withdraws the open
        # claims (an approved claim can no longer be paid in) and erases notes, locations and
        # photos. Claim rows are locked there before the profile row is locked here, the order
        # payouts lock them in.
        account_erasing.send(sender=User, user=user)
        old_email = user.email
        profile = (
            ResidentProfile.objects.select_for_update()
            .select_related("wallet__currency")
            .filter(user=user)
            .first()
        )
        if profile is not None:
            wallet = profile.wallet
            if wallet.status == AccountStatus.FROZEN:
                raise DeletionRefused(
                    _(
                        "Your wallet is frozen while the municipality looks into it, so it "
                        "cannot be closed now. Ask the municipality for help."
                    )
                )
            balance = ledger_selectors.account_balance(account_id=wallet.pk)
            if balance > 0:
                fund = ledger_services.system_account_get_or_open(
                    currency=wallet.currency,
                    kind=AccountKind.FUND,
                    name=f"{wallet.currency.name} community fund",
                )
                ledger_services.transfer_post(
                    kind=TransferKind.DONATION,
                    legs=ledger_services.legs_between(
                        source_id=wallet.pk, destination_id=fund.pk, amount=balance
                    ),
                    idempotency_key=f"erase:{user.pk}",
                    metadata={"reason": "account deleted"},
                    actor_id=user.pk,
                )
            ledger_services.account_close(
                account_id=wallet.pk, actor_id=user.pk, reason="account deleted"
            )
            ledger_services.account_rename(
                account_id=wallet.pk, name=f"Wallet of erased resident {user.pk}"
            )
            profile.neighbourhood = None
            profile.save(update_fields=["neighbourhood"])

        identity.sessions_end_all(user=user)
        SessionRecord.objects.filter(user=user).delete()
        Notification.objects.filter(user=user).delete()
        RoleGrant.objects.filter(user=user).delete()
        user.groups.clear()
        user.user_permissions.clear()
        pseudonym = erased_email(user)
        AuditEvent.objects.filter(actor=user).update(actor_label=pseudonym)
        for model in (AccessAttempt, AccessLog, AccessFailureLog):
            model.objects.filter(username=old_email).delete()

        user.email = pseudonym
        user.display_name = ""
        user.set_unusable_password()
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.last_login = None
        user.email_verified_at = None
        user.erased_at = timezone.now()
        user.preferred_language = settings.LANGUAGE_CODE
        user.save()
