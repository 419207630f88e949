"""Domain errors of people and access, with stable codes and HTTP statuses for problem+json
(declared as in core.errors)."""

from core.errors import DomainError

# The old name of the base, still imported by some page views; new code uses DomainError.
AccountsError = DomainError


class RegistrationRefused(DomainError, code="registration-refused"): ...


class EmailTaken(RegistrationRefused):
    """The address already has an account. Never shown to whoever signs up: sign-up answers
    alike for a new and a taken address (`services.resident_sign_up`)."""


class NotAResident(DomainError, code="not-a-resident", status=403): ...


class NotAllowed(DomainError, code="not-allowed", status=403): ...


class TwoFactorRequired(DomainError, code="two-factor-required", status=403): ...


class ReauthenticationRequired(DomainError, code="reauthentication-required", status=403): ...


class ResidencyRefused(DomainError, code="residency-refused"): ...


class UnknownResident(DomainError, code="unknown-resident", status=404): ...


class NotFound(DomainError, code="not-found", status=404):
    """The object does not exist, or exists but is not the asker's to see (never tell which)."""


class VerificationRefused(DomainError, code="verification-refused"): ...


class ProfileRefused(DomainError, code="profile-refused"): ...


class DeletionRefused(DomainError, code="deletion-refused", status=409): ...


class TooManyTokens(DomainError, code="too-many-tokens", status=409):
    """A person already holds as many live API tokens as allowed (API_TOKEN_LIMIT)."""


class LockedOut(DomainError, code="locked-out", status=429): ...


class SignInSlowedDown(LockedOut, code="sign-in-slowed-down"):
    """Too many attempts for one email address from anywhere: the next one waits `retry_after`
    seconds (accounts.signin_slowdown)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
