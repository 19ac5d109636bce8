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
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router


class SessionUserBackend(ModelBackend):
    """ModelBackend whose get_user reads the user's row with one plain statement; authenticate() always declines."""

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        user = _load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


@dataclass(frozen=True)
class _UserStatement:
    """The statement that reads a user's row on one connection, with each column's attribute name and converters."""

    sql: str
    attnames: list[str]
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
        statement = _statements[connection] = _UserStatement(sql, [field.attname for field in fields], converted)
    return statement


def _load_user(user_id):
    """The user with this primary key as the ORM would build it, or None."""
    model = get_user_model()
    alias = router.db_for_read(model)
    connection = connections[alias]
    statement = _statement(connection)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = [
        _converted(value, column, converters, connection)
        for value, (column, converters) in zip(row, statement.columns, strict=True)
    ]
    return model.from_db(alias, statement.attnames, values)


def _converted(value, column, converters, connection):
    for converter in converters:
        value = converter(value, column, connection)
    return value
