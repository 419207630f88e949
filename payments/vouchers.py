"""Paper vouchers for residents without a smartphone.

Rules kept here (pages, the API and the Celery task only call these; a batch is requested,
approved and printed in voucher_batches.py):
- Each voucher carries a random code of 140 bits (28 characters of an alphabet without 0/O and
  1/I, printed in groups of four and as a QR). Only its SHA-256 is kept; the codes are made
  when the batch's sheet is printed, and shown that once.
- A cashier or owner of an approved shop redeems a voucher once: in one transaction the batch
  and the voucher rows are locked, the voucher is checked (known, not redeemed, not expired),
  the escrow pays the shop (a Payment with method "voucher", key `voucher:<voucher id>`) and the
  voucher is marked redeemed. Two tills scanning one voucher at once: one payment.
- When a batch expires, `voucher_batches_expire` (Celery beat) returns what is left in escrow
  to the budget (kind "expiry", key `voucherexpiry:<batch id>`) and marks the batch expired;
  from its expiry time on no voucher of it is redeemed. If the campaign has been closed
  meanwhile (its budget account closed) the remainder goes back to the issuer instead, as the
  rest of the budget did when the campaign closed.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.models import AccountStatus, TransferKind
from shops.models import ShopStatus
from shops.selectors import shop_membership

from .errors import PaymentError, ShopNotAccepting
from .models import Payment, PaymentMethod, Voucher, VoucherBatch, VoucherBatchStatus
from .services import payment_post

logger = logging.getLogger(__name__)

IDEMPOTENCY_SCOPE = "payments"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: 5 bits each, no 0/O, 1/I
CODE_LENGTH = 28  # 140 bits
CODE_GROUP = 4
QR_PREFIX = "HEITJE-VOUCHER:"


class VoucherInvalid(PaymentError, code="voucher-invalid"):
    """Not a voucher code we issued."""


class VoucherUsed(PaymentError, code="voucher-used", status=409): ...


class VoucherExpired(PaymentError, code="voucher-expired", status=409): ...


# --- codes --------------------------------------------------------------------------------


def code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_grouped(code: str) -> str:
    """The code in groups of four, the way it is printed."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def voucher_qr_payload(code: str) -> str:
    """What a voucher's QR code encodes: a prefix telling the till it is a voucher, and the
    code without separators."""
    return QR_PREFIX + code_normalise(code)


def code_normalise(code: str) -> str:
    """The code as typed or scanned, reduced to its symbols: case, spaces, dashes and the QR
    prefix do not matter. Empty when it cannot be a voucher code."""
    raw = (code or "").strip().upper()
    if len(raw) > 100:
        return ""
    if raw.startswith(QR_PREFIX):
        raw = raw[len(QR_PREFIX) :]
    cleaned = "".join(ch for ch in raw if ch not in " -\t")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return ""
    return cleaned


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


# --- redeeming -----------------------------------------------------------------------------


def voucher_redeem(*, cashier: User, shop_id: int, code: str) -> Payment:
    """Redeem a paper voucher at the till of one's own approved shop: the voucher's value moves
    from the batch's escrow to the shop, once. Refused, with nothing written, for an unknown,
    already redeemed or expired voucher. Any member (owner or cashier) of the shop may; to
    anyone else the shop does not exist."""
    membership = shop_membership(user=cashier, shop_id=shop_id)
    shop = membership.shop
    if shop.status != ShopStatus.APPROVED or shop.account_id is None:
        raise ShopNotAccepting(_("This shop cannot take payments at the moment."))
    normalised = code_normalise(code)
    if not normalised:
        raise VoucherInvalid(_("This is not a voucher code."), field="code")
    with transaction.atomic():
        found = (
            Voucher.objects.filter(code_hash=code_hash(normalised))
            .values_list("pk", "batch_id")
            .first()
        )
        if found is None:
            raise VoucherInvalid(_("This voucher code is unknown."), field="code")
        voucher_id, batch_id = found
        # The batch first (expiry takes only that lock), then the voucher: two tills with one
        # voucher queue here, and the second finds it redeemed.
        batch = (
            VoucherBatch.objects.select_for_update(of=("self",))
            .select_related("escrow")
            .get(pk=batch_id)
        )
        voucher = Voucher.objects.select_for_update().get(pk=voucher_id)
        assert batch.escrow is not None  # vouchers exist only for approved, funded batches
        if voucher.redeemed_at is not None:
            raise VoucherUsed(
                _("This voucher was already redeemed on %(when)s.")
                % {"when": timezone.localtime(voucher.redeemed_at).strftime("%Y-%m-%d %H:%M")},
                field="code",
            )
        if batch.expired_at is not None or batch.expires_at <= timezone.now():
            raise VoucherExpired(_("This voucher has expired."), field="code")
        payment = payment_post(
            shop=shop,
            payer_account=batch.escrow,
            amount=batch.value,
            method=PaymentMethod.VOUCHER,
            idempotency_key=f"voucher:{voucher.pk}",
            cashier=cashier,
            metadata={"voucher": voucher.pk, "voucher_batch": batch.pk},
            actor_id=cashier.pk,
        )
        voucher.redeemed_at = timezone.now()
        voucher.payment = payment
        voucher.save(update_fields=["redeemed_at", "payment"])
    return payment


