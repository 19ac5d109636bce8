"""Bench data for review (审查): cases in progress with their process state and task rows (A BENCH AND DEMO TOOL ONLY).

On top of what `cases_generate` made (cases/bench_data.py), it brings the number of cases in progress up to N (the
issue's bench: 100 000 of 1 000 000): every generated case that is 已受理 or 办理中 without a process gets one, and when
there are too few of them the most recently decided 办结（通过） cases are reopened to 办理中 (status 8, their 办结
event and close time removed) — the closest a three-year history comes to "a tenth of the cases are open".

The process state is what `review.process_start` and `review.task_complete` make, without running the engine per
case: for each process definition the engine runs ONCE through its steps (acceptance finished as the window clerk's,
then one review step after another with 同意) and each point it stops at ("stage": the open steps and the steps done
before them) is kept as a template — SpiffWorkflow's state dict without the spec, as `routing.workflow_dump` stores
it. A case at that stage gets a copy with fresh task UUIDs (one regular-expression pass over the JSON text) and its
own variables (form answers, applicant kind, deferred materials) where the template's start variables were. The task
rows follow the same steps: done rows with handler and opinion, open rows with due dates from the step limits on the
platform calendar (a share of them overdue: created long enough ago), the approval step's escalation date, a share
claimed by a holder of the role.

Written with COPY (PostgreSQL) / multi-row INSERT (SQLite) in transactions of BATCH cases; NOT made: audit rows, the
per-step timeline events (平台记录), notifications. The rows load and run like any other: the bench completes them
through the API.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from tongban.accounts.models import StaffAssignment, StaffRole
from tongban.cases import review, routing
from tongban.cases.bench_data import TableWriter, past_working_days
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
from tongban.catalog.models import ItemVersion, ProcessDefinition

BATCH = 10_000
DEFAULT_IN_PROGRESS = 100_000
OVERDUE_SHARE = 0.12  # open tasks past their step limit (the overdue scan's work)
ASSIGNED_SHARE = 0.3  # open tasks already claimed by someone holding the role
# The start variables are written into the template as this marker, then replaced by each case's own.
MARKER = "__bench_variables__"
MARKER_TEXT = f'"{MARKER}": 0'
REOPEN_FROM = CaseStatus.APPROVED


# ---------------------------------------------------------------------------------------------------------------
# Templates: one engine run per definition


@dataclass(frozen=True)
class Step:
    """A user task of a template: its spiff id in the template and where it goes."""

    spiff_id: str
    step_id: str
    step_name: str
    department: str
    role: str
    decides: bool


@dataclass(frozen=True)
class Stage:
    """Where the engine stopped: the state (JSON text with the start-variables marker), steps done, steps open."""

    definition_id: int
    number: int
    state_json: str
    done: tuple[tuple[Step, str], ...]  # (step, outcome)
    open: tuple[Step, ...]
    uuids: tuple[str, ...]
    pattern: re.Pattern  # matches any of `uuids`


def _step(ready: routing.ReadyStep) -> Step:
    return Step(
        spiff_id=str(ready.spiff_task_id),
        step_id=ready.step_id,
        step_name=ready.step_name[:100],
        department=ready.department,
        role=ready.role or StaffRole.REVIEWER,
        decides=ready.decides,
    )


def _stage(definition_id: int, number: int, workflow, done: list[tuple[Step, str]]) -> Stage:
    state = routing.workflow_dump(workflow)
    text = json.dumps(state, ensure_ascii=False)
    if text.count(MARKER_TEXT) != 1:
        raise RuntimeError(f"流程 {definition_id} 的状态模板中起始变量标记不唯一")
    return Stage(
        definition_id=definition_id,
        number=number,
        state_json=text,
        done=tuple(done),
        open=tuple(_step(ready) for ready in routing.ready_steps(workflow)),
        uuids=tuple(state["tasks"]),
        pattern=re.compile("|".join(re.escape(value) for value in state["tasks"])),
    )


def stage_templates(definition: ProcessDefinition) -> list[Stage]:
    """Every stage of `definition` on the path where each review step agrees, up to the deciding step's."""
    workflow = routing.workflow_new(definition, {MARKER: 0})
    done: list[tuple[Step, str]] = []
    for ready in routing.ready_steps(workflow):
        if ready.role == StaffRole.WINDOW_CLERK and not ready.decides:  # process_start's own acceptance
            routing.step_run(workflow, ready.spiff_task_id, {})
            done.append((_step(ready), TaskOutcome.ACCEPTED))
    stages: list[Stage] = []
    while True:
        ready = routing.ready_steps(workflow)
        if not ready:
            break
        stages.append(_stage(definition.pk, len(stages), workflow, done))
        if any(step.decides for step in ready):
            break
        first = ready[0]
        earlier = [outcome for step, outcome in done if step.role == StaffRole.REVIEWER]
        variables = review.outcome_variables(
            step_name=first.step_name, decides=False, outcome=TaskOutcome.AGREE, earlier=earlier
        )
        routing.step_run(workflow, first.spiff_task_id, variables)
        done.append((_step(first), TaskOutcome.AGREE))
    return stages


