"""Signing in at the till: `login_required` that never swaps a sign-in page into the till (an
htmx request is told where to go instead), `till_page` that bundles it with the methods a page
answers and whether a cache may keep it, and `request_is_htmx`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods


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


def till_page(
    *methods: str, no_store: bool = False
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A till page: signed in (`login_required`, which never swaps a sign-in page into the
    till), answering only `methods` (else 405) and, with `no_store`, never kept by a cache
    (`never_cache`, outermost). Whether the person is a member (else 404) or the owner (else
    403) of the shop, the view asks itself."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        page = login_required(require_http_methods(list(methods))(view))
        return never_cache(page) if no_store else page

    return decorate
