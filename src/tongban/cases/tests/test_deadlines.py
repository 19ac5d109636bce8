"""Deadline rules on the real 2026 calendar (chinesecalendar, seeded as in production):

- the 5-working-day acceptance window (行政许可法 art. 32) across National Day and across Spring Festival's adjusted
  working Saturdays (调休), and deemed acceptance after it;
- the supplement loop: the clock stops while waiting and restarts from the day the supplement is returned;
- withdrawal before acceptance only;
- idempotent submission (same key → one case, also for two threads racing);
- promised and statutory completion dates in working days or natural days.

Dates are frozen by replacing django.utils.timezone.now (the services read the clock only through it).
"""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import connections
from django.utils import timezone

from tongban.cases import deadlines, services
from tongban.cases.errors import CaseError
from tongban.cases.models import Case, CaseStatus, EventCode
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import GOOD_ANSWERS, PDF_BYTES, complete_draft, own, stored_upload
from tongban.cases.tests.test_api import materials_for
from tongban.catalog.models import ItemVersion
from tongban.core import calendar
from tongban.core.errors import DomainError

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def seeded_calendar(db):
    """The statutory holidays and adjusted working days of every year chinesecalendar knows, as seed_calendar loads."""
    calendar._local.dirty = False
    calendar._forget()
    calendar.seed_calendar()
    calendar._local.dirty = False  # read as if the seeding had committed; forgotten again after the test
    yield
    calendar._local.dirty = False
    calendar._forget()


@pytest.fixture
def clock(monkeypatch):
    """Set the platform's clock: clock(date) puts "now" at 10:00 Beijing time that day."""

    def set_day(day: dt.date, hour: int = 10) -> dt.datetime:
        moment = dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_day


def submit_on(day: dt.date, clock, person, item) -> Case:
    clock(day)
    return services.case_submit(actor=person, case=complete_draft(person, item))


# --- The acceptance window --------------------------------------------------------------------------------------------


def test_calendar_facts_the_tests_rely_on():
    assert not calendar.is_working_day(D(2026, 10, 1)) and not calendar.is_working_day(D(2026, 10, 7))
    assert calendar.is_working_day(D(2026, 10, 10))  # Saturday worked for National Day
    assert calendar.is_working_day(D(2026, 2, 14)) and calendar.is_working_day(D(2026, 2, 28))  # Spring Festival
    assert not calendar.is_working_day(D(2026, 2, 16))


def test_acceptance_window_skips_national_day_and_counts_its_working_saturday(food_item, applicants, clock):
    case = submit_on(D(2026, 9, 30), clock, applicants["li"], food_item)
    # Oct 1-7 are holidays; Oct 8, 9, 10 (a Saturday worked), 12, 13 are the five working days.
    assert (case.materials_complete_on, case.acceptance_due) == (D(2026, 9, 30), D(2026, 10, 13))
    assert case.deadline_provisional is False
    assert deadlines.acceptance_due(D(2026, 9, 30)) == (D(2026, 10, 13), False)


def test_acceptance_window_counts_the_adjusted_working_saturdays_of_spring_festival(food_item, applicants, clock):
    li = applicants["li"]
    # Friday before the festival: Saturday Feb 14 is worked, Feb 15-23 are off, then Feb 24-27.
    before = submit_on(D(2026, 2, 13), clock, li, food_item)
    assert before.acceptance_due == D(2026, 2, 27)
    # Tuesday after it: Feb 25, 26, 27, Saturday Feb 28 (worked) and Monday Mar 2; without 调休 it would be Mar 3.
    after = submit_on(D(2026, 2, 24), clock, li, food_item)
    assert after.acceptance_due == D(2026, 3, 2)


