"""The session stores (tongban.accounts.sessions): Django's, with the row read by one plain statement. The same rows are
read under the same conditions, on SQLite and PostgreSQL, with and without the cache in front. The statement also
reads the session's user (through its UserSession row), which the authentication backend takes instead of reading the
user again — only for the user the session names, only once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tongban.accounts import backends, signin
from tongban.accounts.models import User, UserKind, UserSession
from tongban.accounts.services import user_create
from tongban.accounts.sessions import cached_db, db

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
    assert query["sql"].startswith("SELECT s.session_data, s.expire_date, u.")
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


# ---------------------------------------------------------------------------------------------------------------
# The user read with the session


@pytest.fixture
def person():
    return user_create(actor=None, kind=UserKind.PERSON, username="13800000042", display_name="李四")


def _signed_in(user) -> Client:
    """A browser signed in through the platform's sign-in (session_start: Django login plus the UserSession row)."""
    client = Client()
    request = RequestFactory().get("/")
    SessionMiddleware(lambda request: None).process_request(request)
    signin.session_start(request, user, method="password")
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client


def _statements_of(client: Client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_a_signed_in_request_reads_its_session_and_user_in_one_statement(person):
    client = _signed_in(person)
    [session_and_user] = [sql for sql in _statements_of(client, "/api/v1/cases/mine") if "django_session" in sql]
    assert "accounts_usersession" in session_and_user and "accounts_user" in session_and_user
    user_table = User._meta.db_table
    assert not [sql for sql in _statements_of(client, "/api/v1/cases/mine") if f'FROM "{user_table}"' in sql]


def test_a_session_without_a_usersession_row_reads_its_user_apart(person):
    client = _signed_in(person)
    UserSession.objects.filter(user=person).delete()  # a session Django's own login started has none
    statements = _statements_of(client, "/api/v1/cases/mine")
    assert len([sql for sql in statements if f'FROM "{User._meta.db_table}"' in sql]) == 1


def test_a_deactivated_or_repassworded_user_is_signed_out_at_the_next_request(person):
    client = _signed_in(person)
    assert client.get("/api/v1/cases/mine").status_code == 200
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert client.get("/api/v1/cases/mine").status_code == 401
    User.objects.filter(pk=person.pk).update(is_active=True)
    client = _signed_in(person)
    assert client.get("/api/v1/cases/mine").status_code == 200
    person.set_password("Another-Passw0rd!")
    person.save(update_fields=["password"])  # the session's auth hash no longer matches
    assert client.get("/api/v1/cases/mine").status_code == 401


def test_the_preloaded_user_is_given_only_for_its_own_id_and_only_once(person):
    backend = backends.SessionUserBackend()
    backends.preload(person)
    assert backends.take_preloaded(person.pk + 1) is None  # another id: not given, and used up
    assert backends.take_preloaded(person.pk) is None
    backends.preload(person)
    with CaptureQueriesContext(connection) as queries:
        assert backend.get_user(str(person.pk)) is person
    assert queries.captured_queries == []
    with CaptureQueriesContext(connection) as queries:
        assert backend.get_user(str(person.pk)) == person  # used up: read again
    assert len(queries.captured_queries) == 1


@pytest.mark.parametrize("store_class", STORES)
def test_every_session_load_replaces_the_preloaded_user(store_class, person):
    key = _saved(store_class, user="42")
    backends.preload(person)
    store_class(session_key=key).load()  # no UserSession for this session: nobody preloaded
    assert backends.take_preloaded(person.pk) is None
    backends.preload(person)
    store_class(session_key=key).load()  # cached_db answers from the cache now: nobody preloaded either
    assert backends.take_preloaded(person.pk) is None
