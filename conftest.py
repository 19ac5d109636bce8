"""Test-wide setup.

- Uploaded files go to a temporary directory, never to var/.
- SQLite test databases are files in a temporary directory, not shared-cache memory: shared-cache memory databases
  answer "database table is locked" at once instead of waiting on the busy timeout, so concurrency tests could not
  exercise the IMMEDIATE-transaction locking the platform relies on (and the demo runs on a WAL file anyway).
- The SQLite flush between transactional tests is DELETE FROM, which the audit log's append-only triggers refuse;
  in test sessions the flush drops those triggers first and recreates them after. (PostgreSQL flushes with
  TRUNCATE, which row triggers do not see, so it needs nothing.)
"""

import pytest


def pytest_configure(config):
    """Tests create many accounts; the production PBKDF2 work factor would dominate the run. Hashing itself is
    Django's and is not what these tests prove (a test that needs the real hasher can override the setting)."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


SQLITE = "django.db.backends.sqlite3"


def _flush_around_audit_triggers() -> None:
    # Import through base: importing operations first is a circular import when SQLite is not the configured backend.
    from django.db.backends.sqlite3.base import DatabaseOperations

    original = DatabaseOperations.sql_flush
    if getattr(original, "_tongban_audit_aware", False):
        return

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        from tongban.core.audit import AUDIT_TABLE, trigger_statements

        if not statements or AUDIT_TABLE not in tables:
            return statements
        create, drop = trigger_statements(self.connection.vendor)
        return [*drop, *statements, *create]

    sql_flush._tongban_audit_aware = True
    DatabaseOperations.sql_flush = sql_flush


_flush_around_audit_triggers()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    from django.conf import settings

    for alias, db in settings.DATABASES.items():
        test = db.setdefault("TEST", {})
        if db["ENGINE"] == SQLITE and not test.get("MIRROR") and test.get("NAME") in (None, "", ":memory:"):
            test["NAME"] = str(tmp_path_factory.mktemp("db") / f"test_{alias}.sqlite3")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, signed in as it would be through the platform: the admin site also requires the
    second factor to have passed in this session (accounts/admin_site.py)."""
    client.force_login(admin_user)
    session = client.session
    session["second_factor_verified"] = True
    session.save()
    return client


@pytest.fixture(autouse=True)
def _outbox_dispatch_not_paused(monkeypatch):
    """A test that makes the broker fail pauses dispatching (core/outbox.py); never let that leak into the next."""
    from tongban.core import outbox

    monkeypatch.setattr(outbox, "_broker_paused_until", 0.0)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached guides, rate-limit counts and lists keyed by ids must never
    outlive the test database they were read from."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def own_generation_cache(settings, tmp_path):
    """For tests of answers kept under a generation (core/generation_cache.py), run outside a test transaction: the
    test keeps its generation stamps and its kept answers to itself (ids repeat across test databases)."""
    from django.core.cache import caches

    settings.VAR_DIR = tmp_path
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture(autouse=True)
def _no_guide_views_across_tests():
    """Guide views are counted in the process and written later (catalog/portal.GUIDE_VIEWS): one test's views must
    never be written into the next test's database, whose items may reuse the ids (browser journeys included)."""
    from tongban.catalog import portal

    portal.GUIDE_VIEWS.discard()
    yield
    portal.GUIDE_VIEWS.discard()
