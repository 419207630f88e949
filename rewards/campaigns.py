"""Campaigns and their budgets: create, update, close; mint requests (one finance person asks,
a different approver approves; the database refuses the same person twice).

Money enters a budget only through `mint_approve` (ledger transfer "mint", issuer -> budget,
idempotency key `mint:<request id>`) and leaves it through payouts or `campaign_close` (transfer
"burn", budget -> issuer, key `close:<campaign id>`). Every action writes an audit event in its
transaction. Changes that touch the budget lock the campaign row first (`select_for_update`),
the same lock task publishing takes, so closing and publishing cannot interleave.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import audit
from accounts.models import Neighbourhood, Role, User
from accounts.permissions import has_role
from core.errors import reason_check
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.models import AccountKind, TransferKind

from . import selectors
from .errors import CampaignBusy, CampaignRefused, MintRefused, NotAllowed, NotFound
from .models import (
    Campaign,
    CampaignStatus,
    Claim,
    ClaimStatus,
    MintRequest,
    MintStatus,
    Task,
    TaskStatus,
)

CAMPAIGN_ROLES = (Role.TASK_MANAGER, Role.ADMIN)
MINT_REQUEST_ROLES = (Role.FINANCE, Role.ADMIN)
MINT_APPROVE_ROLES = (Role.APPROVER, Role.ADMIN)
IDEMPOTENCY_SCOPE = "rewards"
NAME_MAX = 200
DESCRIPTION_MAX = 5000
REASON_MAX = 500
MINT_MAX = 10**12  # minor units: ten billion tokens, far beyond any municipal budget


def _require(user: User, roles: Iterable[str]) -> None:
    if not has_role(user, roles):
        raise NotAllowed(_("Your role does not allow this."))


def _clean_text(value: str, *, field: str, maximum: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise CampaignRefused(_("This field is required."), field=field)
    if len(value) > maximum:
        raise CampaignRefused(_("At most %(max)d characters.") % {"max": maximum}, field=field)
    if "\x00" in value:
        raise CampaignRefused(_("This text contains a character that is not allowed."), field=field)
    return value


def _neighbourhoods(ids: Iterable[int]) -> list[Neighbourhood]:
    wanted = set(ids)
    found = list(Neighbourhood.objects.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise CampaignRefused(_("There is no such neighbourhood."), field="neighbourhoods")
    return found


def _check_window(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise CampaignRefused(_("A campaign cannot end before it starts."), field="ends_on")


def _locked(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("There is no such campaign."))
    return campaign


def campaign_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    starts_on: date,
    ends_on: date,
    neighbourhood_ids: Iterable[int] = (),
) -> Campaign:
    """Create an active campaign with an empty budget account (ledger kind "budget"). No
    neighbourhoods means every neighbourhood. Task managers and administrators only."""
    _require(actor, CAMPAIGN_ROLES)
    name = _clean_text(name, field="name", maximum=NAME_MAX, required=True)
    description = _clean_text(
        description, field="description", maximum=DESCRIPTION_MAX, required=False
    )
    _check_window(starts_on, ends_on)
    neighbourhoods = _neighbourhoods(neighbourhood_ids)
    currency = ledger_services.currency_get_or_create(
        code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
    )
    with transaction.atomic():
        budget = ledger_services.account_open(
            currency=currency, kind=AccountKind.BUDGET, name=f"Budget of {name}"
        )
        campaign = Campaign.objects.create(
            name=name,
            description=description,
            starts_on=starts_on,
            ends_on=ends_on,
            budget=budget,
            created_by=actor,
        )
        campaign.neighbourhoods.set(neighbourhoods)
        audit.record(
            actor=actor,
            action="campaign.create",
            target=campaign,
            detail={
                "name": name,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "neighbourhoods": sorted(n.pk for n in neighbourhoods),
            },
        )
    return campaign


CAMPAIGN_FIELDS = frozenset({"name", "description", "starts_on", "ends_on", "neighbourhood_ids"})


def campaign_update(*, actor: User, campaign_id: int, changes: Mapping[str, Any]) -> Campaign:
    """Change a campaign's name, description, window or neighbourhoods (keys of `changes`; the
    others keep their value). Refused when a task would fall outside the new window or its
    neighbourhood outside the new list, and on a closed campaign."""
    _require(actor, CAMPAIGN_ROLES)
    unknown = set(changes) - CAMPAIGN_FIELDS
    if unknown:
        raise CampaignRefused(_("These fields cannot be changed: %s.") % ", ".join(sorted(unknown)))
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status != CampaignStatus.ACTIVE:
            raise CampaignBusy(_("This campaign is closed."))
        if "name" in changes:
            campaign.name = _clean_text(
                changes["name"], field="name", maximum=NAME_MAX, required=True
            )
        if "description" in changes:
            campaign.description = _clean_text(
                changes["description"], field="description", maximum=DESCRIPTION_MAX, required=False
            )
        campaign.starts_on = changes.get("starts_on", campaign.starts_on)
        campaign.ends_on = changes.get("ends_on", campaign.ends_on)
        _check_window(campaign.starts_on, campaign.ends_on)
        tasks = Task.objects.filter(campaign=campaign).exclude(status=TaskStatus.CLOSED)
        for task in tasks:
            starts, ends = timezone.localdate(task.starts_at), timezone.localdate(task.ends_at)
            if starts < campaign.starts_on or ends > campaign.ends_on:
                raise CampaignRefused(
                    _("The task “%(task)s” would fall outside the campaign's window.")
                    % {"task": task.title_nl},
                    field="starts_on" if starts < campaign.starts_on else "ends_on",
                )
        if "neighbourhood_ids" in changes:
            neighbourhoods = _neighbourhoods(changes["neighbourhood_ids"])
            allowed = {n.pk for n in neighbourhoods}
            if allowed:
                stray = tasks.exclude(neighbourhood__isnull=True).exclude(
                    neighbourhood_id__in=allowed
                )
                if stray.exists():
                    raise CampaignRefused(
                        _("A task of this campaign is in a neighbourhood you left out."),
                        field="neighbourhoods",
                    )
            campaign.neighbourhoods.set(neighbourhoods)
        campaign.save()
        detail = {
            key: (value.isoformat() if isinstance(value, date) else value)
            for key, value in changes.items()
        }
        if "neighbourhood_ids" in detail:
            detail["neighbourhood_ids"] = sorted(detail["neighbourhood_ids"])
        audit.record(actor=actor, action="campaign.update", target=campaign, detail=detail)
    return campaign


def campaign_close(*, actor: User, campaign_id: int) -> Campaign:
    """Close a campaign: its tasks close, reserved claims expire (freeing their slots), what is
    left in the budget goes back to the issuer (transfer "burn", key `close:<id>`) and the
    budget account is closed. Refused while claims are submitted (awaiting review) or approved
    but unpaid: decide and pay them first. Pending mint requests can no longer be approved."""
    _require(actor, CAMPAIGN_ROLES)
    from .claims import claims_release_locked  # claims builds on campaigns, not the reverse

    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status != CampaignStatus.ACTIVE:
            raise CampaignBusy(_("This campaign is already closed."))
        now = timezone.now()
        # In this order: closing the tasks waits for reservations under way and stops new
        # ones; expiring then waits for submissions under way (and sees what they committed);
        # only then is the count of claims still to decide final.
        closed_tasks = (
            Task.objects.filter(campaign=campaign)
            .exclude(status=TaskStatus.CLOSED)
            .update(status=TaskStatus.CLOSED)
        )
        expired = claims_release_locked(
            Claim.objects.filter(task__campaign=campaign, status=ClaimStatus.RESERVED),
            status=ClaimStatus.EXPIRED,
            now=now,
            skip_locked=False,
        )
        open_claims = Claim.objects.filter(
            task__campaign=campaign, status__in=(ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)
        ).count()
        if open_claims:
            raise CampaignBusy(
                ngettext(
                    "%(count)d claim is still submitted or approved but unpaid: review and pay "
                    "it before closing the campaign.",
                    "%(count)d claims are still submitted or approved but unpaid: review and pay "
                    "them before closing the campaign.",
                    open_claims,
                )
                % {"count": open_claims}
            )
        balance = ledger_selectors.account_balance(account_id=campaign.budget_id)
        returned = None
        if balance > 0:
            issuer = ledger_selectors.issuer_account(currency=campaign.budget.currency)
            returned = ledger_services.transfer_post(
                kind=TransferKind.BURN,
                legs=ledger_services.legs_between(
                    source_id=campaign.budget_id, destination_id=issuer.pk, amount=balance
                ),
                idempotency_scope=IDEMPOTENCY_SCOPE,
                idempotency_key=f"close:{campaign.pk}",
                metadata={"campaign": campaign.pk, "reason": "campaign closed"},
                actor_id=actor.pk,
            )
        ledger_services.account_close(
            account_id=campaign.budget_id, actor_id=actor.pk, reason="campaign closed"
        )
        campaign.status = CampaignStatus.CLOSED
        campaign.closed_by = actor
        campaign.closed_at = now
        campaign.save(update_fields=["status", "closed_by", "closed_at"])
        audit.record(
            actor=actor,
            action="campaign.close",
            target=campaign,
            detail={
                "returned": balance if returned else 0,
                "transfer": returned.pk if returned else None,
                "tasks_closed": closed_tasks,
                "claims_expired": expired,
            },
        )
    return campaign


def mint_request(*, actor: User, campaign_id: int, amount: int, reason: str) -> MintRequest:
    """Ask to mint `amount` minor units into an active campaign's budget. Finance people and
    administrators only; a different person must approve."""
    _require(actor, MINT_REQUEST_ROLES)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MINT_MAX:
        raise MintRefused(_("The amount must be a positive whole number of cents."), field="amount")
    reason = reason_check(
        (reason or "").strip(),
        MintRefused,
        empty=_("Say why the budget needs this money."),
        most=REASON_MAX,
    )
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status != CampaignStatus.ACTIVE:
            raise CampaignBusy(_("This campaign is closed."))
        request = MintRequest.objects.create(
            campaign=campaign, amount=amount, reason=reason, requested_by=actor
        )
        audit.record(
            actor=actor,
            action="mint.request",
            target=request,
            detail={"campaign": campaign.pk, "amount": amount, "reason": reason},
        )
    return request


def _undecided_request(actor: User, request_id: int, *, refusal: str) -> MintRequest:
    """The mint request, locked, for `actor` to decide: refused with NotAllowed(`refusal`)
    when they asked for it, and when it was already decided."""
    request = (
        MintRequest.objects.select_for_update().select_related("campaign").filter(pk=request_id)
    ).first()
    if request is None:
        raise NotFound(_("There is no such mint request."))
    if request.requested_by_id == actor.pk:
        raise NotAllowed(refusal)
    if request.status != MintStatus.REQUESTED:
        raise MintRefused(_("This mint request was already decided."))
    return request


def mint_approve(*, actor: User, request_id: int) -> MintRequest:
    """Approve a mint request: the issuer pays the amount into the campaign's budget, once
    (idempotency key `mint:<request id>`). The approver (role approver or admin) is never the
    person who asked; the database refuses that too."""
    _require(actor, MINT_APPROVE_ROLES)
    with transaction.atomic():
        refusal = _("Someone other than the requester must approve a mint.")
        request = _undecided_request(actor, request_id, refusal=refusal)
        campaign = _locked(request.campaign_id)
        if campaign.status != CampaignStatus.ACTIVE:
            raise CampaignBusy(_("This campaign is closed."))
        issuer = ledger_selectors.issuer_account(currency=campaign.budget.currency)
        transfer = ledger_services.transfer_post(
            kind=TransferKind.MINT,
            legs=ledger_services.legs_between(
                source_id=issuer.pk, destination_id=campaign.budget_id, amount=request.amount
            ),
            idempotency_scope=IDEMPOTENCY_SCOPE,
            idempotency_key=f"mint:{request.pk}",
            metadata={"campaign": campaign.pk, "mint_request": request.pk},
            actor_id=actor.pk,
        )
        request.decide(status=MintStatus.APPROVED, by=actor, refusal=refusal, transfer=transfer)
        audit.record(
            actor=actor,
            action="mint.approve",
            target=request,
            detail={"campaign": campaign.pk, "amount": request.amount, "transfer": transfer.pk},
        )
    return request


def mint_reject(*, actor: User, request_id: int, reason: str) -> MintRequest:
    """Turn a mint request down with a reason; nothing is minted. Not by the requester."""
    _require(actor, MINT_APPROVE_ROLES)
    reason = reason_check(
        (reason or "").strip(),
        MintRefused,
        empty=_("Say why the request is turned down."),
        most=REASON_MAX,
    )
    with transaction.atomic():
        refusal = _("Someone other than the requester must decide on a mint.")
        request = _undecided_request(actor, request_id, refusal=refusal)
        request.decide(
            status=MintStatus.REJECTED, by=actor, refusal=refusal, decision_reason=reason
        )
        audit.record(actor=actor, action="mint.reject", target=request, detail={"reason": reason})
    return request


@dataclass(frozen=True)
class CampaignBudgetHold:
    """A campaign's budget as payments' voucher batches see it (payments.budgets.HeldBudget)."""

    campaign: Campaign
    account_id: int
    owner_id: int
    active: bool

    def available(self) -> int:
        return selectors.campaign_budget(campaign=self.campaign).available


def campaign_budget_hold(
    *, owner_id: int | None = None, account_id: int | None = None
) -> CampaignBudgetHold | None:
    """The campaign `owner_id`, or the campaign whose budget is `account_id`, locked as closing
    it locks it (so nothing is funded beside a budget being returned); None if there is none.
    Must run inside a transaction."""
    found = (
        Campaign.objects.select_for_update(of=("self",))
        .filter(**({"pk": owner_id} if owner_id is not None else {"budget_id": account_id}))
        .first()
    )
    if found is None:
        return None
    return CampaignBudgetHold(
        campaign=found,
        account_id=found.budget_id,
        owner_id=found.pk,
        active=found.status == CampaignStatus.ACTIVE,
    )
