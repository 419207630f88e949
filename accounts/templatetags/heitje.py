"""Template filters: amounts of the currency, formatted in the page's language (core.money)."""

from django import template
from django.conf import settings

from core.money import amount_format, amount_unit

register = template.Library()


@register.filter
def tokens(minor_units: int | None, decimals: int = 2) -> str:
    """1234 -> "12,34" in Dutch and German, "12.34" in English (with grouping of thousands)."""
    return amount_format(minor_units, decimals)


@register.filter
def tokens_unit(minor_units: int | None, decimals: int = 2) -> str:
    """An amount with its unit, as residents read it: 475 -> "4,75 Heitje"."""
    return amount_unit(minor_units, decimals)


@register.simple_tag
def municipality() -> dict[str, str]:
    """The municipality's desk and phone (settings), for residents without the letter's code."""
    return {"desk": settings.MUNICIPALITY_DESK, "phone": settings.MUNICIPALITY_PHONE}


@register.simple_tag
def currency_name() -> str:
    """The unit residents see beside every amount ("Heitje")."""
    return str(settings.CURRENCY_NAME)