def test_not_deemed_on_the_last_day_deemed_the_day_after(food_item, applicants, clock):
    case = submit_on(D(2026, 9, 30), clock, applicants["li"], food_item)
    assert services.deem_overdue_acceptances(today=D(2026, 10, 13)) == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED

    clock(D(2026, 10, 14), hour=1)
    assert services.deem_overdue_acceptances(today=D(2026, 10, 14)) == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    assert (case.accepted_on, case.acceptance_deemed, case.supervision_flag) == (D(2026, 9, 30), True, True)
    assert case.accepted_by is None
    # Counted from the deemed day of acceptance (the day of receipt), not from the day the job ran.
    assert (case.promised_due, case.statutory_due) == (D(2026, 10, 13), D(2026, 11, 3))
    event = case.events.get(code=EventCode.ACCEPTED)
    assert (event.name, event.actor_label) == ("逾期视为受理", "系统")
    assert services.deem_overdue_acceptances(today=D(2026, 10, 15)) == 0  # once only


def test_a_case_accepted_in_time_is_never_deemed(food_item, applicants, crew, clock):
    case = submit_on(D(2026, 9, 30), clock, applicants["li"], food_item)
    clock(D(2026, 10, 12))
    services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)
    assert services.deem_overdue_acceptances(today=D(2026, 10, 20)) == 0
    case.refresh_from_db()
    assert (case.accepted_on, case.acceptance_deemed, case.supervision_flag) == (D(2026, 10, 12), False, False)


# --- The supplement loop ----------------------------------------------------------------------------------------------


def _request_supplement(case: Case, clerk, item) -> int:
    material = item.published_version.materials.order_by("order").first()
    services.case_request_supplement(
        actor=clerk,
        case=case,
        expected_version=case.lock_version,
        items=[{"material": material.pk, "problem": "申请书未签字"}],
    )
    return material.pk


def test_supplement_stops_the_clock_and_its_return_starts_a_new_window(food_item, applicants, crew, clock):
    li = applicants["li"]
    case = submit_on(D(2026, 3, 2), clock, li, food_item)
    assert case.acceptance_due == D(2026, 3, 9)
    clock(D(2026, 3, 4))
    material_id = _request_supplement(case, crew["amr_clerk"], food_item)
    # Waiting for the applicant: the first window passes without anything being deemed.
    assert services.deem_overdue_acceptances(today=D(2026, 3, 20)) == 0

    clock(D(2026, 9, 30))  # the applicant comes back just before National Day
    upload = stored_upload(li, content=PDF_BYTES + b"signed")
    services.material_attach(actor=li, case=case, material_id=material_id, provision="upload", upload_id=upload.pk)
    services.case_supplement_return(actor=li, case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED
    assert (case.materials_complete_on, case.acceptance_due) == (D(2026, 9, 30), D(2026, 10, 13))
    assert services.deem_overdue_acceptances(today=D(2026, 10, 13)) == 0
    assert services.deem_overdue_acceptances(today=D(2026, 10, 14)) == 1
    case.refresh_from_db()
    assert case.accepted_on == D(2026, 9, 30)  # deemed from the day the materials became complete
    codes = list(case.events.values_list("code", flat=True))
    assert codes == [
        EventCode.RECEIVED,
        EventCode.SUPPLEMENT_REQUESTED,
        EventCode.SUPPLEMENT_RETURNED,
        EventCode.ACCEPTED,
    ]


# --- Withdrawal -------------------------------------------------------------------------------------------------------


def test_withdrawal_before_acceptance_and_during_a_supplement(food_item, applicants, crew, clock):
    li = applicants["li"]
    received = submit_on(D(2026, 3, 2), clock, li, food_item)
    services.case_withdraw(actor=li, case=received, reason="不办了")
    received.refresh_from_db()
    assert received.status == CaseStatus.WITHDRAWN and received.closed_at is not None
    with pytest.raises(DomainError) as caught:
        services.case_withdraw(actor=li, case=received)
    assert caught.value.code == CaseError.WRONG_STATUS
    assert services.deem_overdue_acceptances(today=D(2026, 4, 1)) == 0  # a withdrawn case is never deemed

    waiting = submit_on(D(2026, 3, 2), clock, li, food_item)
    _request_supplement(waiting, crew["amr_clerk"], food_item)
    services.case_withdraw(actor=li, case=waiting)
    waiting.refresh_from_db()
    assert waiting.status == CaseStatus.WITHDRAWN


def test_no_withdrawal_after_acceptance(food_item, applicants, crew, clock):
    li = applicants["li"]
    case = submit_on(D(2026, 3, 2), clock, li, food_item)
    services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)
    case.refresh_from_db()
    before = (case.status, case.lock_version, case.events.count())
    with pytest.raises(DomainError) as caught:
        services.case_withdraw(actor=li, case=case)
    assert caught.value.code == CaseError.WRONG_STATUS
    case.refresh_from_db()
    assert (case.status, case.lock_version, case.events.count()) == before


