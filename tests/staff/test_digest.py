"""The daily digest: each staff member with work waiting gets one mail a day in their language,
listing the counts with links; whoever switched it off on the staff home gets none, and nobody
is mailed about nothing."""

from django.core import mail

from accounts import waiting
from accounts.models import Role
from tests.factories import ClaimFactory, TaskFactory, UserFactory


def test_digest_once_a_day_in_the_language_and_opt_out(
    client, staff_login, django_capture_on_commit_callbacks
):
    task = TaskFactory.create()
    for _ in range(2):
        ClaimFactory.create(task=task)
    rob = UserFactory.create(roles=[Role.REVIEWER], preferred_language="nl")
    quiet = UserFactory.create(roles=[Role.REVIEWER])
    UserFactory.create(roles=[Role.TASK_MANAGER])  # nothing waits for a task manager here

    staff_login(client, quiet)
    page = client.post("/staff/digest/", {"digest": "off"}, follow=True).content.decode()
    assert 'id="digest-on"' in page
    with django_capture_on_commit_callbacks(execute=True):
        assert waiting.staff_digest_send() == 1
    with django_capture_on_commit_callbacks(execute=True):
        waiting.staff_digest_send()  # a second run the same day mails nobody again
    assert [m.to for m in mail.outbox] == [[rob.email]]
    message = mail.outbox[0]
    assert message.subject == "Heitje: 2 dingen wachten op jou"
    assert "- Deelnames te beoordelen: 2" in message.body
    assert "/staff/rewards/review/?stage=review" in message.body
