"""Shops: onboarding, the owner's details, staff approval and suspension (cashiers are in
shops.cashiers, reads in shops.selectors).

Rules kept here (pages and the API only call these):
- Anyone signed in with a verified email may apply; the shop starts pending, its applicant is
  its owner. IBANs are checked with schwifty (checksum, country, SEPA zone, since settlement
  pays by SEPA credit transfer) and stored compact and upper-case.
- Approvers, finance and administrators approve (which opens the shop's ledger account, once,
  even under concurrent approvals: the shop row is locked first) or suspend (which freezes it).
  Nobody approves a shop they belong to. Every staff action is audited.
- A new IBAN needs the owner's password again and is dated (settlements asked soon after wait
  for staff, payments.settlement). An approved shop's new name or address waits for staff
  review; meanwhile it keeps the ones staff approved. Names are one line (accounts.text).
- Only members see a shop; to anyone else it does not exist (NotFound, never "forbidden").
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import InvalidCountryCode, SchwiftyException

from accounts import audit, identity
from accounts.errors import NotAllowed, NotFound, ReauthenticationRequired
from accounts.models import Neighbourhood, Role, RoleGrant, User
from accounts.tasks import mail_template
from accounts.text import line_clean
from ledger import services as ledger_services
from ledger.models import AccountKind

from .errors import ShopRefused, ShopStateConflict
from .models import Shop, ShopCategory, ShopMember, ShopRole, ShopStatus
from .selectors import shop_owned

SHOP_STAFF_ROLES = (Role.APPROVER, Role.FINANCE, Role.ADMIN)
NAME_MAX = 100
WHAT_WE_SELL_MAX = 200
ADDRESS_MAX = 200
REASON_MAX = 500
_KVK = re.compile(r"\d{8}")


# --- validation ---------------------------------------------------------------------------


def iban_clean(iban: str) -> str:
    """The IBAN compact and upper-case, or ShopRefused in plain words."""
    raw = (iban or "").strip()
    if not raw or len(raw) > 50:
        raise ShopRefused(
            _("Enter the IBAN of the shop's bank account, for example NL91 ABNA 0417 1643 00."),
            field="iban",
        )
    try:
        parsed = IBAN(raw)
    except InvalidCountryCode:
        raise ShopRefused(
            _("This IBAN does not start with a known country code such as NL, BE or DE."),
            field="iban",
        ) from None
    except SchwiftyException:
        raise ShopRefused(
            _("This IBAN is not valid. Check it for a typing error."), field="iban"
        ) from None
    if not parsed.in_sepa_zone:
        raise ShopRefused(
            _("The bank account must be in the SEPA area, so that the shop can be paid."),
            field="iban",
        )
    return str(parsed.compact)


def _text(value: str, *, field: str, maximum: int, message: str) -> str:
    cleaned = line_clean(value)
    if not 0 < len(cleaned) <= maximum:
        raise ShopRefused(message, field=field)
    return cleaned


def _details_clean(*, name: str, address: str, category: str) -> tuple[str, str, str]:
    name = _text(
        name,
        field="name",
        maximum=NAME_MAX,
        message=_("A shop name has 1 to %(max)d characters.") % {"max": NAME_MAX},
    )
    address = _text(
        address,
        field="address",
        maximum=ADDRESS_MAX,
        message=_("An address has 1 to %(max)d characters.") % {"max": ADDRESS_MAX},
    )
    if category not in ShopCategory.values:
        raise ShopRefused(_("Choose one of the categories."), field="category")
    return name, address, category


def _chamber_clean(value: str) -> str:
    cleaned = "".join((value or "").split())
    if cleaned and not _KVK.fullmatch(cleaned):
        raise ShopRefused(
            _("A Chamber of Commerce (KvK) number has exactly 8 digits."),
            field="chamber_of_commerce",
        )
    return cleaned


def _iban_masked(iban: str) -> str:
    return f"{iban[:4]}…{iban[-4:]}" if iban else ""


# --- owner side ---------------------------------------------------------------------------


def shop_apply(
    *,
    owner: User,
    name: str,
    address: str,
    category: str,
    iban: str,
    chamber_of_commerce: str = "",
) -> Shop:
    """Apply to accept the currency: a pending shop with `owner` as its owner, in one
    transaction. Only people with a verified email address may apply."""
    if not owner.is_authenticated or not owner.is_active or owner.erased_at is not None:
        raise NotAllowed(_("Sign in to register a shop."))
    if owner.email_verified_at is None:
        raise NotAllowed(_("Confirm your email address before you register a shop."))
    name, address, category = _details_clean(name=name, address=address, category=category)
    iban = iban_clean(iban)
    chamber_of_commerce = _chamber_clean(chamber_of_commerce)
    with transaction.atomic():
        shop = Shop.objects.create(
            name=name,
            address=address,
            category=category,
            iban=iban,
            chamber_of_commerce=chamber_of_commerce,
            created_by=owner,
        )
        ShopMember.objects.create(shop=shop, user=owner, role=ShopRole.OWNER)
    return shop


def shop_update(
    *,
    owner: User,
    shop_id: int,
    name: str,
    address: str,
    category: str,
    iban: str,
    chamber_of_commerce: str = "",
    password: str = "",
    request: HttpRequest | None = None,
) -> Shop:
    """The owner changes the shop's details.

    A new IBAN decides where settlements go, so it needs the owner's password, typed again
    (identity.reauthenticate, as for a new email address; wrong guesses count towards the
    sign-in lockout), is validated like at onboarding, dated (settlements asked soon after wait
    for staff), audited and mailed to the owner. A shop that has been approved keeps its name
    and address until staff approve a new one: the change waits, audited, and residents keep
    seeing the name staff approved."""
    name, address, category = _details_clean(name=name, address=address, category=category)
    iban = iban_clean(iban)
    chamber_of_commerce = _chamber_clean(chamber_of_commerce)
    # Before the transaction, so that a wrong password counted by the lockout stays counted.
    reauthenticated = shop_owned(owner=owner, shop_id=shop_id).iban != iban
    if reauthenticated:
        identity.reauthenticate(user=owner, password=password, request=request)
    with transaction.atomic():
        shop = shop_owned(owner=owner, shop_id=shop_id, lock=True)
        old_iban = shop.iban
        if old_iban != iban and not reauthenticated:  # changed back meanwhile
            raise ReauthenticationRequired(_("That password is not right."), field="password")
        fields = ["category", "iban", "chamber_of_commerce"]
        shop.category, shop.iban, shop.chamber_of_commerce = category, iban, chamber_of_commerce
        renamed = (name, address) != (shop.name, shop.address)
        if shop.account_id is None:
            shop.name, shop.address = name, address
            fields += ["name", "address"]
        elif renamed and (name, address) != (shop.pending_name, shop.pending_address):
            shop.pending_name, shop.pending_address = name, address
            shop.change_requested_at = timezone.now()
            fields += ["pending_name", "pending_address", "change_requested_at"]
            audit.record(
                actor=owner,
                action="shop.details_change_request",
                target=shop,
                detail={
                    "name": {"from": shop.name, "to": name},
                    "address": {"from": shop.address, "to": address},
                },
            )
        elif not renamed and shop.change_pending:
            _pending_clear(shop)
            fields += ["pending_name", "pending_address", "change_requested_at"]
            audit.record(actor=owner, action="shop.details_change_withdraw", target=shop)
        if old_iban != iban:
            shop.iban_changed_at = timezone.now()
            fields.append("iban_changed_at")
        shop.save(update_fields=fields)
        if old_iban != iban:
            audit.record(
                actor=owner,
                action="shop.iban_change",
                target=shop,
                detail={"from": _iban_masked(old_iban), "to": _iban_masked(iban)},
            )
            # Where settlements go changed: tell the owner, in case it was not them.
            mail_template(
                to=owner,
                template="shop_iban_changed",
                context={"shop": shop, "iban": _iban_masked(iban)},
            )
    return shop


def shop_listing_set(
    *, owner: User, shop_id: int, neighbourhood_id: int | None, what_we_sell: str
) -> Shop:
    """The owner says where residents find the shop and what it sells, for the wallet's "where
    to spend" list. Neither decides where money goes, so a change shows at once, without the
    staff check a new name waits for; it is audited."""
    what_we_sell = line_clean(what_we_sell)
    if len(what_we_sell) > WHAT_WE_SELL_MAX:
        raise ShopRefused(
            _("Say what the shop sells in at most %(max)d characters.") % {"max": WHAT_WE_SELL_MAX},
            field="what_we_sell",
        )
    if (
        neighbourhood_id is not None
        and not Neighbourhood.objects.filter(pk=neighbourhood_id).exists()
    ):
        raise ShopRefused(_("That neighbourhood does not exist."), field="neighbourhood")
    with transaction.atomic():
        shop = shop_owned(owner=owner, shop_id=shop_id, lock=True)
        before = {"neighbourhood": shop.neighbourhood_id, "what_we_sell": shop.what_we_sell}
        after = {"neighbourhood": neighbourhood_id, "what_we_sell": what_we_sell}
        if before != after:
            shop.neighbourhood_id, shop.what_we_sell = neighbourhood_id, what_we_sell
            shop.save(update_fields=["neighbourhood", "what_we_sell"])
            audit.record(
                actor=owner,
                action="shop.listing_change",
                target=shop,
                detail={key: {"from": before[key], "to": after[key]} for key in before},
            )
    return shop


def _pending_clear(shop: Shop) -> None:
    shop.pending_name, shop.pending_address, shop.change_requested_at = "", "", None


# --- staff side ---------------------------------------------------------------------------


def _require_shop_staff(staff: User) -> None:
    if not RoleGrant.objects.filter(user=staff, role__in=SHOP_STAFF_ROLES).exists():
        raise NotAllowed(_("Only approvers, finance and administrators may do this."))


def _reason_checked(reason: str) -> str:
    """A reason the owner reads (cleaned by the caller), refused unless it has 1 to REASON_MAX
    characters."""
    if not 0 < len(reason) <= REASON_MAX:
        raise ShopRefused(
            _("Give a reason of 1 to %(max)d characters.") % {"max": REASON_MAX}, field="reason"
        )
    return reason


def _locked_shop(shop_id: int) -> Shop:
    shop = Shop.objects.select_for_update().filter(pk=shop_id).first()
    if shop is None:
        raise NotFound(_("There is no such shop."))
    return shop


def _mail_owner(shop: Shop, template: str, **context: Any) -> None:
    """Mail the shop's owner, if it has one, about the shop (`template`, with `context`)."""
    member = shop.members.filter(role=ShopRole.OWNER).select_related("user").first()
    if member is not None:
        owner = member.user
        mail_template(
            to=owner, template=template, context={"shop": shop, "owner": owner, **context}
        )


