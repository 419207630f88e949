"""Paper voucher batches, four eyes: one person requests, a different approver approves, the
requester prints the sheet once.

Rules kept here (pages and the API only call these):
- A task manager or administrator requests a batch (name, value, count, expiry) to be paid from
  an active campaign's budget. A request moves no money and makes no codes.
- An approver or administrator who is not the requester approves it (the database refuses the
  same person too, as for mint requests). Approval checks value x count against what the budget
  has *available* (through `payments.budgets`, wired by config to rewards' campaign budget: the
  balance less approved, reserved and
  submitted claims and the free places of published tasks), holding the budget account as
  payouts and the task budget check do, so that two approvals at once cannot both spend the
  same money. It then opens an escrow account (ledger kind "voucher") and moves value x count
  into it (transfer kind "voucher", key `voucherbatch:<batch id>`). The campaign row is locked
  first, the lock closing a campaign takes, so no batch is funded beside a returned budget.
- Either may be turned down by an approver (not the requester) with a reason; nothing moves.
- After approval the requester, and only the requester, prints the sheet once: the codes are
  made then, shown on that answer and never again (only their hashes are kept); the download is
  audited. Nobody who decided on the money holds the codes, and nobody holds them before two
  people agreed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.errors import NotAllowed, NotFound
from accounts.models import Role, User
from accounts.permissions import has_role
from core.errors import reason_check
from core.money import amount_format, amount_unit
from ledger import services as ledger_services
from ledger.errors import AccountNotOpen, InsufficientFunds
from ledger.models import Account, AccountKind, TransferKind

from .budgets import HeldBudget, budget_hold
from .errors import PaymentError
from .models import Voucher, VoucherBatch, VoucherBatchStatus
from .vouchers import IDEMPOTENCY_SCOPE, QR_PREFIX, code_grouped, code_hash, code_new

REQUEST_ROLES = (Role.TASK_MANAGER, Role.ADMIN)
APPROVE_ROLES = (Role.APPROVER, Role.ADMIN)
NAME_MAX = 100
COUNT_MAX = 1000
REASON_MAX = 500


class VoucherRefused(PaymentError, code="voucher-refused"):
    """A batch that cannot be requested or approved as asked (bad value, count, expiry,
    campaign, budget)."""


class VoucherBatchDecided(PaymentError, code="voucher-batch-decided", status=409):
    """The batch is not waiting for this step any more (already decided, or its sheet printed)."""


@dataclass(frozen=True)
class SheetVoucher:
    """One voucher of a printed sheet with its code: shown once."""

    id: int
    code: str  # grouped for reading and typing: "ABCD-EFGH-..."
    qr_payload: str  # what the voucher's QR code encodes


@dataclass(frozen=True)
class VoucherSheet:
    batch: VoucherBatch
    vouchers: list[SheetVoucher]


def _require(user: User, roles: Iterable[str], message: str) -> None:
    if not has_role(user, roles):
        raise NotAllowed(message)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _held_budget(*, campaign_id: int | None = None, budget_id: int | None = None) -> HeldBudget:
    found = budget_hold(owner_id=campaign_id, account_id=budget_id)
    if found is None:
        raise NotFound(_("There is no such campaign."))
    if not found.active:
        raise VoucherRefused(_("This campaign is closed."), field="campaign")
    return found


def _check_available(budget: HeldBudget, total: int) -> None:
    """value x count must fit in what the budget can still pay after what its published tasks
    and claims may cost. The budget account is held first, as a payout holds it: a payout or a
    second batch committing between reading the balance and reading what is owed would
    otherwise make the budget look larger."""
    ledger_services.account_lock(account_id=budget.account_id)
    available = budget.available()
    if total > available:
        raise VoucherRefused(
            _(
                "The campaign's budget cannot pay for this batch: it needs %(total)s tokens, but "
                "after what its published tasks may still cost only %(available)s are free."
            )
            % {"total": amount_format(total), "available": amount_format(max(available, 0))},
            field="count",
        )


def voucher_batch_request(
    *,
    actor: User,
    campaign_id: int,
    name: str,
    value: int,
    count: int,
    expires_at: datetime,
) -> VoucherBatch:
    """Ask for `count` vouchers worth `value` minor units each, valid until `expires_at`, to be
    paid from the campaign's budget. Moves no money and makes no codes: a different approver
    must approve. Refused at once when the budget has not that much available now (approval
    checks again). Task managers and administrators only; audited."""
    _require(actor, REQUEST_ROLES, _("Only task managers and administrators ask for vouchers."))
    name = " ".join((name or "").split())
    if not 0 < len(name) <= NAME_MAX or "\x00" in name:
        raise VoucherRefused(
            _("A batch name has 1 to %(max)d characters.") % {"max": NAME_MAX}, field="name"
        )
    if not _whole(value) or not 0 < value <= settings.PAYMENT_MAX:
        raise VoucherRefused(
            _("A voucher is worth more than nothing and at most %(max)s.")
            % {"max": amount_unit(settings.PAYMENT_MAX)},
            field="value",
        )
    if not _whole(count) or not 0 < count <= COUNT_MAX:
        raise VoucherRefused(
            _("A batch has 1 to %(max)d vouchers.") % {"max": COUNT_MAX}, field="count"
        )
    if not isinstance(expires_at, datetime) or timezone.is_naive(expires_at):
        raise VoucherRefused(_("Give the expiry as a date and time."), field="expires_at")
    if expires_at <= timezone.now():
        raise VoucherRefused(_("The expiry must lie in the future."), field="expires_at")
    with transaction.atomic():
        held = _held_budget(campaign_id=campaign_id)
        _check_available(held, value * count)
        batch = VoucherBatch.objects.create(
            name=name,
            budget_id=held.account_id,
            value=value,
            count=count,
            expires_at=expires_at,
            requested_by=actor,
        )
        audit.record(
            actor=actor,
            action="voucher_batch.request",
            target=batch,
            detail={
                "campaign": held.owner_id,
                "value": value,
                "count": count,
                "total": value * count,
                "expires_at": expires_at.isoformat(),
            },
        )
    return batch


def _locked_batch(batch_id: int) -> VoucherBatch:
    batch = VoucherBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("There is no such voucher batch."))
    return batch


def _decide(actor: User, batch_id: int) -> VoucherBatch:
    _require(actor, APPROVE_ROLES, _("Only approvers and administrators decide on vouchers."))
    batch = _locked_batch(batch_id)
    if batch.requested_by_id == actor.pk:
        raise NotAllowed(_("Someone other than the requester must decide on a voucher batch."))
    if batch.status != VoucherBatchStatus.REQUESTED:
        raise VoucherBatchDecided(_("This voucher batch was already decided."))
    return batch


def _save_decision(batch: VoucherBatch, status: str, actor: User, **changes: Any) -> None:
    batch.decide(
        status=status,
        by=actor,
        refusal=_("Someone other than the requester must decide on a voucher batch."),
        **changes,
    )


def voucher_batch_approve(*, actor: User, batch_id: int) -> VoucherBatch:
    """Approve a requested batch: value x count moves from the budget into a new escrow account,
    once (key `voucherbatch:<batch id>`), if it fits in what the budget has available after its
    published tasks; otherwise nothing moves. The approver (role approver or admin) is never
    the requester; the database refuses that too. No codes are made yet."""
    with transaction.atomic():
        batch = _decide(actor, batch_id)
        if batch.expires_at <= timezone.now():
            raise VoucherRefused(_("This batch's expiry has passed."), field="expires_at")
        held = _held_budget(budget_id=batch.budget_id)
        total = batch.value * batch.count
        _check_available(held, total)
        budget = Account.objects.select_related("currency").get(pk=held.account_id)
        escrow = ledger_services.account_open(
            currency=budget.currency, kind=AccountKind.VOUCHER, name=f"Vouchers {batch.name}"
        )
        try:
            funding = ledger_services.transfer_post(
                kind=TransferKind.VOUCHER,
                legs=ledger_services.legs_between(
                    source_id=budget.pk, destination_id=escrow.pk, amount=total
                ),
                idempotency_scope=IDEMPOTENCY_SCOPE,
                idempotency_key=f"voucherbatch:{batch.pk}",
                metadata={"voucher_batch": batch.pk, "campaign": held.owner_id},
                actor_id=actor.pk,
            )
        except (InsufficientFunds, AccountNotOpen):
            raise VoucherRefused(
                _("The campaign's budget cannot pay for this batch."), field="count"
            ) from None
        _save_decision(
            batch, VoucherBatchStatus.APPROVED, actor, escrow=escrow, funding_transfer=funding
        )
        audit.record(
            actor=actor,
            action="voucher_batch.approve",
            target=batch,
            detail={"campaign": held.owner_id, "total": total, "transfer": funding.pk},
        )
    return batch


def voucher_batch_reject(*, actor: User, batch_id: int, reason: str) -> VoucherBatch:
    """Turn a requested batch down with a reason the requester reads; nothing moves. Not by the
    requester."""
    reason = reason_check(
        (reason or "").strip(),
        VoucherRefused,
        empty=_("Say why the batch is turned down."),
        most=REASON_MAX,
    )
    with transaction.atomic():
        batch = _decide(actor, batch_id)
        _save_decision(batch, VoucherBatchStatus.REJECTED, actor, decision_reason=reason)
        audit.record(
            actor=actor, action="voucher_batch.reject", target=batch, detail={"reason": reason}
        )
    return batch


def voucher_batch_sheet(*, actor: User, batch_id: int) -> VoucherSheet:
    """Make the codes of an approved batch and return them for its printable sheet, once. Only
    the person who requested the batch (still a task manager or administrator) prints it; the
    codes exist from now on, only their hashes are kept, and they cannot be shown again. An
    expired batch prints nothing. Audited."""
    _require(actor, REQUEST_ROLES, _("Only task managers and administrators print vouchers."))
    with transaction.atomic():
        batch = _locked_batch(batch_id)
        if batch.requested_by_id != actor.pk:
            raise NotAllowed(_("Only the person who asked for this batch prints its sheet."))
        if batch.status != VoucherBatchStatus.APPROVED:
            raise VoucherBatchDecided(_("This voucher batch is not approved."))
        if batch.sheet_printed_at is not None:
            raise VoucherBatchDecided(
                _("This sheet was already printed on %(when)s; its codes cannot be shown again.")
                % {"when": timezone.localtime(batch.sheet_printed_at).strftime("%Y-%m-%d %H:%M")}
            )
        if batch.expired_at is not None or batch.expires_at <= timezone.now():
            raise VoucherBatchDecided(_("This voucher batch has expired."))
        codes = [code_new() for _ in range(batch.count)]
        made = Voucher.objects.bulk_create(
            Voucher(batch=batch, code_hash=code_hash(code)) for code in codes
        )
        batch.sheet_printed_by = actor
        batch.sheet_printed_at = timezone.now()
        batch.save(update_fields=["sheet_printed_by", "sheet_printed_at"])
        audit.record(
            actor=actor,
            action="voucher_batch.sheet",
            target=batch,
            detail={"count": batch.count, "value": batch.value},
        )
    return VoucherSheet(
        batch=batch,
        vouchers=[
            SheetVoucher(id=v.pk, code=code_grouped(code), qr_payload=QR_PREFIX + code)
            for v, code in zip(made, codes, strict=True)
        ],
    )


def voucher_batches_for_staff(*, status: str | None = None) -> QuerySet[VoucherBatch]:
    """Batches newest first, each with `redeemed` (how many vouchers were redeemed) and `total`
    (value x count); `status="requested"` is the approval queue."""
    qs = (
        VoucherBatch.objects.select_related("requested_by", "decided_by", "budget__campaign")
        .annotate(
            redeemed=Count("vouchers", filter=Q(vouchers__redeemed_at__isnull=False)),
            total=F("value") * F("count"),
        )
        .order_by("-requested_at", "-id")
    )
    if status:
        qs = qs.filter(status=status)
    return qs
