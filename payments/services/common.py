"""What every way of paying shares: the checks of amounts, limits, shops and payers, and
`payment_post`, the one way a payment is written."""

import re
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Model, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import NotAResident
from accounts.models import ResidentProfile, User
from accounts.templatetags.heitje import tokens
from core.rows import Columns, cache_relation, fetch_one, insert
from ledger import errors as ledger_errors
from ledger import services as ledger_services
from ledger.models import Account, AccountKind, AccountStatus, Transfer, TransferKind
from shops.models import Shop, ShopMember, ShopStatus

from ..errors import (
    InsufficientBalance,
    LimitExceeded,
    OwnShop,
    PaymentError,
    ShopNotAccepting,
    WalletNotOpen,
    WrongCurrency,
)
from ..models import (
    Payment,
    PaymentMethod,
    PaymentRequest,
    PayToken,
)

Row = TypeVar("Row", bound=Model)

IDEMPOTENCY_SCOPE = "payments"
SHORT_CODE_FAILURES_MAX = 10
SHORT_CODE_WINDOW = 300  # seconds
SHORT_CODE_TRIES = 20  # attempts to draw a short code no open code has
REASON_MAX = 300
CLIENT_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


# --- shared checks -------------------------------------------------------------------------


def _one(rows: QuerySet[Row]) -> Row | None:
    """The row of a query by a unique key, or None: `.first()` without its ORDER BY, whose
    compilation (expression hashing) costs more CPU than the rest of such a query."""
    found = list(rows[:1])
    return found[0] if found else None


def _profile(user: User) -> ResidentProfile:
    profile = (
        ResidentProfile.objects.select_related("wallet__currency").filter(user_id=user.pk).first()
        if user.is_authenticated
        else None
    )
    if profile is None:
        raise NotAResident(_("Only residents have a wallet."))
    return profile


_PROFILE = Columns(ResidentProfile, "p")
_WALLET = Columns(Account, "w")
_PAY_TOKEN = Columns(PayToken, "t")

# What ResidentProfile.objects.select_for_update().select_related("wallet") runs: FOR UPDATE
# without OF, so the profile's row and its wallet's are both locked. Written as SQL (as are the
# code's lock below): compiling these selects was a third of a payment's ORM cost.
_PROFILE_LOCK_SQL = """
    SELECT {profile}, {wallet}
      FROM accounts_residentprofile p
      JOIN ledger_account w ON w.id = p.wallet_id
     WHERE p.user_id = {who}
     LIMIT 1
       FOR UPDATE
"""
_PROFILE_BY_USER = "%s"
_PROFILE_BY_CODE_HASH = "(SELECT resident_id FROM payments_paytoken WHERE token_hash = %s LIMIT 1)"
_CODE_LOCK_SQL = "SELECT {code} FROM payments_paytoken t WHERE t.{key} = %s LIMIT 1 FOR UPDATE"


def _profile_lock_where(who: str, value: object) -> ResidentProfile | None:
    sql = _PROFILE_LOCK_SQL.format(profile=_PROFILE.sql, wallet=_WALLET.sql, who=who)
    row = fetch_one(sql, (value,))
    if row is None:
        return None
    profile = _PROFILE.load(row)
    assert profile is not None
    cache_relation(profile, "wallet", _WALLET.load(row, _PROFILE.width))
    return profile


def _lock_profile_of(user_id: int) -> ResidentProfile | None:
    """The resident's profile and wallet, both locked (FOR UPDATE), or None."""
    return _profile_lock_where(_PROFILE_BY_USER, user_id)


def _lock_profile_by_token(digest: str) -> ResidentProfile | None:
    """The profile and wallet of the resident whose code has this hash, both locked, found
    and locked in one statement; None for an unknown code."""
    return _profile_lock_where(_PROFILE_BY_CODE_HASH, digest)


def _lock_pay_token(*, token_hash: str | None = None, pk: int | None = None) -> PayToken | None:
    """The code's row, locked (FOR UPDATE), by its hash or its id; None if there is none."""
    key, value = ("token_hash", token_hash) if token_hash is not None else ("id", pk)
    row = fetch_one(_CODE_LOCK_SQL.format(code=_PAY_TOKEN.sql, key=key), (value,))
    return _PAY_TOKEN.load(row) if row is not None else None


def _lock_profile(user_id: int) -> ResidentProfile:
    """The resident's profile and wallet, both locked; ResidentProfile.DoesNotExist if none."""
    profile = _lock_profile_of(user_id)
    if profile is None:
        raise ResidentProfile.DoesNotExist("ResidentProfile matching query does not exist.")
    return profile


def _amount_check(amount: object) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise PaymentError(_("Enter an amount of more than 0."), field="amount")
    if amount > settings.PAYMENT_MAX:
        raise LimitExceeded(
            _("A payment is at most %(max)s.") % {"max": tokens(settings.PAYMENT_MAX)},
            field="amount",
        )
    return amount


