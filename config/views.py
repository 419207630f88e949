from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ledger import selectors


def home(request: HttpRequest) -> HttpResponse:
    """The public landing page: what is in circulation and the latest signed seal."""
    return render(
        request,
        "home.html",
        {"supplies": selectors.currency_supplies(), "head": selectors.block_head()},
    )


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
