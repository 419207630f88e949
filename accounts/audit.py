"""The audit log of staff actions: who, what, on which object, when and from where.

Services call `record()` inside their transaction, so an action and its audit event commit
together. "From where" comes from the request being served (set by AuditOriginMiddleware);
commands and Celery tasks record no address.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from django.db import models

from .models import AuditEvent, User


@dataclass(frozen=True)
class Origin:
    ip_address: str | None = None
    user_agent: str = ""


_NOWHERE = Origin()
_origin: contextvars.ContextVar[Origin | None] = contextvars.ContextVar(
    "audit_origin", default=None
)


def origin_set(origin: Origin) -> contextvars.Token[Origin | None]:
    return _origin.set(origin)


def origin_reset(token: contextvars.Token[Origin | None]) -> None:
    _origin.reset(token)


def record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. `action` is a stable dotted name such as `shop.approve`."""
    origin = _origin.get() or _NOWHERE
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor.email if actor is not None and actor.pk else "system",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        detail=detail or {},
        ip_address=origin.ip_address,
        user_agent=origin.user_agent[:300],
    )
