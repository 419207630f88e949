"""A person's notifications: the one write that marks one read."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import NotFound
from .models import Notification, User


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Marks one of the person's own notifications read, once: reading it again keeps the first
    time. Someone else's notification, or none, is NotFound (never tell which)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().filter(pk=notification_id, user=user).first()
        )
        if notification is None:
            raise NotFound(_("There is no such notification."))
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification
