"""The shop's signed payment request: made at the till, previewed and paid in the wallet."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import NotFound
from accounts.models import ResidentProfile, User
from shops.models import Shop
from shops.selectors import shop_membership

from .. import codes, keys
from ..errors import (
    CodeUnknown,
    CodeUsed,
    PaymentError,
    RequestNotOpen,
    WrongCurrency,
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
    _daily_check,
    _lock_profile,
    _not_own_shop,
    _profile,
    payment_post,
)

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
    rows = PaymentRequest.objects.select_related("shop__account", "pay_token")
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
            # The request is open under its lock: its key `payreq:<nonce>` was never posted.
            replay_possible=False,
        )
        request.status = RequestStatus.PAID
        request.save(update_fields=["status"])
        if token is not None:
            token.used_at = timezone.now()
            token.payment = payment
            token.save(update_fields=["used_at", "payment"])
    return payment
