"""Review routing (审查流转): start a case's process on acceptance, and claim, release, assign, reassign and complete
its tasks (docs/decisions/0011-review-routing.md).

Every write locks the case row first (then the task), so two handlers acting on one case serialise: one wins, the
other gets CONFLICT and nothing changes. The task table and the workflow state are written in the same transaction,
so a crash leaves both as they were or both as they are. Who may act is checked by cases/access.py (`access_task_*`);
what may happen is checked here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from tongban.accounts.access import holders_of, staff_has_role
from tongban.accounts.models import StaffRole, User
from tongban.cases import routing, steps
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    EventCode,
    ReviewTask,
    TaskOutcome,
    TaskStatus,
    WorkflowState,
)
from tongban.catalog.bpmn import outline
from tongban.catalog.models import ProcessDefinition
from tongban.core import audit
from tongban.core.db.rows import get_by_pk, get_by_unique, model_row
from tongban.core.db.writes import insert_many, update
from tongban.core.errors import DomainError
from tongban.core.models import Organisation

# Case statuses in which review tasks may be worked on (a special procedure pauses the clock, not the work).
REVIEW_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW, CaseStatus.SPECIAL_PROCEDURE)
# Lane departments that mean the competent organisation itself.
OWN_DEPARTMENT_WORDS = {"", "牵头部门", "本部门", "承办部门"}
REVIEW_OUTCOMES = (TaskOutcome.AGREE, TaskOutcome.DISAGREE)
DECISION_OUTCOMES = (TaskOutcome.GRANT, TaskOutcome.DENY)
# Lane words whose opinion is the inspection result the templates' gateways read (inspection_passed).
INSPECTION_WORDS = ("核查", "勘验", "检查")


# ---------------------------------------------------------------------------------------------------------------
# Where a step goes


def lane_organisation(case: Case, department: str) -> Organisation:
    """The organisation a lane's department names for this case (see `lane_organisation_for`)."""
    return lane_organisation_for(case.organisation, case.version, department)


def lane_organisation_for(organisation: Organisation, version, department: str) -> Organisation:
    """The organisation a lane's department names: the competent `organisation` for 牵头部门 or none; the version's
    mapping (process_departments) next; else the active organisation of the same region whose short name or name
    is the department. Raise when nothing matches (the catalogue checks this before publishing)."""
    if department in OWN_DEPARTMENT_WORDS:
        return organisation
    mapped = (version.process_departments or {}).get(department)
    if mapped:
        found = Organisation.objects.filter(uscc=mapped, active=True).first()
        if found is not None:
            return found
    by_name = Organisation.objects.filter(region_id=organisation.region_id, active=True)
    found = by_name.filter(short_name=department).first() or by_name.filter(name=department).first()
    if found is None:
        detail = CaseError.PROCESS_DEPARTMENT_UNKNOWN.message % {"department": department}
        raise DomainError(CaseError.PROCESS_DEPARTMENT_UNKNOWN, detail)
    return found


def _step_limits(definition: ProcessDefinition) -> dict[str, dict | None]:
    return {step["id"]: step.get("limit") for step in outline(definition).get("steps", [])}


def _escalation_days(definition: ProcessDefinition) -> dict[str, int]:
    """Working days after which each step escalates to the head (its boundary timer, "P2D" → 2)."""
    by_name = {step["name"]: step["id"] for step in outline(definition).get("steps", [])}
    days = {}
    for escalation in outline(definition).get("escalations", []):
        step_id = escalation.get("step_id") or by_name.get(escalation.get("step", ""))
        duration = escalation.get("after") or ""
        count = _duration_days(duration)
        if step_id and count:
            days[step_id] = count
    return days


def _duration_days(duration: str) -> int:
    """Days of an ISO 8601 duration (P2D → 2, P1W → 5 working days); hours round up to a day."""
    value = duration.strip().strip("\"'")
    if not value.startswith("P"):
        return 0
    total, number = 0, ""
    for char in value[1:]:
        if char.isdigit():
            number += char
        elif char in "DWHT":
            if number:
                total += {"D": int(number), "W": 5 * int(number), "H": 1}.get(char, 0)
            number = ""
    return total


# ---------------------------------------------------------------------------------------------------------------
# Task table <-> workflow


def _variables(case: Case) -> dict:
    """What the process's conditions may read at the start: the form's answers and the case variables."""
    deferred = case.materials.filter(provision="deferred").count()
    return {**(case.form_data or {}), "applicant_kind": case.applicant_kind, "deferred_materials": deferred}


def _open_or_made_for(case: Case, spiff_ids: list) -> list[ReviewTask]:
    """One read for both: the case's open rows, and any row (open or not) already made for these ready tasks; in the
    model's order. Every step completed runs it, so the statement is written out (core.db.rows)."""
    rows = model_row(ReviewTask)
    spiff_field = ReviewTask._meta.get_field("spiff_task_id")
    made_for = ""
    if spiff_ids:
        made_for = f" OR spiff_task_id IN ({', '.join(['%s'] * len(spiff_ids))})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rows.columns()} FROM {ReviewTask._meta.db_table}"  # noqa: S608
            f" WHERE case_id = %s AND (status = %s{made_for}) ORDER BY created_at, id",
            [
                case.pk,
                TaskStatus.OPEN,
                *(spiff_field.get_db_prep_value(spiff_id, connection, prepared=False) for spiff_id in spiff_ids),
            ],
        )
        return [rows.build(values) for values in cursor.fetchall()]


def sync_tasks(
    case: Case, definition: ProcessDefinition, workflow, *, today: dt.date | None = None
) -> list[ReviewTask]:
    """Make the open task rows match the workflow's ready user tasks: new rows for new ready tasks, open rows whose
    task is no longer ready are cancelled. Returns the rows created."""
    today = today or steps.today()
    ready = {step.spiff_task_id: step for step in routing.ready_steps(workflow)}
    rows = _open_or_made_for(case, list(ready))
    open_rows = [row for row in rows if row.status == TaskStatus.OPEN]
    now = timezone.now()
    for row in open_rows:
        if row.spiff_task_id not in ready:
            row.status, row.outcome, row.finished_at = TaskStatus.CANCELLED, TaskOutcome.CANCELLED, now
            row.lock_version += 1
            update(row, ["status", "outcome", "finished_at", "lock_version"])
    known = {row.spiff_task_id for row in rows}
    limits, escalations = _step_limits(definition), _escalation_days(definition)
    created = []
    for spiff_id, step in ready.items():
        if spiff_id in known:
            continue
        due, provisional = routing.working_or_natural_days(today, limits.get(step.step_id))
        due = due or case.promised_due  # a step without its own limit is due with the case
        if step.decides and case.statutory_due and due and due > case.statutory_due:
            due = case.statutory_due  # the decision may never come after the statutory date
        escalate_after = escalations.get(step.step_id)
        escalate_limit = {"days": escalate_after, "unit": "working_day"} if escalate_after else None
        escalate_on = routing.working_or_natural_days(today, escalate_limit)[0]
        created.append(
            ReviewTask(
                case=case,
                spiff_task_id=spiff_id,
                step_id=step.step_id,
                step_name=step.step_name[:100],
                organisation_id=_lane_organisation_id(case, step.department),
                role=step.role or StaffRole.REVIEWER,
                decides=step.decides,
                created_at=now,
                due_on=due,
                due_provisional=provisional,
                escalate_on=escalate_on,
            )
        )
    insert_many(created)
    return created


def _lane_organisation_id(case: Case, department: str) -> int:
    # The competent organisation's own lanes (most steps) need neither the case's organisation nor its version read.
    if department in OWN_DEPARTMENT_WORDS:
        return case.organisation_id
    return lane_organisation(case, department).pk


def _save_state(case: Case, definition: ProcessDefinition, workflow) -> None:
    if workflow.is_completed():
        WorkflowState.objects.filter(case=case).delete()
        return
    WorkflowState.objects.update_or_create(
        case=case, defaults={"definition": definition, "state": routing.workflow_dump(workflow)}
    )