def clone_state(stage: Stage, variables: dict, rng: random.Random) -> tuple[str, dict[str, str]]:
    """The stage's state for one case: fresh task UUIDs and the case's start variables. Returns (JSON text,
    template UUID -> new UUID)."""
    mapping = {old: str(uuid.UUID(int=rng.getrandbits(128), version=4)) for old in stage.uuids}
    text = stage.pattern.sub(lambda match: mapping[match.group(0)], stage.state_json)
    inner = json.dumps(variables, ensure_ascii=False)[1:-1]
    return text.replace(MARKER_TEXT, inner, 1), mapping


# ---------------------------------------------------------------------------------------------------------------
# Which cases


def _candidates(wanted: int) -> tuple[list[int], list[int]]:
    """(cases already accepted or in review without a process, decided cases to reopen), newest first; together at
    most `wanted`. Only versions with a process qualify."""
    with_process = Case.objects.filter(version__process__isnull=False, workflow__isnull=True)
    open_ids = list(
        with_process.filter(status__in=[CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW])
        .order_by("-received_at")
        .values_list("pk", flat=True)[:wanted]
    )
    missing = wanted - len(open_ids)
    reopen_ids = []
    if missing > 0:
        reopen_ids = list(
            with_process.filter(status=REOPEN_FROM, decided_by__isnull=True)
            .order_by("-received_at")
            .values_list("pk", flat=True)[:missing]
        )
    return open_ids, reopen_ids


def _reopen(ids: list[int]) -> None:
    """Decided bench cases back to 办理中: status 8, no close time, no 办结 event."""
    if not ids:
        return
    Case.objects.filter(pk__in=ids).update(status=CaseStatus.IN_REVIEW, closed_at=None)
    CaseEvent.objects.filter(case_id__in=ids, code=EventCode.APPROVED).delete()


def _flag_past_due(ids: list[int]) -> None:
    """The supervision flag (督办) on the running cases whose statutory date has passed, as a live platform has them:
    its 15-minute overdue scan flags a case the day its date passes. Without this the first scan over the bench data
    would flag tens of thousands of months-old (mostly reopened) cases at once, each a new case row in every index:
    a backlog only the generation makes, not the work of one scan."""
    Case.objects.filter(pk__in=ids, statutory_due__lt=timezone.localdate(), supervision_flag=False).update(
        supervision_flag=True
    )


# ---------------------------------------------------------------------------------------------------------------
# Rows of one case


