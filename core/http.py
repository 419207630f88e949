"""Where a request comes from: the one answer used by the sign-in lockout (django-axes), the API
throttles, the audit log and the list of sessions.

`X-Forwarded-For` is written by whoever sends the request, so only the entries that our own
proxies appended can be believed. Each proxy appends the address it was connected from, so with
TRUSTED_PROXY_COUNT = n the n-th entry from the right is the address that connected to the
outermost of our proxies; everything left of it is the client's own say. With n = 0 (no proxy,
the default) the header is ignored and REMOTE_ADDR, the address of the connection, is the client.
See docs/access.md, "Client addresses and proxies".
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.request import Request


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


class AnonRateThrottle(throttling.AnonRateThrottle):
    """DRF's anonymous throttle, counting per client_address (not per X-Forwarded-For string)."""

    def get_ident(self, request: Request) -> str:
        return client_address(request._request) or ""


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user throttle; anonymous requests count per client_address."""

    def get_ident(self, request: Request) -> str:
        return client_address(request._request) or ""
