"""Shops: onboarding, staff approval and suspension, and the owner's cashiers.

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
- Only the owner invites and removes cashiers, at most CASHIER_INVITES_PER_DAY a day. An
  invitation is a random token of which only the SHA-256 is kept; it works once, for the
  person whose email it was sent to, until it expires or is revoked.
- Only members see a shop; to anyone else it does not exist (NotFound, never "forbidden").
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import InvalidCountryCode, SchwiftyException

from ledger import services as ledger_services
from ledger.models import AccountKind

from . import audit, identity
from .errors import (
    AccountsError,
    InviteRefused,
    NotAllowed,
    NotFound,
    ReauthenticationRequired,
    ShopRefused,
)
from .models import (
    CashierInvite,
    Role,
    RoleGrant,
    Shop,
    ShopCategory,
    ShopMember,
    ShopRole,
    ShopStatus,
    User,
)
from .tasks import mail_template
from .text import line_clean

SHOP_STAFF_ROLES = (Role.APPROVER, Role.FINANCE, Role.ADMIN)
NAME_MAX = 100
ADDRESS_MAX = 200
REASON_MAX = 500
OPEN_INVITES_MAX = 20
_KVK = re.compile(r"\d{8}")


class TooManyInvites(InviteRefused):
    code = "too-many-invites"
    status = 429


class ShopStateConflict(AccountsError):
    """The shop is not in a state that allows this (already approved, already suspended)."""

    code = "shop-state-conflict"
    status = 409


@dataclass(frozen=True)
class Membership:
    shop: Shop
    role: str

    @property
    def is_owner(self) -> bool:
        return self.role == ShopRole.OWNER


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


# --- reading ------------------------------------------------------------------------------


def shop_memberships(*, user: User) -> list[Membership]:
    """The shops this person belongs to, with their role in each."""
    if not user.is_authenticated:
        return []
    rows = ShopMember.objects.filter(user=user).select_related("shop").order_by("shop__name")
    return [Membership(shop=m.shop, role=m.role) for m in rows]


def shop_membership(*, user: User, shop_id: int) -> Membership:
    """The shop and this person's role in it; NotFound when they are not a member."""
    if not user.is_authenticated:
        raise NotFound(_("There is no such shop."))
    member = (
        ShopMember.objects.filter(user=user, shop_id=shop_id)
        .select_related("shop", "shop__account__currency")
        .first()
    )
    if member is None:
        raise NotFound(_("There is no such shop."))
    return Membership(shop=member.shop, role=member.role)


def _owned_shop(*, owner: User, shop_id: int, lock: bool = False) -> Shop:
    """The shop if `owner` owns it. A cashier asking gets NotAllowed (they can see the shop);
    anyone else NotFound."""
    membership = shop_membership(user=owner, shop_id=shop_id)
    if not membership.is_owner:
        raise NotAllowed(_("Only the shop's owner may do this."))
    if lock:
        return Shop.objects.select_for_update().get(pk=shop_id)
    return membership.shop


def shop_cashiers(*, owner: User, shop_id: int) -> tuple[list[ShopMember], list[CashierInvite]]:
    """The shop's cashiers and its open invitations (owner only)."""
    shop = _owned_shop(owner=owner, shop_id=shop_id)
    cashiers = list(
        shop.members.filter(role=ShopRole.CASHIER).select_related("user").order_by("created_at")
    )
    invites = list(
        shop.cashier_invites.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).order_by("created_at")
    )
    return cashiers, invites


def shops_for_staff(*, status: str | None = None) -> QuerySet[Shop]:
    """Every shop, oldest first, optionally of one status (for the staff's approval queue)."""
    shops = Shop.objects.select_related("created_by", "account").order_by("created_at", "id")
    if status:
        shops = shops.filter(status=status)
    return shops


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
    reauthenticated = _owned_shop(owner=owner, shop_id=shop_id).iban != iban
    if reauthenticated:
        identity.reauthenticate(user=owner, password=password, request=request)
    with transaction.atomic():
        shop = _owned_shop(owner=owner, shop_id=shop_id, lock=True)
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


def _pending_clear(shop: Shop) -> None:
    shop.pending_name, shop.pending_address, shop.change_requested_at = "", "", None


