"""Domain errors of payments. Each has a stable `code` (the problem+json `type` is
/problems/<code>) and an HTTP status; when one is raised, nothing has been written.

422: the request can never succeed as it is (a malformed or tampered code, a limit).
409: the state refuses it now (a code already used, a request already paid, too few tokens).
"""

from core.errors import DomainError


class PaymentError(DomainError, code="payment-refused", status=422): ...


class CodeMalformed(PaymentError, code="code-malformed"):
    """Not a code this app issues: wrong prefix, version, encoding or fields."""


class CodeUnknown(PaymentError, code="code-unknown"):
    """A well-formed resident code that matches no code we issued (or was ended)."""


class CodeExpired(PaymentError, code="code-expired"): ...


class CodeUsed(PaymentError, code="code-used", status=409): ...


class SignatureInvalid(PaymentError, code="signature-invalid"): ...


class UnknownKey(PaymentError, code="unknown-key"):
    """The payment request names a key id that is neither the active key nor a retired one."""


class WrongCurrency(PaymentError, code="wrong-currency"): ...


class RequestNotOpen(PaymentError, code="request-not-open", status=409):
    """The payment request has been paid (a replay) or cancelled."""


class LimitExceeded(PaymentError, code="limit-exceeded"): ...


class InsufficientBalance(PaymentError, code="insufficient-balance", status=409): ...


class ShopNotAccepting(PaymentError, code="shop-not-accepting", status=409):
    """The shop is not approved (pending or suspended) or its account is frozen."""


class WalletNotOpen(PaymentError, code="wallet-not-open", status=409): ...


class OwnShop(PaymentError, code="own-shop", status=403):
    """Nobody pays a shop they belong to (it would turn their wallet into euros)."""


class TooManyAttempts(PaymentError, code="too-many-attempts", status=429): ...


class RefundRefused(PaymentError, code="refund-refused"): ...
