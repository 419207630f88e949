"""The resident's one-time pay code: issued by the wallet, charged at the till."""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import NotAResident
from accounts.models import ResidentProfile, User
from accounts.templatetags.heitje import tokens
from ledger.models import AccountStatus
from shops.selectors import shop_membership

from .. import codes
from ..errors import (
    CodeExpired,
    CodeUnknown,
    CodeUsed,
    LimitExceeded,
    PaymentError,
    WalletNotOpen,
)
from ..models import (
    Payment,
    PaymentMethod,
    PaymentRequest,
    PayToken,
    RequestStatus,
)
from .attempts import _attempt_give_back, _attempt_take
from .common import (
    SHORT_CODE_TRIES,
    _accepting,
    _amount_check,
    _lock_pay_token,
    _lock_profile,
    _lock_profile_by_token,
    _lock_profile_of,
    _payer_check,
    payment_post,
)
from .payment_requests import _request_new

# --- resident's pay code -------------------------------------------------------------------


class IssuedPayCode(NamedTuple):
    """A fresh code: show `payload` as a QR and `short_code` for typing; only its hash is kept."""

    token: str
    short_code: str
    expires_at: datetime

    @property
    def payload(self) -> str:
        return codes.pay_code_encode(self.token)


# Ends the resident's open codes (one code on screen at a time).
_END_OPEN_CODES_SQL = """
    UPDATE payments_paytoken SET expires_at = %(now)s
     WHERE resident_id = %(resident)s AND used_at IS NULL AND expires_at > %(now)s
"""
# The new code, unless its short code is another open code's (then no row: draw another). As
# SQL, with the check in the same statement: the ORM's insert and exists() compiled for longer
# than they ran.
_ISSUE_SQL = """
    INSERT INTO payments_paytoken
           (wallet_id, resident_id, token_hash, short_code, created_at, expires_at, used_at,
            payment_id, confirm_up_to)
    SELECT %(wallet)s, %(resident)s, %(token_hash)s, %(short_code)s, %(created_at)s,
           %(expires_at)s, NULL, NULL, %(confirm_up_to)s
     WHERE NOT EXISTS (SELECT 1 FROM payments_paytoken
                        WHERE short_code = %(short_code)s AND used_at IS NULL
                          AND expires_at > %(now)s)
"""


def pay_token_issue(*, user: User, confirm_up_to: int = 0) -> IssuedPayCode:
    """A new one-time pay code for the resident's wallet, valid PAY_TOKEN_SECONDS.

    Ends the resident's older open codes (one code on screen at a time). `confirm_up_to` is the
    resident's advance confirmation of a payment above PAYMENT_CONFIRM_ABOVE, at most
    PAYMENT_MAX; the short code differs from every other open code's."""
    with transaction.atomic():
        # The profile is read once, locked: issuing codes is serialised per resident.
        profile = _lock_profile_of(user.pk) if user.is_authenticated else None
        if profile is None:
            raise NotAResident(_("Only residents have a wallet."))
        if (
            not isinstance(confirm_up_to, int)
            or isinstance(confirm_up_to, bool)
            or confirm_up_to < 0
        ):
            raise PaymentError(_("Enter an amount of 0 or more."), field="confirm_up_to")
        if confirm_up_to > settings.PAYMENT_MAX:
            raise LimitExceeded(
                _("A payment is at most %(max)s.") % {"max": tokens(settings.PAYMENT_MAX)},
                field="confirm_up_to",
            )
        if profile.wallet.status != AccountStatus.OPEN:
            raise WalletNotOpen(_("This wallet is frozen: it can neither pay nor receive."))
        now = timezone.now()
        token = codes.token_new()
        expires_at = now + timedelta(seconds=settings.PAY_TOKEN_SECONDS)
        with connection.cursor() as cursor:
            cursor.execute(_END_OPEN_CODES_SQL, {"resident": user.pk, "now": now})
            for _attempt in range(SHORT_CODE_TRIES):
                short_code = codes.short_code_new()
                cursor.execute(
                    _ISSUE_SQL,
                    {
                        "wallet": profile.wallet_id,
                        "resident": user.pk,
                        "token_hash": codes.token_hash(token),
                        "short_code": short_code,
                        "created_at": timezone.now(),
                        "expires_at": expires_at,
                        "confirm_up_to": confirm_up_to,
                        "now": now,
                    },
                )
                if cursor.rowcount == 1:
                    break
            else:
                raise PaymentError(_("No code could be made just now. Please try again."))
    return IssuedPayCode(token=token, short_code=short_code, expires_at=expires_at)


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


def _token_lock(
    entered: codes.ResidentCode, now: datetime
) -> tuple[ResidentProfile, PayToken] | None:
    """The resident's profile and the code's row, both locked, in the one lock order: the
    profile first, then the code. A scanned token's profile is found and locked in one statement
    (through the code's hash); a typed short code is looked up first."""
    if entered.token is not None:
        digest = codes.token_hash(entered.token)
        profile = _lock_profile_by_token(digest)
        if profile is None:
            return None
        token = _lock_pay_token(token_hash=digest)
    else:
        found = _token_find(entered, now)
        if found is None:
            return None
        profile = _lock_profile(found.resident_id)
        token = _lock_pay_token(pk=found.pk)
    if token is None or token.resident_id != profile.user_id:
        return None
    return profile, token


def payment_charge(
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
    shop_account = _accepting(shop)
    _attempt_take(shop.pk, cashier.pk)
    # Given back after the transaction: counted in PostgreSQL (cache down), a give-back inside
    # it would be undone with a refused charge.
    found_valid = False
    try:
        with transaction.atomic():
            now = timezone.now()
            locked = _token_lock(entered, now)
            if locked is None:
                raise CodeUnknown(_("This code is unknown or no longer valid."), field="code")
            profile, token = locked
            if token.used_at is not None:
                raise CodeUsed(_("This code has already been used."), field="code")
            if token.expires_at <= timezone.now():
                raise CodeExpired(
                    _("This code has expired. Ask the resident to show a new one."), field="code"
                )
            found_valid = True
            _payer_check(user_id=token.resident_id, shop_id=shop.pk, amount=amount)
            if amount > settings.PAYMENT_CONFIRM_ABOVE and token.confirm_up_to < amount:
                # One round: the resident confirms this charge on their own phone.
                PaymentRequest.objects.filter(pay_token=token, status=RequestStatus.OPEN).update(
                    status=RequestStatus.CANCELLED
                )
                return _request_new(shop=shop, amount=amount, cashier=cashier, pay_token=token)
            # The code's wallet is the profile's (locked with it); loaded only if it were not.
            wallet = profile.wallet if token.wallet_id == profile.wallet_id else token.wallet
            # An unused code under its lock: its key `paytoken:<id>` was never posted.
            payment = payment_post(
                shop=shop,
                shop_account=shop_account,
                payer_account=wallet,
                amount=amount,
                method=PaymentMethod.RESIDENT_CODE,
                idempotency_key=f"paytoken:{token.pk}",
                resident_id=token.resident_id,
                cashier=cashier,
                actor_id=cashier.pk,
                replay_possible=False,
            )
            token.used_at = now
            token.payment = payment
            with connection.cursor() as cursor:  # token.save(update_fields=...), uncompiled
                cursor.execute(
                    "UPDATE payments_paytoken SET used_at = %s, payment_id = %s WHERE id = %s",
                    (now, payment.pk, token.pk),
                )
    finally:
        if found_valid:
            _attempt_give_back(shop.pk, cashier.pk)
    return payment
