"""Periodic jobs of cases (discovered by core.jobs): deemed acceptance, draft expiry and the overdue scan
(cases/overdue.py).

All are safe to run twice at once: each case is handled in its own transaction under a row lock, and a case
already handled is skipped.
"""

from datetime import timedelta

from tongban.cases import overdue, services
from tongban.core.jobs import periodic


@periodic("cases.deem_overdue_acceptances", every=timedelta(hours=1))
def deem_overdue_acceptances() -> int:
    """行政许可法 art. 32: a received case not acted on by its acceptance deadline counts as accepted (督办)."""
    return services.deem_overdue_acceptances()


@periodic("cases.expire_drafts", every=timedelta(days=1))
def expire_drafts() -> int:
    """Drafts untouched for TONGBAN_DRAFT_DAYS days are deleted (their uploads stay with the uploader)."""
    return services.expire_drafts()


@periodic("cases.overdue_scan", every=timedelta(minutes=15))
def overdue_scan() -> int:
    """Mark overdue review tasks, escalate fired timers to heads, flag cases past their statutory date (督办)."""
    result = overdue.scan()
    return result.overdue + result.escalated + result.flagged_cases
