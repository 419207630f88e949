"""Mail goes out once per event. A worker SIGKILLed after sending but before acknowledging
leaves its message to be delivered again (acks_late); the second delivery must find the
event's key recorded and send nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import MailSent, User
from tests.helpers import make_user


@pytest.mark.django_db
def test_a_mail_message_delivered_twice_is_sent_once(django_capture_on_commit_callbacks) -> None:
    bram = make_user("bram@example.org", "resident")
    User.objects.filter(pk=bram.pk).update(email_verified_at=None)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = APIClient().post(
            "/api/v1/auth/verify-email/resend/", {"email": "bram@example.org"}, format="json"
        )
    assert answer.status_code == 202
    assert len(queued) == 1

    for _delivery in range(2):  # the broker delivers the same message again
        queued[0]()

    assert [message.to for message in mail.outbox] == [["bram@example.org"]]
    assert MailSent.objects.count() == 1
