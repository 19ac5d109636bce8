"""The authentication backend that loads a session's user (登录会话的用户) with one plain statement.

Every signed-in request loads its user: `django.contrib.auth.get_user` asks the backend named in the session.
Django's ModelBackend does it with `User._default_manager.get(pk=…)`, and compiling that queryset cost about 0.35 ms
of CPU per request on the hot lists (issue 5, docs/performance.md). This backend reads the same row with a statement
built once per connection. Every column goes through the converters the ORM itself would apply (decryption of the
phone and ID number, SQLite's datetimes and UUIDs), so the User object is the one the ORM would build. The rest is
ModelBackend's: the active check (`user_can_authenticate`), permissions.

It authenticates nobody: sign-in is the platform's own (accounts/signin.py, which names this backend in the session
it starts), and password checks never reach Django's backends. ModelBackend stays in AUTHENTICATION_BACKENDS, so the
sessions that name it (those started before this backend existed) keep working.

The session stores (accounts/sessions) read the user's row in the same statement as the session's, through the
session's UserSession row, and hand it over here (`preload`): get_user then takes it instead of reading the row again,
when it is the user the session names. It is the row as it stood in this request's session read, so a deactivated
account or a changed password still signs the browser out at its next request.
"""

from __future__ import annotations

import weakref
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router


class SessionUserBackend(ModelBackend):
    """ModelBackend whose get_user reads the user's row with one plain statement; authenticate() always declines."""

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        user = take_preloaded(user_id) or _load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


# The user read with this request's session row, until get_user takes it. Every session load sets it (None when the
# session came from the cache or had no UserSession), and get_user takes it once, so it never outlives its request's
# session read: a sync worker's next request loads its own session before asking for its user.
_preloaded: ContextVar = ContextVar("tongban_preloaded_user", default=None)


def preload(user) -> None:
    """Hand get_user the user read together with the session (None: nobody)."""
    _preloaded.set(user)


def take_preloaded(user_id):
    """The preloaded user if it is the one with this id (the session's), else None; either way it is used up."""
    user = _preloaded.get()
    if user is None:
        return None
    _preloaded.set(None)
    return user if str(user.pk) == str(user_id) else None


@dataclass(frozen=True)
class _UserStatement:
    """How a user's row is read on one connection: its columns (bare, and qualified by the alias "u" for a join), each
    column's attribute name and converters."""

    sql: str
    joined_columns: str  # the columns as "u"."name", … for a statement that joins the user as u
    attnames: list[str]
    pk_index: int  # where the primary key is among them (NULL there: a join found no user)
    columns: list[tuple]  # (Col expression, converters the ORM's compiler applies to it: backend's, then field's)


# Built once per connection (a connection belongs to one thread, and its converters are bound to it).
_statements: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _statement(connection) -> _UserStatement:
    statement = _statements.get(connection)
    if statement is None:
        model = get_user_model()
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        sql = f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608 — names only
        converted = []
        for field in fields:
            column = field.get_col(model._meta.db_table)
            converted.append(
                (column, [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)])
            )
        joined = ", ".join(f"u.{quote(field.column)}" for field in fields)
        attnames = [field.attname for field in fields]
        pk_index = attnames.index(model._meta.pk.attname)
        statement = _statements[connection] = _UserStatement(sql, joined, attnames, pk_index, converted)
    return statement


def _connection():
    model = get_user_model()
    return connections[router.db_for_read(model)]


def joined_user_columns() -> str:
    """The user's columns, qualified by "u", for a statement that joins the user's table as u (its last columns)."""
    return _statement(_connection()).joined_columns


def joined_user(values) -> object | None:
    """The user built from a joined statement's user columns (joined_user_columns, in order), None when the join
    found no row (every column NULL)."""
    connection = _connection()
    statement = _statement(connection)
    return _user_from_row(values, connection, statement) if values[statement.pk_index] is not None else None


def _load_user(user_id):
    """The user with this primary key as the ORM would build it, or None."""
    connection = _connection()
    statement = _statement(connection)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [user_id])
        row = cursor.fetchone()
    return None if row is None else _user_from_row(row, connection, statement)


def _user_from_row(row, connection, statement: _UserStatement):
    values = [
        _converted(value, column, converters, connection)
        for value, (column, converters) in zip(row, statement.columns, strict=True)
    ]
    return get_user_model().from_db(connection.alias, statement.attnames, values)


def _converted(value, column, converters, connection):
    for converter in converters:
        value = converter(value, column, connection)
    return value
