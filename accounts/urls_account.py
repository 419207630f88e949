from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, path


def _todo(request: object) -> HttpResponse:  # replaced by the pages
    return HttpResponse(status=501)


urlpatterns: list[URLPattern | URLResolver] = [
    path("", _todo, name="account-home"),
]
