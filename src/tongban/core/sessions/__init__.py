"""Django's database session stores with the session row read by one plain statement.

Every signed-in request loads its session. Django's stores read the row with `Session.objects.get(...)`, and
compiling that queryset cost about 0.3 ms of CPU per request. This is the largest part of a signed-in list request
once its own SQL is written out (issue 5, docs/performance.md "Hot lists in hand-written SQL"). The statement below
reads the same row under the same conditions: the key, and an expiry still in the future. It then hands Django's
code the two columns it uses. Everything else is Django's own code: writing, deleting, `clear_expired`, the cache
of `cached_db`, the encoding.

settings.SESSION_ENGINE names `tongban.core.sessions.db`, or `tongban.core.sessions.cached_db` when Redis is
configured.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connections, router
from django.utils import timezone

from tongban.core.db.values import aware_datetime


class StoredSession(NamedTuple):
    """The columns of a session row that Django's stores read after loading it."""

    session_data: str
    expire_date: object  # an aware datetime


class PlainReadMixin:
    """Reads the session row with one statement in place of a compiled queryset (for Django's db-backed stores)."""

    def _get_session_from_db(self):
        key = self.session_key  # None for a missing or malformed key (Django validates it when set)
        row = None
        if key is not None:
            model = self.model
            connection = connections[router.db_for_read(model)]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT session_data, expire_date FROM {model._meta.db_table}"  # noqa: S608 — the table's name
                    " WHERE session_key = %s AND expire_date > %s",
                    [key, timezone.now()],
                )
                row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store does: a new session gets a new key
            return None
        return StoredSession(row[0], aware_datetime(row[1]))
