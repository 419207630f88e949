"""Background work of people and access: mail goes out through Celery, after the commit of the
transaction that caused it (a rolled-back sign-up sends nothing)."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5}, acks_late=True
)
def mail_send_task(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def mail_send(*, to: str, subject: str, body: str) -> None:
    """Queue a mail once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: mail_send_task.delay(to, str(subject), str(body)))
