"""Special procedures (特别程序): hearings, on-site inspection, testing and expert review pause the case clock.

行政许可法 art. 45: "依法需要听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审的，所需时间不计算在本节规定的期限内".
While a procedure runs the case shows status 9 (特别程序中) and `paused_since`; review work may go on (the pause is of
the clock, not of the work). When it ends the case returns to 8 and every date still ahead of the case moves by the
working days the procedure took: the promised and statutory completion dates and the due and escalation dates of the
case's open tasks.

Who may start or end one (`may_manage_time`): a handler of an open task of the case (its assignee, or a holder of its
role at its organisation), or the competent organisation's reviewers, approvers and heads.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tongban.accounts.access import staff_has_role
from tongban.accounts.models import StaffRole, User
from tongban.cases import documents, review, steps
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    Case,
    CaseStatus,
    DocumentKind,
    EventCode,
    ReviewTask,
    SpecialProcedure,
    SpecialProcedureKind,
    TaskStatus,
)
from tongban.core.calendar import add_working_days, working_days_between
from tongban.core.errors import DomainError

# A procedure may start before any department has claimed a task (3) or during review (8).
STARTABLE_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW)
# Staff of the competent organisation who may pause its clock even without a task of their own on the case.
CASE_ROLES = (StaffRole.REVIEWER, StaffRole.APPROVER, StaffRole.HEAD)
TEXT_MAX = 2000


def may_manage_time(user: User, case: Case, open_tasks: list[ReviewTask] | None = None) -> bool:
    """Whether `user` may start/end a special procedure or request an extension on `case` (see module docstring)."""
    if any(staff_has_role(user, role, case.organisation) for role in CASE_ROLES):
        return True
    if open_tasks is None:
        open_tasks = list(case.tasks.filter(status=TaskStatus.OPEN).select_related("organisation__region"))
    return any(task.assignee_id == user.pk or review.may_handle(user, task) for task in open_tasks)


def require_time_manager(user: User, case: Case) -> None:
    if not may_manage_time(user, case):
        raise DomainError(CaseError.TIME_NOT_ALLOWED)


def paused_working_days(started_on: dt.date, ended_on: dt.date) -> int:
    """The working days a procedure from `started_on` to `ended_on` takes out of the limit.

    The rule: the working days after the start day up to and including the end day, i.e.
    working_days_between(started_on, ended_on) on the core calendar. This is how every period of the platform is
    counted (民法典 art. 201: the day a period begins is not counted): the clock ran on the start day until the
    procedure began, so that day stays in the limit; the end day was taken by the procedure (the result arrives
    that day), so it is not. A procedure started and ended on the same day pauses 0 working days; one started on a
    Monday and ended on the Wednesday pauses 2. Holidays and weekends inside the span pause nothing, as they never
    counted.
    """
    return max(working_days_between(started_on, ended_on).days, 0)


def _moved(day: dt.date | None, days: int) -> tuple[dt.date | None, bool]:
    if day is None or days <= 0:
        return day, False
    result = add_working_days(day, days)
    return result.date, result.provisional


def shift_case_dates(case: Case, days: int) -> list[str]:
    """Move the case's promised and statutory dates and its open tasks' due and escalation dates by `days` working
    days (add_working_days from each old date); set the provisional flags when a new date falls in a year whose
    holidays are not yet published. Returns the case fields changed (for the caller's save)."""
    if days <= 0:
        return []
    case.promised_due, promised_provisional = _moved(case.promised_due, days)
    case.statutory_due, statutory_provisional = _moved(case.statutory_due, days)
    case.deadline_provisional = case.deadline_provisional or promised_provisional or statutory_provisional
    tasks = list(case.tasks.filter(status=TaskStatus.OPEN).select_for_update())
    for task in tasks:
        task.due_on, provisional = _moved(task.due_on, days)
        task.due_provisional = task.due_provisional or provisional
        task.escalate_on, _unused = _moved(task.escalate_on, days)
        task.lock_version += 1
    ReviewTask.objects.bulk_update(tasks, ["due_on", "due_provisional", "escalate_on", "lock_version"])
    return ["promised_due", "statutory_due", "deadline_provisional"]


def kind_label(kind: str) -> str:
    """The procedure's name in Chinese, the language of record, whatever language the actor's page is in."""
    with translation.override(None):
        return str(SpecialProcedureKind(kind).label)


def _text(value: str, field: str, code: CaseError) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(code, fields={field: [code.message]})
    return value[:TEXT_MAX]


def _notice_data(case: Case, procedure: SpecialProcedure) -> dict:
    return {
        "item": case.version.name,
        "applicant": case.applicant_name,
        "procedure": kind_label(procedure.kind),
        "procedure_kind": procedure.kind,
        "reason": procedure.reason,
        "legal_basis": procedure.legal_basis,
        "started_on": procedure.started_on.isoformat(),
        "expected_end": procedure.expected_end.isoformat(),
        "promised_due": case.promised_due.isoformat() if case.promised_due else "",
        "statutory_due": case.statutory_due.isoformat() if case.statutory_due else "",
    }


@transaction.atomic
def special_procedure_start(
    *,
    actor: User,
    case: Case,
    kind: str,
    reason: str,
    legal_basis: str,
    expected_end: dt.date,
    expected_version: int | None,
    today: dt.date | None = None,
) -> SpecialProcedure:
    """Start a special procedure: the case goes 3/8 → 9 (event 9), its clock pauses from today, and the applicant
    gets the 特别程序告知书 (what, why, legal basis, expected end, and that the time is not counted)."""
    case = steps.lock(case)
    steps.require_version(case, expected_version)
    require_time_manager(actor, case)
    steps.require_status(case, STARTABLE_STATUSES)
    if kind not in SpecialProcedureKind.values:
        raise DomainError(CaseError.SPECIAL_KIND_INVALID, fields={"kind": [CaseError.SPECIAL_KIND_INVALID.message]})
    reason = _text(reason, "reason", CaseError.REASON_REQUIRED)
    legal_basis = _text(legal_basis, "legal_basis", CaseError.LEGAL_BASIS_REQUIRED)
    today = today or steps.today()
    if expected_end is None or expected_end < today:
        raise DomainError(
            CaseError.SPECIAL_END_INVALID, fields={"expected_end": [CaseError.SPECIAL_END_INVALID.message]}
        )
    before = steps.state(case)
    procedure = SpecialProcedure.objects.create(
        case=case,
        kind=kind,
        reason=reason,
        legal_basis=legal_basis,
        expected_end=expected_end,
        started_on=today,
        started_at=timezone.now(),
        started_by=actor,
    )
    case.paused_since = today
    steps.transition(case, CaseStatus.SPECIAL_PROCEDURE, ["paused_since"])
    label = kind_label(kind)
    steps.event(
        case, EventCode.SPECIAL_STARTED, gettext_noop("特别程序开始"), actor=actor, opinion=f"{label}：{reason}"
    )
    documents.document_issue(case=case, kind=DocumentKind.SPECIAL, data=_notice_data(case, procedure))
    steps.audit_case(actor, "cases.special.start", case, before, procedure=procedure.pk, kind=kind)
    steps.tell(
        case,
        "case.special_started",
        _("办件进入特别程序"),
        _("您的办件 %(number)s 需要%(kind)s，预计 %(end)s 结束；所需时间不计算在办理期限内，详见特别程序告知书。")
        % {"number": case.number, "kind": label, "end": expected_end},
    )
    return procedure


@transaction.atomic
def special_procedure_end(
    *, actor: User, case: Case, result: str, expected_version: int | None, today: dt.date | None = None
) -> SpecialProcedure:
    """End the running special procedure with its result: the case returns to 8 (event 10), and the promised and
    statutory dates and the open tasks' dates move by the working days paused (`paused_working_days`)."""
    case = steps.lock(case)
    steps.require_version(case, expected_version)
    require_time_manager(actor, case)
    steps.require_status(case, [CaseStatus.SPECIAL_PROCEDURE])
    procedure = SpecialProcedure.objects.select_for_update().filter(case=case, ended_at__isnull=True).first()
    if procedure is None:
        raise DomainError(CaseError.WRONG_STATUS)
    result = _text(result, "result", CaseError.SPECIAL_RESULT_REQUIRED)
    today = max(today or steps.today(), procedure.started_on)
    before = steps.state(case) | {"promised_due": str(case.promised_due), "statutory_due": str(case.statutory_due)}
    paused = paused_working_days(procedure.started_on, today)
    procedure.ended_on, procedure.ended_at, procedure.ended_by = today, timezone.now(), actor
    procedure.result, procedure.paused_working_days = result, paused
    procedure.save(update_fields=["ended_on", "ended_at", "ended_by", "result", "paused_working_days"])
    fields = shift_case_dates(case, paused)
    case.paused_since = None
    steps.transition(case, CaseStatus.IN_REVIEW, ["paused_since", *fields])
    steps.event(
        case,
        EventCode.SPECIAL_ENDED,
        gettext_noop("特别程序结束"),
        actor=actor,
        opinion=f"{kind_label(procedure.kind)}：{result}",
    )
    steps.audit_case(
        actor,
        "cases.special.end",
        case,
        before,
        procedure=procedure.pk,
        paused_working_days=paused,
        promised_due=str(case.promised_due),
        statutory_due=str(case.statutory_due),
    )
    steps.tell(
        case,
        "case.special_ended",
        _("特别程序已结束"),
        _("您的办件 %(number)s 的%(kind)s已结束，用时 %(days)d 个工作日不计入办理期限，承诺办结日期顺延至 %(due)s。")
        % {"number": case.number, "kind": procedure.get_kind_display(), "days": paused, "due": case.promised_due},
    )
    return procedure


def special_procedure_stop(*, actor: User, case: Case, result: str) -> SpecialProcedure | None:
    """Close the running special procedure of a case that stops without a decision (撤回), inside the caller's
    transaction on the locked case: the procedure records its end and `result`; no dates move (the case is closing)."""
    procedure = SpecialProcedure.objects.select_for_update().filter(case=case, ended_at__isnull=True).first()
    if procedure is None:
        return None
    today = max(steps.today(), procedure.started_on)
    procedure.ended_on, procedure.ended_at, procedure.ended_by = today, timezone.now(), actor
    procedure.result = result
    procedure.paused_working_days = paused_working_days(procedure.started_on, today)
    procedure.save(update_fields=["ended_on", "ended_at", "ended_by", "result", "paused_working_days"])
    case.paused_since = None
    case.save(update_fields=["paused_since"])
    return procedure


def special_procedures_of(case: Case) -> list[SpecialProcedure]:
    """The case's special procedures, oldest first (one query)."""
    return list(case.special_procedures.select_related("started_by", "ended_by"))
