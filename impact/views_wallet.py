"""The wallet's "what I achieved" page (a page of its own, linked from the wallet home)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import ResidentProfile
from accounts.views_wallet import resident_page

from .achieved import resident_achieved


@never_cache
@require_GET
@resident_page
def wallet_achieved(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    return render(request, "impact/achieved.html", {"achieved": resident_achieved(profile=profile)})
