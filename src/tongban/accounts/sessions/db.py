"""SESSION_ENGINE without Redis: sessions in the database (see tongban.accounts.sessions)."""

from django.contrib.sessions.backends import db

from tongban.accounts.sessions import PlainReadMixin


class SessionStore(PlainReadMixin, db.SessionStore):
    """Django's database session store, its row read by one plain statement."""
