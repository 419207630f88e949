"""Every named URL of the project: reversed with sample arguments, it resolves to itself (no
pattern is shadowed by one before it), and none was lost when the URL lists became routes
declared beside their views (core.routes, issue 10)."""

import re
import uuid

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import (
    IntConverter,
    PathConverter,
    SlugConverter,
    StringConverter,
    UUIDConverter,
)

# Measured on main before the change (ec03137), with config.settings.test (the admin on):
# get_resolver() walked recursively, URLPatterns with a name counted, "namespace:name" (80 of
# them the admin's).
NAMED_ROUTES = 321

SAMPLES = {
    IntConverter: 7,
    StringConverter: "x",
    SlugConverter: "x",
    PathConverter: "x/y",
    UUIDConverter: uuid.UUID("12345678-1234-5678-1234-567812345678"),
}


def _regex_samples(regex: str) -> dict[str, str]:
    """A regex group's first alternative (the admin's app_list: `(?P<app_label>auth|...)`)."""
    return {
        name: choices.split("|")[0]
        for name, choices in re.findall(r"\(\?P<(\w+)>([\w|]+)\)", regex)
    }


def _named_patterns(patterns, namespace="", converters=None, regex=""):
    """(view name, sample kwargs) of every named URLPattern under `patterns`, recursively."""
    for pattern in patterns:
        here = {**(converters or {}), **getattr(pattern.pattern, "converters", {})}
        regex_here = regex + pattern.pattern.regex.pattern
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _named_patterns(pattern.url_patterns, inner, here, regex_here)
        elif isinstance(pattern, URLPattern) and pattern.name:
            kwargs = _regex_samples(regex_here)
            kwargs.update({name: SAMPLES[type(conv)] for name, conv in here.items()})
            yield namespace + pattern.name, kwargs


def test_every_named_route_resolves_to_itself():
    routes = list(_named_patterns(get_resolver().url_patterns))
    shadowed = []
    for name, kwargs in routes:
        url = reverse(name, kwargs=kwargs)
        if resolve(url).view_name != name:
            shadowed.append((name, url, resolve(url).view_name))

    assert shadowed == []


def test_no_route_was_lost():
    names = [name for name, _ in _named_patterns(get_resolver().url_patterns)]

    assert len(names) == NAMED_ROUTES
    assert len(set(names)) == NAMED_ROUTES