def shop_approve(*, staff: User, shop_id: int) -> Shop:
    """Approve a pending shop, opening its ledger account, or reinstate a suspended one,
    unfreezing it. The shop row is locked first, so concurrent approvals open one account.
    Nobody approves a shop they belong to."""
    _require_shop_staff(staff)
    with transaction.atomic():
        shop = _locked_shop(shop_id)
        if shop.status == ShopStatus.APPROVED:
            raise ShopStateConflict(_("This shop is already approved."))
        if shop.members.filter(user=staff).exists():
            raise NotAllowed(_("Nobody approves a shop they belong to."))
        previous = shop.status
        if shop.account_id is None:
            currency = ledger_services.currency_get_or_create(
                code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
            )
            shop.account = ledger_services.account_open(
                currency=currency, kind=AccountKind.SHOP, name=f"Shop {shop.name}"
            )
        else:
            ledger_services.account_unfreeze(
                account_id=shop.account_id, actor_id=staff.pk, reason="shop approved"
            )
        shop.status = ShopStatus.APPROVED
        shop.reviewed_by, shop.reviewed_at = staff, timezone.now()
        shop.status_reason = ""
        shop.save(
            update_fields=["status", "account", "reviewed_by", "reviewed_at", "status_reason"]
        )
        audit.record(
            actor=staff,
            action="shop.approve",
            target=shop,
            detail={"from": previous, "account_id": shop.account_id},
        )
        _mail_owner(shop, "shop_approved")
    return shop


