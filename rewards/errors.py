"""Domain errors of rewards, with stable codes and HTTP statuses for problem+json. They extend
core.errors.DomainError, so core.problems renders them; raise them with a message in the active
language (gettext at raise time) and, where one field is at fault, `field=`."""

from accounts.errors import NotAllowed, NotFound
from core.errors import DomainError

__all__ = [
    "BudgetExceeded",
    "CampaignRefused",
    "ClaimRefused",
    "ClaimTransitionRefused",
    "EvidenceRefused",
    "MintRefused",
    "NotAllowed",
    "NotFound",
    "RewardsError",
    "RulesRefused",
    "TaskFull",
    "TaskRefused",
    "TooManySubmissions",
]


class RewardsError(DomainError, code="rewards-refused"): ...


class CampaignRefused(RewardsError, code="campaign-refused"):
    """A campaign change that can never succeed as asked (bad window, unknown neighbourhood)."""


class CampaignBusy(RewardsError, code="campaign-busy", status=409):
    """The campaign's state refuses the request now (open claims while closing, closed)."""


class MintRefused(RewardsError, code="mint-refused"): ...


class TaskRefused(RewardsError, code="task-refused"):
    """A task's fields break a rule (lengths, window, hourly cap, neighbourhood, state)."""


class BudgetExceeded(RewardsError, code="over-budget", status=409):
    """What the task could pay does not fit in what the campaign's budget can still pay."""


class TaskFull(RewardsError, code="task-full", status=409): ...


class ClaimRefused(RewardsError, code="claim-refused", status=409): ...


class ClaimTransitionRefused(RewardsError, code="claim-transition-refused", status=409):
    """A move of a claim's status that rewards.transitions does not allow (or a claim changed
    meanwhile): the services check their own rules first, so this is the last word."""


class EvidenceRefused(RewardsError, code="evidence-refused"):
    """The evidence itself is wrong: not an image, too large, too many photos, a missing note."""


class TooManySubmissions(RewardsError, code="too-many-submissions", status=429):
    """The resident sent evidence more often than REWARDS_SUBMITS_PER_HOUR allows."""


class RulesRefused(RewardsError, code="rules-refused"):
    """Earning rules that break a rule of their own (a past year, youth rate above the hourly
    rate, monthly cap above the yearly cap, an amount of zero)."""
