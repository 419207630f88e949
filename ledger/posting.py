"""The posting core of `ledger.services`: validated requests in, transfers out.

Only `ledger.services` calls it (an import contract keeps it so); it validates each request
into a `Prepared` first. Posting a transfer (or a batch of them) takes two statements inside
one transaction:

1. lock every touched account, in id order, with `SELECT ... FOR NO KEY UPDATE`, and in the same
   statement look up the idempotency keys of the request;
2. after checking limits in Python, insert the transfers and their entries and update the cached
   balances and versions, all in one statement.

Locking in id order means two transfers that touch the same accounts always queue in the same
order, so they cannot deadlock. `FOR NO KEY UPDATE` does not block the foreign-key checks of
entries being inserted by others (they take `FOR KEY SHARE`). Idempotency rests on the unique
index on (scope, key): a concurrent duplicate fails on it, rolls back, and on the retry finds
the first request's transfer. Docs: docs/ledger.md.
"""

import itertools
import json
import logging
import re
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from .errors import (
    AccountNotOpen,
    AlreadyReversed,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidTransfer,
    UnknownAccount,
)
from .models import AccountStatus, Transfer

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


class PostedLeg(Protocol):
    """One account's signed change (`ledger.services.Leg`)."""

    @property
    def account_id(self) -> int: ...

    @property
    def amount(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Prepared:
    """A transfer request whose shape has been checked, with its canonical JSON and hash."""

    kind: str
    legs: tuple[PostedLeg, ...]
    idempotency_key: str | None
    idempotency_scope: str
    reverses_id: int | None
    actor_id: int | None
    metadata_json: str
    request_hash: str


# One probe of the (scope, key) unique index per key: `LIMIT 1` keeps the planner from turning the
# lookup into a join, which for a batch's thousands of keys it would hash over the whole
# transfer table (a cost that grows with the ledger's history, not with the batch).
_KEYS_SQL = """
    (SELECT coalesce(json_agg(json_build_array(
            t.id, t.idempotency_scope, t.idempotency_key, t.request_hash)), '[]'::json)
       FROM unnest(%s::text[], %s::text[]) AS k(scope, key)
      CROSS JOIN LATERAL (
            SELECT t.id, t.idempotency_scope, t.idempotency_key, t.request_hash
              FROM ledger_transfer t
             WHERE t.idempotency_scope = k.scope AND t.idempotency_key = k.key
             LIMIT 1) AS t)
"""

_LOCK_SQL = (
    """
WITH locked AS MATERIALIZED (
    SELECT id, currency_id, balance, version, allow_negative, status
      FROM ledger_account
     WHERE id = ANY(%s::bigint[])
     ORDER BY id
       FOR NO KEY UPDATE
)
SELECT array_agg(id), array_agg(currency_id), array_agg(balance), array_agg(version),
       array_agg(allow_negative), array_agg(status::text),
"""
    + _KEYS_SQL
    + "  FROM locked"
)

# After waiting for a lock, the lock statement's snapshot predates what the lock holder
# committed: a refusal is only final once the keys and reversals are looked up afresh.
_RECHECK_SQL = (
    "SELECT"
    + _KEYS_SQL
    + """,
    (SELECT coalesce(json_agg(reverses_id), '[]'::json)
       FROM ledger_transfer WHERE reverses_id = ANY(%s::bigint[]))
"""
)

# Returns one row: the new transfer ids in request order, and the `created_at` and `txid` every
# new row shares (the column defaults: the statement's timestamp and the transaction's id).
_INSERT_SQL = """
WITH ids AS MATERIALIZED (
    SELECT ord, nextval('ledger_transfer_id_seq') AS id
      FROM generate_series(1, %s::int) AS ord
), t AS (
    INSERT INTO ledger_transfer
        (id, currency_id, kind, idempotency_scope, idempotency_key, request_hash,
         reverses_id, metadata, actor_id)
    SELECT ids.id, r.currency_id, r.kind, r.scope, r.key, r.hash,
           r.reverses_id, r.metadata::jsonb, r.actor_id
      FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],
                  %s::bigint[], %s::text[], %s::bigint[])
           WITH ORDINALITY AS r(currency_id, kind, scope, key, hash, reverses_id, metadata,
                                actor_id, ord)
      JOIN ids USING (ord)
    RETURNING created_at, txid
), e AS (
    INSERT INTO ledger_entry (transfer_id, account_id, amount, balance_after, account_version)
    SELECT ids.id, x.account_id, x.amount, x.balance_after, x.version
      FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])
           AS x(ord, account_id, amount, balance_after, version)
      JOIN ids USING (ord)
), a AS (
    UPDATE ledger_account AS acc
       SET balance = v.balance, version = v.version
      FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(id, balance, version)
     WHERE acc.id = v.id
)
SELECT (SELECT array_agg(id ORDER BY ord) FROM ids), t.created_at, t.txid FROM t LIMIT 1
"""


_Entries = tuple[list[int], list[int], list[int], list[int], list[int]]


@dataclass
class _Plan:
    results: list[int | None]  # an earlier transfer's id, or None for a new one
    new: list[Prepared]
    entries: _Entries  # transfer ordinal, account, amount, balance_after, version
    balance: dict[int, int]
    version: dict[int, int]


def _plan(
    prepared: Sequence[Prepared],
    accounts: Mapping[int, Sequence[Any]],
    existing: Mapping[tuple[str, str], tuple[int, str]],
) -> _Plan:
    """Apply the requests in order to the locked balances; raise the first rule broken."""
    plan = _Plan(
        results=[],
        new=[],
        entries=([], [], [], [], []),
        balance={i: row[2] for i, row in accounts.items()},
        version={i: row[3] for i, row in accounts.items()},
    )
    balance, version, entries = plan.balance, plan.version, plan.entries
    for p in prepared:
        if p.idempotency_key is not None:
            found = existing.get((p.idempotency_scope, p.idempotency_key))
            if found is not None:
                if found[1] != p.request_hash:
                    raise IdempotencyConflict(p.idempotency_scope, p.idempotency_key, found[0])
                plan.results.append(found[0])
                continue
        currency_id = accounts[p.legs[0].account_id][1]
        for leg in p.legs:
            _, leg_currency, _, _, allow_negative, status = accounts[leg.account_id]
            if leg_currency != currency_id:
                raise CurrencyMismatch(
                    f"Accounts #{p.legs[0].account_id} and #{leg.account_id} hold different "
                    "currencies; a transfer moves one currency."
                )
            if status != AccountStatus.OPEN:
                raise AccountNotOpen(leg.account_id, status)
            after = balance[leg.account_id] + leg.amount
            if after < 0 and not allow_negative:
                raise InsufficientFunds(leg.account_id, balance[leg.account_id], -leg.amount)
        ordinal = len(plan.new) + 1
        for leg in p.legs:
            balance[leg.account_id] += leg.amount
            version[leg.account_id] += 1
            entries[0].append(ordinal)
            entries[1].append(leg.account_id)
            entries[2].append(leg.amount)
            entries[3].append(balance[leg.account_id])
            entries[4].append(version[leg.account_id])
        plan.new.append(p)
        plan.results.append(None)
    return plan


def _existing(rows: list[list[Any]]) -> dict[tuple[str, str], tuple[int, str]]:
    return {(scope, key): (tid, digest) for tid, scope, key, digest in rows}


_PREPARED_MAX_ITEMS = 16  # a batch's long arrays keep per-call plans
_STATEMENTS = {"ledger_lock": _LOCK_SQL, "ledger_insert": _INSERT_SQL}
_PREPARED: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()


def _execute(cursor: Any, name: str, params: list[Any], *, small: bool) -> None:
    """Run a posting statement; for small posts as a server-side prepared statement.

    Planning the two CTE statements is about a third of a single post's server time. Prepared
    once per connection (prepared statements outlive rollbacks), and planned generically
    (`plan_cache_mode = force_generic_plan`, set for the connection in settings), they are
    planned once. Not for transaction-mode connection poolers, which do not keep sessions.
    """
    sql = _STATEMENTS[name]
    raw = connection.connection
    if not small or raw is None:
        cursor.execute(sql, params)
        return
    done = _PREPARED.setdefault(raw, set())
    if name not in done:
        numbers = itertools.count(1)
        cursor.execute(f"PREPARE {name} AS " + re.sub("%s", lambda _: f"${next(numbers)}", sql))
        done.add(name)
    cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)


