"""Periodic jobs of licences (discovered by core.jobs): expiry and the reminders before it.

Both are safe to run twice at once: expiry is a conditional update per licence, and each reminder is sent under the
licence's row lock with a unique (licence, threshold) row, so nobody is told twice.
"""

from datetime import timedelta

from tongban.core.jobs import periodic
from tongban.licences import wallet


@periodic("licences.expiry", every=timedelta(days=1))
def licence_expiry() -> int:
    """Mark licences past their last valid day expired, then tell holders 30 and 7 days before expiry."""
    return wallet.licences_mark_expired() + wallet.expiry_reminders()
