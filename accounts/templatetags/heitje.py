"""Template filters: amounts of the currency, formatted in the page's language."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def tokens(minor_units: int | None, decimals: int = 2) -> str:
    """1234 -> "12,34" in Dutch and German, "12.34" in English (with grouping of thousands)."""
    if minor_units is None:
        return ""
    value = Decimal(int(minor_units)).scaleb(-int(decimals))
    return number_format(value, decimal_pos=int(decimals), use_l10n=True, force_grouping=True)
