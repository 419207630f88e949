"""Domain errors of the ledger. Each has a stable `code` (for problem+json `type`s) and a message
a person can act on. When one is raised, nothing has been written.

Over HTTP (core.problems): 409 when the state of the ledger refuses the request (it might succeed
later or was already done), 422 when the request itself can never succeed, 404 for an unknown
account. They are coded errors (core.errors) but not domain errors: a page that catches a domain
refusal does not swallow a ledger error."""

from core.errors import CodedError


class LedgerError(CodedError, code="ledger-error", status=422): ...


class InvalidTransfer(LedgerError, code="invalid-transfer"):
    """The request itself is malformed: fewer than two legs, a zero amount, legs not summing to
    zero, the same account twice."""


class UnknownAccount(LedgerError, code="unknown-account", status=404):
    def __init__(self, account_ids: list[int]) -> None:
        ids = ", ".join(f"#{i}" for i in sorted(account_ids))
        super().__init__(f"No ledger account {ids}.")
        self.account_ids = account_ids


class CurrencyMismatch(LedgerError, code="currency-mismatch"): ...


class AccountNotOpen(LedgerError, code="account-not-open", status=409):
    """A frozen or closed account neither pays nor receives."""

    def __init__(self, account_id: int, account_status: str) -> None:
        super().__init__(
            f"Account #{account_id} is {account_status}: it can neither pay nor receive."
        )
        self.account_id = account_id
        self.account_status = account_status


class InsufficientFunds(LedgerError, code="insufficient-funds", status=409):
    def __init__(self, account_id: int, balance: int, amount: int) -> None:
        super().__init__(
            f"Account #{account_id} has {balance} but {amount} was asked (minor units): "
            f"{amount - balance} short."
        )
        self.account_id = account_id
        self.balance = balance
        self.amount = amount


class IdempotencyConflict(LedgerError, code="idempotency-conflict", status=409):
    """The idempotency key was already used for a different request."""

    def __init__(self, scope: str, key: str, transfer_id: int) -> None:
        super().__init__(
            f"Idempotency key {scope}:{key} was already used for a different request "
            f"(transfer #{transfer_id})."
        )
        self.transfer_id = transfer_id


class AlreadyReversed(LedgerError, code="already-reversed", status=409): ...


class NotReversible(LedgerError, code="not-reversible"): ...
