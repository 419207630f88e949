"""Paying in shops: the resident's one-time pay code, the shop's signed payment request, the
shop's poster, and refunds. Money moves only through ledger.services (docs/qr.md).

Rules kept here (pages and the API only call these):
- A payment is more than 0 and at most PAYMENT_MAX; a resident's payments of the day (Europe/
  Amsterdam, net of refunds) stay within PAYMENT_DAILY_MAX. The resident's profile row is locked
  while the day's total is checked, so concurrent payments cannot both slip under the limit.
- A shop charges, and is paid, only into its own account, and only while it is approved and
  its account open. Only members (owner or cashier) act for a shop; to others it does not
  exist. Nobody pays a shop they belong to.
- A resident's code works once, until it expires (PAY_TOKEN_SECONDS); a new code ends the
  resident's older open ones. Using it and posting the payment are one transaction, with the
  code's row locked, so two tills using one code at the same moment make one payment. Refused
  payments (too few tokens, a limit) leave the code usable until it expires. Above
  PAYMENT_CONFIRM_ABOVE the resident confirms the amount: in advance when asking for the code,
  or else the charge becomes a payment request bound to that code, which only that resident
  can pay, on their own phone (the till waits for it as for a shown request).
- Failed look-ups of resident codes are counted per shop and cashier: after
  SHORT_CODE_FAILURES_MAX within SHORT_CODE_WINDOW seconds the till is refused for a while.
- A payment request is paid at most once: its row is locked and moves from open to paid in the
  transaction that posts the payment. Its 9-digit short code (for typing instead of scanning)
  is unique among open requests and found only while the request is open; failed look-ups
  count towards the resident's limit of wrong codes, as the till's do.
- Refunds: against a payment to the same shop, never above what is left of it (a CHECK in the
  database too); cashiers up to CASHIER_REFUND_MAX per refund, owners any amount.
Lock order: a request's or payment's row, then the resident's profile, then the resident's
code rows, then the ledger accounts (ledger.services, in id order). Codes come after the
profile because issuing a code (the wallet renews it every minute) locks the profile first.
"""

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.errors import NotAllowed, NotAResident, NotFound
from accounts.models import ResidentProfile, User
from accounts.templatetags.heitje import tokens
from ledger import errors as ledger_errors
from ledger import services as ledger_services
from ledger.models import Account, AccountKind, AccountStatus, Transfer, TransferKind
from shops.models import Shop, ShopMember, ShopStatus
from shops.selectors import shop_membership

from . import codes, keys
from .errors import (
    CodeExpired,
    CodeUnknown,
    CodeUsed,
    InsufficientBalance,
    LimitExceeded,
    OwnShop,
    PaymentError,
    RefundRefused,
    RequestNotOpen,
    ShopNotAccepting,
    TooManyAttempts,
    WalletNotOpen,
    WrongCurrency,
)
from .models import (
    CodeAttempts,
    Payment,
    PaymentMethod,
    PaymentRequest,
    PayToken,
    Refund,
    RequestStatus,
)

logger = logging.getLogger(__name__)

IDEMPOTENCY_SCOPE = "payments"
SHORT_CODE_FAILURES_MAX = 10
SHORT_CODE_WINDOW = 300  # seconds
SHORT_CODE_TRIES = 20  # attempts to draw a short code no open code has
REASON_MAX = 300
CLIENT_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


# --- shared checks -------------------------------------------------------------------------


def _profile(user: User) -> ResidentProfile:
    profile = (
        ResidentProfile.objects.select_related("wallet__currency").filter(user_id=user.pk).first()
        if user.is_authenticated
        else None
    )
    if profile is None:
        raise NotAResident(_("Only residents have a wallet."))
    return profile


