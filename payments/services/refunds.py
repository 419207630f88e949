"""Refunds: from the shop back to the wallet a payment came from."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import audit
from accounts.errors import NotAllowed, NotFound
from accounts.models import User
from accounts.templatetags.heitje import tokens
from ledger.models import Account, TransferKind
from shops.selectors import shop_membership

from ..errors import (
    RefundRefused,
    ShopNotAccepting,
)
from ..models import (
    Payment,
    PaymentMethod,
    Refund,
)
from .common import CLIENT_KEY, IDEMPOTENCY_SCOPE, REASON_MAX, _transfer

# --- refunds -------------------------------------------------------------------------------


def payment_refund(
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
