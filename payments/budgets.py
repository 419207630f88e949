"""Where a voucher batch's money comes from: a budget ledger account. Who owns the budget (today
a rewards campaign) and what it can still pay is not payments' business: config wires the
lookup at start-up (`budget_lookup_register` in config.apps), so payments never imports rewards.

The lookup holds the owner's row (the lock closing a campaign takes, so no batch is funded
beside a returned budget) and answers with a `HeldBudget`; `available()` is read only after
the budget account is locked (voucher_batches)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class HeldBudget(Protocol):
    @property
    def account_id(self) -> int:
        """The budget's ledger account."""
        ...

    @property
    def owner_id(self) -> int:
        """Its owner (the campaign), named in the audit and the transfer's metadata."""
        ...

    @property
    def active(self) -> bool:
        """The owner may still spend it."""
        ...

    def available(self) -> int:
        """What the budget can still pay, after what its owner has promised."""
        ...


class BudgetLookup(Protocol):
    def __call__(
        self, *, owner_id: int | None = None, account_id: int | None = None
    ) -> HeldBudget | None: ...


BudgetChoices = Callable[[], list[tuple[int, str]]]

_lookup: BudgetLookup | None = None
_choices: BudgetChoices | None = None


def budget_lookup_register(lookup: BudgetLookup, choices: BudgetChoices) -> None:
    """Called once from config.apps: how a budget is found and held, and which owners may fund
    a batch now (for the staff form)."""
    global _lookup, _choices
    _lookup = lookup
    _choices = choices


def budget_choices() -> list[tuple[int, str]]:
    """(owner id, name) of every budget owner that may fund a batch now, by name."""
    assert _choices is not None, "config.apps registers the budget choices at start-up"
    return _choices()


def budget_hold(*, owner_id: int | None = None, account_id: int | None = None) -> HeldBudget | None:
    """The budget of owner `owner_id` (a campaign id), or the budget account `account_id`, with
    its owner's row locked; None when there is none."""
    assert _lookup is not None, "config.apps registers the budget lookup at start-up"
    return _lookup(owner_id=owner_id, account_id=account_id)
