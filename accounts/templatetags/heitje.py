"""Template filters: amounts of the currency, formatted in the page's language (core.money)."""

from django import template
from django.conf import settings
from django.utils.translation import get_language, gettext

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
    """The municipality's desk, its opening hours in the page's language (the Dutch where that
    language has none) and phone (settings), for residents without the letter's code."""
    language = (get_language() or "nl")[:2].upper()
    hours = getattr(settings, f"MUNICIPALITY_DESK_HOURS_{language}", "")
    return {
        "desk": settings.MUNICIPALITY_DESK,
        "hours": hours or settings.MUNICIPALITY_DESK_HOURS,
        "phone": settings.MUNICIPALITY_PHONE,
    }


@register.simple_tag
def currency_name() -> str:
    """The unit residents see beside every amount ("Heitje")."""
    return str(settings.CURRENCY_NAME)


@register.filter
def clock(seconds: int | None) -> str:
    """Seconds as a clock reads them, minutes and seconds: 272 -> "4:32", 9 -> "0:09"."""
    left = max(int(seconds or 0), 0)
    return f"{left // 60}:{left % 60:02d}"


@register.filter
def countdown(text: str, seconds: int | None) -> str:
    """A countdown's sentence ("Still valid for %s.") with the time left as a clock reads it;
    payments.js keeps counting in the same words."""
    return str(text).replace("%s", clock(seconds))


# What a browser's user-agent string says, in the order that tells them apart: Edge, Opera and
# Samsung's browser also name Chrome, and Chrome also names Safari.
BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


@register.filter
def device_name(user_agent: str | None) -> str:
    """A session's device as people name it ("Chrome on Android"), not the raw user-agent
    string; "Unknown device" when it says neither browser nor system."""
    agent = user_agent or ""
    browser = next((name for mark, name in BROWSERS if mark in agent), "")
    system = next((name for mark, name in SYSTEMS if mark in agent), "")
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or gettext("Unknown device")
