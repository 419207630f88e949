"""The API's lists page one of two ways.

- `Page`: `?limit=&offset=`, answered as `{count, next, previous, results}`, for lists that stay
  small (campaigns, tasks, a shop's staff).
- `KeysetPage`: `?limit=&cursor=`, answered as `{next, previous, results}`, for lists that grow
  without end (the audit log; residents, shops and settlements for staff). It pages the rows in
  their queryset's own order, and the cursor holds the key (time and id, or the id) of the row a
  page continues from, so a page deep in the list costs what the first one does: no OFFSET walks
  past the rows before it, and no count.

A list view sets `pagination_class` (so the schema documents it as paginated) and returns
`page_response(...)`, which pages by it. `limit` and `offset` are checked, not trusted: a value
out of range is a 400 with the field named, never a query PostgreSQL cannot run (a limit past
bigint was a 500).

And the glue of every API view: who asks (`request_user`), the checked body and query
(`validated`, `sent` for a PATCH, `query`), and `ActionView`, the POST that does one thing to
what its URL names.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from functools import reduce
from typing import Any, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
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

U = TypeVar("U", bound=AbstractBaseUser)


def request_user(request: Request, model: type[U]) -> U:
    """The signed-in person of a view that requires one, typed as the project's user model."""
    user = request.user
    assert isinstance(user, model)
    return user


def validated(
    request: Request, serializer: type[serializers.Serializer], *, partial: bool = False
) -> dict[str, Any]:
    """The request's body, validated by `serializer` (a 400 problem otherwise)."""
    checked = serializer(data=request.data, partial=partial)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


def sent(request: Request, serializer: type[serializers.Serializer]) -> dict[str, Any]:
    """A PATCH's body: the fields the request sent, validated by `serializer` as a partial body
    (a 400 problem otherwise). A field left out is not there, whatever its default."""
    fields = validated(request, serializer, partial=True)
    return {name: value for name, value in fields.items() if name in request.data}


def query(request: Request, serializer: type[serializers.Serializer]) -> dict[str, Any]:
    """The request's query parameters, validated by `serializer` (a 400 problem otherwise)."""
    checked = serializer(data=request.query_params)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


# How many rows a page holds, for every list the API pages (by `Page`, `KeysetPage` or a cursor
# of its own).
class LimitQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


class PageQuerySerializer(LimitQuerySerializer):
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


class KeysetQuerySerializer(LimitQuerySerializer):
    cursor = serializers.CharField(max_length=200, required=False, allow_blank=True)


