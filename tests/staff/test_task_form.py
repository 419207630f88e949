"""The task form takes amounts typed with a comma or a dot; publishing asks for a confirmation
that previews the task as residents see it and warns about missing languages."""

import pytest

from core.money import TokensField
from rewards.models import TaskStatus
from tests.factories import TaskFactory


@pytest.mark.parametrize(
    ("typed", "minor"), [("12,50", 1250), ("12.50", 1250), (" 7 ", 700), ("0,5", 50)]
)
def test_comma_or_dot(typed, minor):
    """The reward and mint fields (core.money.TokensField) take either decimal mark."""
    assert TokensField().clean(typed) == minor


def test_publish_asks_first_with_a_preview_and_missing_languages(client, staff_login, db):

    task = TaskFactory.create(status=TaskStatus.DRAFT, title_de="", description_nl="Verven.")
    staff_login(client, task.created_by)
    url = f"/staff/rewards/tasks/{task.pk}/publish/"
    page = client.get(url).content.decode()
    assert 'id="preview-nl"' in page
    assert "Bankje schilderen" in page
    warning = page.split('id="missing-languages"', 1)[1].split("</p>", 1)[0]
    assert "Deutsch" in warning
    assert "English" in warning
    task.refresh_from_db()
    assert task.status == TaskStatus.DRAFT
    client.post(url)
    task.refresh_from_db()
    assert task.status == TaskStatus.PUBLISHED