def _array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal ('{1,NULL,"a b"}') for ints, strings and None.

    psycopg2 sends a list as ARRAY[...] with one expression per element, which the server must
    parse and fold: for a 10,000-transfer batch that is a 2 MB statement and a fifth of a second
    of planning. One literal, cast by the statement (`%s::bigint[]`), plans in milliseconds.
    """
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        elif isinstance(value, int):
            parts.append(str(value))
        else:
            parts.append('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(parts) + "}"


def _ints(values: Iterable[int]) -> str:
    """`_array` for a column of integers without NULLs (ids, amounts, balances, versions): the
    bulk of a batch's parameters, written in one pass."""
    return "{" + ",".join(map(str, values)) + "}"


def _post_locked(prepared: Sequence[Prepared]) -> list[Transfer]:
    account_ids = sorted({leg.account_id for p in prepared for leg in p.legs})
    keyed = [p for p in prepared if p.idempotency_key is not None]
    key_params = [
        _array(p.idempotency_scope for p in keyed),
        _array(p.idempotency_key for p in keyed),
    ]
    reversing = [p.reverses_id for p in prepared if p.reverses_id is not None]
    with connection.cursor() as cursor:
        small = len(account_ids) <= _PREPARED_MAX_ITEMS and len(prepared) <= _PREPARED_MAX_ITEMS
        _execute(cursor, "ledger_lock", [_ints(account_ids), *key_params], small=small)
        *columns, existing_json = cursor.fetchone()
        # (id, currency, balance, version, allow_negative, status) per locked account; sent as
        # one array per column, which psycopg2 reads without building a list per account.
        accounts = {row[0]: row for row in zip(*(column or () for column in columns), strict=True)}
        missing = [i for i in account_ids if i not in accounts]
        if missing:
            raise UnknownAccount(missing)
        try:
            plan = _plan(prepared, accounts, _existing(existing_json))
        except (InsufficientFunds, AccountNotOpen, CurrencyMismatch):
            if not keyed and not reversing:
                raise
            cursor.execute(_RECHECK_SQL, [*key_params, _array(reversing)])
            existing_json, reversed_ids = cursor.fetchone()
            if reversed_ids:
                raise AlreadyReversed(
                    f"Transfer #{reversed_ids[0]} has already been reversed."
                ) from None
            # A request that was posted meanwhile returns its transfer (or conflicts);
            # otherwise the refusal stands.
            plan = _plan(prepared, accounts, _existing(existing_json))

        created: list[Transfer] = []
        if plan.new:
            touched = sorted(set(plan.entries[1]))
            _execute(
                cursor,
                "ledger_insert",
                [
                    len(plan.new),
                    _ints(accounts[p.legs[0].account_id][1] for p in plan.new),
                    _array(p.kind for p in plan.new),
                    _array(p.idempotency_scope for p in plan.new),
                    _array(p.idempotency_key for p in plan.new),
                    _array(p.request_hash for p in plan.new),
                    _array(p.reverses_id for p in plan.new),
                    _array(p.metadata_json for p in plan.new),
                    _array(p.actor_id for p in plan.new),
                    *(_ints(column) for column in plan.entries),
                    _ints(touched),
                    _ints(plan.balance[i] for i in touched),
                    _ints(plan.version[i] for i in touched),
                ],
                small=small,
            )
            ids, created_at, txid = cursor.fetchone()
            created = _transfer_instances(plan.new, ids, created_at, txid, accounts)

    fresh = iter(created)
    old_ids = [tid for tid in plan.results if tid is not None]
    old = Transfer.objects.in_bulk(old_ids) if old_ids else {}
    return [next(fresh) if tid is None else old[tid] for tid in plan.results]


