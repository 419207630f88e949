"""Settlement: shops redeem tokens for euros.

States: requested -> approved -> exported -> paid, or requested -> rejected.

- The owner of an approved shop requests an amount: more than nothing, and at most the shop's
  balance minus what its other open requests ask (the shop row is locked, so two requests at
  once cannot together ask for more). The fee (SETTLEMENT_FEE_PERMILLE of it, rounded down) and
  the shop's IBAN are fixed at request time.
- A settlement requested within SETTLEMENT_IBAN_HOLD_DAYS (14) of a change of the shop's IBAN
  is held: nobody approves it until a staff member who does not belong to the shop confirms the
  new IBAN (audited; the database refuses approving a held settlement too). The approver's
  queue shows when the IBAN changed.
- An approver or administrator who did not request it (the database refuses that too) and
  does not belong to the shop approves: the ledger moves the amount from the shop to the
  currency's settlement account (kind "settlement", key `settlement:<id>`); a shop that no
  longer has it is refused. Or they reject it with a reason; nothing moves.
- Finance (or an administrator) exports every approved settlement into one pain.001 file (amount
  minus fee per shop) and later marks the file paid, which marks its settlements paid.
Every staff action is audited in its transaction; the owner is mailed on approval, rejection
and payment, after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.errors import NotAllowed, NotFound
from accounts.models import Role, User
from accounts.permissions import has_role
from accounts.tasks import mail_template
from core.errors import DomainError, reason_check
from core.money import amount_unit
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.errors import AccountNotOpen, InsufficientFunds
from ledger.models import AccountKind, TransferKind
from shops.errors import ShopRefused
from shops.models import Shop, ShopStatus
from shops.selectors import shop_membership
from shops.services import iban_clean

from .models import SepaExport, Settlement, SettlementStatus
from .sepa import CreditTransfer, pain001_build, remittance_text

APPROVE_ROLES = (Role.APPROVER, Role.ADMIN)
IBAN_CONFIRM_ROLES = (Role.APPROVER, Role.FINANCE, Role.ADMIN)
EXPORT_ROLES = (Role.FINANCE, Role.ADMIN)
IDEMPOTENCY_SCOPE = "payments"
REASON_MAX = 500
AMOUNT_MAX = 10**12  # minor units; far above any shop's balance


class SettlementRefused(DomainError, code="settlement-refused"):
    """The request cannot be made as asked (amount, shop, IBAN)."""


class SettlementStateConflict(DomainError, code="settlement-state-conflict", status=409):
    """The settlement (or export) is not in a state that allows this."""


class SettlementHeld(DomainError, code="settlement-held", status=409):
    """Requested soon after the shop's IBAN changed: staff confirm the new IBAN first."""


class SettlementInsufficient(DomainError, code="insufficient-balance", status=409): ...


@dataclass(frozen=True)
class Available:
    """What a shop may still ask to settle: its balance minus its open requests."""

    balance: int
    requested: int

    @property
    def amount(self) -> int:
        return max(0, self.balance - self.requested)


def _require(user: User, roles: tuple[str, ...], message: str) -> None:
    if not has_role(user, roles):
        raise NotAllowed(message)


def _owned_shop(*, owner: User, shop_id: int) -> Shop:
    membership = shop_membership(user=owner, shop_id=shop_id)
    if not membership.is_owner:
        raise NotAllowed(_("Only the shop's owner settles its balance."))
    return membership.shop


def settlement_available(*, shop: Shop) -> Available:
    """The shop's balance and what its open (requested) settlements already ask."""
    if shop.account_id is None:
        return Available(balance=0, requested=0)
    requested = Settlement.objects.filter(shop=shop, status=SettlementStatus.REQUESTED).aggregate(
        s=Sum("amount")
    )["s"]
    return Available(
        balance=ledger_selectors.account_balance(account_id=shop.account_id),
        requested=int(requested or 0),
    )


def settlement_fee(amount: int) -> int:
    """SETTLEMENT_FEE_PERMILLE of the amount, rounded down (in the shop's favour)."""
    return amount * settings.SETTLEMENT_FEE_PERMILLE // 1000