# --- Idempotency ------------------------------------------------------------------------------------------------------


def _submit_new(person, item, key: str, materials: list[dict]) -> tuple[Case, bool]:
    return services.case_submit_new(
        actor=person, applicant=own(person), item=item, answers=GOOD_ANSWERS, materials=materials, idempotency_key=key
    )


def test_the_same_key_twice_gives_one_case(food_item, applicants, clock):
    li = applicants["li"]
    clock(D(2026, 3, 2))
    materials = materials_for(li, food_item)
    first, created = _submit_new(li, food_item, "retry-1", materials)
    again, created_again = _submit_new(li, food_item, "retry-1", materials)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and Case.objects.count() == 1
    other, created_other = _submit_new(li, food_item, "retry-2", materials)
    assert created_other and other.pk != first.pk and Case.objects.count() == 2


def test_submitting_a_submitted_draft_again_changes_nothing(food_item, applicants, clock):
    li = applicants["li"]
    case = submit_on(D(2026, 3, 2), clock, li, food_item)
    clock(D(2026, 3, 3))
    again = services.case_submit(actor=li, case=case)
    assert (again.pk, again.number, again.acceptance_due, again.lock_version) == (
        case.pk,
        case.number,
        case.acceptance_due,
        case.lock_version,
    )
    assert case.events.filter(code=EventCode.RECEIVED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_threads_racing_with_the_same_key_make_one_case(food_item, applicants):
    li = applicants["li"]
    materials = materials_for(li, food_item)
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def submit():
        try:
            barrier.wait(timeout=10)
            case, created = _submit_new(li, food_item, "double-click", materials)
            outcomes.append((case.pk, created))
        except Exception as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(created for _pk, created in outcomes) == [False, True]
    assert len({pk for pk, _created in outcomes}) == 1
    assert Case.objects.count() == 1 and Case.objects.get().status == CaseStatus.RECEIVED


# --- Completion dates -------------------------------------------------------------------------------------------------


def test_completion_dates_in_working_days(food_item, applicants, crew, clock):
    # The guide promises 5 working days and the law allows 20, counted from acceptance on 2026-09-30.
    case = submit_on(D(2026, 9, 29), clock, applicants["li"], food_item)
    clock(D(2026, 9, 30))
    services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)
    case.refresh_from_db()
    assert case.accepted_on == D(2026, 9, 30)
    assert (case.promised_due, case.statutory_due) == (D(2026, 10, 13), D(2026, 11, 3))


def test_completion_dates_in_natural_days(food_item, applicants, crew, clock):
    ItemVersion.objects.filter(pk=food_item.published_version_id).update(
        promised_limit_unit="natural_day", statutory_limit_unit="natural_day"
    )
    case = submit_on(D(2026, 9, 29), clock, applicants["li"], food_item)
    clock(D(2026, 9, 30))
    services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)
    case.refresh_from_db()
    # Natural days run straight through the holiday.
    assert (case.promised_due, case.statutory_due) == (D(2026, 10, 5), D(2026, 10, 20))
