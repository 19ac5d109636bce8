"""The working-day calendar (工作日): statutory limits are counted in working days (行政许可法 art. 82).

A day is a working day when it is Monday-Friday and not a holiday, or a weekend day marked as an adjusted working
day (调休上班). The exceptions live in CalendarDay, seeded from `chinesecalendar` and maintained in the admin.
A year without a CalendarYear row has no published schedule: its CalendarDay rows (if any) still apply, weekends
are rest days, and every answer that touches it is marked provisional.

Conventions (the same as counting statutory periods, 民法典 art. 201: the starting day is not counted):
- `working_days_between(a, b)` counts working days in (a, b]; negative when b is before a.
- `add_working_days(start, n)`, n > 0: the n-th working day after `start`, so working_days_between(start, result)
  == n. A case accepted on day D with a 20-working-day limit is due on add_working_days(D, 20).
- n == 0: `start` when it is a working day, else the next working day (a date received on a holiday moves on).
- n < 0: the |n|-th working day before `start` (start itself not counted).

The exceptions are read in two queries and cached per process; saves and deletes in this process clear the cache
(signals), and other processes pick up admin edits within CACHE_SECONDS.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from tongban.core import audit
from tongban.core.errors import CoreError, DomainError
from tongban.core.models import CalendarDay, CalendarYear

CACHE_SECONDS = 60
_MAX_ORDINAL = dt.date.max.toordinal()


@dataclass(frozen=True)
class WorkingDayResult:
    """A date computed on the calendar; provisional when a year it spans has no published schedule."""

    date: dt.date
    provisional: bool


@dataclass(frozen=True)
class WorkingDayCount:
    """A number of working days; provisional when a year it spans has no published schedule."""

    days: int
    provisional: bool


@dataclass(frozen=True)
class _Exceptions:
    """The calendar's departures from the weekly pattern, as sorted day ordinals for counting by bisection."""

    kind_by_ordinal: dict[int, str]
    weekday_holidays: list[int]
    weekend_workdays: list[int]
    published_years: frozenset[int]
    loaded_at: float = field(default_factory=time.monotonic)


_lock = threading.Lock()
_cached: _Exceptions | None = None
# Set in a thread that changed the calendar inside a transaction: until that transaction ends, this thread reads
# the calendar fresh and caches nothing, so rolled-back edits never reach the shared cache.
_local = threading.local()


def invalidate_cache(**_kwargs) -> None:
    """Forget the cached exceptions (connected to saves and deletes of CalendarDay and CalendarYear)."""
    global _cached
    _cached = None
    if connection.in_atomic_block:
        _local.dirty = True
        transaction.on_commit(_forget)


def _forget() -> None:
    global _cached
    _cached = None


for _model in (CalendarDay, CalendarYear):
    post_save.connect(invalidate_cache, sender=_model, dispatch_uid=f"calendar-cache-save-{_model.__name__}")
    post_delete.connect(invalidate_cache, sender=_model, dispatch_uid=f"calendar-cache-delete-{_model.__name__}")


def _load() -> _Exceptions:
    kind_by_ordinal: dict[int, str] = {}
    weekday_holidays, weekend_workdays = [], []
    for day, kind in CalendarDay.objects.order_by("date").values_list("date", "kind"):
        ordinal = day.toordinal()
        kind_by_ordinal[ordinal] = kind
        weekend = day.weekday() >= 5
        if kind == CalendarDay.Kind.HOLIDAY and not weekend:
            weekday_holidays.append(ordinal)
        elif kind == CalendarDay.Kind.WORKDAY and weekend:
            weekend_workdays.append(ordinal)
    published = frozenset(CalendarYear.objects.values_list("year", flat=True))
    return _Exceptions(kind_by_ordinal, weekday_holidays, weekend_workdays, published)


def _exceptions() -> _Exceptions:
    global _cached
    if getattr(_local, "dirty", False):
        if connection.in_atomic_block:
            return _load()
        _local.dirty = False
    current = _cached
    if current is None or time.monotonic() - current.loaded_at > CACHE_SECONDS:
        with _lock:
            current = _load()
            _cached = current
    return current


