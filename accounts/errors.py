"""Domain errors of people and access, with stable codes and HTTP statuses for problem+json."""


class AccountsError(Exception):
    code = "accounts-error"
    status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RegistrationRefused(AccountsError):
    code = "registration-refused"


class EmailTaken(RegistrationRefused):
    """The address already has an account. Never shown to whoever signs up: sign-up answers
    alike for a new and a taken address (`services.resident_sign_up`)."""


class NotAResident(AccountsError):
    code = "not-a-resident"
    status = 403


class NotAllowed(AccountsError):
    code = "not-allowed"
    status = 403


class TwoFactorRequired(AccountsError):
    code = "two-factor-required"
    status = 403


class ReauthenticationRequired(AccountsError):
    code = "reauthentication-required"
    status = 403


class ResidencyRefused(AccountsError):
    code = "residency-refused"


class UnknownResident(AccountsError):
    code = "unknown-resident"
    status = 404


class NotFound(AccountsError):
    """The object does not exist, or exists but is not the asker's to see (never tell which)."""

    code = "not-found"
    status = 404


class VerificationRefused(AccountsError):
    code = "verification-refused"


class ProfileRefused(AccountsError):
    code = "profile-refused"


class DeletionRefused(AccountsError):
    code = "deletion-refused"
    status = 409


class TooManyTokens(AccountsError):
    """A person already holds as many live API tokens as allowed (API_TOKEN_LIMIT)."""

    code = "too-many-tokens"
    status = 409


class LockedOut(AccountsError):
    code = "locked-out"
    status = 429


class SignInSlowedDown(LockedOut):
    """Too many attempts for one email address from anywhere: the next one waits `retry_after`
    seconds (accounts.signin_slowdown)."""

    code = "sign-in-slowed-down"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
