"""The session stores (tongban.core.sessions): Django's, with the row read by one plain statement. The same rows are
read under the same conditions, on SQLite and PostgreSQL, with and without the cache in front."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tongban.core.sessions import cached_db, db

pytestmark = pytest.mark.django_db

STORES = [db.SessionStore, cached_db.SessionStore]


def _saved(store_class, **data) -> str:
    store = store_class()
    store.update(data)
    store.save()
    return store.session_key


@pytest.mark.parametrize("store_class", STORES)
def test_a_saved_session_is_read_back_with_one_plain_statement(store_class):
    key = _saved(store_class, user="42", acting=7)
    caches["default"].clear()  # cached_db: make it go to the database
    store = store_class(session_key=key)
    with CaptureQueriesContext(connection) as queries:
        assert dict(store.items()) == {"user": "42", "acting": 7}
    [query] = queries.captured_queries
    assert query["sql"].startswith("SELECT session_data, expire_date FROM django_session WHERE session_key = ")
    assert store.session_key == key


def test_cached_db_keeps_the_session_it_read_from_the_database():
    key = _saved(cached_db.SessionStore, user="42")
    caches["default"].clear()
    assert cached_db.SessionStore(session_key=key)["user"] == "42"
    Session.objects.filter(session_key=key).update(session_data="garbage")  # the cache answers now, not the row
    with CaptureQueriesContext(connection) as queries:
        assert cached_db.SessionStore(session_key=key)["user"] == "42"
    assert queries.captured_queries == []
    assert caches["default"].get(cached_db.SessionStore(session_key=key).cache_key) == {"user": "42"}


@pytest.mark.parametrize("store_class", STORES)
def test_an_expired_an_unknown_or_a_malformed_key_reads_as_a_new_empty_session(store_class):
    key = _saved(store_class, user="42")
    caches["default"].clear()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    for asked in (key, "x" * 32, "short"):
        store = store_class(session_key=asked)
        assert dict(store.items()) == {}
        assert store.session_key is None  # saving it makes a new key; the old one is never revived
    store = store_class(session_key=key)
    store["user"] = "43"
    store.save()
    assert store.session_key != key and Session.objects.filter(session_key=key).count() == 1
