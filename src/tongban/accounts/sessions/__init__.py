"""Django's database session stores, with the session row and its user read by one plain statement.

Every signed-in request loads its session, then its user. Django's stores read the session row with
`Session.objects.get(...)` (compiling that queryset cost about 0.3 ms of CPU per request), and the user is a second
round trip. The statement below reads the same session row under the same conditions (the key, and an expiry still in
the future) and, through the session's UserSession row (made by signin.session_start for every sign-in), the user's row
beside it. It hands Django's code the two session columns it uses, and the user to the authentication backend
(accounts/backends.py `preload`), which takes it only when it is the user the session names; a session without a
UserSession row simply has its user read apart, as before. Everything else is Django's own code: writing, deleting,
`clear_expired`, the cache of `cached_db`, the encoding.

settings.SESSION_ENGINE names `tongban.accounts.sessions.db`, or `tongban.accounts.sessions.cached_db` when Redis is
configured.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connections, router
from django.utils import timezone

from tongban.accounts import backends
from tongban.accounts.models import User, UserSession
from tongban.core.db.values import aware_datetime


class StoredSession(NamedTuple):
    """The columns of a session row that Django's stores read after loading it."""

    session_data: str
    expire_date: object  # an aware datetime


class PlainReadMixin:
    """Reads the session row (and its user) with one statement in place of a compiled queryset (for Django's
    db-backed stores)."""

    def load(self):
        backends.preload(None)  # a session answered from the cache reads no user: get_user reads it
        return super().load()

    def _get_session_from_db(self):
        key = self.session_key  # None for a missing or malformed key (Django validates it when set)
        row = None
        if key is not None:
            model = self.model
            connection = connections[router.db_for_read(model)]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT s.session_data, s.expire_date, {backends.joined_user_columns()}"  # noqa: S608 — names only
                    f" FROM {model._meta.db_table} s"
                    f" LEFT JOIN {UserSession._meta.db_table} us ON us.session_key = s.session_key"
                    f" LEFT JOIN {User._meta.db_table} u ON u.id = us.user_id"
                    " WHERE s.session_key = %s AND s.expire_date > %s",
                    [key, timezone.now()],
                )
                row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store does: a new session gets a new key
            return None
        backends.preload(backends.joined_user(row[2:]))
        return StoredSession(row[0], aware_datetime(row[1]))