def process_start(*, case: Case, actor: User | None) -> list[ReviewTask]:
    """Start the item version's process for a case just accepted (call inside the acceptance transaction).

    The process's own acceptance step (a step in the 受理 lane that does not decide) is what just happened, so it is
    finished at once as done by whoever accepted. A version without a process (only possible for data from before
    processes were required) starts nothing.
    """
    definition = case.version.process
    if definition is None:
        return []
    workflow = routing.workflow_new(definition, _variables(case))
    created = sync_tasks(case, definition, workflow)
    acceptance = [row for row in created if row.role == StaffRole.WINDOW_CLERK and not row.decides]
    for row in acceptance:
        routing.step_run(workflow, row.spiff_task_id, {})
        _finish(row, actor=actor, outcome=TaskOutcome.ACCEPTED, opinion="")
    if acceptance:
        created = sync_tasks(case, definition, workflow)
    _save_state(case, definition, workflow)
    return created


def process_stop(case: Case) -> None:
    """Cancel the process of a case that ends without a decision (撤回, or a bundle child refused): open tasks are
    cancelled, the workflow state dropped; finished tasks stay as history."""
    now = timezone.now()
    case.tasks.filter(status=TaskStatus.OPEN).update(
        status=TaskStatus.CANCELLED, outcome=TaskOutcome.CANCELLED, finished_at=now
    )
    WorkflowState.objects.filter(case=case).delete()


def _finish(row: ReviewTask, *, actor, outcome: str, opinion: str) -> None:
    row.status = TaskStatus.DONE
    row.outcome = outcome
    row.opinion = opinion
    row.handler = actor
    if row.assignee_id in (None, getattr(actor, "pk", None)):
        row.assignee = actor  # the handler (compared by id: reading row.assignee would load the user again)
    row.finished_at = timezone.now()
    row.lock_version += 1
    update(row, ["status", "outcome", "opinion", "handler", "assignee", "finished_at", "lock_version"])


# ---------------------------------------------------------------------------------------------------------------
# Locking and checks


def _lock_task(task: ReviewTask, expected_version: int | None) -> tuple[Case, ReviewTask]:
    """Lock the case, then the task (always in this order), and check the page's version of the task."""
    case = steps.lock_by_id(task.case_id)
    locked = get_by_pk(ReviewTask, task.pk, lock=True)
    if ReviewTask.organisation.is_cached(task) and task.organisation_id == locked.organisation_id:
        locked.organisation = task.organisation  # never changes; saves reading it again for the role check
    task = locked
    task.case = case
    if expected_version is not None and task.lock_version != expected_version:
        raise DomainError(CaseError.CONFLICT)
    if task.status != TaskStatus.OPEN:
        raise DomainError(CaseError.TASK_CLOSED)
    return case, task


def may_handle(user: User, task: ReviewTask) -> bool:
    """Whether `user` holds the task's role at its organisation."""
    return staff_has_role(user, task.role, task.organisation)


def may_reassign(user: User, task: ReviewTask) -> bool:
    """Heads of the task's organisation and supervisors over it may give any task to any colleague."""
    return staff_has_role(user, StaffRole.HEAD, task.organisation) or staff_has_role(
        user, StaffRole.SUPERVISOR, task.organisation
    )


def _require_handler(user: User, task: ReviewTask) -> None:
    if not may_handle(user, task):
        raise DomainError(CaseError.NOT_TASK_ROLE)
    if task.assignee_id not in (None, user.pk):
        raise DomainError(CaseError.TASK_TAKEN)


def _bump(task: ReviewTask, fields: list[str]) -> None:
    task.lock_version += 1
    update(task, ["lock_version", *fields])


def _task_audit(actor, action: str, task: ReviewTask, before: dict, **after) -> None:
    state = {"assignee": task.assignee_id, "status": task.status, "lock_version": task.lock_version}
    audit.record(actor=actor, action=action, obj=task, before=before, after=state | after)


def _task_state(task: ReviewTask) -> dict:
    return {"assignee": task.assignee_id, "status": task.status, "lock_version": task.lock_version}


@dataclass(frozen=True)
class CaseSoFar:
    """What a step's handler needs to know of the case's history, read in one statement once the case is locked."""

    started: bool  # the task's organisation has already started on the case (event 8 on the timeline)
    earlier: list[str]  # the outcomes of the review steps done before (oldest first); only read for a review step


