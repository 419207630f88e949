"""The shop's static poster: the resident types the amount."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import NotFound
from accounts.models import User
from shops.models import Shop, ShopStatus

from .. import codes
from ..errors import (
    PaymentError,
)
from ..models import (
    Payment,
    PaymentMethod,
)
from .common import (
    CLIENT_KEY,
    IDEMPOTENCY_SCOPE,
    _amount_check,
    _daily_check,
    _lock_profile,
    _not_own_shop,
    _profile,
    payment_post,
)

# --- static shop poster --------------------------------------------------------------------


def static_shop(payload: str | int) -> Shop:
    """The approved shop a poster code (or a bare shop id) names, for the wallet to show its
    name before the resident types an amount. An unknown, pending or suspended shop gets one
    and the same answer (NotFound), so that shop ids cannot be probed for which exist."""
    shop_id = payload if isinstance(payload, int) else codes.shop_decode(payload)
    shop = (
        Shop.objects.filter(pk=shop_id, status=ShopStatus.APPROVED)
        .select_related("account")
        .first()
    )
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
            replay_possible=False,  # looked up above, under the profile's lock
        )