def _lock_profile(user_id: int) -> ResidentProfile:
    return ResidentProfile.objects.select_for_update().select_related("wallet").get(user_id=user_id)


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
    """The shop's ledger account, if the shop may take payments now."""
    if shop.status != ShopStatus.APPROVED or shop.account_id is None:
        raise ShopNotAccepting(_("This shop cannot take payments at the moment."))
    account = Account.objects.get(pk=shop.account_id)
    if account.status != AccountStatus.OPEN:
        raise ShopNotAccepting(_("This shop cannot take payments at the moment."))
    return account


def _not_own_shop(*, user_id: int, shop_id: int) -> None:
    if ShopMember.objects.filter(user_id=user_id, shop_id=shop_id).exists():
        raise OwnShop(_("Nobody pays a shop they belong to."))


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
    cashier: User | None = None,
    request: PaymentRequest | None = None,
    kind: str = TransferKind.PAYMENT,
    metadata: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> Payment:
    """Post `amount` from `payer_account` into the shop's own account and record the Payment.

    The one way a payment is written, shared by every method (resident's code, shop's request,
    poster, paper voucher). Checks the shop may take payments; limits, codes and who may do it
    are the caller's job. At most once per idempotency key (scope "payments"): posting the same
    key again returns the first payment. Call it inside the caller's transaction, after locking
    what the caller consumes (token, request, voucher)."""
    if method not in PaymentMethod.values:
        raise ValueError(f"Unknown payment method {method!r}.")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise PaymentError(_("Enter an amount of more than 0."), field="amount")
    shop_account = _accepting(shop)
    with transaction.atomic():
        transfer = _transfer(
            kind=kind,
            source=payer_account,
            destination=shop_account,
            amount=amount,
            idempotency_key=idempotency_key,
            metadata={"shop_id": shop.pk, "shop": shop.name, "method": method, **(metadata or {})},
            actor_id=actor_id,
        )
        existing = Payment.objects.filter(transfer=transfer).first()
        if existing is not None:
            return existing
        return Payment.objects.create(
            shop=shop,
            payer_account=payer_account,
            resident=resident,
            amount=amount,
            method=method,
            transfer=transfer,
            cashier=cashier,
            request=request,
        )


# --- resident's pay code -------------------------------------------------------------------


class IssuedPayCode(NamedTuple):
    """A fresh code: show `payload` as a QR and `short_code` for typing; only its hash is kept."""

    token: str
    short_code: str
    expires_at: datetime

    @property
    def payload(self) -> str:
        return codes.pay_code_encode(self.token)


def pay_token_issue(*, user: User, confirm_up_to: int = 0) -> IssuedPayCode:
    """A new one-time pay code for the resident's wallet, valid PAY_TOKEN_SECONDS.

    Ends the resident's older open codes (one code on screen at a time). `confirm_up_to` is the
    resident's advance confirmation of a payment above PAYMENT_CONFIRM_ABOVE, at most
    PAYMENT_MAX; the short code differs from every other open code's."""
    profile = _profile(user)
    if not isinstance(confirm_up_to, int) or isinstance(confirm_up_to, bool) or confirm_up_to < 0:
        raise PaymentError(_("Enter an amount of 0 or more."), field="confirm_up_to")
    if confirm_up_to > settings.PAYMENT_MAX:
        raise LimitExceeded(
            _("A payment is at most %(max)s.") % {"max": tokens(settings.PAYMENT_MAX)},
            field="confirm_up_to",
        )
    if profile.wallet.status != AccountStatus.OPEN:
        raise WalletNotOpen(_("This wallet is frozen: it can neither pay nor receive."))
    with transaction.atomic():
        _lock_profile(user.pk)
        now = timezone.now()
        PayToken.objects.filter(resident=user, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        for _attempt in range(SHORT_CODE_TRIES):
            short_code = codes.short_code_new()
            taken = PayToken.objects.filter(
                short_code=short_code, used_at__isnull=True, expires_at__gt=now
            ).exists()
            if not taken:
                break
        else:
            raise PaymentError(_("No code could be made just now. Please try again."))
        token = codes.token_new()
        expires_at = now + timedelta(seconds=settings.PAY_TOKEN_SECONDS)
        PayToken.objects.create(
            wallet=profile.wallet,
            resident=user,
            token_hash=codes.token_hash(token),
            short_code=short_code,
            expires_at=expires_at,
            confirm_up_to=confirm_up_to,
        )
    return IssuedPayCode(token=token, short_code=short_code, expires_at=expires_at)


def _failures_key(shop_id: int, cashier_id: int) -> str:
    return f"payments:code-failures:{shop_id}:{cashier_id}"


def _attempt_take(shop_id: int, cashier_id: int) -> None:
    """Count this code lookup against the till's limit *before* looking (an atomic increment,
    so parallel requests cannot all pass a check made before any of them failed); refuse once
    the limit is reached. A lookup that finds a valid code gives its attempt back. Counted in
    the cache; in PostgreSQL while the cache is unreachable, so the limit holds either way."""
    key = _failures_key(shop_id, cashier_id)
    try:
        cache.add(key, 0, SHORT_CODE_WINDOW)
        try:
            taken = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, SHORT_CODE_WINDOW)
            taken = 1
    except Exception:  # noqa: BLE001 - any failure of the cache: count in the database instead
        logger.warning("Pay-code guesses counted in PostgreSQL: the cache is unreachable")
        taken = _attempt_take_in_database(key)
    if taken > SHORT_CODE_FAILURES_MAX:
        raise TooManyAttempts(
            _("Too many wrong codes. Wait a few minutes before trying again."), field="code"
        )


