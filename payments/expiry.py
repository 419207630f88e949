"""Optional expiry of dormant wallets: off unless a currency sets `expiry_months`.

The rule (docs/ledger.md, "Expiry"): a resident's open wallet with a positive balance whose
latest entry (money in or out) is `expiry_months` calendar months old or older is dormant; its
whole balance returns to the currency's issuer. The resident is told a month before, and the
expiry never comes sooner than a month after that notice, so switching expiry on never takes
anyone's tokens without warning. Any entry on the wallet in between (a payment, a reward)
makes the notice moot.

Both steps run daily (`wallet_expiry_task`) and are idempotent and safe to run concurrently:
- the notice is one `WalletExpiry` row per (wallet, version), written with the wallet locked;
- the expiry locks the issuer and the wallet (in id order, as posting does) and the row, checks
  that the wallet's version is still the one notified, and posts one `expiry` transfer keyed
  `walletexpiry:<row id>` through `ledger.services`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts import audit
from accounts.errors import NotAllowed
from accounts.models import Notification, ResidentProfile, Role, User
from accounts.permissions import has_role
from accounts.tasks import mail_template
from core.money import amount_format
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.models import Account, AccountStatus, Currency, TransferKind
from ledger.selectors import StatementLine

from .models import WalletExpiry

logger = logging.getLogger(__name__)

IDEMPOTENCY_SCOPE = "payments"
WALLET_LINK = "/wallet/"
# Who switches expiry on or off in the staff console and API (the command is for operators).
SWITCH_ROLES = (Role.FINANCE, Role.ADMIN)

# Dormant wallets a month (or less) from expiry that have no notice for their current version.
# Calendar months, in PostgreSQL's interval arithmetic (UTC); the due date is never less than a
# month after the notice. `months` (else NULL) asks the same of a rule not yet set (a preview).
_DUE_SQL = """
SELECT a.id, a.version, a.balance, t.created_at,
       greatest(t.created_at + make_interval(months => c.expiry_months),
                %(now)s::timestamptz + interval '1 month'),
       c.id
  FROM ledger_account a
  JOIN ledger_currency c ON c.id = a.currency_id
   AND coalesce(%(months)s::int, c.expiry_months) IS NOT NULL
  JOIN ledger_entry e ON e.account_id = a.id AND e.account_version = a.version
  JOIN ledger_transfer t ON t.id = e.transfer_id
 WHERE a.kind = 'wallet' AND a.status = 'open' AND a.balance > 0
   AND t.created_at + make_interval(months => coalesce(%(months)s::int, c.expiry_months) - 1)
       <= %(now)s::timestamptz
   AND NOT EXISTS (SELECT 1 FROM payments_walletexpiry x
                    WHERE x.wallet_id = a.id AND x.version = a.version)
   AND (%(wallet)s::bigint IS NULL OR a.id = %(wallet)s::bigint)
 ORDER BY a.id
