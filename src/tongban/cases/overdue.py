"""The overdue scan (超期扫描) and timer escalation (超时上报), run every 15 minutes by cases/jobs.py.

What one run does:
1. Open review tasks past their due date (due_on < today) not yet marked get `overdue_at`; each one's handler is told
   (its assignee, or when unclaimed the holders of its role at its organisation), and so are the heads and the
   supervisors (电子监察) of its organisation.
2. Open tasks whose process timer has fired (escalate_on <= today) and not yet escalated get `escalated_at`; the heads
   of their organisation are told (转机构负责人督办). Heads see these tasks through access.task_scope.
3. Cases still running (3/8; a special procedure pauses the clock) whose statutory date has passed get the
   supervision flag (督办).

Safe to run twice at once and idempotent: each batch runs in its own transaction, and one statement picks its rows
(locking them with SKIP LOCKED on PostgreSQL: a second worker takes other rows instead of waiting), stamps only rows
still unstamped (a conditional UPDATE, which SQLite serialises) and returns the rows it stamped. Only those are
notified, so a task is announced once whatever runs side by side. The stamps are not changes of the
task (lock_version stays), so a handler's open page never turns stale because of the scan.

Set-based throughout: batches follow the primary key, each picked and stamped by one UPDATE, recipients are looked up
once per batch (three queries whatever the batch size), and each person gets one message per batch listing their
tasks (a person with 300 overdue tasks gets one message, not 300). The stamps are HOT updates on PostgreSQL (the
table keeps room in its pages: migration 0002), so they write no index entries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.accounts.access import region_prefix
from tongban.accounts.models import StaffAssignment, StaffRole, User, UserKind
from tongban.cases import steps
from tongban.cases.access import OVERSIGHT_ROLES
from tongban.cases.models import Case, CaseStatus, ReviewTask, TaskStatus
from tongban.core import audit
from tongban.core.models import Organisation
from tongban.notifications.services import notify

# Rows stamped per transaction: large enough that a mass run sends few messages per person, small enough that a
# handler whose task is in the batch waits at most a second or two for its lock.
BATCH = 20000
# How many tasks a message lists by name; the rest are counted.
LISTED = 10
# The cases whose clock runs; 9 (特别程序) is paused and never flagged for it.
RUNNING_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW)
WORKBENCH_LINK = "/workbench/review/"


# While a special procedure runs the case clock is paused: its tasks' dates move when it ends, so nothing is overdue
# or escalated meanwhile.
def overdue_condition(today: dt.date) -> Q:
    return Q(due_on__lt=today) & ~Q(case__status=CaseStatus.SPECIAL_PROCEDURE)


def escalation_condition(today: dt.date) -> Q:
    return Q(escalate_on__lte=today) & ~Q(case__status=CaseStatus.SPECIAL_PROCEDURE)


@dataclass(frozen=True)
class TaskRow:
    """The columns of a task a notice needs (read with values_list, never as a model)."""

    pk: int
    case_number: str
    organisation_id: int
    role: str
    assignee_id: int | None
    step_name: str
    due_on: dt.date | None


@dataclass
class ScanResult:
    """What one scan did (for the job's log)."""

    overdue: int = 0
    escalated: int = 0
    flagged_cases: int = 0
    messages: int = 0
    batches: list[int] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------------
# Stamping


def _stamp(after: int, condition: Q, stamp: str, limit: int) -> list[TaskRow]:
    """Stamp `stamp` (now) on the first `limit` open, unstamped tasks with pk > `after` that meet `condition`; return
    exactly the rows this call stamped. Call inside a transaction.

    One statement, which both picks the batch and stamps it: UPDATE … FROM (SELECT … ORDER BY id LIMIT n FOR UPDATE
    SKIP LOCKED) … RETURNING …, so rows another worker holds are skipped, not waited for (nor counted in the limit),
    and the returned rows are this call's own (no second read that could pick up a neighbour's stamp). The case
    number comes from the join the condition already needs (on PostgreSQL).
    """
    task_table = ReviewTask._meta.db_table
    candidates = (
        ReviewTask.objects.filter(condition, Q(status=TaskStatus.OPEN, pk__gt=after, **{f"{stamp}__isnull": True}))
        .annotate(number=F("case__number"))
        .values("pk", "number")
        .order_by("pk")[:limit]
    )
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    inner, params = candidates.query.sql_with_params()
    column = ReviewTask._meta.get_field(stamp).column
    sql = (
        f"UPDATE {task_table} SET {column} = %s FROM ({inner}) AS picked "  # noqa: S608 (names from the models)
        f"WHERE {task_table}.id = picked.pk "
        f"RETURNING {task_table}.id, {_returned_number()}, organisation_id, role, assignee_id, step_name, due_on"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(timezone.now()), *params])
        rows = cursor.fetchall()
    date_field = ReviewTask._meta.get_field("due_on")
    converted = [TaskRow(*row[:6], date_field.to_python(row[6]) if row[6] is not None else None) for row in rows]
    return sorted(converted, key=lambda row: (row.due_on or dt.date.max, row.pk))