def _attempt_take_in_database(key: str) -> int:
    """One atomic upsert: a new window starts when the last one has ended."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO payments_codeattempts AS c (key, taken, window_ends)
            VALUES (%(key)s, 1, clock_timestamp() + make_interval(secs => %(window)s))
            ON CONFLICT (key) DO UPDATE SET
                taken = CASE WHEN c.window_ends <= clock_timestamp() THEN 1 ELSE c.taken + 1 END,
                window_ends = CASE WHEN c.window_ends <= clock_timestamp()
                                   THEN EXCLUDED.window_ends ELSE c.window_ends END
            RETURNING taken
            """,
            {"key": key, "window": SHORT_CODE_WINDOW},
        )
        return int(cursor.fetchone()[0])


def _attempt_give_back(shop_id: int, cashier_id: int) -> None:
    key = _failures_key(shop_id, cashier_id)
    try:
        with contextlib.suppress(ValueError):
            cache.decr(key)
    except Exception:  # noqa: BLE001 - the cache is down: the attempt was counted in the database
        CodeAttempts.objects.filter(key=key, taken__gt=0).update(taken=F("taken") - 1)


def _token_find(entered: codes.ResidentCode, now: datetime) -> PayToken | None:
    """The code's row, unlocked (the caller locks the resident's profile first, then the row)."""
    if entered.token is not None:
        return PayToken.objects.filter(token_hash=codes.token_hash(entered.token)).first()
    matches = list(
        PayToken.objects.filter(
            short_code=entered.short_code, used_at__isnull=True, expires_at__gt=now
        )[:2]
    )
    return matches[0] if len(matches) == 1 else None


