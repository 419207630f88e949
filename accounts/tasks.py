"""Background work of people and access: mail goes out through Celery, after the commit of the
transaction that caused it (a rolled-back sign-up sends nothing)."""

import uuid
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction

from core.mail import mail_render

from .models import User


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5}, acks_late=True
)
def mail_send_task(to: str, subject: str, body: str, key: str | None = None) -> None:
    """Send one mail, once per `key`: the key is recorded in the transaction that sends, so a
    delivery of the same message again (or of the same event queued twice) finds it and sends
    nothing, while a send that failed leaves no record and is retried."""
    if key is None:  # a message queued before mail had keys
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
        return
    with transaction.atomic():
        # A concurrent delivery of the same key waits here until this one commits or rolls back.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounts_mailsent (key, sent_at) VALUES (%s, now())"
                " ON CONFLICT (key) DO NOTHING RETURNING id",
                [key],
            )
            if cursor.fetchone() is None:
                return
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def mail_send(*, to: str, subject: str, body: str, key: str | None = None) -> None:
    """Queue a mail once the current transaction commits (at once outside a transaction).

    `key` names the event the mail tells about (e.g. `claim:12:paid`): it goes out at most once
    per key. Without one the mail gets its own key here, so a message delivered twice by the
    broker still sends once."""
    key = key or f"mail:{uuid.uuid4()}"
    # robust: a broker that is down costs the mail (logged; the person can ask again), never
    # the request that committed.
    transaction.on_commit(
        lambda: mail_send_task.delay(to, str(subject), str(body), key), robust=True
    )


def mail_template(
    *,
    to: User | str,
    template: str,
    context: dict[str, Any],
    language: str | None = None,
    key: str | None = None,
) -> None:
    """Render `templates/mail/<template>_subject.txt` and `<template>.txt` in `language`, else
    the recipient's preferred language (the site's default for an address without an account),
    and queue it (at most once per `key`, see mail_send)."""
    if language is None:
        language = to.preferred_language if isinstance(to, User) else settings.LANGUAGE_CODE
    address = to.email if isinstance(to, User) else to
    subject, body = mail_render(template=template, context=context, language=language)
    mail_send(to=address, subject=subject, body=body, key=key)


@shared_task(ignore_result=True)
def staff_digest_task() -> int:
    """The daily mail to staff of what waits for their roles (beat, every morning)."""
    from .waiting import staff_digest_send  # waiting imports this module's mail_template

    return staff_digest_send()
