"""One money module: what a person types is read the same in every language, and amounts are
shown with the page's decimal mark and the unit, never as cents."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.money import TokensField, amount_format, amount_parse, amount_unit
from rewards.forms import TaskForm


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12,50", 1250),
        ("12.50", 1250),
        (" 12,50 Heitje ", 1250),
        ("12,50 heitje", 1250),
        ("0,05", 5),
    ],
)
def test_both_decimal_marks_and_the_unit_are_read(typed, minor):
    assert amount_parse(typed) == minor


@pytest.mark.parametrize("typed", ["", "-5", "12,505", "12.50 EUR", "1.234,50", "abc", "1e3"])
def test_anything_else_is_not_an_amount(typed):
    assert amount_parse(typed) is None


@pytest.mark.parametrize(
    ("language", "plain", "with_unit"),
    [
        ("nl", "1.234,50", "1.234,50\N{NO-BREAK SPACE}Heitje"),
        ("de", "1.234,50", "1.234,50\N{NO-BREAK SPACE}Heitje"),
        ("en", "1,234.50", "1,234.50\N{NO-BREAK SPACE}Heitje"),
    ],
)
def test_amounts_read_in_the_page_language(language, plain, with_unit):
    with translation.override(language):
        assert amount_format(123450) == plain
        assert amount_unit(123450) == with_unit


def test_the_field_cleans_to_minor_units_and_shows_them_back_as_typed():
    field = TokensField(maximum=10_000)
    assert field.clean("12,50") == 1250
    assert field.clean("12.50") == 1250
    with translation.override("nl"):
        assert field.prepare_value(1250) == "12,50"
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match=r"At most 100\.00 tokens"),
    ):
        field.clean("100,01")


@pytest.mark.django_db
def test_a_task_reward_typed_with_a_comma_is_accepted():
    """Rewards' number input refused commas in some browsers; the reward is a TokensField now."""
    form = TaskForm(data={"reward": "7,50"})
    form.is_valid()
    assert "reward" not in form.errors
    assert form.cleaned_data["reward"] == 750
    assert 'inputmode="decimal"' in str(form["reward"])
