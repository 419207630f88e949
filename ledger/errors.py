"""Domain errors of the ledger. Each has a stable `code` (for problem+json `type`s) and a message
a person can act on. When one is raised, nothing has been written.

Over HTTP (core.problems): 409 when the state of the ledger refuses the request (it might succeed
later or was already done), 422 when the request itself can never succeed, 404 for an unknown
account. They are coded errors (core.errors) but not domain errors: a page that catches a domain
refusal does not swallow a ledger error."""

from dataclasses import dataclass, fields
from typing import ClassVar

from core.errors import CodedError


class LedgerError(CodedError, code="ledger-error", status=422): ...


class InvalidTransfer(LedgerError, code="invalid-transfer"):
    """The request itself is malformed: fewer than two legs, a zero amount, legs not summing to
    zero, the same account twice."""


class CurrencyMismatch(LedgerError, code="currency-mismatch"): ...


@dataclass(eq=False, repr=False)
class FactualError(LedgerError):
    """A ledger error about some facts, which it keeps as its fields (raised with them, in their
    order) and writes its message from: `text`, formatted with the `facts()`."""

    text: ClassVar[str] = ""

    def __post_init__(self) -> None:
        super().__init__(self.text.format_map(self.facts()))

    def facts(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(eq=False, repr=False)
class UnknownAccount(FactualError, code="unknown-account", status=404):
    account_ids: list[int]
    text = "No ledger account {ids}."

    def facts(self) -> dict[str, object]:
        return {"ids": ", ".join(f"#{i}" for i in sorted(self.account_ids))}


@dataclass(eq=False, repr=False)
class AccountRefusal(FactualError):
    """One account refuses the transfer."""

    account_id: int


@dataclass(eq=False, repr=False)
class AccountNotOpen(AccountRefusal, code="account-not-open", status=409):
    """A frozen or closed account neither pays nor receives."""

    account_status: str
    text = "Account #{account_id} is {account_status}: it can neither pay nor receive."


@dataclass(eq=False, repr=False)
class InsufficientFunds(AccountRefusal, code="insufficient-funds", status=409):
    balance: int
    amount: int
    text = (
        "Account #{account_id} has {balance} but {amount} was asked (minor units): {short} short."
    )

    def facts(self) -> dict[str, object]:
        return {**super().facts(), "short": self.amount - self.balance}


@dataclass(eq=False, repr=False)
class IdempotencyConflict(FactualError, code="idempotency-conflict", status=409):
    """The idempotency key was already used for a different request."""

    scope: str
    key: str
    transfer_id: int
    text = (
        "Idempotency key {scope}:{key} was already used for a different request "
        "(transfer #{transfer_id})."
    )


class AlreadyReversed(LedgerError, code="already-reversed", status=409): ...


class NotReversible(LedgerError, code="not-reversible"): ...