"""


def currency_expiry_switch(*, actor: User | None, code: str, months: int | None) -> Currency:
    """Switch a currency's expiry on (`months`) or off (None), with an audit event
    `currency.expiry` naming the rule before and after. Notices already sent stay; while
    expiry is off, no wallet expires. A named `actor` must be finance or an administrator
    (None is the system: an operator's command)."""
    if actor is not None and not has_role(actor, SWITCH_ROLES):
        raise NotAllowed(_("Only finance and administrators switch wallet expiry."))
    with transaction.atomic():
        currency = Currency.objects.select_for_update().get(code=code)
        before = currency.expiry_months
        currency = ledger_services.currency_expiry_set(currency_id=currency.pk, months=months)
        audit.record(
            actor=actor,
            action="currency.expiry",
            target=currency,
            detail={"code": code, "from": before, "to": months},
        )
    return currency


def _dormant(
    now: datetime, wallet_id: int | None = None, months: int | None = None
) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(_DUE_SQL, {"now": now, "wallet": wallet_id, "months": months})
        return cursor.fetchall()


def _notify(expiry: WalletExpiry) -> None:
    """The in-app notice and the mail, in the resident's language (mail after commit, once)."""
    profile = ResidentProfile.objects.filter(wallet_id=expiry.wallet_id).select_related("user")
    resident = profile.first()
    if resident is None:
        return
    user = resident.user
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        context = {
            "amount": amount_format(expiry.amount),
            "date": formats.date_format(timezone.localdate(expiry.due_at), "DATE_FORMAT"),
            "link": settings.SITE_URL + WALLET_LINK,
        }
        Notification.objects.create(
            user=user,
            kind="wallet.expiry",
            title=_("Your Heitje will expire"),
            body=_(
                "%(amount)s Heitje in your wallet will return to the municipality on %(date)s "
                "unless you use your wallet before then: any payment or reward keeps them."
            )
            % context,
            link=WALLET_LINK,
        )
        mail_template(
            to=user, template="wallet_expiry", key=f"walletexpiry:{expiry.pk}", context=context
        )


def wallet_expiries_notify(*, now: datetime | None = None) -> int:
    """Tell every resident whose wallet will expire within a month, once per due expiry.

    Never notifies twice for one wallet version, also when two runs overlap: each wallet is
    locked and looked at afresh before its notice row is written. Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for wallet_id, *_rest in _dormant(now):
        with transaction.atomic():
            ledger_services.account_lock(account_id=wallet_id)
            fresh = _dormant(now, wallet_id)
            if not fresh:
                continue  # it moved, or a concurrent run sent the notice
            _id, version, balance, last_at, due_at, _currency = fresh[0]
            expiry = WalletExpiry.objects.create(
                wallet_id=wallet_id,
                version=version,
                amount=balance,
                last_activity_at=last_at,
                notified_at=now,
                due_at=due_at,
            )
            _notify(expiry)
            sent += 1
    return sent


def _expire_one(expiry_id: int, now: datetime) -> int:
    with transaction.atomic():
        expiry = WalletExpiry.objects.select_related("wallet__currency").get(pk=expiry_id)
        currency = expiry.wallet.currency
        issuer = ledger_selectors.issuer_account(currency=currency)
        for account_id in sorted((issuer.pk, expiry.wallet_id)):
            ledger_services.account_lock(account_id=account_id)
        expiry = WalletExpiry.objects.select_for_update().get(pk=expiry_id)
        wallet = Account.objects.select_related("currency").get(pk=expiry.wallet_id)
        if (
            expiry.transfer_id is not None
            or wallet.version != expiry.version
            or wallet.status != AccountStatus.OPEN
            or wallet.currency.expiry_months is None
            or wallet.balance <= 0
        ):
            return 0  # expired by a concurrent run, moved since the notice, or expiry is off
        transfer = ledger_services.transfer_post(
            kind=TransferKind.EXPIRY,
            legs=ledger_services.legs_between(
                source_id=wallet.pk, destination_id=issuer.pk, amount=wallet.balance
            ),
            idempotency_scope=IDEMPOTENCY_SCOPE,
            idempotency_key=f"walletexpiry:{expiry.pk}",
            metadata={
                "wallet_expiry": expiry.pk,
                "last_activity": expiry.last_activity_at.isoformat(),
                "months": wallet.currency.expiry_months,
            },
        )
        expiry.transfer = transfer
        expiry.expired_at = now
        expiry.save(update_fields=["transfer", "expired_at"])
        return wallet.balance


def wallets_expire(*, now: datetime | None = None) -> int:
    """Return the balance of every wallet whose notice is due and that has not moved since to
    the issuer, in one `expiry` transfer each. Never expires a wallet twice or one that moved
    after its notice, also when two runs overlap. Returns how many wallets expired."""
    now = now or timezone.now()
    due = (
        WalletExpiry.objects.filter(
            transfer__isnull=True,
            due_at__lte=now,
            version=F("wallet__version"),
            wallet__currency__expiry_months__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    for expiry_id in due:
        amount = _expire_one(expiry_id, now)
        if amount:
            expired += 1
            logger.info("wallet expiry %s: %s returned to the issuer", expiry_id, amount)
    return expired


def expiry_line_names(lines: Sequence[StatementLine]) -> dict[int, str]:
    """The wallet history's words for an expiry (a wallet line namer, accounts.wallet_hooks)."""
    return {
        line.transfer_id: _("Expired: %(amount)s Heitje returned to the municipality")
        % {"amount": amount_format(-line.amount)}
        for line in lines
        if line.amount < 0
    }


def _pending(*, currency_id: int | None = None, wallet_id: int | None = None) -> Any:
    """Notices whose expiry can still happen: not expired, the wallet unmoved and open, and
    expiry still on for its currency."""
    rows = WalletExpiry.objects.filter(
        transfer__isnull=True,
        version=F("wallet__version"),
        wallet__status=AccountStatus.OPEN,
        wallet__balance__gt=0,
        wallet__currency__expiry_months__isnull=False,
    )
    if currency_id is not None:
        rows = rows.filter(wallet__currency_id=currency_id)
    if wallet_id is not None:
        rows = rows.filter(wallet_id=wallet_id)
    return rows


@dataclass(frozen=True)
class ExpiryOutlook:
    """For staff: wallets of a currency within a month of expiry (told already, or to be told
    at the next daily run) and the tokens (minor units) they hold."""

    wallets: int
    amount: int


def expiry_outlook(
    *, currency: Currency, months: int | None = None, now: datetime | None = None
) -> ExpiryOutlook:
    """Under the current rule (or, with `months`, under that rule as a preview): how many
    wallets would lose their tokens within about a month, and how many tokens."""
    now = now or timezone.now()
    rule = months or currency.expiry_months
    if rule is None:
        return ExpiryOutlook(wallets=0, amount=0)
    untold = [row for row in _dormant(now, months=rule) if row[5] == currency.pk]
    wallets, amount = len(untold), sum(row[2] for row in untold)
    # Notices already sent keep their due date under any rule while expiry stays on.
    told = _pending(currency_id=currency.pk).aggregate(n=Count("pk"), s=Sum("wallet__balance"))
    wallets, amount = wallets + told["n"], amount + (told["s"] or 0)
    return ExpiryOutlook(wallets=wallets, amount=amount)


BANNER_ID = "wallet-expiry"


def wallet_expiry_notices(user_id: int) -> list[tuple[str, str]]:
    """The wallet home's warning while a notice is pending (a wallet notice reader,
    accounts.wallet_hooks): gone once the wallet moved or expiry was switched off."""
    wallet_id = (
        ResidentProfile.objects.filter(user_id=user_id).values_list("wallet_id", flat=True).first()
    )
    notice = None if wallet_id is None else _pending(wallet_id=wallet_id).order_by("-pk").first()
    if notice is None:
        return []
    text = _(
        "%(amount)s Heitje will return to the municipality on %(date)s unless you use your "
        "wallet before then."
    ) % {
        "amount": amount_format(notice.amount),
        "date": formats.date_format(timezone.localdate(notice.due_at), "DATE_FORMAT"),
    }
    return [(BANNER_ID, text)]