def _weekdays_through(ordinal: int) -> int:
    """Mondays-Fridays in ordinals 1..ordinal (ordinal 1, 0001-01-01, is a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


def _count(ex: _Exceptions, first: int, last: int) -> int:
    """Working days in the ordinal range [first, last]."""
    if first > last:
        return 0
    weekdays = _weekdays_through(last) - _weekdays_through(first - 1)
    holidays = bisect.bisect_right(ex.weekday_holidays, last) - bisect.bisect_left(ex.weekday_holidays, first)
    workdays = bisect.bisect_right(ex.weekend_workdays, last) - bisect.bisect_left(ex.weekend_workdays, first)
    return weekdays - holidays + workdays


def _is_working(ex: _Exceptions, ordinal: int) -> bool:
    kind = ex.kind_by_ordinal.get(ordinal)
    if kind is not None:
        return kind == CalendarDay.Kind.WORKDAY
    return (ordinal - 1) % 7 < 5


def _provisional(ex: _Exceptions, first: int, last: int) -> bool:
    """Whether any year overlapping the ordinal range [first, last] lacks a published schedule."""
    if first > last:
        return False
    first_year, last_year = dt.date.fromordinal(first).year, dt.date.fromordinal(last).year
    published = sum(1 for year in ex.published_years if first_year <= year <= last_year)
    return published < last_year - first_year + 1


def _out_of_range() -> DomainError:
    return DomainError(CoreError.CALENDAR_INVALID, _("计算结果超出可表示的日期范围（公元 1 年至 9999 年）"))


def is_working_day(day: dt.date) -> bool:
    """Whether `day` is a working day (weekends only for years without a published schedule)."""
    return _is_working(_exceptions(), day.toordinal())


def is_provisional(day: dt.date) -> bool:
    """Whether `day` falls in a year with no published holiday schedule."""
    return day.year not in _exceptions().published_years


def working_days_between(start: dt.date, end: dt.date) -> WorkingDayCount:
    """Working days in (start, end]; negative when end is before start."""
    ex = _exceptions()
    a, b = start.toordinal(), end.toordinal()
    low, high = min(a, b), max(a, b)
    days = _count(ex, low + 1, high)
    return WorkingDayCount(days=days if b >= a else -days, provisional=_provisional(ex, low + 1, high))


def _first_reaching(ex: _Exceptions, origin: int, n: int) -> int:
    """Smallest ordinal x > origin with n working days in (origin, x]; n >= 1."""
    if origin >= _MAX_ORDINAL:
        raise _out_of_range()
    span = n * 7 // 5 + 14
    while _count(ex, origin + 1, min(origin + span, _MAX_ORDINAL)) < n:
        if origin + span >= _MAX_ORDINAL:
            raise _out_of_range()
        span *= 2
    low, high = origin + 1, min(origin + span, _MAX_ORDINAL)
    while low < high:
        middle = (low + high) // 2
        if _count(ex, origin + 1, middle) >= n:
            high = middle
        else:
            low = middle + 1
    return low


def _last_reaching(ex: _Exceptions, origin: int, n: int) -> int:
    """Largest ordinal x < origin with n working days in [x, origin); n >= 1."""
    if origin <= 1:
        raise _out_of_range()
    span = n * 7 // 5 + 14
    while _count(ex, max(origin - span, 1), origin - 1) < n:
        if origin - span <= 1:
            raise _out_of_range()
        span *= 2
    low, high = max(origin - span, 1), origin - 1
    while low < high:
        middle = (low + high + 1) // 2
        if _count(ex, middle, origin - 1) >= n:
            low = middle
        else:
            high = middle - 1
    return low


def add_working_days(start: dt.date, n: int) -> WorkingDayResult:
    """The date n working days after `start` (see the module docstring for n == 0 and n < 0)."""
    ex = _exceptions()
    origin = start.toordinal()
    if n > 0:
        result = _first_reaching(ex, origin, n)
        provisional = _provisional(ex, origin + 1, result)
    elif n < 0:
        result = _last_reaching(ex, origin, -n)
        provisional = _provisional(ex, result, origin - 1)
    else:
        result = origin if _is_working(ex, origin) else _first_reaching(ex, origin, 1)
        provisional = _provisional(ex, origin, result)
    return WorkingDayResult(date=dt.date.fromordinal(result), provisional=provisional)


def next_year_missing(today: dt.date | None = None) -> int | None:
    """Next year (relative to today) when it has no published schedule yet, else None; for the admin warning."""
    from django.utils import timezone

    year = (today or timezone.localdate()).year + 1
    return None if CalendarYear.objects.filter(year=year).exists() else year


# ---------------------------------------------------------------------------------------------------------------
# Seeding from chinesecalendar


@dataclass
class CalendarSeedResult:
    """What seed_calendar did: years loaded (new or forced), years kept because they were already loaded."""

    loaded_years: list[int] = field(default_factory=list)
    kept_years: list[int] = field(default_factory=list)
    days_written: int = 0

    def __str__(self) -> str:
        loaded = _year_ranges(self.loaded_years) or _("无")
        kept = _year_ranges(self.kept_years) or _("无")
        return _("载入年份：%(loaded)s（共 %(days)d 天）；保留已有年份：%(kept)s") % {
            "loaded": loaded,
            "days": self.days_written,
            "kept": kept,
        }


def _year_ranges(years: list[int]) -> str:
    """[2004, 2005, 2006, 2010] -> "2004-2006、2010"."""
    parts: list[str] = []
    for year in sorted(years):
        if parts and parts[-1][1] == year - 1:
            parts[-1][1] = year
        else:
            parts.append([year, year])
    return "、".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def package_schedule() -> tuple[str, dict[int, list[CalendarDay]]]:
    """The holiday schedules shipped in chinesecalendar, by year, as unsaved CalendarDay rows."""
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    def name(english: str) -> str:
        try:
            return Holiday(english).chinese
        except ValueError:
            return english[:50]

    by_year: dict[int, list[CalendarDay]] = {}
    for day, english in chinese_calendar.holidays.items():
        by_year.setdefault(day.year, []).append(
            CalendarDay(date=day, kind=CalendarDay.Kind.HOLIDAY, name=name(english))
        )
    for day, english in chinese_calendar.workdays.items():
        if day.weekday() >= 5:  # the package lists adjusted working days here; plain weekdays need no row
            by_year.setdefault(day.year, []).append(
                CalendarDay(date=day, kind=CalendarDay.Kind.WORKDAY, name=name(english))
            )
    return f"chinesecalendar {chinese_calendar.__version__}", by_year


@transaction.atomic
def seed_calendar(*, actor=None, force: bool = False) -> CalendarSeedResult:
    """Load every year chinesecalendar covers. Years already loaded keep their (possibly admin-edited) rows unless
    `force`, which replaces them with the package's. Idempotent; one audit row when anything was written."""
    source, by_year = package_schedule()
    already = set(CalendarYear.objects.values_list("year", flat=True))
    result = CalendarSeedResult()
    for year in sorted(by_year):
        if year in already and not force:
            result.kept_years.append(year)
            continue
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(sorted(by_year[year], key=lambda d: d.date))
        CalendarYear.objects.update_or_create(year=year, defaults={"source": source, "note": ""})
        result.loaded_years.append(year)
        result.days_written += len(by_year[year])
    invalidate_cache()
    if result.loaded_years:
        audit.record(
            actor=actor,
            action="calendar.seed",
            object_type="core.calendaryear",
            object_repr=source,
            after={"source": source, "force": force, "years": result.loaded_years, "days": result.days_written},
        )
    return result


# ---------------------------------------------------------------------------------------------------------------
# Single edits (the admin)


@transaction.atomic
def calendar_entry_save(*, actor, obj: CalendarDay | CalendarYear, before: dict | None) -> None:
    """Save an admin-edited CalendarDay or CalendarYear and audit it (`before` is None for a new row)."""
    obj.save()
    label = obj._meta.model_name
    after = audit.snapshot(obj)
    action = f"{label}.create" if before is None else f"{label}.update"
    audit.record(actor=actor, action=action, obj=obj, before=before, after=after)
    invalidate_cache()


@transaction.atomic
def calendar_entry_delete(*, actor, obj: CalendarDay | CalendarYear) -> None:
    """Delete a CalendarDay or CalendarYear and audit it."""
    before = audit.snapshot(obj)
    obj_id, label, text = obj.pk, obj._meta.model_name, str(obj)
    obj.delete()
    audit.record(
        actor=actor,
        action=f"{label}.delete",
        object_type=f"core.{label}",
        object_id=str(obj_id),
        object_repr=text,
        before=before,
    )
    invalidate_cache()
