"""The only writer of the ledger.

Posting a transfer (or a batch of them) takes two statements inside one transaction:

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

import hashlib
import itertools
import json
import logging
import re
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction

from .errors import (
    AccountNotOpen,
    AlreadyReversed,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidTransfer,
    NotReversible,
    UnknownAccount,
)
from .models import (
    Account,
    AccountKind,
    AccountStatus,
    AccountStatusChange,
    Currency,
    Transfer,
    TransferKind,
)

logger = logging.getLogger(__name__)

MAX_AMOUNT = 10**15  # minor units; far above any real amount, far below bigint overflow
MAX_ATTEMPTS = 5
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
_KINDS = frozenset(TransferKind.values)  # the enum property builds a new list on every access


@dataclass(frozen=True, slots=True)
class Leg:
    """The signed change of one account's balance: negative pays, positive receives."""

    account_id: int
    amount: int


def legs_between(*, source_id: int, destination_id: int, amount: int) -> tuple[Leg, Leg]:
    """The two legs that move `amount` minor units from one account to another."""
    return (Leg(source_id, -amount), Leg(destination_id, amount))


@dataclass(frozen=True)
class TransferRequest:
    kind: str
    legs: Sequence[Leg]
    idempotency_key: str | None = None
    idempotency_scope: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    actor_id: int | None = None
    reverses_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Prepared:
    request: TransferRequest
    legs: tuple[Leg, ...]
    metadata_json: str
    request_hash: str