class _Context:
    """What every case's rows need, read once: templates, organisations per lane, holders per role, dates."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.workdays = past_working_days(120, self.today + dt.timedelta(days=1))
        self.templates: dict[int, list[Stage]] = {}
        self.lanes: dict[tuple[int, str], int] = {}
        self.limits: dict[int, dict] = {}
        self.escalations: dict[int, dict] = {}
        self.due: dict[tuple[dt.date, str], tuple[dt.date | None, bool]] = {}
        self.holders: dict[tuple[int, str], list[int]] = defaultdict(list)
        for organisation_id, role, user_id in StaffAssignment.objects.filter(user__is_active=True).values_list(
            "organisation_id", "role", "user_id"
        ):
            self.holders[(organisation_id, role)].append(user_id)
        self.versions = {
            version.pk: version
            for version in ItemVersion.objects.filter(process__isnull=False).select_related(
                "process", "item__organisation"
            )
        }

    def stages(self, definition: ProcessDefinition) -> list[Stage]:
        if definition.pk not in self.templates:
            self.templates[definition.pk] = stage_templates(definition)
            self.limits[definition.pk] = review._step_limits(definition)
            self.escalations[definition.pk] = review._escalation_days(definition)
        return self.templates[definition.pk]

    def organisation_id(self, version: ItemVersion, department: str) -> int:
        key = (version.pk, department)
        if key not in self.lanes:
            # An unsaved case of the version is all the lane rule reads (its organisation and version).
            case = Case(organisation=version.item.organisation, version=version)
            self.lanes[key] = review.lane_organisation(case, department).pk
        return self.lanes[key]

    def due_on(self, start: dt.date, limit: dict | None) -> tuple[dt.date | None, bool]:
        key = (start, json.dumps(limit, sort_keys=True))
        if key not in self.due:
            self.due[key] = routing.working_or_natural_days(start, limit)
        return self.due[key]

    def holder(self, organisation_id: int, role: str) -> int | None:
        people = self.holders.get((organisation_id, role))
        return self.rng.choice(people) if people else None


def _working_day_before(context: _Context, day: dt.date, back: int) -> dt.date:
    """The working day `back` working days before `day` (0: `day` itself when it is one)."""
    earlier = [workday for workday in context.workdays if workday <= day]
    if not earlier:
        return day
    return earlier[max(0, len(earlier) - 1 - back)]


def _case_rows(context: _Context, case: dict, stage: Stage, version: ItemVersion) -> tuple[dict, list[dict]]:
    """The WorkflowState row and the task rows of one case at `stage`."""
    rng = context.rng
    variables = {**(case["form_data"] or {}), "applicant_kind": case["applicant_kind"], "deferred_materials": 0}
    state_text, mapping = clone_state(stage, variables, rng)
    accepted_at = case["accepted_at"] or context.now
    limits, escalations = context.limits[stage.definition_id], context.escalations[stage.definition_id]
    tasks = []
    moment = accepted_at
    for step, outcome in stage.done:
        organisation_id = context.organisation_id(version, step.department)
        started = moment
        if outcome != TaskOutcome.ACCEPTED:
            moment = min(moment + dt.timedelta(hours=rng.randint(2, 40)), context.now)
        handler = case["accepted_by_id"] if outcome == TaskOutcome.ACCEPTED else None
        handler = handler or context.holder(organisation_id, step.role) or case["accepted_by_id"]
        tasks.append(
            {
                "case_id": case["id"],
                "spiff_task_id": _uuid_value(mapping[step.spiff_id]),
                "step_id": step.step_id,
                "step_name": step.step_name,
                "organisation_id": organisation_id,
                "role": step.role,
                "decides": step.decides,
                "assignee_id": handler,
                "handler_id": handler,
                "status": TaskStatus.DONE.value,
                "lock_version": 1,
                "created_at": started,
                "finished_at": moment,
                "outcome": outcome.value,
                "opinion": "" if outcome == TaskOutcome.ACCEPTED else "同意",
            }
        )
    overdue = rng.random() < OVERDUE_SHARE
    for step in stage.open:
        organisation_id = context.organisation_id(version, step.department)
        limit = limits.get(step.step_id)
        days = int((limit or {}).get("days") or 0)
        back = days + rng.randint(1, 8) if overdue else rng.randint(0, max(days - 1, 0))
        start = max(_working_day_before(context, context.today, back), moment.date())
        due, provisional = context.due_on(start, limit)
        if due is None or (step.decides and case["statutory_due"] and due > case["statutory_due"]):
            due = case["statutory_due"] if step.decides or due is None else due
        escalate_after = escalations.get(step.step_id)
        escalate_on = None
        if escalate_after:
            escalate_on = context.due_on(start, {"days": escalate_after, "unit": "working_day"})[0]
        created = max(
            moment, dt.datetime.combine(start, dt.time(9, 0), tzinfo=timezone.get_current_timezone())
        ) + dt.timedelta(minutes=rng.randint(0, 420))
        assignee = context.holder(organisation_id, step.role) if rng.random() < ASSIGNED_SHARE else None
        tasks.append(
            {
                "case_id": case["id"],
                "spiff_task_id": _uuid_value(mapping[step.spiff_id]),
                "step_id": step.step_id,
                "step_name": step.step_name,
                "organisation_id": organisation_id,
                "role": step.role,
                "decides": step.decides,
                "assignee_id": assignee,
                "status": TaskStatus.OPEN.value,
                "lock_version": 1 if assignee else 0,
                "created_at": min(created, context.now),
                "due_on": due,
                "due_provisional": provisional,
                "escalate_on": escalate_on,
                "outcome": "",
                "opinion": "",
            }
        )
    state_row = {
        "case_id": case["id"],
        "definition_id": stage.definition_id,
        "state": state_text,
        "updated_at": moment,
    }
    return state_row, tasks


def _uuid_value(text: str):
    # SQLite stores Django's UUIDField as 32 hex digits; PostgreSQL takes the UUID.
    value = uuid.UUID(text)
    return value if connection.vendor == "postgresql" else value.hex


def _pick_stage(stages: list[Stage], status: int, rng: random.Random) -> Stage:
    """已受理 cases wait at the first stage; 办理中 ones anywhere after it (the deciding step a little more often)."""
    if status == CaseStatus.ACCEPTED or len(stages) == 1:
        return stages[0]
    later = stages[1:]
    weights = [1.0] * (len(later) - 1) + [1.5]
    return rng.choices(later, weights=weights)[0]


# ---------------------------------------------------------------------------------------------------------------
# The run


def in_progress_count() -> int:
    """Cases that have a running process (a WorkflowState)."""
    return WorkflowState.objects.count()


def generate(
    in_progress: int = DEFAULT_IN_PROGRESS,
    *,
    rng: random.Random,
    say: Callable[[str], None] = lambda _message: None,
) -> int:
    """Bring the cases with a running process up to `in_progress`; returns how many were added."""
    started = time.monotonic()
    wanted = in_progress - in_progress_count()
    if wanted <= 0:
        say(f"  已有 {in_progress_count()} 件办理中的办件，无需生成")
        return 0
    open_ids, reopen_ids = _candidates(wanted)
    say(f"  已受理/办理中待补流程 {len(open_ids)} 件，重新打开已办结 {len(reopen_ids)} 件 …")
    context = _Context(rng)
    reopened = set(reopen_ids)
    ids = open_ids + reopen_ids
    states, tasks = TableWriter(WorkflowState, with_id=False), TableWriter(ReviewTask, with_id=False)
    fields = ("id", "status", "version_id", "form_data", "applicant_kind", "accepted_at", "accepted_by_id")
    created = 0
    for first in range(0, len(ids), BATCH):
        chunk = ids[first : first + BATCH]
        with transaction.atomic():
            _reopen([pk for pk in chunk if pk in reopened])
            state_rows, task_rows = [], []
            for case in Case.objects.filter(pk__in=chunk).values(*fields, "statutory_due"):
                version = context.versions.get(case["version_id"])
                if version is None:
                    continue
                status = CaseStatus.IN_REVIEW if case["id"] in reopened else case["status"]
                stage = _pick_stage(context.stages(version.process), status, rng)
                state_row, rows = _case_rows(context, case, stage, version)
                state_rows.append(state_row)
                task_rows.extend(rows)
            states.write(state_rows)
            tasks.write(task_rows)
            _flag_past_due(chunk)
            created += len(state_rows)
        elapsed = time.monotonic() - started
        say(f"  {created} / {len(ids)} 件（{elapsed:.0f} 秒，{created / max(elapsed, 0.001):.0f} 件/秒）")
    _analyse()
    return created


def _analyse() -> None:
    """Fresh planner statistics and visibility map for the tables just filled (PostgreSQL): COPY leaves none, and
    until autovacuum comes by the worklists' plans are guessed from an empty task table (seconds, not milliseconds)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in (ReviewTask, WorkflowState, Case, CaseEvent):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def open_task_summary() -> dict:
    """Open tasks: total, overdue (due before today), claimed, and the largest (organisation, role) pool."""
    today = timezone.localdate()
    open_tasks = ReviewTask.objects.filter(status=TaskStatus.OPEN)
    from django.db.models import Count

    pools = (
        open_tasks.values("organisation_id", "role")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("organisation_id", "role", "n")[:1]
    )
    return {
        "open": open_tasks.count(),
        "overdue": open_tasks.filter(due_on__lt=today).count(),
        "claimed": open_tasks.filter(assignee__isnull=False).count(),
        "largest_pool": list(pools[0]) if pools else None,
    }
