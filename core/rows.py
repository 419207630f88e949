"""Model instances from statements written as SQL, for the few hot paths where compiling the
ORM's query costs more CPU than running it (a payment's membership, locks and token check:
docs/performance.md, "Payments over HTTP").

`Columns(Model, "alias")` is the select list of every concrete field of the model, in the
model's order, as `select_related` would load them; `load(row, start)` makes the instance the ORM
would have made of those columns (`Model.from_db`, the fields' converters applied), or None for
the all-NULL side of an outer join. `cache_relation` fills a relation's cache on both sides, as
`select_related` does, so that reading it runs no query. The column lists come from the models'
metadata, so a new field is loaded without changing the SQL around it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import NOT_PROVIDED, Model
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=Model)
# The select list, its width, the primary key's place in it, the converters by place, the
# fields' attribute names.
_Prepared = tuple[str, int, int, list[tuple[int, Callable[..., Any], Any]], list[str]]


class Columns(Generic[M]):
    def __init__(self, model: type[M], alias: str | None = None) -> None:
        self.model = model
        self.alias = alias or model._meta.db_table
        self._prepared: _Prepared | None = None

    def _prepare(self) -> _Prepared:
        # Lazily: the connection's operations are needed, and models are ready by the first query.
        if self._prepared is None:
            connection = connections[DEFAULT_DB_ALIAS]
            quote = connection.ops.quote_name
            fields = self.model._meta.concrete_fields
            sql = ", ".join(f"{quote(self.alias)}.{quote(str(f.column))}" for f in fields)
            # The converters the ORM's compiler applies to each column (backend's, then field's).
            columns = [field.get_col(self.alias) for field in fields]
            converters = [
                (index, converter, column)
                for index, column in enumerate(columns)
                for converter in (
                    connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                )
            ]
            self._prepared = (
                sql,
                len(fields),
                fields.index(self.model._meta.pk),
                converters,
                [field.attname for field in fields],
            )
        return self._prepared

    @property
    def sql(self) -> str:
        return self._prepare()[0]

    @property
    def width(self) -> int:
        return self._prepare()[1]

    def load(self, row: Sequence[Any], start: int = 0) -> M | None:
        """The instance of the columns at row[start:start + width]; None if its key is NULL."""
        _sql, width, pk_index, converters, names = self._prepare()
        values = list(row[start : start + width])
        if values[pk_index] is None:
            return None
        if converters:
            connection = connections[DEFAULT_DB_ALIAS]
            for index, converter, column in converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(DEFAULT_DB_ALIAS, names, values)


def cache_relation(instance: Model, name: str, related: Model | None) -> None:
    """`instance.<name>` is `related` without a query, and for a one-to-one `related`'s reverse
    accessor is `instance`, as select_related leaves them."""
    field = instance._meta.get_field(name)
    field.set_cached_value(instance, related)  # type: ignore[union-attr]
    if related is not None and getattr(field, "one_to_one", False):
        field.remote_field.set_cached_value(related, instance)  # type: ignore[union-attr]


def fetch_one(sql: str, params: Sequence[Any] | dict[str, Any]) -> tuple[Any, ...] | None:
    """The first row of a statement, or None."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def insert(instance: M) -> M:
    """`instance.save()` for a new row, as Model.save_base does it (the related fields' checks,
    pre_save and post_save sent with the same arguments, auto_now_add and the like filled by
    the fields' pre_save, values prepared as the ORM prepares them), with the INSERT ...
    RETURNING written once per model instead of compiled per row. A model it does not cover
    (inherited, with database defaults or generated columns) is saved by the ORM."""
    model = type(instance)
    prepared = _insert_sql(model)
    if prepared is None:
        instance.save(force_insert=True)
        return instance
    sql, fields = prepared
    instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    pre_save.send(
        sender=model, instance=instance, raw=False, using=DEFAULT_DB_ALIAS, update_fields=None
    )
    connection = connections[DEFAULT_DB_ALIAS]
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        (pk,) = cursor.fetchone()
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    post_save.send(
        sender=model,
        instance=instance,
        created=True,
        update_fields=None,
        raw=False,
        using=DEFAULT_DB_ALIAS,
    )
    return instance


@functools.cache
def _insert_sql(model: type[Model]) -> tuple[str, list[Any]] | None:
    """The INSERT and its fields; None (the ORM's save) for what it does not write: parents'
    tables, a key that is not the database's, database defaults, generated columns."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    if (
        model._meta.parents
        or not getattr(pk, "db_returning", False)
        or any(f.db_default is not NOT_PROVIDED or getattr(f, "generated", False) for f in fields)
    ):
        return None
    columns = ", ".join(quote(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = quote(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {quote(str(pk.column))}"  # noqa: S608
    return sql, fields
