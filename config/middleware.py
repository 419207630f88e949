"""Middleware of the whole site."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.problems import DATABASE_UNAVAILABLE, database_unavailable


class DatabaseUnavailableMiddleware:
    """A view that fails because PostgreSQL is unreachable answers 503 with Retry-After
    (problem+json on the API, a friendly page elsewhere) instead of a 500. Failures outside
    views (a session middleware) reach core.problems.server_error, which does the same."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable(request)
        return None
