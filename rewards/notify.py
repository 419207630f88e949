"""Telling residents what happened to their claims: an in-app Notification row and a mail, both
in the resident's own language, on approval (or a hold), rejection and payment.

Notifications are written inside the caller's transaction (a rolled-back decision tells nobody);
mail goes out after commit (accounts.tasks.mail_template)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Notification, User
from accounts.tasks import mail_template
from accounts.templatetags.heitje import tokens

from .models import Claim
from .selectors import task_text

# Where a resident follows their claims.
CLAIMS_LINK = "/wallet/tasks/"


class ClaimEvent(StrEnum):
    APPROVED = "approved"
    HELD = "held"
    REJECTED = "rejected"
    PAID = "paid"


def _texts(event: ClaimEvent, claim: Claim, title: str) -> tuple[str, str]:
    """Title and body of the in-app notification, in the active language."""
    amount = tokens(claim.amount)
    if event is ClaimEvent.APPROVED:
        return (
            _("Your claim was approved"),
            _("“%(task)s” was approved: %(amount)s Heitje will be paid into your wallet.")
            % {"task": title, "amount": amount},
        )
    if event is ClaimEvent.HELD:
        return (
            _("Your claim was approved but is on hold"),
            _("“%(task)s” was approved (%(amount)s Heitje) but is not paid yet. %(reason)s")
            % {"task": title, "amount": amount, "reason": _(claim.hold_reason)},
        )
    if event is ClaimEvent.REJECTED:
        return (
            _("Your claim was not approved"),
            _("“%(task)s” was not approved. Reason: %(reason)s")
            % {"task": title, "reason": claim.rejection_reason},
        )
    return (
        _("You were paid"),
        _("%(amount)s Heitje for “%(task)s” is in your wallet.")
        % {"task": title, "amount": amount},
    )


def _build(event: ClaimEvent, claim: Claim) -> Notification:
    user: User = claim.resident
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        title, body = _texts(event, claim, task_text(claim.task)[0])
        mail_template(
            to=user,
            template=f"claim_{event.value}",
            context={
                "claim": claim,
                "task_title": task_text(claim.task)[0],
                "hold_reason": _(claim.hold_reason) if claim.hold_reason else "",
                "link": settings.SITE_URL + CLAIMS_LINK,
            },
        )
    return Notification(
        user=user,
        kind=f"claim.{event.value}",
        title=str(title)[:200],
        body=str(body)[:2000],
        link=CLAIMS_LINK,
    )


def claim_notify(*, claim: Claim, event: ClaimEvent) -> None:
    """Tell the resident, in their language, in the app and by mail (after commit)."""
    _build(event, claim).save()


def claims_notify(*, claims: Iterable[Claim], event: ClaimEvent) -> None:
    """The same for many claims at once (bulk payouts): one insert for all notifications."""
    Notification.objects.bulk_create([_build(event, claim) for claim in claims])
