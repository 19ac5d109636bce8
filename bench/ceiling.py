"""The ceilings: what the same gunicorn workers, settings and middleware serve when the view does (almost) nothing.

- constant: a view that returns fixed bytes; the cost of Django + middleware + gunicorn + HTTP alone.
- insert: a view that does one INSERT in a transaction; the cost of one durable write on this database.

Mounted at /__bench__/ only when TONGBAN_BENCH_CEILING is on (src/tongban/urls.py), which only the bench runner sets,
so these URLs never exist in a deployment. The INSERT table is created by `python -m bench.ceiling prepare` before the
server starts and dropped by `python -m bench.ceiling drop` after it stops: raw SQL, not a model, so the platform's
apps and migrations know nothing about it.
"""

from __future__ import annotations

import sys

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

TABLE = "bench_ceiling_row"

_CREATE = {
    "postgresql": f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id BIGSERIAL PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL, note VARCHAR(32) NOT NULL)",
    "sqlite": f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, note VARCHAR(32) NOT NULL)",
}
_INSERT = f"INSERT INTO {TABLE} (created_at, note) VALUES (CURRENT_TIMESTAMP, %s)"  # noqa: S608 (constant table name)

_BODY = b"ok\n"


def constant(request):
    """Fixed bytes: nothing but the framework."""
    return HttpResponse(_BODY, content_type="text/plain")


@csrf_exempt  # no browser ever posts here; the bench posts without a session
@require_POST
def insert(request):
    """One row in its own transaction: the cheapest durable write this deployment can do."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INSERT, ["bench"])
    return HttpResponse(_BODY, content_type="text/plain")


urlpatterns = [
    path("constant", constant, name="bench-ceiling-constant"),
    path("insert", insert, name="bench-ceiling-insert"),
]


def prepare_table() -> None:
    """Create the bench-only table if it is missing (before gunicorn starts, so workers never race to create it)."""
    vendor = connection.vendor
    if vendor not in _CREATE:
        raise RuntimeError(f"bench ceiling supports SQLite and PostgreSQL, not {vendor}")
    with connection.cursor() as cursor:
        cursor.execute(_CREATE[vendor])


def drop_table() -> None:
    """Remove the bench-only table and its rows: the bench leaves the database as it found it."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def database_description() -> str:
    """The database the platform uses, for the report: vendor and server version."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]} (WAL)"
    return connection.vendor


def main(argv: list[str]) -> int:
    """`python -m bench.ceiling prepare|drop|describe`, run by the runner with the server's environment."""
    import django

    django.setup()
    actions = {"prepare": prepare_table, "drop": drop_table, "describe": lambda: print(database_description())}
    if len(argv) != 1 or argv[0] not in actions:
        print("usage: python -m bench.ceiling prepare|drop|describe", file=sys.stderr)
        return 2
    actions[argv[0]]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
