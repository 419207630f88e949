"""A request id for every request: taken from the `X-Request-ID` a proxy in front set when it is
well formed, made up otherwise. It is returned in the response's `X-Request-ID` header, written
into every log line of the request and into every problem+json body, so a resident's error
message ("reference 4f1c…") leads an operator to the log lines of exactly that request."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Only plain characters: a client-chosen id must not be able to forge log lines.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id() -> str | None:
    """The id of the request being served in this thread or task, if any."""
    return _current.get()


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that everything after it (and every log line) knows the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        value = given if _WELL_FORMED.match(given) else uuid.uuid4().hex
        # Not reset when the middleware returns: Django logs a request's 4xx/5xx line after the
        # middleware chain, and that line needs the id too. The next request sets its own.
        _current.set(value)
        response = self.get_response(request)
        response[HEADER] = value
        return response


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
