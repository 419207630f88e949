from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, path

from . import views


def _todo(request: object) -> HttpResponse:  # replaced by the sign-in pages
    return HttpResponse(status=501)


urlpatterns: list[URLPattern | URLResolver] = [
    path("language/", views.language_set, name="set-language"),
    path("login/", _todo, name="login"),
    path("logout/", _todo, name="logout"),
    path("signup/", _todo, name="signup"),
]
