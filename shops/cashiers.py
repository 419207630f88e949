"""A shop's cashiers: the owner invites them by email, they accept, the owner revokes an
invitation or removes a cashier.

Only the owner invites and removes cashiers, at most CASHIER_INVITES_PER_DAY a day. An
invitation is a random token of which only the SHA-256 is kept; it works once, for the person
whose email it was sent to, until it expires or is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import NotFound
from accounts.models import User
from accounts.tasks import mail_template

from .errors import InviteRefused, TooManyInvites
from .models import CashierInvite, ShopMember, ShopRole, ShopStatus
from .selectors import shop_owned

OPEN_INVITES_MAX = 20


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
        shop = shop_owned(owner=owner, shop_id=shop_id, lock=True)
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
        shop = shop_owned(owner=owner, shop_id=shop_id, lock=True)
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
        shop = shop_owned(owner=owner, shop_id=shop_id, lock=True)
        deleted, _rows = shop.members.filter(user_id=user_id, role=ShopRole.CASHIER).delete()
        if not deleted:
            raise NotFound(_("There is no such cashier."))
