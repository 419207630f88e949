"""Domain errors of the ledger. Each has a stable `code` (for problem+json `type`s) and a message
a person can act on. When one is raised, nothing has been written."""


class LedgerError(Exception):
    code = "ledger-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidTransfer(LedgerError):
    """The request itself is malformed: fewer than two legs, a zero amount, legs not summing to
    zero, the same account twice."""

    code = "invalid-transfer"


class UnknownAccount(LedgerError):
    code = "unknown-account"

    def __init__(self, account_ids: list[int]) -> None:
        ids = ", ".join(f"#{i}" for i in sorted(account_ids))
        super().__init__(f"No ledger account {ids}.")
        self.account_ids = account_ids


class CurrencyMismatch(LedgerError):
    code = "currency-mismatch"


class AccountNotOpen(LedgerError):
    """A frozen or closed account neither pays nor receives."""

    code = "account-not-open"

    def __init__(self, account_id: int, status: str) -> None:
        super().__init__(f"Account #{account_id} is {status}: it can neither pay nor receive.")
        self.account_id = account_id
        self.status = status


class InsufficientFunds(LedgerError):
    code = "insufficient-funds"

    def __init__(self, account_id: int, balance: int, amount: int) -> None:
        super().__init__(
            f"Account #{account_id} has {balance} but {amount} was asked (minor units): "
            f"{amount - balance} short."
        )
        self.account_id = account_id
        self.balance = balance
        self.amount = amount


class IdempotencyConflict(LedgerError):
    """The idempotency key was already used for a different request."""

    code = "idempotency-conflict"

    def __init__(self, scope: str, key: str, transfer_id: int) -> None:
        super().__init__(
            f"Idempotency key {scope}:{key} was already used for a different request "
            f"(transfer #{transfer_id})."
        )
        self.transfer_id = transfer_id


class AlreadyReversed(LedgerError):
    code = "already-reversed"


class NotReversible(LedgerError):
    code = "not-reversible"