def charge_with_token(
    *, cashier: User, shop_id: int, amount: int, code: str
) -> Payment | PaymentRequest:
    """Charge `amount` to the wallet behind a resident's code (scanned token or short code).

    The cashier or owner acts for their own, approved shop. Locks are taken in one order
    everywhere: the resident's profile, then the code's row (as `pay_token_issue` does). The
    code is checked unused and unexpired under its lock, the payment posted wallet -> shop
    (idempotency `paytoken:<id>`) and the code marked used, in one transaction. Refused charges
    post nothing and leave the code as it was. Every lookup counts towards the till's limit of
    wrong codes until it finds a valid one.

    Above PAYMENT_CONFIRM_ABOVE, unless the resident confirmed that much with the code, nothing
    is paid yet: the answer is an open payment request bound to the code (older open ones of
    the code are cancelled), which the resident sees on their phone and confirms
    (`payment_request_pay`); the till polls it like a request it shows."""
    membership = shop_membership(user=cashier, shop_id=shop_id)
    shop = membership.shop
    amount = _amount_check(amount)
    entered = codes.resident_code_parse(code)
    _accepting(shop)
    _attempt_take(shop.pk, cashier.pk)
    # Given back after the transaction: counted in PostgreSQL (cache down), a give-back inside
    # it would be undone with a refused charge.
    found_valid = False
    try:
        with transaction.atomic():
            now = timezone.now()
            found = _token_find(entered, now)
            token = None
            if found is not None:
                _lock_profile(found.resident_id)
                token = PayToken.objects.select_for_update().filter(pk=found.pk).first()
            if token is None:
                raise CodeUnknown(_("This code is unknown or no longer valid."), field="code")
            if token.used_at is not None:
                raise CodeUsed(_("This code has already been used."), field="code")
            if token.expires_at <= timezone.now():
                raise CodeExpired(
                    _("This code has expired. Ask the resident to show a new one."), field="code"
                )
            found_valid = True
            _not_own_shop(user_id=token.resident_id, shop_id=shop.pk)
            _daily_check(user_id=token.resident_id, amount=amount)
            if amount > settings.PAYMENT_CONFIRM_ABOVE and token.confirm_up_to < amount:
                # One round: the resident confirms this charge on their own phone.
                PaymentRequest.objects.filter(pay_token=token, status=RequestStatus.OPEN).update(
                    status=RequestStatus.CANCELLED
                )
                return _request_new(shop=shop, amount=amount, cashier=cashier, pay_token=token)
            payment = payment_post(
                shop=shop,
                payer_account=token.wallet,
                amount=amount,
                method=PaymentMethod.RESIDENT_CODE,
                idempotency_key=f"paytoken:{token.pk}",
                resident=token.resident,
                cashier=cashier,
                actor_id=cashier.pk,
            )
            token.used_at = now
            token.payment = payment
            token.save(update_fields=["used_at", "payment"])
    finally:
        if found_valid:
            _attempt_give_back(shop.pk, cashier.pk)
    return payment


# --- shop's payment request ----------------------------------------------------------------


def payment_request_payload(request: PaymentRequest) -> str:
    """The signed QR text of a request (Ed25519 is deterministic, so this is the text shown when
    it was made). Only while its key is still the active one; else NotFound."""
    if request.key_id != keys.signing_key_id():
        raise NotFound(_("This payment request can no longer be shown."))
    return codes.request_encode(
        codes.SignedRequest(
            key_id=request.key_id,
            shop_id=request.shop_id,
            amount=request.amount,
            currency=request.currency,
            nonce=request.nonce,
            expires_at=request.expires_at,
        )
    )


def _request_new(
    *, shop: Shop, amount: int, cashier: User, pay_token: PayToken | None = None
) -> PaymentRequest:
    """An open request of the shop, valid PAYMENT_REQUEST_SECONDS. One shown at the till gets a
    short code no other open request has; one bound to a resident's code needs none."""
    account = _accepting(shop)
    now = timezone.now().replace(microsecond=0)
    short_code = ""
    if pay_token is None:
        for _attempt in range(SHORT_CODE_TRIES):
            short_code = codes.request_short_code_new()
            taken = PaymentRequest.objects.filter(
                short_code=short_code, status=RequestStatus.OPEN, expires_at__gt=now
            ).exists()
            if not taken:
                break
        else:
            raise PaymentError(_("No code could be made just now. Please try again."))
    return PaymentRequest.objects.create(
        shop=shop,
        amount=amount,
        currency=account.currency.code,
        nonce=codes.nonce_new(),
        key_id=keys.signing_key_id(),
        expires_at=now + timedelta(seconds=settings.PAYMENT_REQUEST_SECONDS),
        created_by=cashier,
        short_code=short_code,
        pay_token=pay_token,
    )


