"""The glue of every page view: who asks (`request_user`), whether htmx asks (`is_htmx`), a
form's refusal and status (`form_refusal`, `form_status`), and the one try / except / re-render
block (`run_form` for a form, `act` and `run_action` for a button that posts).

And where a request comes from: the one answer used by the sign-in lockout (django-axes), the API
throttles, the audit log and the list of sessions.

`X-Forwarded-For` is written by whoever sends the request, so only the entries that our own
proxies appended can be believed. Each proxy appends the address it was connected from, so with
TRUSTED_PROXY_COUNT = n the n-th entry from the right is the address that connected to the
outermost of our proxies; everything left of it is the client's own say. With n = 0 (no proxy,
the default) the header is ignored and REMOTE_ADDR, the address of the connection, is the client.
See docs/access.md, "Client addresses and proxies".
"""

from __future__ import annotations

import csv
import io
import ipaddress
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from rest_framework import throttling
from rest_framework.request import Request

from . import counters
from .errors import DomainError

logger = logging.getLogger(__name__)

U = TypeVar("U", bound=AbstractBaseUser)
T = TypeVar("T")


def request_user(request: HttpRequest, model: type[U]) -> U:
    """The signed-in person of a view that requires one, typed as the project's user model."""
    user = request.user
    assert isinstance(user, model)
    return user


def is_htmx(request: HttpRequest) -> bool:
    """The request comes from htmx (django-htmx's middleware reads the HX-Request header)."""
    return bool(getattr(request, "htmx", False))


def form_status(form: forms.Form) -> int:
    """The status of a page that shows `form`: 422 once it was refused, else 200."""
    return 422 if form.errors else 200


def form_refusal(
    form: forms.Form, exc: DomainError, *, fields: dict[str, str] | None = None
) -> None:
    """Show a service's refusal on the field it names (or on the whole form); `fields` maps a
    service's field name to the form's where they differ."""
    field = (fields or {}).get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


def submit(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[dict[str, Any]], T],
    done: str | Callable[[T], str],
    then: str | Callable[[T], HttpResponse],
    *,
    fields: dict[str, str] | None = None,
    **kwargs: Any,
) -> HttpResponse | None:
    """`run_form` for the usual case: on a valid POST, `action(cleaned_data)` calls the service,
    the message `done` (or `done(result)`) says so, and the answer is a redirect to the URL name
    `then` (with `kwargs`) or `then(result)`. A 404 refusal is a 404; None means render the form
    again."""

    def finish(data: dict[str, Any]) -> HttpResponse:
        result = action(data)
        messages.success(request, done(result) if callable(done) else done)
        return then(result) if callable(then) else redirect(then, **kwargs)

    return run_form(request, form, finish, fields=fields, not_found_404=True)


def form_page(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[dict[str, Any]], T],
    done: str | Callable[[T], str],
    then: str | Callable[[T], HttpResponse],
    *,
    template: str,
    context: dict[str, Any] | None = None,
    page: Callable[..., HttpResponse] = render,
    fields: dict[str, str] | None = None,
    **kwargs: Any,
) -> HttpResponse:
    """A page with one form: `submit` on a valid POST, else `template` with the form (as "form",
    beside `context`), rendered by `page` (a `render` that adds what the pages of an area share)
    with `form_status`."""
    answer = submit(request, form, action, done, then, fields=fields, **kwargs)
    if answer is not None:
        return answer
    return page(request, template, {"form": form, **(context or {})}, status=form_status(form))


def found_or_404(find: Callable[..., T], **kwargs: Any) -> T:
    """What a selector finds, `find(**kwargs)`; a page answers 404 where it refuses with a
    404 (not there, or not the asker's to see)."""
    try:
        return find(**kwargs)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from None
        raise


def _raise_if_hidden(exc: DomainError) -> None:
    """Something not there or not the asker's (404), or not theirs to do (403): the page answers
    with the status, never with the refusal's text (which would tell which)."""
    if exc.status == 404:
        raise Http404 from None
    if exc.status == 403:
        raise PermissionDenied from None


