"""The licence data (证照数据) that is sealed: built once at issue, canonicalised, stored byte for byte.

Canonical form (what the SM2 seal signature's SM3 data hash covers): the JSON object below serialised with keys
sorted at every level, no insignificant whitespace (separators "," and ":"), non-ASCII characters written as
themselves (no \\u escapes), encoded as UTF-8, no trailing newline. Dates are ISO 8601 (YYYY-MM-DD); a long-term
licence has "validUntil": null. The stored bytes are authoritative: verification hashes them as stored and never
re-serialises (so a later change of this code cannot invalidate an old licence).

    {"format": "tongban-licence/1", "identifier": ..., "licenceType": {"code", "name"}, "serial", "version",
     "holder": {"name", "idType", "idNumber"}, "issuer": {"name", "code"}, "issueDate", "validFrom",
     "validUntil", "regionCode", "fields": {...}, "sourceCase": case number or null}
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

DATA_FORMAT = "tongban-licence/1"


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a JSON value: sorted keys, no whitespace, UTF-8 (see the module docstring)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


IMPORT_SOURCE = "历史数据导入"  # the "source" of a paper-era licence entered by licences/imports.py


def licence_document(licence) -> dict:
    """The data of a licence as the JSON object that is canonicalised and sealed (status is not part of it).

    An imported paper-era licence also carries "licenceNumber" (the number printed on the paper) and "source";
    issued licences do not, so their data stays exactly as before."""
    document = {
        "format": DATA_FORMAT,
        "identifier": licence.identifier,
        "licenceType": {"code": licence.licence_type.code, "name": licence.licence_type.name},
        "serial": licence.serial,
        "version": licence.version,
        "holder": {
            "name": licence.holder_name,
            "idType": licence.holder_id_type,
            "idNumber": licence.holder_id_number,
        },
        "issuer": {"name": licence.issuer.name, "code": licence.issuer.uscc},
        "issueDate": _date(licence.issued_on),
        "validFrom": _date(licence.valid_from),
        "validUntil": _date(licence.valid_until),
        "regionCode": licence.region_code,
        "fields": licence.fields,
        "sourceCase": licence.source_case.number if licence.source_case_id else None,
    }
    if getattr(licence, "imported", False):
        document |= {"licenceNumber": licence.licence_number, "source": IMPORT_SOURCE}
    return document


def valid_until(issued_on: dt.date, years: int | None) -> dt.date | None:
    """The last day of validity: the day before the same date `years` later (29 Feb falls back to 28); None = 长期."""
    if years is None:
        return None
    try:
        anniversary = issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February in a non-leap year
        anniversary = issued_on.replace(year=issued_on.year + years, day=28)
    return anniversary - dt.timedelta(days=1)
