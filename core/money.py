"""Amounts of tokens as people read and type them, in nl, de and en: the one place that turns
minor units (the integers the ledger keeps) into text and back.

- `amount_parse`: "12", "12.5", "12,50" and "12,50 Heitje" are all 1250; anything else (signs,
  letters, three decimals) is None. Both separators are accepted in every language, because
  phones offer the one of their own locale whatever the page's.
- `amount_format`: 1234 is "12,34" in Dutch and German and "12.34" in English, with grouping
  of thousands; `amount_unit` adds the unit: "12,34 Heitje". A person never sees raw cents.
- `amount_plain`: 1234 is "12.34" in any language, for files (CSV) read by programs.
- `TokensField` cleans what a person types in a form to minor units; the template filters
  `tokens` and `tokens_unit` delegate here. (The API takes and answers minor units.)
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

DECIMALS = 2
_AMOUNT = re.compile(r"^(\d{1,12})(?:[.,](\d{1,2}))?$")


def amount_parse(text: str | None) -> int | None:
    """What a person typed, in minor units: '12', '12.5', '12,50', '12,50 Heitje' -> 1250; None
    for anything else."""
    compact = "".join((text or "").split())
    unit = str(settings.CURRENCY_NAME)
    if compact.lower().endswith(unit.lower()):
        compact = compact[: -len(unit)]
    found = _AMOUNT.match(compact)
    if not found:
        return None
    whole, cents = found.group(1), (found.group(2) or "").ljust(DECIMALS, "0")
    return int(whole) * 10**DECIMALS + int(cents)


def amount_format(
    minor_units: int | None, decimals: int = DECIMALS, *, grouping: bool = True
) -> str:
    """1234 -> "12,34" in Dutch and German, "12.34" in English; "" for None."""
    if minor_units is None:
        return ""
    value = Decimal(int(minor_units)).scaleb(-int(decimals))
    return number_format(value, decimal_pos=int(decimals), use_l10n=True, force_grouping=grouping)


def amount_plain(minor_units: int, decimals: int = DECIMALS) -> str:
    """1234 -> "12.34" whatever the language, without grouping: for CSV and other files."""
    return f"{Decimal(int(minor_units)).scaleb(-int(decimals)):.{int(decimals)}f}"


def amount_unit(minor_units: int | None, decimals: int = DECIMALS) -> str:
    """An amount with its unit, as residents read it: 475 -> "4,75 Heitje"; "" for None."""
    if minor_units is None:
        return ""
    return f"{amount_format(minor_units, decimals)}\N{NO-BREAK SPACE}{settings.CURRENCY_NAME}"


class TokensField(forms.CharField):
    """An amount of tokens as a person types it, cleaned to minor units. A text input with the
    decimal keyboard: number inputs reject the comma in some browsers."""

    def __init__(self, *, maximum: int | None = None, **kwargs: Any) -> None:
        self.maximum = maximum
        kwargs.setdefault("max_length", 20)
        attrs = {"inputmode": "decimal", "autocomplete": "off", "class": "amount-input"}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        # An initial value in minor units is shown as a person would type it ("12,50").
        if isinstance(value, int) and not isinstance(value, bool):
            return amount_format(value, grouping=False)
        return value

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        minor = amount_parse(str(text))
        if minor is None:
            raise forms.ValidationError(
                _("Type an amount such as 12 or 12.50."), code="invalid_amount"
            )
        if minor <= 0:
            raise forms.ValidationError(_("The amount must be more than 0."), code="zero")
        if self.maximum is not None and minor > self.maximum:
            raise forms.ValidationError(
                _("At most %(max)s tokens at a time.") % {"max": amount_format(self.maximum)},
                code="too_much",
            )
        return minor
