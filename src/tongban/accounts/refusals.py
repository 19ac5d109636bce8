"""Audited refusals: a refused identity action leaves an audit row and nothing else.

The issue asks that a wrong ID number, a name that does not match the registry, an unknown credit code or an expired
authorisation each be audited and change nothing. An audit row written inside the service's transaction would be
rolled back together with the refusal, so the refusal is recorded in its own short transaction and then raised.
(Called inside an outer transaction — a test, a view under ATOMIC_REQUESTS — the row commits or rolls back with it.)
"""

from __future__ import annotations

from typing import NoReturn

from django.db import transaction

from tongban.core import audit
from tongban.core.errors import DomainError


def refuse(error: DomainError, *, actor, action: str, obj=None, reason: str = "", **details) -> NoReturn:
    """Record `action` (a refusal) with the error code and reason, then raise the error."""
    after = {"refused": error.code.code, "reason": reason or error.code.name.lower(), **details}
    with transaction.atomic():
        audit.record(actor=actor, action=action, obj=obj, after=after)
    raise error
