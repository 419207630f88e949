"""Responses shared by the pages and the API of people and access."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.problems import CONTENT_TYPE, problem_body
from core.routes import Routes

from .models import User

routes = Routes()


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE: too many failed sign-ins from this address for this
    email address; it cools off by itself."""
    message = _("Too many failed sign-in attempts. Wait 15 minutes and try again.")
    if request.path.startswith("/api/"):
        body = problem_body(code="locked-out", status_code=429, title=message)
        return JsonResponse(body, status=429, content_type=CONTENT_TYPE)
    return render(request, "lockout.html", {"message": message}, status=429)


@routes("language/", name="set-language")
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switcher: remembers the choice in a cookie and, for a signed-in person, in
    their profile (so mail and every device follow it)."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = redirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        User.objects.filter(pk=user.pk).update(preferred_language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response