def _invite_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cashier_invite(*, owner: User, shop_id: int, email: str) -> tuple[CashierInvite, str]:
    """The owner of an approved shop invites someone by email to become a cashier. Returns the
    invitation and its token (mailed, never stored). A new invitation to the same address
    replaces the open one. A shop sends at most CASHIER_INVITES_PER_DAY invitations in 24 hours
    (counted under the shop's lock), and the mail names the shop as staff approved it, never
    text the owner typed freely, since it may go to any address."""
    email = (email or "").strip().lower()
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise InviteRefused(_("That is not a valid email address."), field="email") from None
    with transaction.atomic():
        shop = _owned_shop(owner=owner, shop_id=shop_id, lock=True)
        if shop.status != ShopStatus.APPROVED:
            raise InviteRefused(_("Cashiers can be invited once the shop is approved."))
        if shop.members.filter(user__email__iexact=email).exists():
            raise InviteRefused(_("This person already works for the shop."), field="email")
        now = timezone.now()
        open_invites = shop.cashier_invites.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        )
        sent_today = shop.cashier_invites.filter(created_at__gt=now - timedelta(days=1)).count()
        if sent_today >= settings.CASHIER_INVITES_PER_DAY:
            raise TooManyInvites(
                _("The shop sent %(max)d invitations in the last 24 hours; try again tomorrow.")
                % {"max": settings.CASHIER_INVITES_PER_DAY}
            )
        open_invites.filter(email__iexact=email).update(revoked_at=now)
        if open_invites.count() >= OPEN_INVITES_MAX:
            raise InviteRefused(
                _("The shop has %(max)d open invitations; revoke some first.")
                % {"max": OPEN_INVITES_MAX}
            )
        token = secrets.token_urlsafe(32)
        invite = CashierInvite.objects.create(
            shop=shop,
            email=email,
            token_hash=_invite_hash(token),
            invited_by=owner,
            expires_at=now + timedelta(days=settings.CASHIER_INVITE_DAYS),
        )
        invitee = User.objects.filter(email__iexact=email).first()
        mail_template(
            to=invitee or email,
            template="shop_cashier_invite",
            context={
                "shop": shop,
                "link": f"{settings.SITE_URL.rstrip('/')}/shop/invite/{token}/",
                "days": settings.CASHIER_INVITE_DAYS,
            },
        )
    return invite, token


def _invite_usable(invite: CashierInvite | None, *, user: User) -> CashierInvite:
    if invite is None:
        raise InviteRefused(_("This invitation link is not valid."), field="token")
    if invite.revoked_at is not None:
        raise InviteRefused(_("This invitation was withdrawn by the shop."), field="token")
    if invite.accepted_at is not None:
        raise InviteRefused(_("This invitation has already been used."), field="token")
    if invite.expires_at <= timezone.now():
        raise InviteRefused(
            _("This invitation has expired. Ask the shop owner for a new one."), field="token"
        )
    if user.email.lower() != invite.email.lower():
        raise InviteRefused(
            _(
                "This invitation was sent to another email address. Sign in with the address "
                "it was sent to."
            ),
            field="token",
        )
    if user.email_verified_at is None:
        raise InviteRefused(_("Confirm your email address first."), field="token")
    if invite.shop.status == ShopStatus.SUSPENDED:
        raise InviteRefused(_("This shop is suspended at the moment."), field="token")
    return invite


def cashier_invite_check(*, user: User, token: str) -> CashierInvite:
    """The invitation behind `token` if `user` could accept it now (changes nothing)."""
    token = token or ""
    invite = (
        CashierInvite.objects.select_related("shop").filter(token_hash=_invite_hash(token)).first()
        if 0 < len(token) <= 100
        else None
    )
    return _invite_usable(invite, user=user)


def cashier_invite_accept(*, user: User, token: str) -> ShopMember:
    """The invited person becomes a cashier of the shop: once, before expiry, unless revoked,
    and only if their email is the one invited. The invitation row is locked, so two accepts at
    once make one cashier."""
    if not 0 < len(token or "") <= 100:
        raise InviteRefused(_("This invitation link is not valid."), field="token")
    try:
        with transaction.atomic():
            invite = (
                CashierInvite.objects.select_for_update()
                .select_related("shop")
                .filter(token_hash=_invite_hash(token))
                .first()
            )
            invite = _invite_usable(invite, user=user)
            if ShopMember.objects.filter(shop=invite.shop, user=user).exists():
                raise InviteRefused(_("You already work for this shop."), field="token")
            member = ShopMember.objects.create(shop=invite.shop, user=user, role=ShopRole.CASHIER)
            invite.accepted_by, invite.accepted_at = user, timezone.now()
            invite.save(update_fields=["accepted_by", "accepted_at"])
    except IntegrityError:
        raise InviteRefused(_("You already work for this shop."), field="token") from None
    return member