def settlement_request(*, owner: User, shop_id: int, amount: int) -> Settlement:
    """Ask to redeem `amount` minor units of the shop's tokens for euros, paid to the shop's
    IBAN as it is now. Owner of an approved shop only; never more than the shop holds beyond
    its other open requests. Within SETTLEMENT_IBAN_HOLD_DAYS of an IBAN change the request is
    held until staff confirm the new IBAN."""
    shop = _owned_shop(owner=owner, shop_id=shop_id)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= AMOUNT_MAX:
        raise SettlementRefused(
            _("The amount must be a positive whole number of cents."), field="amount"
        )
    fee = settlement_fee(amount)
    if fee >= amount:
        raise SettlementRefused(
            _("After the fee nothing would be paid out; ask for a larger amount."),
            field="amount",
        )
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop.pk)
        if shop.status != ShopStatus.APPROVED or shop.account_id is None:
            raise SettlementRefused(_("Only an approved shop can settle its balance."))
        try:
            iban = iban_clean(shop.iban)
        except ShopRefused:
            raise SettlementRefused(
                _("The shop's IBAN is not valid; correct it in the shop's details first."),
                field="iban",
            ) from None
        available = settlement_available(shop=shop)
        if amount > available.amount:
            raise SettlementRefused(
                _(
                    "The shop can settle at most %(available)d cents now (its balance minus "
                    "open requests)."
                )
                % {"available": available.amount},
                field="amount",
            )
        changed = shop.iban_changed_at
        held = changed is not None and changed > timezone.now() - timedelta(
            days=settings.SETTLEMENT_IBAN_HOLD_DAYS
        )
        return Settlement.objects.create(
            shop=shop,
            amount=amount,
            fee=fee,
            iban=iban,
            requested_by=owner,
            iban_changed_at=changed,
            iban_held=held,
        )


def shop_settlements(*, owner: User, shop_id: int) -> QuerySet[Settlement]:
    """The shop's settlements, newest first (owner only; to others the shop does not exist)."""
    shop = _owned_shop(owner=owner, shop_id=shop_id)
    return Settlement.objects.filter(shop=shop).order_by("-requested_at", "-id")


