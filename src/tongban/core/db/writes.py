"""Rows written with statements built once per model, for the writes every submission and review step makes.

`Model.objects.create()`, `bulk_create()` and `save(update_fields=…)` build their statement afresh on every call: a
query object, its compiler, the quoted columns and one placeholder per value, about a millisecond of Python on the hot
paths' machines for each of the eight rows a submission writes (docs/performance.md, ninth session). `insert`,
`insert_many` and `update` write the same rows the same way, with the statement's text kept per model (and fields):

- every value goes through its field's `pre_save(obj, add=True)` and `get_db_prep_save()`, as the ORM's insert does
  (auto_now_add, the blind indexes and encryption of core/pii.py, JSON adaptation);
- the new primary key comes back by `RETURNING`, as Django does on PostgreSQL and SQLite 3.35+;
- `insert` sends pre_save and post_save (created=True) as `save()` does; `insert_many`, like `bulk_create()`, sends
  neither; `update` sends both with its update_fields, as `save(update_fields=…)` does, and fails as it does when the
  row is gone;
- a database error inside a transaction marks it for rollback, as the ORM's writes do.

Only plain models qualify: an auto-incremented primary key that the row leaves unset, no parent model, no
`order_with_respect_to`, no field that needs its own placeholder (binary, array, range, geometry), and no expression
as a value. Anything else is refused with TypeError rather than written differently from the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save


@dataclass(frozen=True)
class _Statement:
    """One model's INSERT: the fields written in order, the head `INSERT INTO t (…) VALUES `, one row's placeholders
    and the RETURNING clause of the primary key."""

    fields: tuple[Field, ...]
    head: str
    row: str
    returning: str
    pk_attname: str

    def sql(self, rows: int) -> str:
        return f"{self.head}{', '.join([self.row] * rows)} {self.returning}"


_statements: dict[tuple[type[Model], str], _Statement] = {}


def _statement(model: type[Model], connection) -> _Statement:
    key = (model, connection.vendor)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = _build(model, connection)
    return statement


def _build(model: type[Model], connection) -> _Statement:
    opts = model._meta
    auto = opts.auto_field
    if auto is None or list(opts.db_returning_fields) != [auto]:
        raise TypeError(f"{opts.label}: insert() needs an auto primary key and no other returned column")
    if opts.parents or opts.proxy or opts.order_with_respect_to:
        raise TypeError(f"{opts.label}: insert() writes one plain table; use save()")
    fields = tuple(field for field in opts.local_concrete_fields if not field.generated and field is not auto)
    special = [field.name for field in fields if hasattr(field, "get_placeholder")]
    if special:
        raise TypeError(f"{opts.label}: fields {special} need their own placeholders; use save()")
    quote = connection.ops.quote_name
    returning, _params = connection.ops.return_insert_columns([auto])
    columns = ", ".join(quote(field.column) for field in fields)
    return _Statement(
        fields=fields,
        head=f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ",  # noqa: S608 (the model's own names)
        row=f"({', '.join(['%s'] * len(fields))})",
        returning=returning,
        pk_attname=auto.attname,
    )


def _values(fields: tuple[Field, ...], obj: Model, connection, *, add: bool) -> list:
    """The fields' values as the ORM's insert (`add`) or update sends them: pre_save, then get_db_prep_save."""
    values = []
    for field in fields:
        value = field.pre_save(obj, add)
        if hasattr(value, "resolve_expression"):
            raise TypeError(f"{field.name}: takes values, not expressions; use save()")
        values.append(field.get_db_prep_save(value, connection=connection))
    return values


def _checked(statement: _Statement, obj: Model, operation: str) -> None:
    if getattr(obj, statement.pk_attname) is not None:
        raise ValueError(f"insert() makes new rows; {obj!r} already has a primary key")
    obj._prepare_related_fields_for_save(operation_name=operation)


def _saved(statement: _Statement, obj: Model, pk) -> None:
    setattr(obj, statement.pk_attname, pk)
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS


def insert(obj: Model) -> Model:
    """Write a new row for `obj` (as `Model.objects.create(**fields)` would) and return it with its primary key."""
    model = type(obj)
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: fields use it per value, the proxy costs a lookup
    statement = _statement(model, connection)
    _checked(statement, obj, "save")
    pre_save.send(sender=model, instance=obj, raw=False, using=DEFAULT_DB_ALIAS, update_fields=None)
    # Before the statement: a refused value leaves the transaction usable.
    values = _values(statement.fields, obj, connection, add=True)
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        cursor.execute(statement.sql(1), values)
        (pk,) = cursor.fetchone()
    _saved(statement, obj, pk)
    post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=DEFAULT_DB_ALIAS)
    return obj


def insert_many(objs: Sequence[Model]) -> Sequence[Model]:
    """Write new rows for objects of one model in one statement per batch (as `bulk_create` would; no signals)."""
    if not objs:
        return objs
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise TypeError("insert_many() writes objects of one model")
    connection = connections[DEFAULT_DB_ALIAS]
    statement = _statement(model, connection)
    for obj in objs:
        _checked(statement, obj, "bulk_create")
    values = [_values(statement.fields, obj, connection, add=True) for obj in objs]
    batch = max(connection.ops.bulk_batch_size(list(statement.fields), objs), 1)
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            cursor.execute(statement.sql(len(chunk)), [value for row in values[start : start + batch] for value in row])
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                _saved(statement, obj, pk)
    return objs


@dataclass(frozen=True)
class _Update:
    """One model's UPDATE of some fields by primary key: the fields in order and the statement."""

    fields: tuple[Field, ...]
    sql: str


_updates: dict[tuple[type[Model], tuple[str, ...], str], _Update] = {}


def _update_statement(model: type[Model], names: tuple[str, ...], connection) -> _Update:
    key = (model, names, connection.vendor)
    statement = _updates.get(key)
    if statement is None:
        opts = model._meta
        by_name = {field.name: field for field in opts.local_concrete_fields} | {
            field.attname: field for field in opts.local_concrete_fields
        }
        fields = tuple(dict.fromkeys(by_name.get(name) for name in names))
        if None in fields or opts.pk in fields or any(field.generated for field in fields) or opts.parents:
            raise ValueError(f"{opts.label}: update() writes the row's own concrete fields, not {list(names)}")
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        sql = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {quote(opts.pk.column)} = %s"  # noqa: S608
        statement = _updates[key] = _Update(fields=fields, sql=sql)
    return statement


def update(obj: Model, fields: Sequence[str]) -> None:
    """Write these fields of `obj`'s existing row, as `obj.save(update_fields=fields)` does (auto_now included)."""
    if not fields:
        return  # as save(update_fields=[]) does
    model = type(obj)
    connection = connections[DEFAULT_DB_ALIAS]
    statement = _update_statement(model, tuple(fields), connection)
    names = frozenset(fields)
    pre_save.send(sender=model, instance=obj, raw=False, using=DEFAULT_DB_ALIAS, update_fields=names)
    values = _values(statement.fields, obj, connection, add=False)
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        cursor.execute(statement.sql, [*values, obj.pk])
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    post_save.send(sender=model, instance=obj, created=False, update_fields=names, raw=False, using=DEFAULT_DB_ALIAS)