def _returned_number() -> str:
    # SQLite's RETURNING may not name the FROM clause's tables: there the number is looked up per row.
    if connection.vendor == "sqlite":
        case_table, task_table = Case._meta.db_table, ReviewTask._meta.db_table
        return f"(SELECT number FROM {case_table} WHERE {case_table}.id = {task_table}.case_id)"  # noqa: S608
    return "picked.number"


# ---------------------------------------------------------------------------------------------------------------
# Recipients, looked up once per batch


class Holders:
    """Active staff holding given roles at given organisations (directly or through a region-subtree assignment,
    the rule of accounts.access.holders_of), loaded in three queries for a whole batch."""

    def __init__(self, organisation_ids: set[int], roles: set[str], extra_user_ids: set[int] = frozenset()):
        self.codes = dict(Organisation.objects.filter(pk__in=organisation_ids).values_list("pk", "region__code"))
        assignments = list(
            StaffAssignment.objects.filter(role__in=roles)
            .filter(Q(organisation_id__in=organisation_ids) | Q(covers_region_subtree=True))
            .values_list("user_id", "role", "organisation_id", "covers_region_subtree", "organisation__region__code")
        )
        user_ids = {row[0] for row in assignments} | set(extra_user_ids)
        self.users = {
            user.pk: user for user in User.objects.filter(pk__in=user_ids, is_active=True, kind=UserKind.STAFF)
        }
        self.direct: dict[tuple[int, str], set[int]] = defaultdict(set)
        self.subtree: list[tuple[int, str, str]] = []
        for user_id, role, organisation_id, covers, code in assignments:
            self.direct[(organisation_id, role)].add(user_id)
            if covers:
                self.subtree.append((user_id, role, region_prefix(code)))
        self._cache: dict[tuple[int, str], list[int]] = {}

    def of(self, organisation_id: int, role: str) -> list[int]:
        key = (organisation_id, role)
        if key not in self._cache:
            code = self.codes.get(organisation_id, "")
            found = set(self.direct.get(key, ()))
            found |= {user_id for user_id, held, prefix in self.subtree if held == role and code.startswith(prefix)}
            self._cache[key] = sorted(user_id for user_id in found if user_id in self.users)
        return self._cache[key]


def _line(row: TaskRow) -> str:
    return _("办件 %(number)s「%(step)s」（期限 %(due)s）") % {
        "number": row.case_number,
        "step": row.step_name,
        "due": row.due_on or "-",
    }


def _send(holders: Holders, tasks_by_person: dict[int, list[TaskRow]], topic: str, title: str, intro: str, sms: bool):
    """One message per person, listing the tasks that concern them."""
    sent = 0
    for user_id, rows in sorted(tasks_by_person.items()):
        user = holders.users.get(user_id)
        if user is None:
            continue
        lines = [_line(row) for row in rows[:LISTED]]
        if len(rows) > LISTED:
            lines.append(_("等共 %(count)d 项") % {"count": len(rows)})
        link = f"/workbench/review/cases/{rows[0].case_number}/" if len(rows) == 1 else WORKBENCH_LINK
        body = intro % {"count": len(rows)} + "；".join(lines)
        sent += len(notify(recipients=[user], topic=topic, title=title, body=body, link=link, sms=sms))
    return sent


# ---------------------------------------------------------------------------------------------------------------
# The two batch steps (each the unit a worker commits)


@dataclass(frozen=True)
class Batch:
    """What one batch did: tasks stamped, messages sent, and the highest task id stamped (where the next starts)."""

    stamped: int
    messages: int
    last: int


