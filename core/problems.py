"""Errors as RFC 9457 problem details (`application/problem+json`), with a stable `type` per
error, for the whole API: DRF's exceptions, the domain errors of the services, and Django's own
404 and 500 under /api/.

Every problem answered sends `problem_answered` (with its code), which config.metrics counts:
core knows nothing above it."""

import sys
from typing import Any

import psycopg2
from django import db
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import CodedError
from .requests import request_id

CONTENT_TYPE = "application/problem+json"

# Sent with `code=` for every problem body written (config.metrics counts them per type).
problem_answered = Signal()

# The errors that mean "PostgreSQL cannot be reached or did not answer in time" (a refused or
# timed-out connection, a lost one, a statement cancelled by statement_timeout): the request
# changed nothing and may succeed later, so they answer 503 with Retry-After, never 500.
DATABASE_UNAVAILABLE = (
    db.OperationalError,
    db.InterfaceError,
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
)
RETRY_AFTER_SECONDS = 10

_DRF_CODES = {
    exceptions.ValidationError: "validation-error",
    exceptions.ParseError: "malformed-request",
    exceptions.AuthenticationFailed: "authentication-failed",
    exceptions.NotAuthenticated: "not-authenticated",
    exceptions.PermissionDenied: "permission-denied",
    exceptions.NotFound: "not-found",
    exceptions.MethodNotAllowed: "method-not-allowed",
    exceptions.NotAcceptable: "not-acceptable",
    exceptions.UnsupportedMediaType: "unsupported-media-type",
    exceptions.Throttled: "too-many-requests",
}


def problem_body(
    *, code: str, status_code: int, title: str, detail: str = "", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": f"/problems/{code}", "title": title, "status": status_code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    problem_answered.send(sender=None, code=code)
    reference = request_id()
    if reference:  # the same id as the response header and the log lines (docs/operations.md)
        body["request_id"] = reference
    return body


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error a view raises becomes problem+json."""
    if isinstance(exc, CodedError):  # the domain errors and the ledger's, each with its status
        code_status = exc.status
        field = getattr(exc, "field", None)
        fields: dict[str, Any] = {"errors": {field: [exc.message]}} if field else {}
        body = problem_body(code=exc.code, status_code=code_status, title=exc.message, **fields)
        retry_after = getattr(exc, "retry_after", None)  # a sign-in slowed down says how long
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return Response(body, status=code_status, content_type=CONTENT_TYPE, headers=headers)
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        title, extra["errors"] = "The request has invalid fields.", response.data
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        title = str(detail) or "The request failed."
    response.data = problem_body(code=code, status_code=response.status_code, title=title, **extra)
    response.content_type = CONTENT_TYPE
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        body = problem_body(
            code="not-found", status_code=404, title="There is nothing at this address."
        )
        return JsonResponse(body, status=404, content_type=CONTENT_TYPE)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        body = problem_body(code="permission-denied", status_code=403, title="You may not do this.")
        return JsonResponse(body, status=403, content_type=CONTENT_TYPE)
    return render(request, "403.html", status=403)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: problem+json on the API, a page in the person's language elsewhere.
    Touches no database (no session, no user), which is the thing that is down."""
    if _is_api(request):
        body = problem_body(
            code="service-unavailable",
            status_code=503,
            title="The service is briefly unavailable. Nothing was changed; please try again.",
        )
        response: HttpResponse = JsonResponse(body, status=503, content_type=CONTENT_TYPE)
    else:
        # From the cookie or the browser's languages: the person's saved choice is in the database.
        with translation.override(translation.get_language_from_request(request)):
            page = render_to_string("503.html", {"LANGUAGE_CODE": translation.get_language()})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Django's last resort (handler500) also catches a database that fails in a middleware
    # (sessions, sign-in) before or after the view.
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    if _is_api(request):
        body = problem_body(
            code="server-error",
            status_code=500,
            title="Something went wrong on our side. Please try again later.",
        )
        return JsonResponse(body, status=500, content_type=CONTENT_TYPE)
    return render(request, "500.html", status=500)
