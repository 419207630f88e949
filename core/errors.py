"""The base of every domain error, with a stable `code` (problem+json `type` is
/problems/<code>) and an HTTP status, so core.problems renders any of them alike.

Declare one in a line, the code and status as class keywords:

    class CodeUsed(PaymentError, code="code-used", status=409):
        \"\"\"Why it is refused.\"\"\"

A subclass inherits the status it does not name. Raise it with a message in the active language
(gettext at raise time) and, where one field is at fault, `field=`. When one is raised, nothing
has been written.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


class CodedError(Exception):
    """An error with a stable code and HTTP status. `DomainError` is the one the apps extend;
    the ledger's errors are coded too but stay apart, so a page catching a domain refusal does
    not swallow a ledger error."""

    code = "error"
    status = 422

    def __init_subclass__(
        cls, *, code: str | None = None, status: int | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if status is not None:
            cls.status = status

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DomainError(CodedError, code="domain-error"):
    """A refusal by an app's rules (422 unless the subclass says otherwise), optionally about one
    field of the request."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def reason_check(reason: str, refused: type[DomainError], *, empty: str, most: int) -> str:
    """A reason people read (why a request is turned down), as given: refused as `refused` on
    the field "reason" when it is empty (with the message `empty`), longer than `most`
    characters or holds a NUL byte."""
    if not reason:
        raise refused(empty, field="reason")
    if len(reason) > most or "\x00" in reason:
        raise refused(_("At most %(max)d characters.") % {"max": most}, field="reason")
    return reason