@transaction.atomic
def mark_overdue_batch(after: int, *, today: dt.date, limit: int = BATCH) -> Batch:
    """Mark the next `limit` overdue tasks with pk > `after` and tell their handlers, heads and supervisors. Tasks
    another call already marked (or is marking) are left alone and not announced again."""
    rows = _stamp(after, overdue_condition(today), "overdue_at", limit)
    if not rows:
        return Batch(0, 0, after)
    organisations = {row.organisation_id for row in rows}
    roles = {row.role for row in rows if row.assignee_id is None} | set(OVERSIGHT_ROLES)
    holders = Holders(organisations, roles, {row.assignee_id for row in rows if row.assignee_id})
    tasks_by_person: dict[int, list[TaskRow]] = defaultdict(list)
    for row in rows:
        handlers = [row.assignee_id] if row.assignee_id else holders.of(row.organisation_id, row.role)
        overseers = [user for role in OVERSIGHT_ROLES for user in holders.of(row.organisation_id, role)]
        for user_id in dict.fromkeys([*handlers, *overseers]):
            tasks_by_person[user_id].append(row)
    sent = _send(
        holders,
        tasks_by_person,
        "case.task_overdue",
        _("办理任务已超期"),
        _("以下 %(count)d 个办理任务已超过步骤期限，请尽快办理："),
        sms=False,
    )
    audit.record(
        actor=None,
        action="cases.task.overdue",
        object_type="cases.reviewtask",
        object_repr=_("超期扫描"),
        after={"tasks": [row.pk for row in rows], "today": today.isoformat()},
    )
    return Batch(len(rows), sent, max(row.pk for row in rows))


@transaction.atomic
def escalate_batch(after: int, *, today: dt.date, limit: int = BATCH) -> Batch:
    """Escalate the next `limit` tasks with pk > `after` whose timer fired to their organisation's heads
    (转机构负责人督办)."""
    rows = _stamp(after, escalation_condition(today), "escalated_at", limit)
    if not rows:
        return Batch(0, 0, after)
    holders = Holders({row.organisation_id for row in rows}, {StaffRole.HEAD})
    tasks_by_person: dict[int, list[TaskRow]] = defaultdict(list)
    for row in rows:
        for user_id in holders.of(row.organisation_id, StaffRole.HEAD):
            tasks_by_person[user_id].append(row)
    sent = _send(
        holders,
        tasks_by_person,
        "case.task_escalated",
        _("转机构负责人督办"),
        _("以下 %(count)d 个办理任务超时未办，已按流程转您督办："),
        sms=True,
    )
    audit.record(
        actor=None,
        action="cases.task.escalate",
        object_type="cases.reviewtask",
        object_repr=_("超时上报"),
        after={"tasks": [row.pk for row in rows], "today": today.isoformat()},
    )
    return Batch(len(rows), sent, max(row.pk for row in rows))


# ---------------------------------------------------------------------------------------------------------------
# The scan


def _batches(step, today: dt.date):
    """Run `step` (a batch function) from the lowest task id up, each batch after the last one's highest id, until a
    batch finds nothing left to stamp; yield each batch."""
    after = 0
    while True:
        batch = step(after, today=today)
        if not batch.stamped:
            return
        yield batch
        after = batch.last


def flag_cases(today: dt.date) -> int:
    """督办: running cases past their statutory date get the supervision flag (one UPDATE)."""
    return Case.objects.filter(status__in=RUNNING_STATUSES, statutory_due__lt=today, supervision_flag=False).update(
        supervision_flag=True
    )


def scan(today: dt.date | None = None) -> ScanResult:
    """One run of the overdue scan and timer escalation (see the module docstring)."""
    today = today or steps.today()
    result = ScanResult()
    for batch in _batches(mark_overdue_batch, today):
        result.overdue += batch.stamped
        result.messages += batch.messages
        result.batches.append(batch.stamped)
    for batch in _batches(escalate_batch, today):
        result.escalated += batch.stamped
        result.messages += batch.messages
    with transaction.atomic():
        result.flagged_cases = flag_cases(today)
        if result.flagged_cases:
            audit.record(
                actor=None,
                action="cases.case.supervision_flag",
                object_type="cases.case",
                object_repr=_("超过法定办结日期"),
                after={"count": result.flagged_cases, "today": today.isoformat()},
            )
    return result