def shop_suspend(*, staff: User, shop_id: int, reason: str) -> Shop:
    """Suspend a shop (or turn down a pending application) with a reason the owner sees. Its
    ledger account, if any, is frozen: it neither pays nor receives until reinstated."""
    _require_shop_staff(staff)
    reason = _reason_checked(" ".join((reason or "").split()))
    with transaction.atomic():
        shop = _locked_shop(shop_id)
        if shop.status == ShopStatus.SUSPENDED:
            raise ShopStateConflict(_("This shop is already suspended."))
        previous = shop.status
        if shop.account_id is not None:
            ledger_services.account_freeze(
                account_id=shop.account_id, actor_id=staff.pk, reason=reason
            )
        shop.status = ShopStatus.SUSPENDED
        shop.reviewed_by, shop.reviewed_at = staff, timezone.now()
        shop.status_reason = reason
        shop.save(update_fields=["status", "reviewed_by", "reviewed_at", "status_reason"])
        audit.record(
            actor=staff,
            action="shop.suspend",
            target=shop,
            detail={"from": previous, "reason": reason},
        )
        _mail_owner(shop, "shop_suspended")
    return shop


def _pending_locked(*, staff: User, shop_id: int) -> Shop:
    _require_shop_staff(staff)
    shop = _locked_shop(shop_id)
    if not shop.change_pending:
        raise ShopStateConflict(_("This shop has no change of name or address waiting."))
    if shop.members.filter(user=staff).exists():
        raise NotAllowed(_("Nobody reviews a shop they belong to."))
    return shop


