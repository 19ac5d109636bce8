"""SessionUserBackend (accounts/backends.py): a session started by the platform loads its user with one plain
statement, as the ORM would build it; inactive and unknown users are nobody; sessions naming ModelBackend still work."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, get_user
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from tongban.accounts.backends import SessionUserBackend
from tongban.accounts.models import User, UserSession
from tongban.accounts.signin import SESSION_BACKEND, session_start
from tongban.accounts.tests.identity_fixtures import LI_ID, registries, verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def li(db):
    registries()
    return verified("13805710003", "李建国", LI_ID)


def _request():
    request = RequestFactory().get("/cases/mine/", REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="test")
    SessionMiddleware(lambda _request: None).process_request(request)
    return request


def _signed_in_session(user: User) -> str:
    request = RequestFactory().post("/accounts/sign-in/", REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="test")
    SessionMiddleware(lambda _request: None).process_request(request)
    session_start(request, user, method="sms")
    request.session.save()
    return request.session.session_key


def _next_request(session_key: str):
    request = _request()
    request.session = request.session.__class__(session_key)
    return request


def _fields(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def _assert_built_as_the_orm_builds_it(loaded: User, li: User) -> None:
    orm = User.objects.get(pk=li.pk)
    assert _fields(loaded) == _fields(orm)
    assert loaded.phone == "13805710003" and loaded.id_number == LI_ID  # decrypted, as the ORM gives them
    assert loaded.date_joined.tzinfo is not None and loaded.is_authenticated


def test_a_platform_session_reads_its_user_with_the_session_as_the_orm_builds_it(li):
    key = _signed_in_session(li)
    request = _next_request(key)
    with CaptureQueriesContext(connection) as queries:
        assert request.session[BACKEND_SESSION_KEY] == SESSION_BACKEND
        loaded = get_user(request)
    [query] = queries.captured_queries  # the session's statement, which read the user too
    assert query["sql"].startswith('SELECT s.session_data, s.expire_date, u."id", u."password", u."last_login", ')
    _assert_built_as_the_orm_builds_it(loaded, li)


def test_without_its_usersession_row_a_session_reads_its_user_with_one_plain_statement(li):
    key = _signed_in_session(li)
    UserSession.objects.filter(session_key=key).delete()
    request = _next_request(key)
    assert request.session[BACKEND_SESSION_KEY] == SESSION_BACKEND
    with CaptureQueriesContext(connection) as queries:
        loaded = get_user(request)
    [query] = queries.captured_queries  # (the session was read above)
    assert query["sql"].startswith('SELECT "id", "password", "last_login", ')  # the plain statement, not the ORM's
    assert ' FROM "accounts_user" WHERE "id" = ' in query["sql"]
    _assert_built_as_the_orm_builds_it(loaded, li)


def test_an_inactive_or_missing_user_is_nobody(li):
    backend = SessionUserBackend()
    assert backend.get_user(li.pk).pk == li.pk
    assert backend.get_user(987654321) is None
    User.objects.filter(pk=li.pk).update(is_active=False)
    assert backend.get_user(li.pk) is None
    assert backend.authenticate(None, username=li.username, password="anything") is None


def test_a_session_naming_django_model_backend_still_loads_its_user(li, client):
    client.force_login(li)  # ModelBackend: the first of AUTHENTICATION_BACKENDS
    assert client.session[BACKEND_SESSION_KEY] == "django.contrib.auth.backends.ModelBackend"
    request = _next_request(client.session.session_key)
    assert get_user(request).pk == li.pk
