"""The open data page and its downloads (docs/open-data.md)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.routes import Routes

from . import open_data
from .suppression import MINIMUM_RESIDENTS

routes = Routes()


@routes("open-data/", name="open-data")
@require_GET
def open_data_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "impact/open_data.html",
        {
            "fields": open_data.FIELDS,
            "licence_url": open_data.LICENCE_URL,
            "minimum": MINIMUM_RESIDENTS,
        },
    )


@routes("open-data/work.csv", name="open-data-csv")
@require_GET
def open_data_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        open_data.as_csv(list(open_data.rows())), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="heitje-work.csv"'
    return response


@routes("open-data/work.json", name="open-data-json")
@require_GET
def open_data_json(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(open_data.as_json(list(open_data.rows())))
    response["Content-Disposition"] = 'attachment; filename="heitje-work.json"'
    return response