def cashier_invite_revoke(*, owner: User, shop_id: int, invite_id: int) -> None:
    """The owner withdraws an open invitation; its link stops working."""
    with transaction.atomic():
        shop = _owned_shop(owner=owner, shop_id=shop_id, lock=True)
        invite = shop.cashier_invites.select_for_update().filter(pk=invite_id).first()
        if invite is None:
            raise NotFound(_("There is no such invitation."))
        if invite.accepted_at is not None:
            raise InviteRefused(_("This invitation has already been used."))
        if invite.revoked_at is None:
            invite.revoked_at = timezone.now()
            invite.save(update_fields=["revoked_at"])


def cashier_remove(*, owner: User, shop_id: int, user_id: int) -> None:
    """The owner removes a cashier from the shop (never the owner)."""
    with transaction.atomic():
        shop = _owned_shop(owner=owner, shop_id=shop_id, lock=True)
        deleted, _rows = shop.members.filter(user_id=user_id, role=ShopRole.CASHIER).delete()
        if not deleted:
            raise NotFound(_("There is no such cashier."))


# --- staff side ---------------------------------------------------------------------------


def _require_shop_staff(staff: User) -> None:
    if not RoleGrant.objects.filter(user=staff, role__in=SHOP_STAFF_ROLES).exists():
        raise NotAllowed(_("Only approvers, finance and administrators may do this."))


def _locked_shop(shop_id: int) -> Shop:
    shop = Shop.objects.select_for_update().filter(pk=shop_id).first()
    if shop is None:
        raise NotFound(_("There is no such shop."))
    return shop


def _owner_of(shop: Shop) -> User | None:
    member = shop.members.filter(role=ShopRole.OWNER).select_related("user").first()
    return member.user if member else None


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
        owner = _owner_of(shop)
        if owner is not None:
            mail_template(
                to=owner, template="shop_approved", context={"shop": shop, "owner": owner}
            )
    return shop


def shop_suspend(*, staff: User, shop_id: int, reason: str) -> Shop:
    """Suspend a shop (or turn down a pending application) with a reason the owner sees. Its
    ledger account, if any, is frozen: it neither pays nor receives until reinstated."""
    _require_shop_staff(staff)
    reason = " ".join((reason or "").split())
    if not 0 < len(reason) <= REASON_MAX:
        raise ShopRefused(
            _("Give a reason of 1 to %(max)d characters.") % {"max": REASON_MAX}, field="reason"
        )
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
        owner = _owner_of(shop)
        if owner is not None:
            mail_template(
                to=owner, template="shop_suspended", context={"shop": shop, "owner": owner}
            )
    return shop


def shops_with_pending_changes() -> QuerySet[Shop]:
    """Shops whose new name or address waits for review, oldest request first."""
    return (
        Shop.objects.filter(change_requested_at__isnull=False)
        .select_related("created_by", "account")
        .order_by("change_requested_at", "id")
    )


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
    reason = line_clean(reason)
    if not 0 < len(reason) <= REASON_MAX:
        raise ShopRefused(
            _("Give a reason of 1 to %(max)d characters.") % {"max": REASON_MAX}, field="reason"
        )
    with transaction.atomic():
        shop = _pending_locked(staff=staff, shop_id=shop_id)
        detail = {"name": shop.pending_name, "address": shop.pending_address, "reason": reason}
        _pending_clear(shop)
        shop.save(update_fields=["pending_name", "pending_address", "change_requested_at"])
        audit.record(actor=staff, action="shop.details_change_reject", target=shop, detail=detail)
        owner = _owner_of(shop)
        if owner is not None:
            mail_template(
                to=owner,
                template="shop_change_rejected",
                context={"shop": shop, "name": detail["name"], "reason": reason},
            )
    return shop
