"""The shared per-request stack (docs/performance.md, "The per-request stack"): what every request pays for.

- A request with no cookie touches neither the session store nor the user table.
- Every page names the deployment region; a process reads it once a minute, and forgets it when a region changes.
- A reused PostgreSQL connection is health-checked only after sitting idle (core/db/base.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db.backends.postgresql.base import DatabaseWrapper as DjangoPostgres

from tongban.core import context_processors
from tongban.core.db import base as tongban_postgres


@pytest.mark.django_db
def test_a_request_without_cookies_runs_only_its_own_query_and_sets_no_session(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # the probe's own SELECT 1: no session, user, acting-for or region read
        response = client.get("/healthz")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_the_shell_region_is_read_once_a_minute_per_process(county, monkeypatch, django_assert_num_queries):
    now = [1000.0]
    monkeypatch.setattr(context_processors, "_region", None)
    monkeypatch.setattr(context_processors, "_in_transaction", lambda: False)
    monkeypatch.setattr(context_processors.time, "monotonic", lambda: now[0])
    with django_assert_num_queries(1):
        assert context_processors.shell_region() == county
    with django_assert_num_queries(0):
        assert context_processors.shell_region().name == "桐庐县"
    now[0] += context_processors.REGION_TTL + 1
    with django_assert_num_queries(1):
        assert context_processors.shell_region().parent.name == "杭州市"


@pytest.mark.django_db
def test_a_region_saved_in_this_process_shows_on_the_next_page(county, monkeypatch):
    monkeypatch.setattr(context_processors, "_region", None)
    monkeypatch.setattr(context_processors, "_in_transaction", lambda: False)
    assert context_processors.shell_region().name == "桐庐县"
    county.name = "桐庐县（新）"
    county.save()
    assert context_processors.shell_region().name == "桐庐县（新）"


@pytest.mark.django_db
def test_inside_a_transaction_the_shell_region_is_read_fresh_and_not_kept(county, monkeypatch):
    monkeypatch.setattr(context_processors, "_region", None)
    assert context_processors.shell_region() == county
    assert context_processors._region is None


class _Probe(tongban_postgres.DatabaseWrapper):
    """The backend's health-check decision alone: no server, is_usable() counted instead of sent."""

    def __init__(self):
        self.alias, self.settings_dict = "default", {"OPTIONS": {}}  # no psycopg pool: the per-request check applies
        self.connection = object()
        self.health_check_enabled = True
        self.health_check_done = False
        self.checks = 0

    def is_usable(self):
        self.checks += 1
        return True


def test_a_connection_used_moments_ago_skips_the_health_check_and_an_idle_one_gets_it(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(tongban_postgres.time, "monotonic", lambda: now[0])
    probe = _Probe()
    probe.close_if_health_check_failed()  # never used since it was opened here: checked
    assert probe.checks == 1
    probe.health_check_done = False  # the next request (Django resets it at each request's start)
    now[0] += tongban_postgres.HEALTH_CHECK_AFTER_IDLE_S - 0.5
    probe.close_if_health_check_failed()
    assert (probe.checks, probe.health_check_done) == (1, True)
    probe.health_check_done = False
    now[0] += tongban_postgres.HEALTH_CHECK_AFTER_IDLE_S + 0.5
    probe.close_if_health_check_failed()
    assert probe.checks == 2


def test_postgresql_urls_use_the_platform_backend():
    from tongban.settings import _database

    assert issubclass(tongban_postgres.DatabaseWrapper, DjangoPostgres)
    assert _database("postgres://u@127.0.0.1:5432/tongban")["ENGINE"] == "tongban.core.db"
    assert _database("postgres://u@127.0.0.1:5432/tongban")["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(
    ("flag", "options"),
    [
        ("", {"sslmode": "require", "server_side_binding": True, "prepare_threshold": 5}),
        ("false", {"sslmode": "require"}),
    ],
)
def test_postgresql_binds_on_the_server_unless_prepared_statements_are_switched_off(flag, options, tmp_path):
    """TONGBAN_DB_PREPARED=false is for a connection pooler that cannot keep prepared statements; the URL's own
    options (sslmode) are kept either way."""
    script = (
        "import json, tongban.settings as s; "
        "print(json.dumps(s._database('postgres://u@127.0.0.1:5432/tongban?sslmode=require')['OPTIONS'])); "
        "print(json.dumps(s.DATABASES['default'].get('OPTIONS', {}).get('server_side_binding')))"
    )
    env = {**os.environ, "TONGBAN_DB_PREPARED": flag, "TONGBAN_VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    completed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    postgresql, sqlite = completed.stdout.splitlines()
    assert json.loads(postgresql) == options
    assert json.loads(sqlite) is None  # SQLite has nothing of it


@pytest.mark.django_db
def test_a_statement_run_five_times_on_a_connection_is_prepared_on_the_server(county):
    from django.db import connection

    from tongban.core.models import Region

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%core_region%"])
        before = cursor.fetchone()[0]
        for _ in range(6):
            Region.objects.filter(code=county.code).first()
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%core_region%"])
        assert cursor.fetchone()[0] == before + 1


@pytest.mark.parametrize(
    ("cache_url", "engine"),
    [
        ("", "tongban.accounts.sessions.db"),
        ("redis://127.0.0.1:6379/9", "tongban.accounts.sessions.cached_db"),
    ],
)
def test_sessions_are_read_from_redis_only_when_the_cache_is_shared(cache_url, engine, tmp_path):
    """A per-process cache would keep a session another worker revoked: without Redis, sessions stay in the DB."""
    script = "import tongban.settings as s; print(getattr(s, 'SESSION_ENGINE', 'django.contrib.sessions.backends.db'))"
    env = {**os.environ, "TONGBAN_CACHE_URL": cache_url, "TONGBAN_VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    completed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == engine


@pytest.mark.django_db
def test_a_flushed_database_forgets_the_kept_region(county, monkeypatch):
    from django.apps import apps
    from django.db.models.signals import post_migrate

    monkeypatch.setattr(context_processors, "_in_transaction", lambda: False)
    monkeypatch.setattr(context_processors, "_region", None)
    assert context_processors.shell_region() == county
    post_migrate.send(
        sender=apps.get_app_config("core"),
        app_config=apps.get_app_config("core"),
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )
    assert context_processors._region is None


def test_the_redis_cache_makes_one_client_per_connection_pool():
    """Django builds a redis.Redis (with its ~170 response callbacks) on every cache call; ours once per pool."""
    from tongban.core.cache_redis import RedisCache

    cache = RedisCache("redis://127.0.0.1:6379/9", {})._cache  # no connection is opened until a command is sent
    reader, writer = cache.get_client("k"), cache.get_client("k", write=True)
    assert reader is writer is cache.get_client()  # one server: reads and writes share its pool
    assert reader.connection_pool is cache._get_connection_pool(False)
    other = RedisCache("redis://127.0.0.1:6379/8", {})._cache.get_client()
    assert other is not reader and other.connection_pool.connection_kwargs["db"] == 8
