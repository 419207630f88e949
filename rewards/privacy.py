"""Rewards' part in privacy (GDPR): what rewards holds about a person, for "download my data",
and erasing it when they delete their account. accounts asks through its signals
(accounts.signals.data_exporting and account_erasing; connected in rewards.apps) and never
imports rewards.

Erasing, inside accounts.privacy.person_erase's transaction and before the wallet closes:
- reserved and submitted claims are withdrawn and give their slots back;
- approved claims not yet paid are ended too (withdrawn, the hold cleared, a decision by the
  rules saying why): the wallet they would be paid into is closing, so they could never be
  paid, and an open claim would keep its campaign from closing;
- every claim of the person loses its note and location, and its photos: the Evidence rows go
  in the transaction, the files once it commits (a rolled-back deletion keeps them);
- paid claims stay, as the ledger's payout transfers point at them, and so does every claim's
  history of decisions (nothing personal in them but a rejection's reason).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.files.storage import Storage
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import User

from .claims import slot_release
from .models import (
    Claim,
    ClaimDecision,
    ClaimStatus,
    DecisionKind,
    Evidence,
    evidence_storage,
)
from .selectors import task_text
from .transitions import claim_transition

logger = logging.getLogger(__name__)

# Stored as the English source and shown translated, like the hold reasons.
ENDED_ACCOUNT_DELETED = gettext_noop("Ended unpaid because the resident's account was deleted.")

# Claims ended by the erasure: the ones still waiting for the resident or for staff.
_OPEN = (ClaimStatus.RESERVED, ClaimStatus.SUBMITTED)


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _coordinate(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- export -------------------------------------------------------------------------------


def claims_export(*, user: User) -> list[dict[str, Any]]:
    """The person's claims, oldest first: the task, the state and amount, what they submitted
    (note, location, the photos' ids and sizes), the dates, and every decision (its kind,
    reason and time, not who on the staff took it)."""
    claims = (
        Claim.objects.filter(resident=user)
        .select_related("task")
        .prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.order_by("pk")),
            Prefetch("decisions", queryset=ClaimDecision.objects.order_by("created_at", "pk")),
        )
        .order_by("reserved_at", "pk")
    )
    return [
        {
            "id": claim.pk,
            "task_id": claim.task_id,
            "task": task_text(claim.task, user.preferred_language)[0],
            "status": claim.status,
            "amount": claim.amount,
            "note": claim.note,
            "latitude": _coordinate(claim.latitude),
            "longitude": _coordinate(claim.longitude),
            "reserved_at": _when(claim.reserved_at),
            "submitted_at": _when(claim.submitted_at),
            "paid_at": _when(claim.paid_at),
            "closed_at": _when(claim.closed_at),
            "rejection_reason": claim.rejection_reason,
            "hold_reason": claim.hold_reason,
            "decisions": [
                {"kind": d.kind, "reason": d.reason, "created_at": _when(d.created_at)}
                for d in claim.decisions.all()
            ],
            "evidence": [
                {
                    "id": e.pk,
                    "content_type": e.content_type,
                    "width": e.width,
                    "height": e.height,
                    "size": e.size,
                    "created_at": _when(e.created_at),
                }
                for e in claim.evidence.all()
            ],
        }
        for claim in claims
    ]


def data_exporting(sender: object, *, user: User, **kwargs: Any) -> dict[str, Any]:
    """Receiver of accounts.signals.data_exporting: the claims, under "claims"."""
    return {"claims": claims_export(user=user)}


# --- erasure ------------------------------------------------------------------------------


def _files_delete(storage: Storage, names: Sequence[str]) -> None:
    """Delete evidence files after the erasure committed; one that fails is logged and the
    others are still deleted (the rows are gone, so no one can fetch a file left behind)."""
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("rewards: could not delete the evidence file %s", name)


def claims_erase(*, user_id: int) -> None:
    """End the person's open and unpaid claims and erase what they submitted (see the module's
    docstring). Runs inside the caller's transaction; every claim of the person is locked,
    whatever its state, so a payout or submission under way finishes first and is seen."""
    assert connection.in_atomic_block, "claims_erase must run inside the caller's transaction"
    now = timezone.now()
    claims = list(
        Claim.objects.select_for_update(of=("self",)).filter(resident_id=user_id).order_by("pk")
    )
    for claim in claims:
        if claim.status in _OPEN:
            claim.closed_at = now
            claim_transition(claim=claim, to=ClaimStatus.WITHDRAWN, fields=("closed_at",))
            slot_release(claim)
        elif claim.status == ClaimStatus.APPROVED:
            claim.closed_at, claim.hold_reason = now, ""
            claim_transition(
                claim=claim, to=ClaimStatus.WITHDRAWN, fields=("closed_at", "hold_reason")
            )
            slot_release(claim)
            ClaimDecision.objects.create(
                claim=claim, actor=None, kind=DecisionKind.REJECT, reason=ENDED_ACCOUNT_DELETED
            )
    Claim.objects.filter(resident_id=user_id).update(note="", latitude=None, longitude=None)
    evidence = Evidence.objects.filter(claim__resident_id=user_id)
    names = [name for name in evidence.values_list("file", flat=True) if name]
    evidence.delete()
    if names:
        storage = evidence_storage()
        transaction.on_commit(lambda: _files_delete(storage, names))


def account_erasing(sender: object, *, user: User, **kwargs: Any) -> None:
    """Receiver of accounts.signals.account_erasing."""
    claims_erase(user_id=user.pk)
