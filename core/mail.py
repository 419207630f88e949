"""Mail as people read it: a subject and a body rendered from `templates/mail/<name>_subject.txt`
and `<name>.txt` in one language. Sending, at most once per event, is accounts.tasks.mail_send
(its record of sent keys is a table of accounts)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


def mail_render(*, template: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    """The subject (one line) and body of mail `template` in `language`, with `site_url` in the
    context for links."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"mail/{template}_subject.txt", context).split())
        body = render_to_string(f"mail/{template}.txt", context)
    return subject, body