def run_form(
    request: HttpRequest,
    form: forms.Form,
    done: Callable[[dict[str, Any]], HttpResponse],
    *,
    fields: dict[str, str] | None = None,
    not_found_404: bool = False,
    passing: tuple[type[DomainError], ...] = (),
) -> HttpResponse | None:
    """On a valid POST, `done(cleaned_data)` calls the service and answers (a redirect). A refusal
    it raises is put on the form and None comes back, so the view renders the form again (with
    `form_status`). With `not_found_404`, a 404 refusal answers 404 instead; the refusals
    in `passing` (a lockout with its own page) go on to the caller."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return done(form.cleaned_data)
    except DomainError as exc:
        if isinstance(exc, passing):
            raise
        if not_found_404 and exc.status == 404:
            raise Http404 from None
        form_refusal(form, exc, fields=fields)
    return None


def act(
    request: HttpRequest,
    action: Callable[[], T],
    done: str | Callable[[T], str] | None,
    *,
    forbidden_403: bool = False,
) -> T | None:
    """Run a service for a button: its result, with the message `done` (or `done(result)`, or
    none); a
    refusal becomes an error message and None comes back. Not found is a 404, as on a page; with
    `forbidden_403`, not allowed is a 403 too (where the asker must not learn why)."""
    try:
        result = action()
    except DomainError as exc:
        if exc.status == 404 or (forbidden_403 and exc.status == 403):
            _raise_if_hidden(exc)
        messages.error(request, exc.message)
        return None
    if done is not None:
        messages.success(request, done(result) if callable(done) else done)
    return result


def run_action(
    request: HttpRequest,
    action: Callable[[], T],
    *,
    done: str | Callable[[T], str],
    then: str,
    forbidden_403: bool = True,
    **kwargs: Any,
) -> HttpResponse:
    """A button that posts and comes back to the page `then` (a URL name, with `kwargs`), saying
    how it went (`act`)."""
    act(request, action, done, forbidden_403=forbidden_403)
    return redirect(then, **kwargs)


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A CSV download (UTF-8, one header row) named `filename`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _address(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT = n > 0 the n-th entry
    of X-Forwarded-For from the right. A request that did not pass through all n proxies (a
    shorter header) or whose entry is not an address falls back to REMOTE_ADDR: never to an
    entry the client could have written."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    count: int = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = forwarded.split(",") if forwarded.strip() else []
    if len(hops) < count:
        return remote
    return _address(hops[-count]) or remote


class _FailOpen(throttling.SimpleRateThrottle):
    """Rate limits count in the cache (Redis in production); a cache that is down must not turn
    every request into a 500. While it is unreachable requests go through unthrottled: till
    payments never depend on Redis (docs/faults.md).

    On Redis the window is DRF's (the requests of the last `duration` seconds, a request as old
    as the window no longer counting; the same wait), kept by core.counters.log_take in one
    round trip, each parallel request counted once; on any other cache it is DRF's own."""

    num_requests: int  # set by DRF from the rate
    duration: int

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return self._allow(request, view)
        except Exception:
            logger.warning("API throttle skipped: the cache is unreachable", exc_info=True)
            return True

    def _allow(self, request: Request, view: Any) -> bool:
        self._log: counters.LogTake | None = None
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        log = counters.log_take(f"{key}:log", now, self.duration, self.num_requests)
        if log is None:
            return super().allow_request(request, view)
        self.key, self.now, self._log = key, now, log
        return log.taken

    def wait(self) -> float | None:
        if self._log is None:
            return super().wait()
        available = self.num_requests - self._log.held + 1
        if available <= 0:
            return None
        return (self.duration - (self.now - self._log.oldest)) / available


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle):
    """DRF's anonymous throttle, counting per client_address (not per X-Forwarded-For string),
    failing open."""

    def get_ident(self, request: Request) -> str:
        return client_address(request._request) or ""


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle):
    """DRF's per-user throttle; anonymous requests count per client_address; failing open."""

    def get_ident(self, request: Request) -> str:
        return client_address(request._request) or ""