def _prepare(request: TransferRequest) -> _Prepared:
    """Validate a request's shape before touching the database."""
    if request.kind not in _KINDS:
        raise InvalidTransfer(f"Unknown transfer kind {request.kind!r}.")
    legs = tuple(request.legs)
    if len(legs) < 2:
        raise InvalidTransfer("A transfer needs at least two legs.")
    seen: set[int] = set()
    for leg in legs:
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool):
            raise InvalidTransfer(f"Amounts are whole minor units, not {leg.amount!r}.")
        if (
            not isinstance(leg.account_id, int)
            or isinstance(leg.account_id, bool)
            or not 0 < leg.account_id < 2**63
        ):
            raise InvalidTransfer(f"No ledger account can have the id {leg.account_id!r}.")
        if leg.amount == 0:
            raise InvalidTransfer(f"The leg on account #{leg.account_id} has a zero amount.")
        if abs(leg.amount) > MAX_AMOUNT:
            raise InvalidTransfer(f"The leg on account #{leg.account_id} is out of range.")
        if leg.account_id in seen:
            raise InvalidTransfer(f"Account #{leg.account_id} appears twice in one transfer.")
        seen.add(leg.account_id)
    total = sum(leg.amount for leg in legs)
    if total != 0:
        raise InvalidTransfer(f"The legs sum to {total}, not zero: the transfer does not balance.")
    if request.idempotency_key is not None:
        if (
            not isinstance(request.idempotency_key, str)
            or not 0 < len(request.idempotency_key) <= 200
        ):
            raise InvalidTransfer("An idempotency key is a string of 1 to 200 characters.")
        if len(request.idempotency_scope) > 64:
            raise InvalidTransfer("An idempotency scope has at most 64 characters.")
        if "\x00" in request.idempotency_key or "\x00" in request.idempotency_scope:
            raise InvalidTransfer("An idempotency key cannot contain a NUL character.")
    try:
        metadata_json = json.dumps(
            dict(request.metadata), sort_keys=True, separators=(",", ":"), allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise InvalidTransfer(f"Metadata must be JSON: {exc}.") from exc
    if "\\u0000" in metadata_json:  # PostgreSQL's jsonb has no room for NUL characters
        raise InvalidTransfer("Metadata cannot contain a NUL character.")
    canonical = json.dumps(
        {
            "kind": request.kind,
            "legs": sorted([leg.account_id, leg.amount] for leg in legs),
            "metadata": json.loads(metadata_json),
            "reverses": request.reverses_id,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    request_hash = hashlib.sha256(canonical.encode()).hexdigest()
    return _Prepared(request, legs, metadata_json, request_hash)


_KEYS_SQL = """
    (SELECT coalesce(json_agg(json_build_array(
            t.id, t.idempotency_scope, t.idempotency_key, t.request_hash)), '[]'::json)
       FROM ledger_transfer t
       JOIN unnest(%s::text[], %s::text[]) AS k(scope, key)
         ON t.idempotency_scope = k.scope AND t.idempotency_key = k.key)
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
SELECT
    (SELECT coalesce(json_agg(json_build_array(
            id, currency_id, balance, version, allow_negative, status)), '[]'::json)
       FROM locked),
"""
    + _KEYS_SQL
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
    RETURNING id, created_at, txid
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
SELECT ids.id, t.created_at, t.txid FROM ids JOIN t ON t.id = ids.id ORDER BY ids.ord
"""


_Entries = tuple[list[int], list[int], list[int], list[int], list[int]]


@dataclass
class _Plan:
    results: list[int | None]  # an earlier transfer's id, or None for a new one
    new: list[_Prepared]
    entries: _Entries  # transfer ordinal, account, amount, balance_after, version
    balance: dict[int, int]
    version: dict[int, int]


def _plan(
    prepared: Sequence[_Prepared],
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
        r = p.request
        if r.idempotency_key is not None:
            found = existing.get((r.idempotency_scope, r.idempotency_key))
            if found is not None:
                if found[1] != p.request_hash:
                    raise IdempotencyConflict(r.idempotency_scope, r.idempotency_key, found[0])
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


def _post_locked(prepared: Sequence[_Prepared]) -> list[Transfer]:
    account_ids = sorted({leg.account_id for p in prepared for leg in p.legs})
    keyed = [p.request for p in prepared if p.request.idempotency_key is not None]
    key_params: list[Any] = [
        [r.idempotency_scope for r in keyed],
        [r.idempotency_key for r in keyed],
    ]
    reversing = [p.request.reverses_id for p in prepared if p.request.reverses_id is not None]
    with connection.cursor() as cursor:
        small = len(account_ids) <= _PREPARED_MAX_ITEMS and len(prepared) <= _PREPARED_MAX_ITEMS
        _execute(cursor, "ledger_lock", [_array(account_ids), *key_params], small=small)
        accounts_json, existing_json = cursor.fetchone()
        accounts = {row[0]: row for row in accounts_json}
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
                    _array(accounts[p.legs[0].account_id][1] for p in plan.new),
                    _array(p.request.kind for p in plan.new),
                    _array(p.request.idempotency_scope for p in plan.new),
                    _array(p.request.idempotency_key for p in plan.new),
                    _array(p.request_hash for p in plan.new),
                    _array(p.request.reverses_id for p in plan.new),
                    _array(p.metadata_json for p in plan.new),
                    _array(p.request.actor_id for p in plan.new),
                    *(_array(column) for column in plan.entries),
                    _array(touched),
                    _array(plan.balance[i] for i in touched),
                    _array(plan.version[i] for i in touched),
                ],
                small=small,
            )
            for p, (tid, created_at, txid) in zip(plan.new, cursor.fetchall(), strict=True):
                created.append(_transfer_instance(p, tid, created_at, txid, accounts))

    fresh = iter(created)
    old_ids = [tid for tid in plan.results if tid is not None]
    old = Transfer.objects.in_bulk(old_ids) if old_ids else {}
    return [next(fresh) if tid is None else old[tid] for tid in plan.results]


_TRANSFER_FIELDS = [f.attname for f in Transfer._meta.concrete_fields]


def _transfer_instance(
    p: _Prepared, tid: int, created_at: Any, txid: int, accounts: Mapping[int, Sequence[Any]]
) -> Transfer:
    """The posted transfer as a model instance, without reading it back (`from_db` costs half
    of `Transfer(**fields)`)."""
    r = p.request
    values = {
        "id": tid,
        "currency_id": accounts[p.legs[0].account_id][1],
        "kind": r.kind,
        "idempotency_scope": r.idempotency_scope,
        "idempotency_key": r.idempotency_key,
        "request_hash": p.request_hash,
        "reverses_id": r.reverses_id,
        "metadata": json.loads(p.metadata_json),
        "actor_id": r.actor_id,
        "created_at": created_at,
        "txid": txid,
    }
    return Transfer.from_db(
        connection.alias, _TRANSFER_FIELDS, [values[name] for name in _TRANSFER_FIELDS]
    )


def _constraint_name(exc: BaseException) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def _sqlstate(exc: BaseException) -> str:
    return getattr(exc.__cause__, "pgcode", None) or ""


def _post(prepared: Sequence[_Prepared]) -> list[Transfer]:
    keys = [
        (p.request.idempotency_scope, p.request.idempotency_key)
        for p in prepared
        if p.request.idempotency_key is not None
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


def transfer_post(
    *,
    kind: str,
    legs: Iterable[Leg],
    idempotency_key: str | None = None,
    idempotency_scope: str = "",
    metadata: Mapping[str, Any] | None = None,
    actor_id: int | None = None,
) -> Transfer:
    """Post one balanced transfer, atomically and at most once.

    Never lets an account without `allow_negative` go below zero, never moves money to or from a
    frozen or closed account, never mixes currencies. With an idempotency key, the same request
    again returns the first transfer and a different request with that key raises
    `IdempotencyConflict`; two concurrent requests with one key post once.
    """
    request = TransferRequest(
        kind=kind,
        legs=tuple(legs),
        idempotency_key=idempotency_key,
        idempotency_scope=idempotency_scope,
        metadata=metadata or {},
        actor_id=actor_id,
    )
    return _post([_prepare(request)])[0]


def transfers_post_batch(*, requests: Sequence[TransferRequest]) -> list[Transfer]:
    """Post many transfers in one database transaction: all of them or none.

    For bulk payouts. The same rules as `transfer_post` hold for every request, applied in
    order (a later request sees the balances the earlier ones leave). Requests whose
    idempotency key was already used with the same request return their earlier transfer.
    """
    if not requests:
        return []
    return _post([_prepare(r) for r in requests])


def transfer_reverse(
    *,
    transfer_id: int,
    actor_id: int | None = None,
    reason: str = "",
) -> Transfer:
    """Post the exact opposite of a transfer, once.

    A transfer is reversed at most once (a unique index on `reverses` keeps it so under
    concurrency), a reversal is not itself reversible, and the reversal obeys the same limits as
    any transfer: it fails if an account has since spent what it would have to give back.
    """
    original = Transfer.objects.filter(pk=transfer_id).first()
    if original is None:
        raise NotReversible(f"No transfer #{transfer_id}.")
    if original.kind == TransferKind.REVERSAL:
        raise NotReversible(f"Transfer #{transfer_id} is a reversal; post a new transfer instead.")
    if Transfer.objects.filter(reverses_id=transfer_id).exists():
        raise AlreadyReversed(f"Transfer #{transfer_id} has already been reversed.")
    legs = [Leg(e.account_id, -e.amount) for e in original.entries.order_by("account_id")]
    request = TransferRequest(
        kind=TransferKind.REVERSAL,
        legs=legs,
        metadata={"reason": reason} if reason else {},
        actor_id=actor_id,
        reverses_id=transfer_id,
    )
    return _post([_prepare(request)])[0]


def currency_get_or_create(*, code: str, name: str, decimals: int = 2) -> Currency:
    """The currency with this code, created with its issuer account if it does not exist.

    The issuer is the one account per currency allowed below zero: minus its balance is the
    supply in circulation.
    """
    with transaction.atomic():
        currency, created = Currency.objects.get_or_create(
            code=code, defaults={"name": name, "decimals": decimals}
        )
        if created:
            Account.objects.create(
                currency=currency,
                kind=AccountKind.ISSUER,
                name=f"{name} issuer",
                allow_negative=True,
            )
    return currency


def account_open(*, currency: Currency, kind: str, name: str = "") -> Account:
    """Open an empty account. Issuers come only with their currency."""
    if kind not in AccountKind.values or kind == AccountKind.ISSUER:
        raise InvalidTransfer(f"Cannot open an account of kind {kind!r}.")
    return Account.objects.create(currency=currency, kind=kind, name=name[:200])


def account_lock(*, account_id: int) -> None:
    """Hold an account as posting does (FOR NO KEY UPDATE) until the caller's transaction ends,
    so that a decision resting on its balance cannot be overtaken by a concurrent post."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("account_lock needs a transaction")
    if not Account.objects.select_for_update(no_key=True).filter(pk=account_id).exists():
        raise UnknownAccount([account_id])


def _account_set_status(
    *, account_id: int, status: str, actor_id: int | None, reason: str
) -> Account:
    with transaction.atomic():
        account = Account.objects.select_for_update(no_key=True).filter(pk=account_id).first()
        if account is None:
            raise UnknownAccount([account_id])
        if account.kind == AccountKind.ISSUER and status != AccountStatus.OPEN:
            raise AccountNotOpen(account_id, "the issuer and cannot be frozen or closed; it")
        if status == AccountStatus.CLOSED and account.balance != 0:
            raise InvalidTransfer(
                f"Account #{account_id} still holds {account.balance}; empty it first."
            )
        if account.status == AccountStatus.CLOSED:
            raise AccountNotOpen(account_id, account.status)
        if account.status != status:
            account.status = status
            account.save(update_fields=["status"])
            AccountStatusChange.objects.create(
                account=account, status=status, actor_id=actor_id, reason=reason[:500]
            )
    return account


def account_freeze(*, account_id: int, actor_id: int | None = None, reason: str = "") -> Account:
    """Freeze an account: until unfrozen it neither pays nor receives."""
    return _account_set_status(
        account_id=account_id, status=AccountStatus.FROZEN, actor_id=actor_id, reason=reason
    )


def account_unfreeze(*, account_id: int, actor_id: int | None = None, reason: str = "") -> Account:
    """Reopen a frozen account."""
    return _account_set_status(
        account_id=account_id, status=AccountStatus.OPEN, actor_id=actor_id, reason=reason
    )


def account_close(*, account_id: int, actor_id: int | None = None, reason: str = "") -> Account:
    """Close an empty account for good; its history stays."""
    return _account_set_status(
        account_id=account_id, status=AccountStatus.CLOSED, actor_id=actor_id, reason=reason
    )


def account_rename(*, account_id: int, name: str) -> Account:
    """Rename an account (for instance to pseudonymise an erased resident's wallet). Only the
    label changes: its transfers and entries, and so its history, stay as they are."""
    with transaction.atomic():
        account = Account.objects.select_for_update(no_key=True).filter(pk=account_id).first()
        if account is None:
            raise UnknownAccount([account_id])
        account.name = name[:200]
        account.save(update_fields=["name"])
    return account
