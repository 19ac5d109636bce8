"""Column values read with hand-written SQL, typed as the ORM would type them.

PostgreSQL (psycopg) hands back typed values: aware datetimes, dates, UUIDs, booleans. SQLite hands back naive
datetimes (or their text, when a column reaches the result through a CTE and loses its declared type), dates as
text, UUIDs as 32 hex digits and booleans as 0/1. Statements that bypass the ORM (cases/list_queries.py, the session
store) pass what they read through these.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def aware_datetime(value) -> dt.datetime | None:
    """A stored datetime as an aware datetime: PostgreSQL's are aware already; SQLite's are naive in the connection's
    zone (UTC unless DATABASES sets TIME_ZONE), sometimes as text. As Django's SQLite converter does."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, connection.timezone)


def date_value(value) -> dt.date | None:
    """A stored date as a date (SQLite gives its ISO text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def uuid_value(value) -> uuid.UUID:
    """A stored UUID as a UUID (SQLite keeps 32 hex digits)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)
