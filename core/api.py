"""The API's lists page one of two ways.

- `Page`: `?limit=&offset=`, answered as `{count, next, previous, results}`, for lists that stay
  small (campaigns, tasks, a shop's staff).
- `KeysetPage`: `?limit=&cursor=`, answered as `{next, previous, results}`, for lists that grow
  without end (the audit log). The cursor holds the last row's time, so a page deep in the list
  costs what the first one does: no OFFSET walks past the rows before it, and no count.

A list view sets `pagination_class = Page` (so the schema documents it as paginated) and returns
`page_response(...)`. `limit` and `offset` are checked, not trusted: a value out of range is a
400 with the field named, never a query PostgreSQL cannot run (a limit past bigint was a 500).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import Http404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import APIException, NotFound
from rest_framework.pagination import Cursor, CursorPagination, LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Far past any list the service will hold, and well inside PostgreSQL's bigint with a limit added.
MAX_OFFSET = 2**31 - 1


def query(request: Request, serializer: type[serializers.Serializer]) -> dict[str, Any]:
    """The request's query parameters, validated by `serializer` (a 400 problem otherwise)."""
    checked = serializer(data=request.query_params)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


class PageQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)


class Page(LimitOffsetPagination):
    """LimitOffsetPagination with validated bounds: a bad `limit` or `offset` is refused (400,
    problem+json) rather than clamped or passed to the database."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        # Both are checked before DRF reads them, so an error names every bad field at once.
        query = PageQuerySerializer(
            data={
                name: request.query_params[name]
                for name in (self.limit_query_param, self.offset_query_param)
                if name in request.query_params
            }
        )
        query.is_valid(raise_exception=True)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {**parameter["schema"], **bounds[parameter["name"]]}
        return parameters


class KeysetQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = serializers.CharField(max_length=200, required=False, allow_blank=True)


class KeysetPage(CursorPagination):
    """DRF's cursor pagination on the rows' creation time, newest first, with validated input:
    a bad `limit` is a 400 naming the field; a cursor this service did not write is a 404 (no
    such page: start again from the first), never a query PostgreSQL cannot run."""

    ordering = ("-created_at", "-id")
    page_size = DEFAULT_LIMIT
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        names = (self.page_size_query_param, self.cursor_query_param)
        given = {name: request.query_params[name] for name in names if name in request.query_params}
        query = KeysetQuerySerializer(data=given)
        query.is_valid(raise_exception=True)
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        refusal = NotFound(
            _("There is no such page of this list: start again from the first page.")
        )
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise refusal from exc
        position = None if cursor is None else cursor.position
        if position is not None and parse_datetime(str(position)) is None:
            raise refusal
        return cursor

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                bounds = {"minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
                parameter["schema"] = {**parameter["schema"], **bounds}
            else:
                parameter["schema"] = {**parameter["schema"], "maxLength": 200}
        return parameters


def keyset_page_for_html(request: Any, rows: Any) -> tuple[list[Any], str | None, str | None]:
    """One `KeysetPage` of `rows` for a page view: the rows and the links to the older and the
    newer page (None at either end), which keep the request's other parameters (its filters).
    A cursor this service did not write, or a bad limit, is a 404 (Http404): no such page."""
    paginator = KeysetPage()
    try:
        page = list(paginator.paginate_queryset(rows, Request(request)) or [])
    except APIException:
        raise Http404 from None
    return page, paginator.get_next_link(), paginator.get_previous_link()


def page_response(
    view: APIView,
    request: Request,
    rows: Any,
    *,
    serializer: type[serializers.BaseSerializer] | None = None,
    body: Callable[[Any], Any] | None = None,
    paginator: Page | KeysetPage | None = None,
) -> Response:
    """One page of `rows`, each row written by `serializer` (or by the function `body`): by
    `Page` unless the view passes a `KeysetPage`."""
    paginator = paginator or Page()
    page: Iterable[Any] = paginator.paginate_queryset(rows, request, view=view) or []
    if serializer is not None:
        results: Any = serializer(page, many=True).data
    else:
        assert body is not None
        results = [body(row) for row in page]
    return paginator.get_paginated_response(results)
