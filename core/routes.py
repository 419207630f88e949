"""Routes declared beside their views (docs/architecture.md, "Routes").

A module says `routes = Routes()` and puts `@routes("residents/", name="staff-residents")` on top
of each view; its urls module (or config.urls) mounts `routes.urls`. The patterns are built when
`urls` is first read, from the module's attribute of that name at that moment: the view with all
its decorators (`@staff_required`, `@login_required`, ...), whether they sit above or below the
route line, so a permission decorator can never be left out of what is served."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from django.urls import URLPattern, URLResolver, include, path

View = TypeVar("View", bound=Callable[..., Any])
Patterns = list[URLPattern | URLResolver]


def view_final(module: str, attribute: str) -> Callable[..., Any]:
    """The view a module holds under that name now; a view class as its `as_view()`."""
    view = getattr(sys.modules[module], attribute)
    if isinstance(view, type):
        return view.as_view()  # type: ignore[attr-defined]
    return view


class Routes:
    """URL patterns declared beside their views. `@routes("residents/", name="staff-residents")`
    above a view function or an APIView subclass; `routes.urls` is the list for include(), in
    declaration order."""

    def __init__(self) -> None:
        self._makers: list[Callable[[], URLPattern | URLResolver]] = []
        self._urls: Patterns | None = None

    def __call__(
        self, route: str, *, name: str | None = None, **path_kwargs: Any
    ) -> Callable[[View], View]:
        """A decorator recording `route` for the view it is put on, which it returns unchanged."""

        def record(view: View) -> View:
            module, attribute = view.__module__, getattr(view, "__name__", "")
            if getattr(view, "__qualname__", attribute) != attribute:
                raise TypeError(f"{view!r} is not defined at the top of its module: use add().")
            self._append(
                lambda: path(route, view_final(module, attribute), name=name, **path_kwargs)
            )
            return view

        return record

    def add(self, route: str, view: Callable[..., Any], *, name: str | None = None) -> None:
        """A view not defined by def or class in a module (made by a factory, a third party's)."""
        self._append(lambda: path(route, view, name=name))

    def include(self, route: str, other: Routes | Patterns) -> None:
        """A nested group under `route` (e.g. "shops/<int:shop_id>/"), built when this one is."""
        self._append(
            lambda: path(route, include(other.urls if isinstance(other, Routes) else other))
        )

    def group(self, route: str) -> Routes:
        """A new group included under `route`: `claim = routes.group("claims/<int:claim_id>/")`."""
        nested = Routes()
        self.include(route, nested)
        return nested

    def _append(self, make: Callable[[], URLPattern | URLResolver]) -> None:
        if self._urls is not None:
            raise RuntimeError("A route declared after its group's urls were read would be lost.")
        self._makers.append(make)

    @property
    def urls(self) -> Patterns:
        """The patterns, built on first reading (when every view module is fully imported)."""
        if self._urls is None:
            self._urls = [make() for make in self._makers]
        return self._urls
