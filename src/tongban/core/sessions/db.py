"""SESSION_ENGINE without Redis: sessions in the database (see tongban.core.sessions)."""

from django.contrib.sessions.backends import db

from tongban.core.sessions import PlainReadMixin


class SessionStore(PlainReadMixin, db.SessionStore):
    """Django's database session store, its row read by one plain statement."""