_TRANSFER_FIELDS = [f.attname for f in Transfer._meta.concrete_fields]


def _transfer_instances(
    new: Sequence[Prepared],
    ids: Sequence[int],
    created_at: Any,
    txid: int,
    accounts: Mapping[int, Sequence[Any]],
) -> list[Transfer]:
    """The posted transfers as model instances, without reading them back.

    Built as Django builds an unpickled instance (`__new__`, then its attributes and state):
    a fifth of the cost of `Model.__init__`, which is a batch's largest Python step after
    validation. `Model.__init__` also sends `pre_init` and `post_init`; should anything listen
    to those for transfers, the instances are built the ordinary way.
    """
    alias = connection.alias
    metadata = json.loads("[" + ",".join(p.metadata_json for p in new) + "]")
    rows = [
        {
            "id": tid,
            "currency_id": accounts[p.legs[0].account_id][1],
            "kind": p.kind,
            "idempotency_scope": p.idempotency_scope,
            "idempotency_key": p.idempotency_key,
            "request_hash": p.request_hash,
            "reverses_id": p.reverses_id,
            "metadata": meta,
            "actor_id": p.actor_id,
            "created_at": created_at,
            "txid": txid,
        }
        for p, tid, meta in zip(new, ids, metadata, strict=True)
    ]
    if pre_init.has_listeners(Transfer) or post_init.has_listeners(Transfer):
        return [
            Transfer.from_db(alias, _TRANSFER_FIELDS, [row[name] for name in _TRANSFER_FIELDS])
            for row in rows
        ]
    transfers = []
    for row in rows:
        transfer = Transfer.__new__(Transfer)
        state = ModelState()
        state.adding = False
        state.db = alias
        row["_state"] = state
        transfer.__dict__.update(row)
        transfers.append(transfer)
    return transfers


