"""Case deadlines in working days on the core calendar (行政许可法 arts. 32, 42, 82).

- Acceptance: the organisation decides whether to accept within 5 working days of the day the materials were
  complete (receipt, or receipt of the supplement); if it does not, the application counts as accepted from that day.
- Completion: from the day of acceptance, the item version's promised limit (承诺办结时限) and statutory limit
  (法定办结时限), each in working or natural days as the guide states.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tongban.catalog.models import ItemVersion, TimeUnit
from tongban.core.calendar import add_working_days

ACCEPTANCE_WORKING_DAYS = 5


@dataclass(frozen=True)
class CompletionDates:
    """The promised and statutory completion dates of an accepted case."""

    promised: dt.date
    statutory: dt.date
    provisional: bool


def acceptance_due(materials_complete_on: dt.date) -> tuple[dt.date, bool]:
    """The last day the organisation may act on acceptance, and whether the calendar for it is provisional."""
    result = add_working_days(materials_complete_on, ACCEPTANCE_WORKING_DAYS)
    return result.date, result.provisional


def _after(start: dt.date, amount: int, unit: str) -> tuple[dt.date, bool]:
    if unit == TimeUnit.NATURAL_DAY:
        return start + dt.timedelta(days=amount), False
    result = add_working_days(start, amount)
    return result.date, result.provisional


def completion_dates(version: ItemVersion, accepted_on: dt.date) -> CompletionDates:
    """The dates by which an accepted case must be decided, counted from the day of acceptance."""
    promised, promised_provisional = _after(accepted_on, version.promised_limit, version.promised_limit_unit)
    statutory, statutory_provisional = _after(accepted_on, version.statutory_limit, version.statutory_limit_unit)
    return CompletionDates(promised, statutory, promised_provisional or statutory_provisional)


# Warnings (预警): yellow when this many working days or fewer remain, red once the date has passed.
WARNING_WORKING_DAYS = 2


def warning_horizon(today: dt.date) -> dt.date:
    """The last date that counts as "due soon" today: dates on or before it (and not yet past) are yellow."""
    return add_working_days(today, WARNING_WORKING_DAYS).date


def warning_level(due: dt.date | None, today: dt.date, horizon: dt.date | None = None) -> str:
    """ "red" when `due` has passed, "yellow" when it is within WARNING_WORKING_DAYS working days, else "".

    Pass `horizon` (warning_horizon(today)) when classifying many dates, so the calendar is read once.
    """
    if due is None:
        return ""
    if due < today:
        return "red"
    if due <= (horizon or warning_horizon(today)):
        return "yellow"
    return ""
