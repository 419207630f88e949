"""Domain errors of people and access, with stable codes for problem+json."""


class AccountsError(Exception):
    code = "accounts-error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RegistrationRefused(AccountsError):
    code = "registration-refused"


class NotAResident(AccountsError):
    code = "not-a-resident"


class NotAllowed(AccountsError):
    code = "not-allowed"


class ResidencyRefused(AccountsError):
    code = "residency-refused"


class UnknownResident(AccountsError):
    code = "unknown-resident"
