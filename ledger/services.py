"""The only writer of the ledger.

Every movement of money is a call to one of these services; they validate a request's shape
here and post it through the SQL core in `ledger.posting` (two statements, accounts locked in id
order, idempotent under concurrency). Docs: docs/ledger.md.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .errors import (
    AccountNotOpen,
    AlreadyReversed,
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
from .posting import Prepared, post

MAX_AMOUNT = 10**15  # minor units; far above any real amount, far below bigint overflow
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


# One encoder each, built once: `json.dumps` with options builds a new encoder on every call.
_METADATA_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False).encode
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
_FLAT_VALUES = frozenset({str, int, float, bool, type(None)})


def _canonical_metadata(metadata: dict[Any, Any], metadata_json: str) -> str:
    """The metadata as the request hash has always spelled it: `metadata_json` read back and
    written again with sorted keys. Reading back changes nothing for string keys and flat
    values (the usual `{"claim": 17}`), so then `metadata_json` is returned as it is; other
    keys (numbers become strings, which sort differently) and nested values take the round
    trip."""
    for key, value in metadata.items():
        if type(key) is not str or type(value) not in _FLAT_VALUES:
            return _CANONICAL_JSON(json.loads(metadata_json))
    return metadata_json


def _prepare(request: TransferRequest) -> Prepared:
    """Validate a request's shape before touching the database."""
    if request.kind not in _KINDS:
        raise InvalidTransfer(f"Unknown transfer kind {request.kind!r}.")
    legs = tuple(request.legs)
    if len(legs) < 2:
        raise InvalidTransfer("A transfer needs at least two legs.")
    seen: set[int] = set()
    total = 0
    for leg in legs:
        amount, account_id = leg.amount, leg.account_id
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise InvalidTransfer(f"Amounts are whole minor units, not {amount!r}.")
        if (
            not isinstance(account_id, int)
            or isinstance(account_id, bool)
            or not 0 < account_id < 2**63
        ):
            raise InvalidTransfer(f"No ledger account can have the id {account_id!r}.")
        if amount == 0:
            raise InvalidTransfer(f"The leg on account #{account_id} has a zero amount.")
        if abs(amount) > MAX_AMOUNT:
            raise InvalidTransfer(f"The leg on account #{account_id} is out of range.")
        if account_id in seen:
            raise InvalidTransfer(f"Account #{account_id} appears twice in one transfer.")
        seen.add(account_id)
        total += amount
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
    metadata = dict(request.metadata)
    try:
        metadata_json = _METADATA_JSON(metadata)
    except (TypeError, ValueError) as exc:
        raise InvalidTransfer(f"Metadata must be JSON: {exc}.") from exc
    if "\\u0000" in metadata_json:  # PostgreSQL's jsonb has no room for NUL characters
        raise InvalidTransfer("Metadata cannot contain a NUL character.")
    # %d spells an int as json does (subclasses included); account ids are distinct in a transfer.
    pairs = sorted((leg.account_id, leg.amount) for leg in legs)
    legs_json = ",".join("[%d,%d]" % pair for pair in pairs)  # noqa: UP031
    # The canonical request, {"kind", "legs", "metadata", "reverses"} with sorted keys and no
    # spaces, written piece by piece: the same bytes as one json.dumps of that dict, which
    # stored hashes (and sealed blocks) were made from.
    canonical = "".join(
        (
            '{"kind":',
            _CANONICAL_JSON(request.kind),
            ',"legs":',
            f"[{legs_json}]",
            ',"metadata":',
            _canonical_metadata(metadata, metadata_json),
            ',"reverses":',
            "null" if request.reverses_id is None else _CANONICAL_JSON(request.reverses_id),
            "}",
        )
    )
    return Prepared(
        kind=request.kind,
        legs=legs,
        idempotency_key=request.idempotency_key,
        idempotency_scope=request.idempotency_scope,
        reverses_id=request.reverses_id,
        actor_id=request.actor_id,
        metadata_json=metadata_json,
        request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
    )


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
    return post([_prepare(request)])[0]


def transfers_post_batch(*, requests: Sequence[TransferRequest]) -> list[Transfer]:
    """Post many transfers in one database transaction: all of them or none.

    For bulk payouts. The same rules as `transfer_post` hold for every request, applied in
    order (a later request sees the balances the earlier ones leave). Requests whose
    idempotency key was already used with the same request return their earlier transfer.
    """
    if not requests:
        return []
    return post([_prepare(r) for r in requests])


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
    return post([_prepare(request)])[0]


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


def currency_expiry_set(*, currency_id: int, months: int | None) -> Currency:
    """Switch a currency's expiry on (`months`, 1 to 120) or off (None). Only the rule
    changes here: wallets expire in `payments.expiry`, after a month's notice."""
    if months is not None and (
        isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120
    ):
        raise InvalidTransfer("Expiry is a whole number of months from 1 to 120, or off.")
    with transaction.atomic():
        currency = Currency.objects.select_for_update(no_key=True).get(pk=currency_id)
        currency.expiry_months = months
        currency.save(update_fields=["expiry_months"])
    return currency


def account_open(*, currency: Currency, kind: str, name: str = "") -> Account:
    """Open an empty account. Issuers come only with their currency."""
    if kind not in AccountKind.values or kind == AccountKind.ISSUER:
        raise InvalidTransfer(f"Cannot open an account of kind {kind!r}.")
    return Account.objects.create(currency=currency, kind=kind, name=name[:200])


SYSTEM_KINDS = frozenset({AccountKind.SETTLEMENT, AccountKind.FUND, AccountKind.EXPIRY})


def system_account_get_or_open(*, currency: Currency, kind: str, name: str) -> Account:
    """The one account of `kind` (settlement, community fund, expiry) of a currency, opened
    with `name` on first use.

    The currency row is locked while looking, so two first callers at once open one account,
    not two; the lock lasts until the caller's transaction ends (or until the account exists,
    outside one). Of several such accounts (left by older data) the oldest is the one.
    """
    if kind not in SYSTEM_KINDS:
        raise InvalidTransfer(f"An account of kind {kind!r} is not a system account.")
    with transaction.atomic():
        Currency.objects.select_for_update(no_key=True).filter(pk=currency.pk).first()
        found = Account.objects.filter(currency=currency, kind=kind).order_by("pk").first()
        return found or account_open(currency=currency, kind=kind, name=name)


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