def shop_change_approve(*, staff: User, shop_id: int) -> Shop:
    """Staff accept a shop's new name and address: residents see them from now on. Approvers,
    finance and administrators who do not belong to the shop; audited."""
    with transaction.atomic():
        shop = _pending_locked(staff=staff, shop_id=shop_id)
        detail = {
            "name": {"from": shop.name, "to": shop.pending_name},
            "address": {"from": shop.address, "to": shop.pending_address},
        }
        shop.name, shop.address = shop.pending_name, shop.pending_address
        _pending_clear(shop)
        shop.save(
            update_fields=[
                "name",
                "address",
                "pending_name",
                "pending_address",
                "change_requested_at",
            ]
        )
        audit.record(actor=staff, action="shop.details_change_approve", target=shop, detail=detail)
    return shop


def shop_change_reject(*, staff: User, shop_id: int, reason: str) -> Shop:
    """Staff turn a shop's new name and address down with a reason the owner is mailed; the
    shop keeps the name and address it had. Same people as approving; audited."""
    reason = _reason_checked(line_clean(reason))
    with transaction.atomic():
        shop = _pending_locked(staff=staff, shop_id=shop_id)
        detail = {"name": shop.pending_name, "address": shop.pending_address, "reason": reason}
        _pending_clear(shop)
        shop.save(update_fields=["pending_name", "pending_address", "change_requested_at"])
        audit.record(actor=staff, action="shop.details_change_reject", target=shop, detail=detail)
        _mail_owner(shop, "shop_change_rejected", name=detail["name"], reason=reason)
    return shop
