from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, path


def _todo(request: object) -> HttpResponse:  # replaced by the pages
    return HttpResponse(status=501)


urlpatterns: list[URLPattern | URLResolver] = [
    path("", _todo, name="staff-home"),
]
urlpatterns += [
    path("2fa/setup/", _todo, name="staff-2fa-setup"),
    path("2fa/verify/", _todo, name="staff-2fa-verify"),
]
