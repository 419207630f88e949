"""The API's rate limits, failing open: DRF's throttles count in the cache (Redis in
production), and a cache that is down must not turn every request into a 500. While the cache
is unreachable requests go through unthrottled; till payments never depend on Redis."""

import logging
from typing import TYPE_CHECKING, Any

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

if TYPE_CHECKING:  # rest_framework.views imports the throttle classes from settings
    from rest_framework.request import Request

logger = logging.getLogger(__name__)


class _FailOpen:
    def allow_request(self, request: "Request", view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception:
            logger.warning("API throttle skipped: the cache is unreachable", exc_info=True)
            return True


class AnonThrottle(_FailOpen, AnonRateThrottle):
    """DRF's AnonRateThrottle (scope "anon"), letting requests through when the cache fails."""


class UserThrottle(_FailOpen, UserRateThrottle):
    """DRF's UserRateThrottle (scope "user"), letting requests through when the cache fails."""
