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
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.request import Request

logger = logging.getLogger(__name__)


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
    payments never depend on Redis (docs/faults.md)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("API throttle skipped: the cache is unreachable", exc_info=True)
            return True


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle):
    """DRF's anonymous throttle, counting per client_address (not per X-Forwarded-For string),
    failing open."""

    def get_ident(self, request: Request) -> str:
        return client_address(request._request) or ""


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle):
    """DRF's per-user throttle; anonymous requests count per client_address; failing open."""

    def get_ident(self, request: Request) -> str:
        return client_address(request._request) or ""
