"""Telling residents what happened to their claims: an in-app Notification row and a mail, both
in the resident's own language, on approval (or a hold), rejection and payment.

Notifications are written inside the caller's transaction (a rolled-back decision tells nobody);
mail goes out after commit (accounts.tasks.mail_template)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Notification, User
from accounts.tasks import mail_template
from core.money import amount_format

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
    amount = amount_format(claim.amount)
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


def _mail(event: ClaimEvent, claim: Claim) -> None:
    user: User = claim.resident
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        mail_template(
            to=user,
            template=f"claim_{event.value}",
            # One mail per claim and event, however often the payout or its mail task runs.
            key=f"claim:{claim.pk}:{event.value}",
            context={
                "claim": claim,
                "task_title": task_text(claim.task)[0],
                "hold_reason": _(claim.hold_reason) if claim.hold_reason else "",
                "link": settings.SITE_URL + CLAIMS_LINK,
            },
        )


def _notification(event: ClaimEvent, claim: Claim) -> Notification:
    user: User = claim.resident
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        title, body = _texts(event, claim, task_text(claim.task)[0])
    return Notification(
        user=user,
        kind=f"claim.{event.value}",
        title=str(title)[:200],
        body=str(body)[:2000],
        link=CLAIMS_LINK,
    )


def claim_notify(*, claim: Claim, event: ClaimEvent) -> None:
    """Tell the resident, in their language, in the app and by mail (after commit)."""
    _notification(event, claim).save()
    _mail(event, claim)


def claims_notify(*, claims: Sequence[Claim], event: ClaimEvent) -> None:
    """The in-app notifications of many claims at once (bulk approvals and payouts), one insert
    for all, and their mail queued after commit as one task (`claims_mail_task`): a batch of 500
    mails takes a worker about half a second, which the payout need not wait for."""
    if not claims:
        return
    Notification.objects.bulk_create([_notification(event, claim) for claim in claims])
    ids = [claim.pk for claim in claims]
    # Imported here: rewards.tasks imports the services that import this module.
    from .tasks import claims_mail_task

    transaction.on_commit(lambda: claims_mail_task.delay(ids, event.value), robust=True)


def claims_mail(*, claim_ids: Sequence[int], event: str) -> None:
    """Mail the residents of these claims about `event`, each in their language."""
    claims = Claim.objects.filter(pk__in=claim_ids).select_related("task", "resident")
    for claim in claims.order_by("pk"):
        _mail(ClaimEvent(event), claim)
