"""Numbering: daily serials per prefix, and case numbers (办件编号).

A serial is taken with one atomic upsert, so two callers can never read the same value: the row lock taken by the
INSERT ... ON CONFLICT ... DO UPDATE holds until the caller's transaction ends, and a caller that rolls back gives
its number back (serials are gap-free among committed callers on PostgreSQL; on SQLite writers are serialised).
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.utils.translation import gettext as _

from tongban.core.errors import CoreError, DomainError
from tongban.core.models import SerialCounter

CASE_SERIAL_DIGITS = 4
CASE_SERIAL_MAX = 10**CASE_SERIAL_DIGITS - 1
IMPLEMENTATION_CODE_LENGTH = 31
_IMPLEMENTATION_CODE = re.compile(r"^[0-9A-Z]{31}$")
_PREFIX_MAX = SerialCounter._meta.get_field("prefix").max_length


# One statement on both SQLite (>= 3.35) and PostgreSQL: insert 1, or add 1 to the existing row, and return it.
_TAKE_SERIAL = (
    "INSERT INTO core_serialcounter (prefix, day, value) VALUES (%s, %s, 1) "
    "ON CONFLICT (prefix, day) DO UPDATE SET value = core_serialcounter.value + 1 "
    "RETURNING value"
)


def next_serial(prefix: str, day: dt.date) -> int:
    """The next serial (1, 2, 3, ...) for `prefix` on `day`, taken in the caller's transaction."""
    if not prefix or len(prefix) > _PREFIX_MAX:
        raise DomainError(CoreError.INVALID_INPUT, _("流水号前缀应为 1 至 %(max)d 个字符") % {"max": _PREFIX_MAX})
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_SERIAL, [prefix, day])
        (value,) = cursor.fetchone()
    return int(value)


def case_number(implementation_code: str, day: dt.date) -> str:
    """办件编号: the 31-character implementation code + yyyymmdd + a 4-digit daily serial for that code."""
    if not _IMPLEMENTATION_CODE.match(implementation_code):
        raise DomainError(CoreError.INVALID_INPUT, _("实施编码应为 31 位数字或大写字母"))
    serial = next_serial(f"case:{implementation_code}", day)
    if serial > CASE_SERIAL_MAX:
        raise DomainError(CoreError.SERIAL_EXHAUSTED)
    return f"{implementation_code}{day:%Y%m%d}{serial:0{CASE_SERIAL_DIGITS}d}"
