"""What waits for the staff: the queues the apps above register (rewards, payments, shops), their
counts on the staff home and the badge, and the daily digest mail of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject

from .models import STAFF_ROLES, User
from .permissions import is_staff_member, roles_of, two_factor_verified
from .tasks import mail_template

# --- What waits for staff -------------------------------------------------------------------
# The apps above (rewards, payments, shops) register their queues here in AppConfig.ready, so
# the staff home, the badge and the daily digest count them without accounts importing them.


@dataclass(frozen=True)
class WaitingQueue:
    """A queue of work that waits for people with one of `roles`: its label, the page it
    opens (URL name and query) and how many items wait in it now."""

    key: str
    label: Any
    roles: frozenset[str]
    url_name: str
    query: str
    count: Callable[[], int]


@dataclass(frozen=True)
class Waiting:
    key: str
    label: str
    url: str
    count: int


_QUEUES: dict[str, WaitingQueue] = {}


def staff_waiting_register(
    *,
    key: str,
    label: Any,
    roles: Iterable[str],
    url_name: str,
    count: Callable[[], int],
    query: str = "",
) -> None:
    """Add (or replace, by `key`) a queue the staff home and the digest count."""
    _QUEUES[key] = WaitingQueue(
        key, label, frozenset(str(r) for r in roles), url_name, query, count
    )


def staff_waiting(*, user: User | Any) -> list[Waiting]:
    """What waits for this person's roles, queue by queue in the order registered, with the
    link to each queue (queues empty now are included, with 0)."""
    roles = roles_of(user)
    found = []
    for queue in _QUEUES.values():
        if not roles & queue.roles:
            continue
        try:
            url = reverse(queue.url_name)
        except NoReverseMatch:
            continue
        if queue.query:
            url = f"{url}?{queue.query}"
        found.append(Waiting(queue.key, str(queue.label), url, int(queue.count())))
    return found


def staff_waiting_total(*, user: User | Any) -> int:
    """How many items wait for this person in all their queues (the badge)."""
    return sum(item.count for item in staff_waiting(user=user))


def waiting_badge(request: Any) -> dict[str, Any]:
    """Context processor: `staff_waiting`, how many items wait for the signed-in staff
    member (counted only when a page shows it), for the badge beside "Staff"."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not is_staff_member(user):
        return {"staff_waiting": 0}
    if not two_factor_verified(user):
        return {"staff_waiting": 0}
    return {"staff_waiting": SimpleLazyObject(lambda: staff_waiting_total(user=user))}


def staff_digest_send(*, today: date | None = None) -> int:
    """Mail each active staff member who has not switched it off what waits for their roles,
    once a day (key `staff-digest:<user>:<date>`), in their language; nobody is mailed when
    nothing waits. Returns how many were mailed."""
    today = today or timezone.localdate()
    people = (
        User.objects.filter(
            is_active=True,
            staff_digest=True,
            erased_at__isnull=True,
            role_grants__role__in=[str(r) for r in STAFF_ROLES],
        )
        .distinct()
        .order_by("pk")
    )
    sent = 0
    for person in people:
        with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
            items = [item for item in staff_waiting(user=person) if item.count]
        if not items:
            continue
        mail_template(
            to=person,
            template="staff_digest",
            context={
                "user": person,
                "items": items,
                "total": sum(item.count for item in items),
                "console": f"{settings.SITE_URL}{reverse('staff-home')}",
            },
            key=f"staff-digest:{person.pk}:{today.isoformat()}",
        )
        sent += 1
    return sent


def staff_digest_set(*, user: User, enabled: bool) -> User:
    """Switch the person's daily digest on or off."""
    User.objects.filter(pk=user.pk).update(staff_digest=enabled)
    user.staff_digest = enabled
    return user
