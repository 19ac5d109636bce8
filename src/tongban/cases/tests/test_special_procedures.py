"""Special procedures (特别程序, cases/special.py) on the real calendar: the clock pauses (status 9, event 9), and at
the end (status 8, event 10) the promised and statutory dates and the open tasks' dates move by the working days
paused, across 国庆 2026 and into 2027 (not yet published: provisional)."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.cases import pdf, services, special
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    Case,
    CaseDocument,
    CaseStatus,
    DocumentKind,
    EventCode,
    ReviewTask,
    SpecialProcedure,
    TaskStatus,
)
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import submitted_case
from tongban.cases.tests.test_pdf import cn, needs_pdftotext, pdf_text
from tongban.core import calendar
from tongban.core.errors import DomainError
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db
D = dt.date
LEGAL_BASIS = "《中华人民共和国食品安全法实施条例》第二十三条"


@pytest.fixture(autouse=True)
def seeded_calendar(db):
    """Every year chinesecalendar knows (2026 published, 2027 not), read as if the seeding had committed."""
    calendar._local.dirty = False
    calendar._forget()
    calendar.seed_calendar()
    calendar._local.dirty = False
    yield
    calendar._local.dirty = False
    calendar._forget()


def accepted_case(food_item, applicants, crew) -> Case:
    case = submitted_case(applicants["li"], food_item)
    return services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)


def set_dates(case: Case, promised: dt.date, statutory: dt.date, task_due: dt.date) -> Case:
    Case.objects.filter(pk=case.pk).update(promised_due=promised, statutory_due=statutory, deadline_provisional=False)
    case.tasks.filter(status=TaskStatus.OPEN).update(due_on=task_due, due_provisional=False, escalate_on=task_due)
    return Case.objects.get(pk=case.pk)


def start(case: Case, actor, day: dt.date, **overrides) -> SpecialProcedure:
    arguments = {
        "kind": "inspection",
        "reason": "需要对经营场所进行现场勘验",
        "legal_basis": LEGAL_BASIS,
        "expected_end": day + dt.timedelta(days=7),
    } | overrides
    return special.special_procedure_start(
        actor=actor, case=case, expected_version=case.lock_version, today=day, **arguments
    )


def end(case: Case, actor, day: dt.date, result="现场勘验合格") -> SpecialProcedure:
    case.refresh_from_db()
    return special.special_procedure_end(
        actor=actor, case=case, result=result, expected_version=case.lock_version, today=day
    )


def test_paused_days_count_after_the_start_day_up_to_the_end_day():
    assert special.paused_working_days(D(2026, 3, 2), D(2026, 3, 2)) == 0  # started and ended the same day
    assert special.paused_working_days(D(2026, 3, 2), D(2026, 3, 4)) == 2  # Monday to Wednesday
    assert special.paused_working_days(D(2026, 9, 30), D(2026, 10, 8)) == 1  # the National Day week pauses nothing


def test_start_pauses_the_clock_and_tells_the_applicant(food_item, applicants, crew):
    case = accepted_case(food_item, applicants, crew)
    version = case.lock_version
    procedure = start(case, crew["amr_clerk"], D(2026, 9, 21))
    case.refresh_from_db()
    assert (case.status, case.paused_since, case.lock_version) == (
        CaseStatus.SPECIAL_PROCEDURE,
        D(2026, 9, 21),
        version + 1,
    )
    assert (procedure.kind, procedure.started_on, procedure.started_by) == (
        "inspection",
        D(2026, 9, 21),
        crew["amr_clerk"],
    )
    event = case.events.get(code=EventCode.SPECIAL_STARTED)
    assert (event.name, event.opinion, event.public) == ("特别程序开始", "现场勘验：需要对经营场所进行现场勘验", True)
    notice = CaseDocument.objects.get(case=case, kind=DocumentKind.SPECIAL)
    assert notice.number.startswith("桐庐县市场监督管理局特字〔")
    assert (notice.data["procedure"], notice.data["legal_basis"], notice.data["expected_end"]) == (
        "现场勘验",
        LEGAL_BASIS,
        "2026-09-28",
    )
    told = Message.objects.get(recipient=applicants["li"], topic="case.special_started")
    assert "所需时间不计算在办理期限内" in told.body


def test_end_moves_the_dates_across_national_day(food_item, applicants, crew):
    case = set_dates(accepted_case(food_item, applicants, crew), D(2026, 9, 29), D(2026, 10, 13), D(2026, 9, 30))
    start(case, crew["amr_clerk"], D(2026, 9, 21))  # a Monday
    procedure = end(case, crew["amr_clerk"], D(2026, 9, 24))  # the Thursday: 22, 23, 24 paused
    assert (procedure.paused_working_days, procedure.ended_on, procedure.result) == (3, D(2026, 9, 24), "现场勘验合格")
    case.refresh_from_db()
    # 2026-09-29 + 3 working days: 09-30, then 10-01..07 are the holiday, 10-08, 10-09.
    assert (case.status, case.paused_since, case.promised_due, case.deadline_provisional) == (
        CaseStatus.IN_REVIEW,
        None,
        D(2026, 10, 9),
        False,
    )
    assert case.statutory_due == D(2026, 10, 16)  # 10-13 + 3: 14, 15, 16
    [task] = case.tasks.filter(status=TaskStatus.OPEN)
    # 09-30 + 3: 10-08, 10-09 and 10-10, a Saturday worked in lieu (调休).
    assert (task.due_on, task.escalate_on, task.due_provisional) == (D(2026, 10, 10), D(2026, 10, 10), False)
    event = case.events.get(code=EventCode.SPECIAL_ENDED)
    assert (event.name, event.opinion) == ("特别程序结束", "现场勘验：现场勘验合格")
    told = Message.objects.get(recipient=applicants["li"], topic="case.special_ended")
    assert "用时 3 个工作日不计入办理期限，承诺办结日期顺延至 2026-10-09" in told.body


def test_end_moves_the_dates_into_2027_as_provisional(food_item, applicants, crew):
    case = set_dates(accepted_case(food_item, applicants, crew), D(2026, 12, 28), D(2026, 12, 29), D(2026, 12, 24))
    start(case, crew["amr_clerk"], D(2026, 12, 1), kind="expert_review")
    procedure = end(case, crew["amr_clerk"], D(2026, 12, 8), result="专家评审通过")
    assert procedure.paused_working_days == 5  # 2, 3, 4, 7, 8 December
    case.refresh_from_db()
    # 12-28 + 5: 29, 30, 31, 2027-01-01 (元旦 not yet published: a working Friday, provisionally), 01-04.
    assert (case.promised_due, case.statutory_due, case.deadline_provisional) == (D(2027, 1, 4), D(2027, 1, 5), True)
    [task] = case.tasks.filter(status=TaskStatus.OPEN)
    assert (task.due_on, task.due_provisional) == (D(2026, 12, 31), False)  # 12-24 + 5 stays in 2026


def test_same_day_end_moves_nothing(food_item, applicants, crew):
    case = set_dates(accepted_case(food_item, applicants, crew), D(2026, 9, 29), D(2026, 10, 13), D(2026, 9, 30))
    start(case, crew["amr_clerk"], D(2026, 9, 22), kind="hearing")
    assert end(case, crew["amr_clerk"], D(2026, 9, 22)).paused_working_days == 0
    case.refresh_from_db()
    assert (case.promised_due, case.statutory_due, case.status) == (
        D(2026, 9, 29),
        D(2026, 10, 13),
        CaseStatus.IN_REVIEW,
    )


def test_others_cannot_pause_or_resume_and_nothing_changes(food_item, applicants, crew):
    case = accepted_case(food_item, applicants, crew)
    for outsider in (crew["civil_clerk"], crew["hall_clerk"], applicants["li"]):
        with pytest.raises(DomainError) as refused:
            start(case, outsider, D(2026, 9, 21))
        assert refused.value.code == CaseError.TIME_NOT_ALLOWED
    case.refresh_from_db()
    assert (case.status, SpecialProcedure.objects.count(), case.documents.filter(kind="special").count()) == (
        CaseStatus.ACCEPTED,
        0,
        0,
    )
    start(case, crew["amr_clerk"], D(2026, 9, 21))
    with pytest.raises(DomainError) as refused:
        end(case, crew["civil_clerk"], D(2026, 9, 24))
    assert refused.value.code == CaseError.TIME_NOT_ALLOWED
    assert SpecialProcedure.objects.get().ended_at is None


def test_a_stale_page_a_second_start_and_bad_input_change_nothing(food_item, applicants, crew):
    case = accepted_case(food_item, applicants, crew)
    stale = case.lock_version - 1
    with pytest.raises(DomainError) as refused:
        special.special_procedure_start(
            actor=crew["amr_clerk"],
            case=case,
            kind="testing",
            reason="检验",
            legal_basis=LEGAL_BASIS,
            expected_end=D(2026, 9, 30),
            expected_version=stale,
            today=D(2026, 9, 21),
        )
    assert refused.value.code == CaseError.CONFLICT
    for overrides, code in [
        ({"kind": "lottery"}, CaseError.SPECIAL_KIND_INVALID),
        ({"reason": "  "}, CaseError.REASON_REQUIRED),
        ({"legal_basis": ""}, CaseError.LEGAL_BASIS_REQUIRED),
        ({"expected_end": D(2026, 9, 20)}, CaseError.SPECIAL_END_INVALID),
    ]:
        with pytest.raises(DomainError) as refused:
            start(case, crew["amr_clerk"], D(2026, 9, 21), **overrides)
        assert refused.value.code == code
    assert SpecialProcedure.objects.count() == 0
    start(case, crew["amr_clerk"], D(2026, 9, 21))
    case.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        start(case, crew["amr_clerk"], D(2026, 9, 22))
    assert refused.value.code == CaseError.WRONG_STATUS
    with pytest.raises(DomainError) as refused:
        end(case, crew["amr_clerk"], D(2026, 9, 24), result=" ")
    assert refused.value.code == CaseError.SPECIAL_RESULT_REQUIRED
    assert SpecialProcedure.objects.filter(ended_at__isnull=True).count() == 1


def test_review_work_goes_on_during_the_procedure(food_item, applicants, crew):
    from tongban.cases import review

    case = accepted_case(food_item, applicants, crew)
    start(case, crew["amr_clerk"], D(2026, 9, 21))
    task = ReviewTask.objects.get(case=case, status=TaskStatus.OPEN)
    review.task_claim(actor=crew["amr_clerk2"], task=task, expected_version=task.lock_version)
    case.refresh_from_db()
    assert case.status == CaseStatus.SPECIAL_PROCEDURE


@needs_pdftotext
def test_the_notice_says_what_why_basis_end_and_that_time_is_not_counted(food_item, applicants, crew):
    case = accepted_case(food_item, applicants, crew)
    start(case, crew["amr_clerk"], D(2026, 9, 21))
    notice = CaseDocument.objects.get(case=case, kind=DocumentKind.SPECIAL)
    text = pdf_text(pdf.render_document_pdf(notice))
    assert text.startswith(f"桐庐县市场监督管理局特别程序告知书{notice.number}李建国：")
    for words in (
        "本机关在审查中依法需要现场勘验。理由如下：需要对经营场所进行现场勘验",
        f"预计结束日期{cn(D(2026, 9, 28))}",
        f"法律依据{LEGAL_BASIS}",
        "第四十五条的规定，现场勘验所需时间不计算在办理期限内",
    ):
        assert words in text


def _to_the_deciding_step(case: Case, crew) -> ReviewTask:
    """Finish 承办 and 审核 of the single-department process so the case waits for 审批."""
    from tongban.cases import review

    for actor in (crew["amr_clerk"], crew["amr_clerk2"]):
        task = case.tasks.get(status=TaskStatus.OPEN)
        review.task_complete(
            actor=actor, task=task, outcome="agree", opinion="同意", expected_version=task.lock_version
        )
    return case.tasks.get(status=TaskStatus.OPEN)


def test_no_decision_while_a_special_procedure_runs(food_item, applicants, crew):
    from tongban.accounts.models import StaffRole
    from tongban.cases import review
    from tongban.catalog.tests.lifecycle_fixtures import staff

    approver = staff("approver_fang", (food_item.organisation, StaffRole.APPROVER))
    case = accepted_case(food_item, applicants, crew)
    approve = _to_the_deciding_step(case, crew)
    case.refresh_from_db()
    start(case, crew["amr_clerk"], dt.date.today())
    case.refresh_from_db()
    approve.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        review.task_complete(
            actor=approver, task=approve, outcome="deny", opinion="不符合条件", expected_version=approve.lock_version
        )
    assert refused.value.code == CaseError.DECISION_DURING_SPECIAL
    case.refresh_from_db()
    approve.refresh_from_db()
    assert (case.status, approve.status, case.decided_at) == (CaseStatus.SPECIAL_PROCEDURE, TaskStatus.OPEN, None)


def test_a_retraction_closes_the_running_special_procedure(food_item, applicants, crew):
    from tongban.cases import decisions

    case = accepted_case(food_item, applicants, crew)
    today = dt.date.today()
    start(case, crew["amr_clerk"], today)
    case.refresh_from_db()
    decisions.case_retract(actor=applicants["li"], case=case, reason="不开店了")
    case.refresh_from_db()
    procedure = SpecialProcedure.objects.get(case=case)
    assert (case.status, case.paused_since) == (CaseStatus.RETRACTED, None)
    assert (procedure.ended_by, procedure.result) == (applicants["li"], "申请人撤回申请，特别程序终止")
    assert procedure.ended_on is not None
