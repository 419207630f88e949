"""The task form takes amounts typed with a comma or a dot; publishing asks for a confirmation
that previews the task as residents see it and warns about missing languages."""

import pytest

from rewards.forms import TokensField
from rewards.models import TaskStatus
from tests.factories import TaskFactory


@pytest.mark.parametrize(
    ("typed", "tokens"), [("12,50", "12.50"), ("12.50", "12.50"), (" 7 ", "7"), ("0,5", "0.5")]
)
def test_comma_or_dot(typed, tokens):
    field = TokensField(decimal_places=2, max_digits=14)
    assert str(field.clean(typed)) == tokens


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
