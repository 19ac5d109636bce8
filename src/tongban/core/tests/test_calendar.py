import datetime as dt
import random

import chinese_calendar
import pytest
from django.core.management import call_command

from tongban.core import calendar
from tongban.core.calendar import WorkingDayCount, WorkingDayResult, add_working_days, working_days_between
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, CalendarDay, CalendarYear

D = dt.date
SOURCE = f"chinesecalendar {chinese_calendar.__version__}"
PACKAGE_DAYS = len(chinese_calendar.holidays) + sum(1 for d in chinese_calendar.workdays if d.weekday() >= 5)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts and ends with an empty calendar cache (test transactions roll back without signals)."""
    calendar._local.dirty = False
    calendar._forget()
    yield
    calendar._local.dirty = False
    calendar._forget()


@pytest.fixture
def seeded(db):
    result = calendar.seed_calendar()
    calendar._local.dirty = False  # cache as if the seeding had committed; the autouse fixture clears it after
    return result


# ------------------------------------------------------------------ seeding


def test_seed_loads_every_package_year_with_source_and_is_idempotent(db, capsys):
    call_command("seed_calendar")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"载入年份：2004-2026（共 {PACKAGE_DAYS} 天）；保留已有年份：无"
    assert list(CalendarYear.objects.values_list("year", "source")) == [(y, SOURCE) for y in range(2004, 2027)]
    assert CalendarDay.objects.count() == PACKAGE_DAYS
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    national_day_saturday = CalendarDay.objects.get(date=D(2026, 10, 10))
    assert (national_day_saturday.kind, national_day_saturday.name) == (CalendarDay.Kind.WORKDAY, "国庆节")
    assert AuditEntry.objects.filter(action="calendar.seed").count() == 1

    call_command("seed_calendar")
    assert capsys.readouterr().out.splitlines()[0] == "载入年份：无（共 0 天）；保留已有年份：2004-2026"
    assert CalendarDay.objects.count() == PACKAGE_DAYS
    assert AuditEntry.objects.filter(action="calendar.seed").count() == 1


def test_seed_keeps_admin_edits_unless_forced(seeded):
    CalendarDay.objects.filter(date=D(2026, 10, 10)).delete()
    CalendarDay.objects.create(date=D(2026, 12, 31), kind=CalendarDay.Kind.HOLIDAY, name="地方假日")
    result = calendar.seed_calendar()
    assert (result.loaded_years, result.days_written) == ([], 0)
    assert CalendarDay.objects.filter(date__in=[D(2026, 10, 10), D(2026, 12, 31)]).count() == 1

    forced = calendar.seed_calendar(force=True)
    assert forced.loaded_years == list(range(2004, 2027))
    assert CalendarDay.objects.filter(date=D(2026, 12, 31)).exists() is False
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).kind == CalendarDay.Kind.WORKDAY
    assert AuditEntry.objects.filter(action="calendar.seed").order_by("-id").first().after["force"] is True


def test_seed_warns_when_next_year_is_missing(db, capsys):
    call_command("seed_calendar")
    year = calendar.next_year_missing()
    lines = capsys.readouterr().out.splitlines()
    if year is None:
        assert len(lines) == 1
    else:
        assert lines[1].startswith(f"{year} 年的节假日安排尚未载入")


@pytest.mark.django_db
def test_next_year_missing():
    assert calendar.next_year_missing(D(2025, 6, 1)) == 2026
    CalendarYear.objects.create(year=2026)
    assert calendar.next_year_missing(D(2025, 6, 1)) is None
    assert calendar.next_year_missing(D(2026, 6, 1)) == 2027


# ------------------------------------------------------------------ answers on published years


def test_working_days_around_national_day_2026(seeded):
    assert calendar.is_working_day(D(2026, 9, 30)) is True
    assert calendar.is_working_day(D(2026, 10, 1)) is False
    assert calendar.is_working_day(D(2026, 10, 10)) is True  # Saturday worked in lieu (调休)
    assert calendar.is_working_day(D(2026, 10, 11)) is False
    expected = [D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 10), D(2026, 10, 12)]
    assert [add_working_days(D(2026, 9, 30), n) for n in (1, 2, 3, 4)] == [WorkingDayResult(d, False) for d in expected]
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == WorkingDayCount(4, False)
    assert working_days_between(D(2026, 10, 12), D(2026, 9, 30)) == WorkingDayCount(-4, False)
    assert working_days_between(D(2026, 10, 12), D(2026, 10, 12)) == WorkingDayCount(0, False)


def test_zero_and_negative_days(seeded):
    assert add_working_days(D(2026, 10, 3), 0) == WorkingDayResult(D(2026, 10, 8), False)
    assert add_working_days(D(2026, 10, 9), 0) == WorkingDayResult(D(2026, 10, 9), False)
    assert add_working_days(D(2026, 10, 8), -1) == WorkingDayResult(D(2026, 9, 30), False)
    assert add_working_days(D(2026, 10, 17), -1) == WorkingDayResult(D(2026, 10, 16), False)  # from a Saturday
    assert add_working_days(D(2026, 10, 12), -2) == WorkingDayResult(D(2026, 10, 9), False)


def test_statutory_twenty_days_from_acceptance(seeded):
    # Accepted Friday 2026-09-18; 2026-09-20 (Sunday) is worked, 09-25..27 and 10-01..07 are holidays.
    result = add_working_days(D(2026, 9, 18), 20)
    assert result == WorkingDayResult(D(2026, 10, 22), False)
    assert working_days_between(D(2026, 9, 18), result.date).days == 20


def test_binary_search_matches_day_by_day_counting(seeded):
    rng = random.Random(2260)
    for _ in range(300):
        start = D(2004, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 22))
        n = rng.randrange(-60, 61)
        expected, step, left = start, 1 if n >= 0 else -1, abs(n)
        if n == 0:
            while not calendar.is_working_day(expected):
                expected += dt.timedelta(days=1)
        while left:
            expected += dt.timedelta(days=step)
            left -= calendar.is_working_day(expected)
        assert add_working_days(start, n).date == expected, (start, n)
        if n > 0:
            assert working_days_between(start, expected).days == n


# ------------------------------------------------------------------ years without a published schedule


def test_unpublished_year_falls_back_to_weekends_and_is_provisional(seeded):
    assert calendar.is_working_day(D(2027, 1, 1)) is True  # a Friday; 元旦 is unknown until published
    assert calendar.is_provisional(D(2027, 1, 1)) is True
    assert add_working_days(D(2026, 12, 30), 3) == WorkingDayResult(D(2027, 1, 4), True)
    assert add_working_days(D(2026, 12, 30), 1) == WorkingDayResult(D(2026, 12, 31), False)
    assert working_days_between(D(2026, 12, 31), D(2027, 1, 8)) == WorkingDayCount(6, True)
    assert add_working_days(D(1990, 3, 1), 1) == WorkingDayResult(D(1990, 3, 2), True)


def test_admin_rows_in_an_unpublished_year_apply_but_stay_provisional(seeded):
    CalendarDay.objects.create(date=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    assert add_working_days(D(2026, 12, 31), 1) == WorkingDayResult(D(2027, 1, 4), True)
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕")
    assert add_working_days(D(2026, 12, 31), 1) == WorkingDayResult(D(2027, 1, 4), False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "day", [D(1900, 1, 1), D(1949, 10, 1), D(2027, 2, 6), D(2100, 2, 28), D(5000, 6, 15), D(9999, 12, 30)]
)
def test_never_raises_in_range(day):
    for n in (-30, -1, 0, 1):
        assert isinstance(add_working_days(day, n).date, dt.date)
    assert working_days_between(D(1899, 12, 31), day).provisional is True
    assert isinstance(calendar.is_working_day(day), bool)


@pytest.mark.django_db
def test_long_spans_and_the_end_of_the_calendar():
    assert working_days_between(D(1900, 1, 1), D(9999, 12, 31)).days == 2113189  # weekdays only
    assert add_working_days(D(2000, 1, 3), 260) == WorkingDayResult(D(2001, 1, 1), True)
    with pytest.raises(DomainError) as caught:
        add_working_days(D(9999, 12, 31), 1)
    assert caught.value.message == "计算结果超出可表示的日期范围（公元 1 年至 9999 年）"


# ------------------------------------------------------------------ cache


def test_cache_reads_two_queries_then_none(seeded, django_assert_num_queries):
    calendar._forget()
    with django_assert_num_queries(2):
        for n in range(100):
            add_working_days(D(2025, 1, 1), n)
    with django_assert_num_queries(0):
        working_days_between(D(2004, 1, 1), D(2030, 1, 1))


def test_saving_a_day_refreshes_the_cache(seeded):
    assert calendar.is_working_day(D(2026, 12, 31)) is True
    CalendarDay.objects.create(date=D(2026, 12, 31), kind=CalendarDay.Kind.HOLIDAY, name="地方假日")
    assert calendar.is_working_day(D(2026, 12, 31)) is False
    CalendarDay.objects.filter(date=D(2026, 12, 31)).delete()
    assert calendar.is_working_day(D(2026, 12, 31)) is True
