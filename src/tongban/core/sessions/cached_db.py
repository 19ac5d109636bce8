"""SESSION_ENGINE with Redis: sessions read from the cache, written through to the database (see
tongban.core.sessions)."""

from django.contrib.sessions.backends import cached_db

from tongban.core.sessions import PlainReadMixin


class SessionStore(PlainReadMixin, cached_db.SessionStore):
    """Django's cached database session store, its row (on a cache miss) read by one plain statement."""
