"""Create or drop a PostgreSQL database named by a URL (CI uses it for a fresh database per run).

Usage: python scripts/pg_database.py create|drop postgres://user@host:port/name
"""

import sys
from urllib.parse import urlparse

import psycopg
from psycopg import sql


def main(action: str, url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        # Also drop the test database pytest-django derives from it, left behind if a run was killed.
        for db in (name, f"test_{name}"):
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))
        if action == "create":
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"PostgreSQL database {name}: {action} done")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("create", "drop"):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