def payment_request_create(
    *, cashier: User, shop_id: int, amount: int
) -> tuple[PaymentRequest, str]:
    """A signed payment request of `amount` for the cashier's own, approved shop, valid
    PAYMENT_REQUEST_SECONDS, with a 9-digit short code no other open request has; returns the
    request and the QR text to show."""
    membership = shop_membership(user=cashier, shop_id=shop_id)
    amount = _amount_check(amount)
    request = _request_new(shop=membership.shop, amount=amount, cashier=cashier)
    return request, payment_request_payload(request)


def payment_request_cancel(*, cashier: User, shop_id: int, request_id: int) -> PaymentRequest:
    """Cancel an open request of the shop (a paid one stays paid)."""
    shop_membership(user=cashier, shop_id=shop_id)
    with transaction.atomic():
        request = (
            PaymentRequest.objects.select_for_update()
            .filter(pk=request_id, shop_id=shop_id)
            .first()
        )
        if request is None:
            raise NotFound(_("There is no such payment request."))
        if request.status != RequestStatus.OPEN:
            raise RequestNotOpen(_("This payment request is no longer open."))
        request.status = RequestStatus.CANCELLED
        request.save(update_fields=["status"])
    return request


@dataclass(frozen=True)
class RequestPreview:
    """What the wallet shows before the resident confirms."""

    request_id: int
    shop_id: int
    shop_name: str
    shop_label: str
    amount: int
    currency: str
    expires_at: datetime
    payload: str


# Guesses at shops' short codes count per resident, under the till's counter with no shop.
_RESIDENT_GUESSES = 0


def payment_request_code_find(*, user: User, code: str) -> str:
    """The signed QR text of the open request whose short code the resident typed; what is not
    a short code (a scanned QR text) comes back as it is. Every look-up counts towards the
    resident's limit of wrong codes until one finds an open request; a request waiting for
    one resident's confirmation has no short code and is never found this way."""
    digits = codes.request_short_code_parse(code)
    if digits is None:
        return code
    _attempt_take(_RESIDENT_GUESSES, user.pk)
    request = PaymentRequest.objects.filter(
        short_code=digits, status=RequestStatus.OPEN, expires_at__gt=timezone.now()
    ).first()
    if request is None:
        raise CodeUnknown(
            _("No shop shows this code now. Check the digits, or ask the shop for a new code."),
            field="payload",
        )
    _attempt_give_back(_RESIDENT_GUESSES, user.pk)
    return payment_request_payload(request)


def _request_checked(
    *, profile: ResidentProfile, payload: str, lock: bool
) -> tuple[codes.SignedRequest, PaymentRequest]:
    signed = codes.request_verify(payload, now=timezone.now())
    if signed.currency != profile.wallet.currency.code:
        raise WrongCurrency(_("This payment code is in a currency your wallet does not hold."))
    rows = PaymentRequest.objects.select_related("shop", "pay_token")
    if lock:
        rows = rows.select_for_update(of=("self",))
    request = rows.filter(nonce=signed.nonce).first()
    if request is None or (
        request.shop_id,
        request.amount,
        request.currency,
        request.key_id,
        int(request.expires_at.timestamp()),
    ) != (
        signed.shop_id,
        signed.amount,
        signed.currency,
        signed.key_id,
        int(signed.expires_at.timestamp()),
    ):
        raise CodeUnknown(_("This shop did not issue this payment code."))
    if request.pay_token is not None and request.pay_token.resident_id != profile.user_id:
        raise CodeUnknown(_("This payment code is for someone else."))
    if request.status == RequestStatus.PAID:
        raise RequestNotOpen(_("This payment code has already been paid."))
    if request.status != RequestStatus.OPEN:
        raise RequestNotOpen(_("The shop cancelled this payment code."))
    return signed, request