class KeysetPage(CursorPagination):
    """Cursor pagination with validated input: a bad `limit` is a 400 naming the field; a cursor
    this service did not write is a 404 (no such page: start again from the first), never a
    query PostgreSQL cannot run.

    The rows are paged in the order their queryset gives (its `order_by`, else the model's
    `Meta.ordering`): the selector that builds a list says how it is sorted, and the API and the
    page that show it follow. Plain fields only, the last one unique (the id, to split ties).

    DRF's cursor holds the first field alone and counts past rows that tie on it, which walks
    back wrongly when a page's rows all share one time (it skips or repeats rows). Here the
    cursor holds the whole key of the row it continues from, so rows after it are
    `(time, id) < (t, i)`: exact both ways, ties or not, and still one index range scan. DRF
    keeps the rest: the cursor's encoding, the links, the response and its schema."""

    ordering: tuple[str, ...] = ("-created_at", "-id")
    page_size = DEFAULT_LIMIT
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    SEPARATOR = "|"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        names = (self.page_size_query_param, self.cursor_query_param)
        given = {name: request.query_params[name] for name in names if name in request.query_params}
        query = KeysetQuerySerializer(data=given)
        query.is_valid(raise_exception=True)
        self.request = request
        size = self.page_size = self.get_page_size(request) or DEFAULT_LIMIT
        self.base_url = request.build_absolute_uri()
        self.model = queryset.model
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        reverse = self.cursor is not None and self.cursor.reverse
        key = None if self.cursor is None else str(self.cursor.position)
        ordering = _reversed(self.ordering) if reverse else self.ordering
        rows = queryset.order_by(*ordering)
        if key is not None:
            rows = rows.filter(self._after(ordering, key))
        found = list(rows[: size + 1])
        self.page = found[:size]
        more = len(found) > size
        # Forward, a row after the page means a next page; back, a row before it a previous one.
        # Coming from a cursor means there are rows on the side it came from.
        self.has_next, self.has_previous = (
            (key is not None, more) if reverse else (more, key is not None)
        )
        if reverse:
            self.page.reverse()
        return self.page

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        ordering = tuple(queryset.query.order_by or queryset.model._meta.ordering) or self.ordering
        assert all(isinstance(field, str) and "__" not in field for field in ordering)
        assert ordering[-1].lstrip("-") in ("id", "pk"), "the last field splits ties: the id"
        return ordering

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return self._link(self.page[-1] if self.page else None, reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        return self._link(self.page[0] if self.page else None, reverse=True)

    def _link(self, row: Any, *, reverse: bool) -> str:
        # An empty page (its rows gone since) continues from where its cursor stood.
        key: Any = self._key(row) if row is not None else self.cursor.position  # type: ignore[union-attr]
        return self.encode_cursor(Cursor(offset=0, reverse=reverse, position=key))

    def _field(self, name: str) -> Any:
        name = name.lstrip("-")
        return self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)

    def _key(self, row: Any) -> str:
        """The cursor's position: the row's value of each ordering field, as text."""
        return self.SEPARATOR.join(
            str(getattr(row, self._field(name).attname)) for name in self.ordering
        )

    def _after(self, ordering: tuple[str, ...], key: str) -> Q:
        """The rows after `key` in `ordering`: (a, b) > (x, y) is a > x, or a = x and b > y;
        with the first field's bound (a >= x) first, for the index."""
        values = dict(zip(ordering, self._values(key), strict=True))
        names = [self._field(name).name for name in ordering]
        steps = ["__lt" if name.startswith("-") else "__gt" for name in ordering]
        after = [
            Q(**{n: values[o] for n, o in zip(names[:k], ordering[:k], strict=True)})
            & Q(**{names[k] + steps[k]: values[ordering[k]]})
            for k in range(len(ordering))
        ]
        bound = Q(**{names[0] + steps[0] + "e": values[ordering[0]]})
        return bound & reduce(operator.or_, after)

    def _values(self, key: str) -> list[Any]:
        # `clean`, not `to_python` alone: an id past the column's range is refused too.
        return [
            self._field(name).clean(part, None)
            for name, part in zip(self.ordering, key.split(self.SEPARATOR), strict=True)
        ]

    def decode_cursor(self, request: Request) -> Cursor | None:
        refusal = NotFound(
            _("There is no such page of this list: start again from the first page.")
        )
        if not request.query_params.get(self.cursor_query_param):
            return None  # none, or blank: the first page
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise refusal from exc
        # The position goes into a WHERE clause: it must be one value of each ordering field.
        if cursor is None or cursor.offset or cursor.position is None:
            raise refusal
        try:
            self._values(str(cursor.position))
        except (ValidationError, ValueError):
            raise refusal from None
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


def _reversed(ordering: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name[1:] if name.startswith("-") else "-" + name for name in ordering)


def keyset_page_for_html(request: Any, rows: Any) -> tuple[list[Any], str | None, str | None]:
    """One `KeysetPage` of `rows` for a page view: the rows and the links to the next and the
    previous page (None at either end), which keep the request's other parameters (its filters).
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
) -> Response:
    """One page of `rows`, each row written by `serializer` (or by the function `body`), paged by
    the view's `pagination_class` (`Page` or `KeysetPage`; `Page` if it sets none)."""
    paginator: Page | KeysetPage = getattr(view, "pagination_class", Page)()
    page: Iterable[Any] = paginator.paginate_queryset(rows, request, view=view) or []
    if serializer is not None:
        results: Any = serializer(page, many=True).data
    else:
        assert body is not None
        results = [body(row) for row in page]
    return paginator.get_paginated_response(results)


# A POST that does one thing to what its URL names and answers with it (approve, reject, close,
# ...). A subclass sets `form`, the serializer of the body (None: there is none), and defines
# `act`, which calls the service with the signed-in person, the URL's arguments and the body's
# fields by name, and `answer`, which writes what the service returned. `@extend_schema` on the
# class documents it, and the subclass's docstring is the operation's description: so this class,
# and a subclass that groups others, say what they are in a comment (a docstring would be
# inherited as the description of every subclass without its own).
class ActionView(APIView):
    form: type[serializers.Serializer] | None = None

    def act(self, user: Any, **arguments: Any) -> Any:
        raise NotImplementedError

    def answer(self, result: Any) -> Any:
        raise NotImplementedError

    def post(self, request: Request, **arguments: Any) -> Response:
        fields = validated(request, self.form) if self.form is not None else {}
        return Response(self.answer(self.act(request.user, **arguments, **fields)))