def day_start(moment: datetime | None = None) -> datetime:
    """Midnight (Europe/Amsterdam, the project's time zone) of the day `moment` falls on."""
    local = timezone.localtime(moment or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def resident_spent_today(*, user_id: int) -> int:
    """What the resident paid in shops today, net of refunds (minor units)."""
    total = Payment.objects.filter(resident_id=user_id, created_at__gte=day_start()).aggregate(
        total=Sum(F("amount") - F("refunded"))
    )["total"]
    return int(total or 0)


def _daily_check(*, user_id: int, amount: int) -> None:
    """Call with the resident's profile row locked."""
    spent = resident_spent_today(user_id=user_id)
    if spent + amount > settings.PAYMENT_DAILY_MAX:
        left = max(settings.PAYMENT_DAILY_MAX - spent, 0)
        raise LimitExceeded(
            _("This is above the daily limit for payments: %(left)s left today.")
            % {"left": tokens(left)},
            field="amount",
        )


def _accepting(shop: Shop) -> Account:
    """The shop's ledger account, if the shop may take payments now. The account comes with
    the shop where it was loaded with it (shop_membership does); posting checks its status
    again under the ledger's lock."""
    if shop.status != ShopStatus.APPROVED or shop.account_id is None:
        raise ShopNotAccepting(_("This shop cannot take payments at the moment."))
    account = shop.account
    assert account is not None
    if account.status != AccountStatus.OPEN:
        raise ShopNotAccepting(_("This shop cannot take payments at the moment."))
    return account


def _not_own_shop(*, user_id: int, shop_id: int) -> None:
    if ShopMember.objects.filter(user_id=user_id, shop_id=shop_id).exists():
        raise OwnShop(_("Nobody pays a shop they belong to."))


# One round trip for two reads; the tables are ShopMember's and Payment's.
_PAYER_CHECK_SQL = """
SELECT EXISTS (SELECT 1 FROM accounts_shopmember
                WHERE user_id = %(user)s AND shop_id = %(shop)s),
       coalesce((SELECT sum(amount - refunded) FROM payments_payment
                  WHERE resident_id = %(user)s AND created_at >= %(day)s), 0)
"""


def _payer_check(*, user_id: int, shop_id: int, amount: int) -> None:
    """`_not_own_shop` and then `_daily_check`, in one statement. Call with the resident's
    profile row locked."""
    with connection.cursor() as cursor:
        cursor.execute(_PAYER_CHECK_SQL, {"user": user_id, "shop": shop_id, "day": day_start()})
        own, spent = cursor.fetchone()
    if own:
        raise OwnShop(_("Nobody pays a shop they belong to."))
    if int(spent) + amount > settings.PAYMENT_DAILY_MAX:
        left = max(settings.PAYMENT_DAILY_MAX - int(spent), 0)
        raise LimitExceeded(
            _("This is above the daily limit for payments: %(left)s left today.")
            % {"left": tokens(left)},
            field="amount",
        )


def _transfer(
    *, kind: str, source: Account, destination: Account, amount: int, **options: Any
) -> Transfer:
    """Post one transfer, turning the ledger's refusals into sentences for the till and wallet."""
    try:
        return ledger_services.transfer_post(
            kind=kind,
            legs=ledger_services.legs_between(
                source_id=source.pk, destination_id=destination.pk, amount=amount
            ),
            idempotency_scope=IDEMPOTENCY_SCOPE,
            **options,
        )
    except ledger_errors.InsufficientFunds:
        if source.kind == AccountKind.SHOP:
            raise InsufficientBalance(_("The shop's balance is too low for this refund.")) from None
        raise InsufficientBalance(
            _("There are not enough tokens in the wallet for this payment."), field="amount"
        ) from None
    except ledger_errors.AccountNotOpen as exc:
        shop_side = source if source.kind == AccountKind.SHOP else destination
        if exc.account_id == shop_side.pk:
            raise ShopNotAccepting(_("This shop's account is frozen at the moment.")) from None
        raise WalletNotOpen(_("This wallet is frozen: it can neither pay nor receive.")) from None
    except ledger_errors.CurrencyMismatch:
        raise WrongCurrency(_("The wallet and the shop use different currencies.")) from None


def payment_post(
    *,
    shop: Shop,
    payer_account: Account,
    amount: int,
    method: str,
    idempotency_key: str,
    resident: User | None = None,
    resident_id: int | None = None,
    cashier: User | None = None,
    request: PaymentRequest | None = None,
    kind: str = TransferKind.PAYMENT,
    metadata: dict[str, Any] | None = None,
    actor_id: int | None = None,
    shop_account: Account | None = None,
    replay_possible: bool = True,
) -> Payment:
    """Post `amount` from `payer_account` into the shop's own account and record the Payment.

    The one way a payment is written, shared by every method (resident's code, shop's request,
    poster, paper voucher). Checks the shop may take payments; limits, codes and who may do it
    are the caller's job. At most once per idempotency key (scope "payments"): posting the same
    key again returns the first payment. Call it inside the caller's transaction (the function
    opens no savepoint of its own: a refusal rolls the caller's transaction back), after locking
    what the caller consumes (token, request, voucher).

    `shop_account`: the shop's account as the caller already checked it with `_accepting`.
    `replay_possible=False`: the caller proved under its locks that this key was never posted
    (an unused code, an open request), so the payment is not looked up before it is written;
    were it wrong, the unique transfer of a payment refuses the second row."""
    if method not in PaymentMethod.values:
        raise ValueError(f"Unknown payment method {method!r}.")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise PaymentError(_("Enter an amount of more than 0."), field="amount")
    if shop_account is None:
        shop_account = _accepting(shop)
    with transaction.atomic(savepoint=False):
        transfer = _transfer(
            kind=kind,
            source=payer_account,
            destination=shop_account,
            amount=amount,
            idempotency_key=idempotency_key,
            metadata={"shop_id": shop.pk, "shop": shop.name, "method": method, **(metadata or {})},
            actor_id=actor_id,
        )
        if replay_possible:
            existing = Payment.objects.filter(transfer=transfer).first()
            if existing is not None:
                return existing
        # The resident's row need not be loaded to be named.
        who: dict[str, Any] = (
            {"resident": resident} if resident is not None else {"resident_id": resident_id}
        )
        return insert(  # Payment.objects.create, without compiling the INSERT
            Payment(
                shop=shop,
                payer_account=payer_account,
                **who,
                amount=amount,
                method=method,
                transfer=transfer,
                cashier=cashier,
                request=request,
            )
        )