def settlements_for_staff(*, status: str | None = None) -> QuerySet[Settlement]:
    """Settlements oldest first (the queue order), optionally of one status. By id, which the
    database gives out in the order settlements are requested, so the list pages by cursor
    (core.api.KeysetPage) on the primary key's index."""
    qs = Settlement.objects.select_related(
        "shop", "requested_by", "decided_by", "export", "iban_confirmed_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("id")


def _locked(settlement_id: int) -> Settlement:
    found = (
        Settlement.objects.select_for_update(of=("self",))
        .select_related("shop__account__currency", "requested_by")
        .filter(pk=settlement_id)
        .first()
    )
    if found is None:
        raise NotFound(_("There is no such settlement."))
    return found


def _not_a_member(settlement: Settlement, staff: User) -> None:
    if settlement.shop.members.filter(user=staff).exists():
        raise NotAllowed(_("Nobody decides on a settlement of a shop they belong to."))


def _decide_check(settlement: Settlement, approver: User) -> None:
    if settlement.requested_by_id == approver.pk:
        raise NotAllowed(_("Someone other than the requester must decide on a settlement."))
    _not_a_member(settlement, approver)
    if settlement.status != SettlementStatus.REQUESTED:
        raise SettlementStateConflict(_("This settlement was already decided."))


_DECISION_ACTIONS: dict[str, str] = {  # the audit action of each decision on a requested settlement
    SettlementStatus.APPROVED: "settlement.approve",
    SettlementStatus.REJECTED: "settlement.reject",
}


def _decision_save(
    settlement: Settlement, approver: User, status: str, detail: dict[str, Any], **changes: Any
) -> None:
    """Save a decision on a requested settlement (`changes` besides status and decider), audit
    it with the shop, the amount and `detail`, and mail the owner (`settlement_<status>`)."""
    settlement.decide(
        status=status,
        by=approver,
        refusal=_("Someone other than the requester must decide on a settlement."),
        **changes,
    )
    audit.record(
        actor=approver,
        action=_DECISION_ACTIONS[status],
        target=settlement,
        detail={"shop": settlement.shop_id, "amount": settlement.amount, **detail},
    )
    _mail(settlement, f"settlement_{status}")


def settlement_is_held(settlement: Settlement) -> bool:
    return settlement.iban_held and settlement.iban_confirmed_at is None


def settlement_iban_confirm(*, staff: User, settlement_id: int) -> Settlement:
    """A staff member checked, outside the app, that the new IBAN of a held settlement is the
    shop's: the settlement may now be approved. Approvers, finance and administrators who do
    not belong to the shop; once; audited."""
    _require(
        staff,
        IBAN_CONFIRM_ROLES,
        _("Only approvers, finance and administrators confirm a new IBAN."),
    )
    with transaction.atomic():
        settlement = _locked(settlement_id)
        _not_a_member(settlement, staff)
        if settlement.status != SettlementStatus.REQUESTED:
            raise SettlementStateConflict(_("This settlement was already decided."))
        if not settlement_is_held(settlement):
            raise SettlementStateConflict(_("This settlement is not waiting for an IBAN check."))
        settlement.iban_confirmed_by = staff
        settlement.iban_confirmed_at = timezone.now()
        settlement.save(update_fields=["iban_confirmed_by", "iban_confirmed_at"])
        audit.record(
            actor=staff,
            action="settlement.iban_confirm",
            target=settlement,
            detail={
                "shop": settlement.shop_id,
                "iban": settlement.iban,
                "iban_changed_at": settlement.iban_changed_at.isoformat()
                if settlement.iban_changed_at
                else None,
            },
        )
    return settlement


def settlement_approve(*, approver: User, settlement_id: int) -> Settlement:
    """Approve a requested settlement: the amount moves from the shop to the settlement
    account, once (key `settlement:<id>`). Refused when the shop no longer holds it or its
    account is frozen, or while it is held for an IBAN check; never by the person who
    requested it nor by a member of the shop."""
    _require(approver, APPROVE_ROLES, _("Only approvers and administrators approve settlements."))
    with transaction.atomic():
        settlement = _locked(settlement_id)
        _decide_check(settlement, approver)
        if settlement_is_held(settlement):
            raise SettlementHeld(
                _(
                    "The shop changed its IBAN shortly before asking. A staff member confirms "
                    "the new IBAN first."
                )
            )
        shop_account = settlement.shop.account
        assert shop_account is not None  # a settlement is only requested with an account
        target = ledger_services.system_account_get_or_open(
            currency=shop_account.currency,
            kind=AccountKind.SETTLEMENT,
            name=f"{shop_account.currency.name} settlement",
        )
        try:
            transfer = ledger_services.transfer_post(
                kind=TransferKind.SETTLEMENT,
                legs=ledger_services.legs_between(
                    source_id=shop_account.pk, destination_id=target.pk, amount=settlement.amount
                ),
                idempotency_scope=IDEMPOTENCY_SCOPE,
                idempotency_key=f"settlement:{settlement.pk}",
                metadata={
                    "settlement": settlement.pk,
                    "shop": settlement.shop_id,
                    "fee": settlement.fee,
                },
                actor_id=approver.pk,
            )
        except InsufficientFunds as exc:
            raise SettlementInsufficient(
                _("The shop now holds %(balance)s, less than this settlement asks.")
                % {"balance": amount_unit(exc.balance)}
            ) from None
        except AccountNotOpen:
            raise SettlementStateConflict(
                _("The shop's account is frozen; it cannot be settled now.")
            ) from None
        _decision_save(
            settlement,
            approver,
            SettlementStatus.APPROVED,
            {"fee": settlement.fee, "transfer": transfer.pk},
            transfer=transfer,
        )
    return settlement


def settlement_reject(*, approver: User, settlement_id: int, reason: str) -> Settlement:
    """Turn a requested settlement down with a reason the owner reads; nothing moves."""
    _require(approver, APPROVE_ROLES, _("Only approvers and administrators reject settlements."))
    reason = reason_check(
        " ".join((reason or "").split()),
        SettlementRefused,
        empty=_("Say why the settlement is turned down."),
        most=REASON_MAX,
    )
    with transaction.atomic():
        settlement = _locked(settlement_id)
        _decide_check(settlement, approver)
        _decision_save(
            settlement, approver, SettlementStatus.REJECTED, {"reason": reason}, reason=reason
        )
    return settlement


def _mail(settlement: Settlement, template: str) -> None:
    owner = settlement.requested_by
    if owner.erased_at is None:
        mail_template(
            to=owner,
            template=template,
            context={
                "settlement": settlement,
                "shop": settlement.shop,
                "owner": owner,
                "payout": settlement.amount - settlement.fee,
            },
        )


# --- SEPA ------------------------------------------------------------------------------------


def sepa_export_create(*, actor: User) -> SepaExport:
    """Put every approved settlement into one validated pain.001 file (amount minus fee each,
    to the IBAN given at request time) and mark them exported. Finance and administrators
    only; refused when nothing is approved."""
    _require(actor, EXPORT_ROLES, _("Only finance and administrators export transfer files."))
    with transaction.atomic():
        settlements = list(
            Settlement.objects.select_for_update(of=("self",))
            .select_related("shop__account__currency", "requested_by")
            .filter(status=SettlementStatus.APPROVED)
            .order_by("id")
        )
        if not settlements:
            raise SettlementStateConflict(_("No approved settlements are waiting for export."))
        for s in settlements:
            assert s.shop.account is not None
            if s.shop.account.currency.decimals != 2:
                raise SettlementRefused(
                    _("Settlement %(id)d is in a currency without cents.") % {"id": s.pk}
                )
        document = pain001_build(
            transfers=[
                CreditTransfer(
                    name=s.shop.name,
                    iban=s.iban,
                    amount_cents=s.amount - s.fee,
                    description=remittance_text(
                        number=s.pk,
                        shop_name=s.shop.name,
                        language=s.requested_by.preferred_language,
                    ),
                    end_to_end_id=f"HEITJE-SETTLEMENT-{s.pk}",
                )
                for s in settlements
            ],
            execution_date=timezone.localdate(),
        )
        export = SepaExport.objects.create(
            message_id=document.message_id,
            created_by=actor,
            total_cents=document.total_cents,
            count=document.count,
            xml=document.xml,
        )
        _sepa_export_move(
            actor=actor,
            file=export,
            action="sepa_export.create",
            settlements=settlements,
            changes={"status": SettlementStatus.EXPORTED, "export": export},
        )
    return export


def _sepa_export_move(
    *,
    actor: User,
    file: SepaExport,
    action: str,
    settlements: list[Settlement],
    changes: dict[str, Any],
    summary: bool = True,
) -> None:
    """Move a file's settlements together (`changes`: their new status and file or paid time)
    and write the audit event `action`, with the file's name, count and total (`summary`)."""
    ids = [s.pk for s in settlements]
    Settlement.objects.filter(pk__in=ids).update(**changes)
    detail: dict[str, object] = {"settlements": ids}
    if summary:
        detail = {
            "message_id": file.message_id,
            "total_cents": file.total_cents,
            "count": file.count,
            **detail,
        }
    audit.record(actor=actor, action=action, target=file, detail=detail)


def sepa_export_get(*, actor: User, export_id: int) -> SepaExport:
    """An export, for downloading its file (finance and administrators; the download is
    audited, since the file names shops and their IBANs)."""
    _require(actor, EXPORT_ROLES, _("Only finance and administrators download transfer files."))
    export = _export_found(export_id)
    audit.record(actor=actor, action="sepa_export.download", target=export)
    return export


def _export_found(export_id: int, *, lock: bool = False) -> SepaExport:
    rows = SepaExport.objects.select_for_update() if lock else SepaExport.objects.all()
    export = rows.filter(pk=export_id).first()
    if export is None:
        raise NotFound(_("There is no such transfer file."))
    return export


def sepa_exports_for_staff() -> QuerySet[SepaExport]:
    return SepaExport.objects.select_related("created_by").order_by("-created_at", "-id")


def sepa_export_paid(*, actor: User, export_id: int) -> SepaExport:
    """Record that the bank executed the file: its settlements become paid and their owners
    are mailed. Finance and administrators; once."""
    _require(actor, EXPORT_ROLES, _("Only finance and administrators mark transfer files paid."))
    with transaction.atomic():
        export = _export_found(export_id, lock=True)
        settlements = list(
            Settlement.objects.select_for_update(of=("self",))
            .select_related("shop", "requested_by")
            .filter(export=export, status=SettlementStatus.EXPORTED)
            .order_by("id")
        )
        if not settlements:
            raise SettlementStateConflict(_("This transfer file is already marked paid."))
        now = timezone.now()
        _sepa_export_move(
            actor=actor,
            file=export,
            action="sepa_export.paid",
            settlements=settlements,
            changes={"status": SettlementStatus.PAID, "paid_at": now},
            summary=False,
        )
        for s in settlements:
            s.status, s.paid_at = SettlementStatus.PAID, now
            _mail(s, "settlement_paid")
    return export
