"""A claim's status: the one table of the moves it may make, and the only functions that move it.

    reserved  -> submitted, withdrawn, expired
    submitted -> approved, rejected, withdrawn
    approved  -> paid, withdrawn
    paid, rejected, withdrawn, expired: final

A first approval above the second-approval threshold leaves the claim submitted, and a hold
keeps it approved (`hold_reason`): neither is a move. Every service that changes a claim's status
(reserve creates it reserved) calls `claim_transition` for one claim or `claims_transition` for
many, after checking its own rule and with the claims' rows locked; the table is the last word.
Both write with one UPDATE that only touches a row still in the state that was checked, so a
row changed behind the caller's back raises instead of being overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field
from django.utils.translation import gettext as _

from .errors import ClaimTransitionRefused
from .models import Claim, ClaimStatus

_S = ClaimStatus
CLAIM_TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        _S.RESERVED: frozenset({_S.SUBMITTED, _S.WITHDRAWN, _S.EXPIRED}),
        _S.SUBMITTED: frozenset({_S.APPROVED, _S.REJECTED, _S.WITHDRAWN}),
        _S.APPROVED: frozenset({_S.PAID, _S.WITHDRAWN}),
        _S.PAID: frozenset(),
        _S.REJECTED: frozenset(),
        _S.WITHDRAWN: frozenset(),
        _S.EXPIRED: frozenset(),
    }
)


def claim_transition_allowed(*, source: str, target: str) -> bool:
    """True when the table lets a claim in `source` become `target`."""
    return target in CLAIM_TRANSITIONS.get(source, frozenset())


def _refused(source: str, target: str) -> ClaimTransitionRefused:
    return ClaimTransitionRefused(
        _("A claim that is “%(source)s” cannot become “%(target)s”.")
        % {"source": ClaimStatus(source).label, "target": ClaimStatus(target).label}
    )


def claim_transition(*, claim: Claim, to: str, fields: Sequence[str] = ()) -> None:
    """Move one claim, its row locked by the caller, to `to`, writing its status and the
    `fields` the caller has set on it. Never makes a move the table does not allow
    (ClaimTransitionRefused, nothing written)."""
    claims_transition(claims=[claim], to=to, fields=fields)


def claims_transition(*, claims: Sequence[Claim], to: str, fields: Sequence[str] = ()) -> None:
    """Move many claims, their rows locked by the caller, to `to` in one UPDATE, writing each
    claim's status and the `fields` the caller has set on it. Never makes a move the table does
    not allow: one forbidden claim refuses the whole batch (ClaimTransitionRefused, nothing
    written), and so does a row whose status is no longer the one checked."""
    if not claims:
        return
    for claim in claims:
        if not claim_transition_allowed(source=claim.status, target=to):
            raise _refused(claim.status, to)
    previous = [claim.status for claim in claims]
    for claim in claims:
        claim.status = to
    try:
        with transaction.atomic():  # a savepoint: a batch refused halfway writes nothing
            if _update(claims, previous, fields) != len(claims):
                raise ClaimTransitionRefused(
                    _("This claim was changed meanwhile. Please try again.")
                )
    except ClaimTransitionRefused:
        for claim, status in zip(claims, previous, strict=True):
            claim.status = status
        raise


def _update(claims: Sequence[Claim], previous: Sequence[str], fields: Sequence[str]) -> int:
    """One UPDATE ... FROM unnest(...) for all the claims (bulk_update's CASE per row costs a
    millisecond a claim), guarded by each row's previous status; returns the rows written."""
    quote = connection.ops.quote_name
    columns = [cast(Field, Claim._meta.get_field(name)) for name in ("status", *fields)]
    names = [quote(str(field.column)) for field in columns]
    arrays: list[list[Any]] = [[claim.pk for claim in claims], list(previous)]
    arrays += [
        [field.get_db_prep_save(getattr(claim, field.attname), connection) for claim in claims]
        for field in columns
    ]
    types = ["bigint", "varchar(16)", *(field.db_type(connection) for field in columns)]
    # Only quoted column names and the model's own column types are put into the statement;
    # every value is a parameter.
    sql = (
        f"UPDATE {quote(Claim._meta.db_table)} AS c SET "  # noqa: S608
        + ", ".join(f"{name} = v.{name}" for name in names)
        + " FROM unnest("
        + ", ".join(f"CAST(%s AS {db_type}[])" for db_type in types)
        + ") AS v(id, previous, "
        + ", ".join(names)
        + ") WHERE c.id = v.id AND c.status = v.previous"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return cursor.rowcount
