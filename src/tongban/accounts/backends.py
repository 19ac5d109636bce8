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

from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from tongban.core.db.rows import ModelRow, get_by_pk, model_row


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


def _user_row() -> ModelRow:
    return model_row(get_user_model())


def joined_user_columns() -> str:
    """The user's columns, qualified by "u", for a statement that joins the user's table as u (its last columns)."""
    return _user_row().columns("u")


def joined_user(values) -> object | None:
    """The user built from a joined statement's user columns (joined_user_columns, in order), None when the join
    found no row (every column NULL)."""
    return _user_row().build_joined(values)


def _load_user(user_id):
    """The user with this primary key as the ORM would build it, or None."""
    model = get_user_model()
    try:
        return get_by_pk(model, user_id)
    except model.DoesNotExist:
        return None