def _constraint_name(exc: BaseException) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def _sqlstate(exc: BaseException) -> str:
    return getattr(exc.__cause__, "pgcode", None) or ""


def post(prepared: Sequence[Prepared]) -> list[Transfer]:
    """Post the requests in order, all or none, in a transaction (a savepoint if nested).

    A concurrent duplicate of an idempotency key, a deadlock or a serialization failure is
    retried up to `MAX_ATTEMPTS` times; any other refusal is raised as a ledger error.
    """
    keys = [
        (p.idempotency_scope, p.idempotency_key) for p in prepared if p.idempotency_key is not None
    ]
    if len(keys) != len(set(keys)):
        raise InvalidTransfer("Two requests in one batch share an idempotency key.")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            # Nested in a caller's transaction this is a savepoint, so a retry stays possible.
            with transaction.atomic():
                return _post_locked(prepared)
        except IntegrityError as exc:
            constraint = _constraint_name(exc)
            if "reverses" in constraint:
                raise AlreadyReversed("That transfer has already been reversed.") from exc
            if constraint != "ledger_transfer_idempotency" or attempt == MAX_ATTEMPTS:
                raise
            # A concurrent request with one of our keys committed first: the retry finds it.
        except DatabaseError as exc:
            if _sqlstate(exc) not in _RETRYABLE_SQLSTATES or attempt == MAX_ATTEMPTS:
                raise
            logger.warning("ledger: retrying a post after %s (attempt %d)", _sqlstate(exc), attempt)
    raise AssertionError("unreachable")