def _case_so_far(case: Case, task: ReviewTask, *, earlier: bool) -> CaseSoFar:
    """Read after the case lock (a statement of its own sees what the previous holder of the lock committed): whether
    the organisation has started, and with `earlier` the outcomes of the review steps done before this one — one row
    per earlier step through a LEFT JOIN (one row of NULLs when there is none), each carrying the started flag.

    Written out (not built by the ORM): completing a step is hot (issue 6) and building this statement cost more than
    running it."""
    started = (
        f"EXISTS (SELECT 1 FROM {CaseEvent._meta.db_table} e"  # noqa: S608
        " WHERE e.case_id = c.id AND e.code = %s AND e.organisation_id = %s)"
    )
    params: list = [EventCode.REVIEW_STARTED, task.organisation_id]
    if earlier:
        sql = (
            f"SELECT {started}, t.outcome FROM {Case._meta.db_table} c"  # noqa: S608
            f" LEFT JOIN {ReviewTask._meta.db_table} t"
            " ON t.case_id = c.id AND t.status = %s AND t.role = %s AND t.id <> %s"
            " WHERE c.id = %s ORDER BY t.created_at, t.id"
        )
        params += [TaskStatus.DONE, StaffRole.REVIEWER, task.pk, case.pk]
    else:
        sql = f"SELECT {started}, NULL FROM {Case._meta.db_table} c WHERE c.id = %s"  # noqa: S608
        params.append(case.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return CaseSoFar(started=bool(rows[0][0]), earlier=[outcome for _started, outcome in rows if outcome is not None])


def _review_started(case: Case, task: ReviewTask, actor: User, so_far: CaseSoFar) -> None:
    """Event 8 (部门开始办理) the first time an organisation works on the case; the case shows 办理中."""
    if case.status == CaseStatus.ACCEPTED:
        steps.transition(case, CaseStatus.IN_REVIEW, [])
    if not so_far.started:
        steps.event(
            case, EventCode.REVIEW_STARTED, gettext_noop("部门开始办理"), actor=actor, organisation=task.organisation
        )


# ---------------------------------------------------------------------------------------------------------------
# Claim, release, assign, reassign


@transaction.atomic
def task_claim(*, actor: User, task: ReviewTask, expected_version: int | None) -> ReviewTask:
    """Take an open task of one's role (认领)."""
    case, task = _lock_task(task, expected_version)
    steps.require_status(case, REVIEW_STATUSES)
    _require_handler(actor, task)
    before = _task_state(task)
    task.assignee = actor
    _bump(task, ["assignee"])
    _review_started(case, task, actor, _case_so_far(case, task, earlier=False))
    _task_audit(actor, "cases.task.claim", task, before)
    return task


@transaction.atomic
def task_release(*, actor: User, task: ReviewTask, expected_version: int | None) -> ReviewTask:
    """Give a claimed task back to the organisation's pool (退回待办)."""
    _case, task = _lock_task(task, expected_version)
    if task.assignee_id != actor.pk:
        raise DomainError(CaseError.TASK_TAKEN)
    before = _task_state(task)
    task.assignee = None
    _bump(task, ["assignee"])
    _task_audit(actor, "cases.task.release", task, before)
    return task


def _require_colleague(colleague: User, task: ReviewTask) -> None:
    if not colleague.is_active or not may_handle(colleague, task):
        raise DomainError(CaseError.ASSIGNEE_NOT_ELIGIBLE)


@transaction.atomic
def task_assign(*, actor: User, task: ReviewTask, colleague: User, expected_version: int | None) -> ReviewTask:
    """Hand a task one holds (or an unclaimed one of one's role) to a colleague with the same role (转办)."""
    case, task = _lock_task(task, expected_version)
    steps.require_status(case, REVIEW_STATUSES)
    _require_handler(actor, task)
    _require_colleague(colleague, task)
    before = _task_state(task)
    task.assignee = colleague
    _bump(task, ["assignee"])
    _task_audit(actor, "cases.task.assign", task, before)
    return task


@transaction.atomic
def task_reassign(*, actor: User, task: ReviewTask, colleague: User, expected_version: int | None) -> ReviewTask:
    """A head of the organisation or a supervisor gives any open task to an eligible colleague (改派)."""
    case, task = _lock_task(task, expected_version)
    steps.require_status(case, REVIEW_STATUSES)
    if not may_reassign(actor, task):
        raise DomainError(CaseError.NOT_TASK_ROLE)
    _require_colleague(colleague, task)
    before = _task_state(task)
    task.assignee = colleague
    _bump(task, ["assignee"])
    _task_audit(actor, "cases.task.reassign", task, before)
    return task


# ---------------------------------------------------------------------------------------------------------------
# Completing a step


def outcome_variables(*, step_name: str, decides: bool, outcome: str, earlier: list[str]) -> dict:
    """What a finished step tells the process's gateways (the CASE_VARIABLES of catalog/expressions.py), given the
    outcomes of the review steps done before it."""
    passed = outcome in (TaskOutcome.AGREE, TaskOutcome.GRANT)
    if decides:
        return {"approved": passed}
    variables: dict = {"review_passed": passed}
    if any(word in step_name for word in INSPECTION_WORDS):
        variables["inspection_passed"] = passed
    opinions = ["同意" if o == TaskOutcome.AGREE else "不同意" for o in earlier]
    variables["department_opinions"] = [*opinions, "同意" if passed else "不同意"]
    return variables


def _check_outcome(task: ReviewTask, outcome: str, opinion: str) -> None:
    allowed = DECISION_OUTCOMES if task.decides else REVIEW_OUTCOMES
    if outcome not in allowed:
        raise DomainError(CaseError.OUTCOME_INVALID)
    negative = outcome in (TaskOutcome.DISAGREE, TaskOutcome.DENY)
    if negative and not opinion:
        raise DomainError(CaseError.OPINION_REQUIRED, fields={"opinion": [CaseError.OPINION_REQUIRED.message]})


@transaction.atomic
def task_complete(
    *, actor: User, task: ReviewTask, outcome: str, opinion: str = "", expected_version: int | None
) -> ReviewTask:
    """Finish a step with an opinion (办理意见) and let the process route: the next steps appear in the worklists;
    finishing the deciding step decides the case (cases/decisions.py)."""
    from tongban.cases import decisions

    opinion = (opinion or "").strip()
    case, task = _lock_task(task, expected_version)
    steps.require_status(case, REVIEW_STATUSES)
    _require_handler(actor, task)
    _check_outcome(task, outcome, opinion)
    if task.decides and case.status == CaseStatus.SPECIAL_PROCEDURE:
        raise DomainError(CaseError.DECISION_DURING_SPECIAL)  # the procedure's result must be in first
    if task.decides and outcome == TaskOutcome.GRANT:
        decisions.require_completable(case)
    state = get_by_unique(WorkflowState, "case", case.pk)
    definition = routing.definition_by_id(state.definition_id)
    workflow = routing.workflow_load(definition, state.state)
    before = _task_state(task)
    # Only review steps report the opinions so far (not needed to decide).
    so_far = _case_so_far(case, task, earlier=not task.decides)
    _review_started(case, task, actor, so_far)
    variables = outcome_variables(
        step_name=task.step_name, decides=task.decides, outcome=outcome, earlier=so_far.earlier
    )
    routing.step_run(workflow, task.spiff_task_id, variables)
    _finish(task, actor=actor, outcome=outcome, opinion=opinion)
    steps.event(
        case,
        EventCode.LOCAL,
        task.step_name,
        actor=actor,
        organisation=task.organisation,
        opinion=opinion,
        public=False,
    )
    # The audit entries are chained at the end: the chain lock, which every audited write waits for, is then held
    # from the last statement to COMMIT only, not while the process routes.
    with audit.deferred():
        _task_audit(actor, "cases.task.complete", task, before, outcome=outcome)
        if workflow.is_completed():
            WorkflowState.objects.filter(case=case).delete()
            decisions.case_decide(case=case, actor=actor, granted=outcome == TaskOutcome.GRANT, opinion=opinion)
            return task
        sync_tasks(case, definition, workflow)
        state.state = routing.workflow_dump(workflow)
        update(state, ["state", "updated_at"])
        steps.touch(case, [])
    return task


def handlers_for(organisation: Organisation, role: str):
    """Active staff who hold `role` at `organisation` (the choices for 转办 / 改派)."""
    return holders_of(role, organisation)
