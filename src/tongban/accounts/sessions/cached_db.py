"""SESSION_ENGINE with Redis: sessions read from the cache, written through to the database (see
tongban.accounts.sessions)."""

from django.contrib.sessions.backends import cached_db

from tongban.accounts.sessions import PlainReadMixin


class SessionStore(PlainReadMixin, cached_db.SessionStore):
    """Django's cached database session store, its row (on a cache miss) read by one plain statement."""
