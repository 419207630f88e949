"""Template filters: amounts of the currency, formatted in the page's language."""

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format

register = template.Library()


@register.filter
def tokens(minor_units: int | None, decimals: int = 2) -> str:
    """1234 -> "12,34" in Dutch and German, "12.34" in English (with grouping of thousands)."""
    if minor_units is None:
        return ""
    value = Decimal(int(minor_units)).scaleb(-int(decimals))
    return number_format(value, decimal_pos=int(decimals), use_l10n=True, force_grouping=True)


@register.filter
def tokens_unit(minor_units: int | None, decimals: int = 2) -> str:
    """An amount with its unit, as residents read it: 475 -> "4,75 Heitje"."""
    if minor_units is None:
        return ""
    return f"{tokens(minor_units, decimals)}\N{NO-BREAK SPACE}{settings.CURRENCY_NAME}"


@register.simple_tag
def municipality() -> dict[str, str]:
    """The municipality's desk and phone (settings), for residents without the letter's code."""
    return {"desk": settings.MUNICIPALITY_DESK, "phone": settings.MUNICIPALITY_PHONE}


@register.simple_tag
def currency_name() -> str:
    """The unit residents see beside every amount ("Heitje")."""
    return str(settings.CURRENCY_NAME)
