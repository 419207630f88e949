"""Domain errors of rewards, with stable codes and HTTP statuses for problem+json. They subclass
accounts.errors.AccountsError, so config/problems.py renders them; raise them with a message in
the active language (gettext at raise time) and, where one field is at fault, `field=`."""

from accounts.errors import AccountsError, NotAllowed, NotFound

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
    "TaskFull",
    "TaskRefused",
    "TooManySubmissions",
]


class RewardsError(AccountsError):
    code = "rewards-refused"


class CampaignRefused(RewardsError):
    """A campaign change that can never succeed as asked (bad window, unknown neighbourhood)."""

    code = "campaign-refused"


class CampaignBusy(RewardsError):
    """The campaign's state refuses the request now (open claims while closing, closed)."""

    code = "campaign-busy"
    status = 409


class MintRefused(RewardsError):
    code = "mint-refused"


class TaskRefused(RewardsError):
    """A task's fields break a rule (lengths, window, hourly cap, neighbourhood, state)."""

    code = "task-refused"


class BudgetExceeded(RewardsError):
    """What the task could pay does not fit in what the campaign's budget can still pay."""

    code = "over-budget"
    status = 409


class TaskFull(RewardsError):
    code = "task-full"
    status = 409


class ClaimRefused(RewardsError):
    code = "claim-refused"
    status = 409


class ClaimTransitionRefused(RewardsError):
    """A move of a claim's status that rewards.transitions does not allow (or a claim changed
    meanwhile): the services check their own rules first, so this is the last word."""

    code = "claim-transition-refused"
    status = 409


class EvidenceRefused(RewardsError):
    """The evidence itself is wrong: not an image, too large, too many photos, a missing note."""

    code = "evidence-refused"


class TooManySubmissions(RewardsError):
    """The resident sent evidence more often than REWARDS_SUBMITS_PER_HOUR allows."""

    code = "too-many-submissions"
    status = 429
