"""Signing in at the till: `login_required` that never swaps a sign-in page into the till (an
htmx request is told where to go instead), and `request_is_htmx`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def request_is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, or off to sign-in and back. For htmx (a charge, a poll) the answer is an
    HX-Redirect to sign-in with `next` the till page on screen (HX-Current-URL, if it is ours),
    so that a sign-in page is never swapped into the till."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if not request_is_htmx(request):
            return redirect_to_login(request.get_full_path())
        current = request.headers.get("HX-Current-URL", "")
        if url_has_allowed_host_and_scheme(
            current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(current)
            back = parts.path + (f"?{parts.query}" if parts.query else "")
        else:
            back = reverse("payments-till", kwargs={"shop_id": kwargs["shop_id"]})
        response = HttpResponse(status=204)
        response["HX-Redirect"] = redirect_to_login(back).url
        return response

    return wrapped
