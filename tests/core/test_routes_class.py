"""core.routes.Routes: a route declared on a view serves the module's final view (with every
decorator, above or below the route line), classes as as_view(), add() and nested include()
(and group()) built lazily, in declaration order."""

from functools import wraps

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.test import RequestFactory
from django.urls import URLResolver, path, resolve
from django.views import View

from core.routes import Routes

routes = Routes()
one = routes.group("things/<int:thing_id>/")  # before any of its routes: built lazily


def signed_in_only(view):
    """A permission decorator as the apps have them (functools.wraps keeps the name)."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseForbidden("no")
        return view(request, *args, **kwargs)

    return checked


@signed_in_only
@routes("below/", name="sample-below")  # the route line BELOW the permission decorator
def guarded_below(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


@routes("above/", name="sample-above")
@signed_in_only
def guarded_above(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


@routes("things/", name="sample-things")
class ThingsView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("things")


@one("", name="sample-thing")
def thing(request: HttpRequest, thing_id: int) -> HttpResponse:
    return HttpResponse(f"thing {thing_id}")


routes.add("made/", signed_in_only(lambda request: HttpResponse("made")), name="sample-made")
routes.include("listed/", [path("<int:thing_id>/", thing, name="sample-listed")])

urlpatterns = routes.urls


def _anonymous_get(path: str) -> HttpResponse:
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    match = resolve(path, urlconf=__name__)
    return match.func(request, *match.args, **match.kwargs)


@pytest.mark.parametrize("path", ["/below/", "/above/", "/made/"])
def test_a_permission_decorator_is_served_whatever_its_place(path):
    response = _anonymous_get(path)

    assert response.status_code == 403
    assert response.content == b"no"


def test_the_served_view_is_the_modules_final_attribute():
    assert resolve("/below/", urlconf=__name__).func is guarded_below
    assert resolve("/above/", urlconf=__name__).func is guarded_above
    # The undecorated function is what the route line saw, and it is not what is served.
    assert guarded_below.__wrapped__ is not guarded_below


def test_a_view_class_is_served_as_view():
    match = resolve("/things/", urlconf=__name__)

    assert match.func.view_class is ThingsView
    assert match.url_name == "sample-things"


def test_a_nested_group_declared_before_its_routes_is_built_with_them():
    match = resolve("/things/7/", urlconf=__name__)

    assert match.func is thing
    assert match.kwargs == {"thing_id": 7}
    assert match.url_name == "sample-thing"
    assert resolve("/listed/7/", urlconf=__name__).url_name == "sample-listed"


def test_patterns_keep_declaration_order():
    patterns = routes.urls

    assert [str(p.pattern) for p in patterns] == [
        "things/<int:thing_id>/",
        "below/",
        "above/",
        "things/",
        "made/",
        "listed/",
    ]
    assert isinstance(patterns[0], URLResolver)
    assert routes.urls is patterns  # built once


def test_a_route_declared_after_the_urls_were_read_is_refused():
    late = Routes()
    assert late.urls == []

    with pytest.raises(RuntimeError):
        late.add("late/", guarded_above)


def test_a_view_not_defined_at_the_top_of_a_module_is_refused():
    nested = Routes()

    def local_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    with pytest.raises(TypeError):
        nested("local/")(local_view)
