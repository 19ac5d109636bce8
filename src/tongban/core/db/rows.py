"""Model instances built from rows that a written-out statement read, exactly as the ORM would build them.

A hot read (the session's user, the item applied for) names a model's columns itself instead of compiling a queryset
on every request. `model_row(model)` says how: the concrete columns in the ORM's order, their attribute names, and the
converters the ORM's compiler applies to each column (the backend's, then the field's: decryption of personal data,
SQLite's datetimes, booleans and UUIDs). `build(values)` passes the values through them and calls `Model.from_db`, so
the object is the one a queryset would give. `get_by_pk` is `.get(pk=…)` (with `lock`, `select_for_update().get()`),
`get_by_unique` is `.get()` on another unique column, and `read_joined` builds the objects of a statement that joins
several models' rows into one.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.db.transaction import TransactionManagementError


@dataclass(frozen=True)
class ModelRow:
    """How one model's row is read and built on one connection."""

    model: type[Model]
    alias: str  # the connection's alias, for from_db
    quoted: tuple[str, ...]  # the columns' quoted names, in the ORM's order
    attnames: list[str]
    pk_index: int  # where the primary key is among them (NULL there: an outer join found no row)
    converters: tuple[tuple, ...]  # per column: (Col expression, [converter, …])
    by_pk: str  # SELECT of every column of the row with a given primary key

    @property
    def width(self) -> int:
        return len(self.quoted)

    def columns(self, table: str = "") -> str:
        """The columns for a SELECT list, qualified by `table` (an alias of the statement) when given."""
        return ", ".join(f"{table}.{name}" if table else name for name in self.quoted)

    def build(self, values: Sequence) -> Model:
        """The instance from one row's values for `columns()`, in order."""
        connection = connections[self.alias]
        converted = []
        for value, (column, converters) in zip(values, self.converters, strict=True):
            for converter in converters:
                value = converter(value, column, connection)
            converted.append(value)
        return self.model.from_db(self.alias, self.attnames, converted)

    def build_joined(self, values: Sequence) -> Model | None:
        """As build, but None when an outer join found no row (its primary key column is NULL)."""
        return None if values[self.pk_index] is None else self.build(values)


def read_joined(sql: str, params: Sequence, *rows: ModelRow) -> list[Model] | None:
    """Run a statement whose one row holds each model's columns in turn (`rows[0].columns(…)`, `rows[1].columns(…)`,
    …) and build the objects, in that order; None when it finds no row."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchone()
    if values is None:
        return None
    built, start = [], 0
    for row in rows:
        built.append(row.build(values[start : start + row.width]))
        start += row.width
    return built


# Built once per connection and model: a connection belongs to one thread, and its converters are bound to it.
_rows: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def model_row(model: type[Model]) -> ModelRow:
    """How `model`'s rows are read and built on this thread's default connection."""
    connection = connections[DEFAULT_DB_ALIAS]
    by_model = _rows.setdefault(connection, {})
    row = by_model.get(model)
    if row is None:
        row = by_model[model] = _model_row(model, connection)
    return row


def _model_row(model: type[Model], connection) -> ModelRow:
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    converters = []
    for field in fields:
        column = field.get_col(model._meta.db_table)
        converters.append((column, [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]))
    attnames = [field.attname for field in fields]
    quoted = tuple(quote(field.column) for field in fields)
    opts = model._meta
    return ModelRow(
        model=model,
        alias=connection.alias,
        quoted=quoted,
        attnames=attnames,
        pk_index=attnames.index(opts.pk.attname),
        converters=tuple(converters),
        by_pk=f"SELECT {', '.join(quoted)} FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} = %s",  # noqa: S608
    )


def get_by_pk(model: type[Model], pk, *, lock: bool = False) -> Model:
    """The row with this primary key as `model.objects.get(pk=pk)` gives it (DoesNotExist when there is none).

    `lock` reads it FOR UPDATE, as select_for_update() does: only inside a transaction, and only where the database
    has row locks (PostgreSQL; SQLite serialises writers itself, and Django leaves the clause out there too).
    """
    row = model_row(model)
    return _get_one(row, row.by_pk, pk_value(model, pk), lock)


def get_by_unique(model: type[Model], field_name: str, value) -> Model:
    """`model.objects.get(<field_name>=value)` for a unique field (a one-to-one's, say), given the value its column
    holds (the related row's id, not the object): DoesNotExist when there is none."""
    row = model_row(model)
    field = model._meta.get_field(field_name)
    if not field.unique:
        raise ValueError(f"{model._meta.label}.{field_name} is not unique: .get() on it could find several rows")
    quote = connections[row.alias].ops.quote_name
    sql = f"SELECT {row.columns()} FROM {quote(model._meta.db_table)} WHERE {quote(field.column)} = %s"  # noqa: S608
    return _get_one(row, sql, field.get_prep_value(value), lock=False)


def _get_one(row: ModelRow, sql: str, key, lock: bool) -> Model:
    """Run `sql` (one row's columns, one %s for `key`) and build the row; None for `key` means no row can match."""
    connection = connections[row.alias]
    if lock and connection.features.has_select_for_update:
        if not connection.in_atomic_block:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        sql += " FOR UPDATE"
    values = None
    if key is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            values = cursor.fetchone()
    if values is None:
        model = row.model
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
    return row.build(values)


def pk_value(model: type[Model], pk):
    """`pk` as the primary key column takes it, or None when no row can have it: an integer outside the column's
    range matches nothing, as the ORM's lookups say since Django 5.0 (sending it would be a database error)."""
    field = model._meta.pk
    value = field.get_prep_value(pk)
    try:
        low, high = connections[DEFAULT_DB_ALIAS].ops.integer_field_range(field.get_internal_type())
    except KeyError:  # not an integer key (a session's, say): any value may match
        return value
    if isinstance(value, int) and ((low is not None and value < low) or (high is not None and value > high)):
        return None
    return value