def payment_request_preview(*, user: User, payload: str) -> RequestPreview:
    """Check a scanned payment request fully (format, key, signature, expiry, currency, the
    request on record and open) without paying it. `payload` may be the request's typed short
    code (`payment_request_code_find`); the preview carries the signed QR text to pay with."""
    profile = _profile(user)
    payload = payment_request_code_find(user=user, code=payload)
    _signed, request = _request_checked(profile=profile, payload=payload, lock=False)
    return RequestPreview(
        request_id=request.pk,
        shop_id=request.shop_id,
        shop_name=request.shop.name,
        shop_label=request.shop.label,
        amount=request.amount,
        currency=request.currency,
        expires_at=request.expires_at,
        payload=payload,
    )


def payment_request_pay(*, user: User, payload: str) -> Payment:
    """Pay a shop's signed payment request from the resident's wallet, once.

    Verifies format, key id (active or retired), signature, expiry, currency and that the
    request on record matches and is open; then, with the request row locked, posts wallet ->
    shop (idempotency `payreq:<nonce>`) and marks it paid in the same transaction. A replay
    after payment is refused with nothing posted. A request bound to a resident's code (a
    till's charge above PAYMENT_CONFIRM_ABOVE) is paid only by that resident, only while the
    code is unused, and uses the code up (its row locked after the profile's)."""
    profile = _profile(user)
    with transaction.atomic():
        signed, request = _request_checked(profile=profile, payload=payload, lock=True)
        _not_own_shop(user_id=user.pk, shop_id=request.shop_id)
        amount = _amount_check(request.amount)
        locked = _lock_profile(user.pk)
        token = None
        if request.pay_token_id is not None:
            token = PayToken.objects.select_for_update().get(pk=request.pay_token_id)
            if token.used_at is not None:
                raise CodeUsed(_("This code has already been used."))
        _daily_check(user_id=user.pk, amount=amount)
        payment = payment_post(
            shop=request.shop,
            payer_account=locked.wallet,
            amount=amount,
            method=PaymentMethod.SHOP_REQUEST,
            idempotency_key=f"payreq:{signed.nonce}",
            resident=user,
            cashier=request.created_by,
            request=request,
            actor_id=user.pk,
        )
        request.status = RequestStatus.PAID
        request.save(update_fields=["status"])
        if token is not None:
            token.used_at = timezone.now()
            token.payment = payment
            token.save(update_fields=["used_at", "payment"])
    return payment


# --- static shop poster --------------------------------------------------------------------


def static_shop(payload: str | int) -> Shop:
    """The approved shop a poster code (or a bare shop id) names, for the wallet to show its
    name before the resident types an amount. An unknown, pending or suspended shop gets one
    and the same answer (NotFound), so that shop ids cannot be probed for which exist."""
    shop_id = payload if isinstance(payload, int) else codes.shop_decode(payload)
    shop = Shop.objects.filter(pk=shop_id, status=ShopStatus.APPROVED).first()
    if shop is None:
        raise NotFound(_("This code names no shop that takes payments."))
    return shop


def pay_static_shop(
    *, user: User, shop: str | int, amount: int, idempotency_key: str | None = None
) -> Payment:
    """Pay `amount` to the shop a poster names (the resident typed the amount and saw the
    shop's name). With `idempotency_key` (1 to 100 of A-Z a-z 0-9 _ . : -) a retried request
    returns the first payment, always: even when that payment brought the day to its limit."""
    profile = _profile(user)
    target = static_shop(shop)
    amount = _amount_check(amount)
    if idempotency_key is not None and not CLIENT_KEY.fullmatch(idempotency_key):
        raise PaymentError(
            _("An idempotency key has 1 to 100 letters, digits or _ . : -"),
            field="idempotency_key",
        )
    key = f"payshop:{user.pk}:{idempotency_key or codes.nonce_new()}"
    with transaction.atomic():
        _not_own_shop(user_id=user.pk, shop_id=target.pk)
        # The key is looked up under the profile's lock, which every payment of this resident
        # holds until it commits: a retry racing its first attempt sees the committed payment
        # here, never the day's total that already includes it (a limit refusal).
        locked = _lock_profile(profile.user_id)
        existing = Payment.objects.filter(
            transfer__idempotency_scope=IDEMPOTENCY_SCOPE, transfer__idempotency_key=key
        ).first()
        if existing is not None:
            if (existing.shop_id, existing.amount) != (target.pk, amount):
                raise PaymentError(_("This idempotency key was used for another payment."))
            return existing
        _daily_check(user_id=user.pk, amount=amount)
        return payment_post(
            shop=target,
            payer_account=locked.wallet,
            amount=amount,
            method=PaymentMethod.STATIC_QR,
            idempotency_key=key,
            resident=user,
            actor_id=user.pk,
        )