# --- expiry --------------------------------------------------------------------------------


def voucher_batch_expire(*, batch_id: int, now: datetime | None = None) -> int | None:
    """Expire one batch whose expiry has passed: what is left in its escrow goes back to the
    campaign's budget (or the issuer, if the budget is closed), once; the escrow account is
    closed. Returns the amount returned, or None when the batch is not due or already expired.
    The batch row is locked, as redemptions lock it, so no redemption slips in between."""
    now = now or timezone.now()
    with transaction.atomic():
        batch = (
            VoucherBatch.objects.select_for_update(of=("self",))
            .select_related("budget", "escrow__currency")
            .filter(pk=batch_id)
            .first()
        )
        if (
            batch is None
            or batch.status != VoucherBatchStatus.APPROVED
            or batch.expired_at is not None
            or batch.expires_at > now
        ):
            return None
        escrow = batch.escrow
        assert escrow is not None  # an approved batch is funded (a database check)
        if batch.budget.status == AccountStatus.FROZEN:
            # The budget is only paused: the remainder waits for it (the next run), rather than
            # leaving the campaign for good. Redemptions are refused from expiry on anyway.
            return None
        remainder = ledger_selectors.account_balance(account_id=escrow.pk)
        # A batch whose sheet was never printed has no voucher rows yet: all of it is unredeemed.
        unredeemed = batch.count - batch.vouchers.filter(redeemed_at__isnull=False).count()
        if remainder != batch.value * unredeemed:
            logger.error(
                "voucher batch %s: escrow holds %s, unredeemed vouchers are worth %s",
                batch.pk,
                remainder,
                batch.value * unredeemed,
            )
        transfer_id = None
        if remainder > 0:
            destination = batch.budget_id
            if batch.budget.status == AccountStatus.CLOSED:
                destination = ledger_selectors.issuer_account(currency=escrow.currency).pk
            transfer = ledger_services.transfer_post(
                kind=TransferKind.EXPIRY,
                legs=ledger_services.legs_between(
                    source_id=escrow.pk, destination_id=destination, amount=remainder
                ),
                idempotency_scope=IDEMPOTENCY_SCOPE,
                idempotency_key=f"voucherexpiry:{batch.pk}",
                metadata={"voucher_batch": batch.pk, "unredeemed": unredeemed},
            )
            transfer_id = transfer.pk
        ledger_services.account_close(account_id=escrow.pk, reason="voucher batch expired")
        batch.expired_at = now
        batch.save(update_fields=["expired_at"])
        audit.record(
            actor=None,
            action="voucher_batch.expire",
            target=batch,
            detail={"returned": remainder, "unredeemed": unredeemed, "transfer": transfer_id},
        )
    return remainder


def voucher_batches_expire(*, now: datetime | None = None) -> int:
    """Expire every batch whose expiry has passed; returns how many were expired."""
    now = now or timezone.now()
    due = VoucherBatch.objects.filter(
        status=VoucherBatchStatus.APPROVED, expired_at__isnull=True, expires_at__lte=now
    )
    done = 0
    for batch_id in due.order_by("id").values_list("pk", flat=True):
        if voucher_batch_expire(batch_id=batch_id, now=now) is not None:
            done += 1
    return done