# --- refunds -------------------------------------------------------------------------------


def refund(
    *,
    actor: User,
    shop_id: int,
    payment_id: int,
    amount: int,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Refund:
    """Give back part or all of an earlier payment to the shop, from the shop to the wallet it
    came from (kind "refund"). Never above what is left of the payment (the payment row is
    locked; a CHECK keeps `refunded <= amount`); a cashier refunds at most CASHIER_REFUND_MAX at
    a time, the owner any amount. Paper-voucher payments are not refunded in tokens.
    Idempotency: the client's key (`refund-client:<shop>:<key>`) if given, else
    `refund:<payment>:<refunded before>`, unique under the row lock."""
    membership = shop_membership(user=actor, shop_id=shop_id)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise RefundRefused(_("Enter an amount of more than 0."), field="amount")
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise RefundRefused(
            _("A reason has at most %(max)d characters.") % {"max": REASON_MAX}, field="reason"
        )
    if idempotency_key is not None and not CLIENT_KEY.fullmatch(idempotency_key):
        raise RefundRefused(
            _("An idempotency key has 1 to 100 letters, digits or _ . : -"),
            field="idempotency_key",
        )
    if not membership.is_owner and amount > settings.CASHIER_REFUND_MAX:
        raise NotAllowed(
            _("Cashiers refund at most %(max)s at a time; ask the owner.")
            % {"max": tokens(settings.CASHIER_REFUND_MAX)}
        )
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("shop", "payer_account")
            .filter(pk=payment_id, shop_id=shop_id)
            .first()
        )
        if payment is None:
            raise NotFound(_("There is no such payment."))
        if idempotency_key is not None:
            # Its own namespace: never the same as a default key below.
            key = f"refund-client:{shop_id}:{idempotency_key}"
            earlier = Refund.objects.filter(
                transfer__idempotency_scope=IDEMPOTENCY_SCOPE, transfer__idempotency_key=key
            ).first()
            if earlier is not None:
                if (earlier.payment_id, earlier.amount) != (payment.pk, amount):
                    raise RefundRefused(_("This idempotency key was used for another refund."))
                return earlier
        else:
            key = f"refund:{payment.pk}:{payment.refunded}"
        if payment.method == PaymentMethod.VOUCHER:
            raise RefundRefused(_("Payments with a paper voucher cannot be refunded in tokens."))
        left = payment.amount - payment.refunded
        if amount > left:
            raise RefundRefused(
                _("At most %(left)s of this payment is left to refund.") % {"left": tokens(left)},
                field="amount",
            )
        shop = payment.shop
        if shop.account_id is None:
            raise ShopNotAccepting(_("This shop cannot take payments at the moment."))
        transfer = _transfer(
            kind=TransferKind.REFUND,
            source=Account.objects.get(pk=shop.account_id),
            destination=payment.payer_account,
            amount=amount,
            idempotency_key=key,
            metadata={
                "shop_id": shop.pk,
                "shop": shop.name,
                "payment_id": payment.pk,
                "reason": reason,
            },
            actor_id=actor.pk,
        )
        made = Refund.objects.create(
            payment=payment, amount=amount, reason=reason, transfer=transfer, actor=actor
        )
        payment.refunded += amount
        payment.save(update_fields=["refunded"])
        audit.record(
            actor=actor,
            action="payment.refund",
            target=payment,
            detail={"refund_id": made.pk, "amount": amount, "reason": reason},
        )
    return made
