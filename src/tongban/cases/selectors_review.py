"""Reads for the review workbench (审查与决定): the worklists 待审查 / 待审批 / 特别程序中 / 即将超期 / 已超期 /
我的待办, the supervisors' overdue view, and what a case page shows about its tasks (earlier opinions, the process
outline with the current position).

Worklists are hot (DESIGN rule 9): each is one indexed query over ReviewTask (the indexes organisation + role + status
+ due_on, assignee + status + due_on, status + due_on), written by hand in cases/list_queries.py, plus the few queries
access.task_scope_of needs for the user's roles, whatever the page size; tests pin the counts. They never load
workflow state. A worklist page counts its tasks only up to COUNT_CAP (WorklistPaginator).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.utils.functional import cached_property

from tongban.accounts.models import User
from tongban.cases import access, deadlines, list_queries, review
from tongban.cases.errors import CaseError
from tongban.cases.list_queries import SqlList, TaskFilter, TaskListRow
from tongban.cases.models import FINAL_STATUSES, Case, CaseStatus, ReviewTask, TaskStatus
from tongban.cases.selectors import choice_labels
from tongban.catalog.bpmn import outline
from tongban.core.errors import DomainError

# The worklists, in the order the tabs show them.
WORKLISTS = ("to_review", "to_approve", "special", "due_soon", "overdue", "mine")


def worklist(user: User, name: str, today: dt.date, horizon: dt.date | None = None) -> SqlList:
    """One of the user's worklists of open tasks, soonest due first (tasks with no due date last).

    to_review: steps that give an opinion; to_approve: deciding steps; special: the case is in a special procedure;
    due_soon: due between today and the warning horizon; overdue: due before today; mine: claimed by the user.
    Read with list_queries' SQL.
    """
    if name == "mine":
        return list_queries.open_tasks(TaskFilter(assignee_id=user.pk))
    scope = access.task_scope_of(user, assigned=False)
    if name == "to_approve":
        return list_queries.open_tasks(TaskFilter(scope=scope, decides=True))
    if name == "special":
        return list_queries.open_tasks(TaskFilter(scope=scope, case_status=CaseStatus.SPECIAL_PROCEDURE))
    if name == "due_soon":
        horizon = horizon or deadlines.warning_horizon(today)
        return list_queries.open_tasks(TaskFilter(scope=scope, due_from=today, due_to=horizon))
    if name == "overdue":
        return list_queries.open_tasks(TaskFilter(scope=scope, due_before=today))
    return list_queries.open_tasks(TaskFilter(scope=scope, decides=False))


# A worklist counts its tasks only up to this many; beyond, the page says "超过 1000 项" and pages on. Counting every
# open task of a large pool (10 791 for one reviewer on the issue-6 bench) was the costliest statement of a worklist
# request, and nobody reads a thousand tasks by paging.
COUNT_CAP = 1000


class WorklistPaginator(list_queries.SqlPaginator):
    """A paginator whose count stops at `cap` + 1 (a COUNT over a LIMITed subquery, read with the page) while the page
    asked for lies within the first `cap` tasks; `capped` then says there are more than `cap`, and there is always a
    next page. Asking for a page beyond them counts every task (to find that page, or fall back to the last one)."""

    def __init__(self, object_list, per_page: int, cap: int | None = None):
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap
        self.exact = False

    def get_page(self, number):
        with contextlib.suppress(TypeError, ValueError):  # not a number: the first page, within the cap
            self.exact = int(number) * self.per_page > self.cap
        return super().get_page(number)

    def count_limit(self, number: int) -> int | None:
        return None if self.exact else self.cap + 1

    @cached_property
    def count(self) -> int:
        if self.exact:
            return super().count
        return self.object_list.count_up_to(self.cap + 1)

    @property
    def capped(self) -> bool:
        """Whether the count stopped at the cap (there are more tasks than `cap`, not all counted)."""
        return not self.exact and self.count > self.cap

    @property
    def shown_count(self) -> int:
        """The count to show beside `capped` (`cap` when there are more)."""
        return self.cap if self.capped else self.count


def supervision(user: User, today: dt.date) -> SqlList:
    """Every overdue open task in the organisations the user heads or supervises, most overdue first."""
    organisations = access.overseen_organisation_ids(user)
    return list_queries.open_tasks(TaskFilter(organisation_ids=organisations, due_before=today))


def is_overseer(user: User) -> bool:
    """Whether the user heads or supervises any organisation (to offer the supervision view)."""
    return bool(access.overseen_organisation_ids(user))


@dataclass(frozen=True)
class TaskRow:
    """One task as a worklist shows it, worked out before rendering (the lists are hot)."""

    id: int
    number: str
    url: str
    item_name: str
    applicant_name: str
    step: str
    decides: bool
    organisation: str
    assignee: str
    due_on: dt.date | None
    due_provisional: bool
    warning: str  # "red" / "yellow" / ""
    promised_due: dt.date | None
    case_status: int
    case_status_name: str
    lock_version: int


def person_label(user: User | None) -> str:
    """How a member of staff is named on a page: their display name, else the account name."""
    if user is None:
        return ""
    return names_label(user.display_name, user.username)


def names_label(display_name: str | None, username: str | None) -> str:
    """person_label from the two names as a list reads them (both None for nobody)."""
    return display_name or username or ""


def task_rows(tasks: list[TaskListRow], today: dt.date, horizon: dt.date, case_url: str = "") -> list[TaskRow]:
    """The rows of a worklist page; `horizon` is warning_horizon(today), read once for the page; `case_url` a
    str.format template of the case page's address ({0}: the number), reversed once for the page."""
    statuses = choice_labels(CaseStatus)
    return [
        TaskRow(
            id=task.pk,
            number=task.case_number or "",
            url=case_url.format(task.case_number) if case_url else "",
            item_name=task.item_name,
            applicant_name=task.applicant_name,
            step=task.step_name,
            decides=task.decides,
            organisation=task.organisation_name,
            assignee=names_label(task.assignee_display_name, task.assignee_username),
            due_on=task.due_on,
            due_provisional=task.due_provisional,
            warning=deadlines.warning_level(task.due_on, today, horizon),
            promised_due=task.promised_due,
            case_status=task.case_status,
            case_status_name=statuses.get(task.case_status, str(task.case_status)),
            lock_version=task.lock_version,
        )
        for task in tasks
    ]


# ---------------------------------------------------------------------------------------------------------------
# One case


def case_tasks(case: Case) -> list[ReviewTask]:
    """Every task of the case, oldest first, with what the page names (organisation, assignee, handler)."""
    return list(
        ReviewTask.objects.filter(case=case)
        .select_related("organisation", "organisation__region", "assignee", "handler")
        .order_by("created_at", "pk")
    )


def visible_open_tasks(user: User, case: Case) -> list[ReviewTask]:
    """The case's open tasks the user may see (their role at its organisation, assigned to them, or overseen)."""
    return list(
        ReviewTask.objects.filter(access.task_scope(user), case=case, status=TaskStatus.OPEN)
        .select_related("case", "organisation", "organisation__region", "assignee")
        .order_by("created_at", "pk")
    )


def earlier_opinions(tasks: list[ReviewTask]) -> list[ReviewTask]:
    """The finished steps (已办), in the order they were finished."""
    done = [task for task in tasks if task.status == TaskStatus.DONE]
    return sorted(done, key=lambda task: (task.finished_at or task.created_at, task.pk))


# Where a step of the outline stands on this case.
STEP_DONE, STEP_CURRENT, STEP_WAITING, STEP_NOT_REACHED = "done", "current", "waiting", "not_reached"


def process_position(case: Case, tasks: list[ReviewTask]) -> list[dict]:
    """The process outline's steps in order, each marked done / current / waiting (not_reached once the case has
    ended), with the organisations working on a current step."""
    definition = case.version.process
    if definition is None:
        return []
    open_steps: dict[str, list[ReviewTask]] = {}
    done_steps: set[str] = set()
    for task in tasks:
        if task.status == TaskStatus.OPEN:
            open_steps.setdefault(task.step_id, []).append(task)
        elif task.status == TaskStatus.DONE:
            done_steps.add(task.step_id)
    ended = case.status in FINAL_STATUSES
    position = []
    for step in outline(definition).get("steps", []):
        if step["id"] in open_steps:
            state = STEP_CURRENT
        elif step["id"] in done_steps:
            state = STEP_DONE
        else:
            state = STEP_NOT_REACHED if ended else STEP_WAITING
        position.append(
            {
                "id": step["id"],
                "name": step["name"],
                "role_label": step.get("role_label", ""),
                "department": step.get("department", ""),
                "parallel": step.get("parallel_group") is not None,
                "state": state,
                "organisations": sorted({task.organisation.name for task in open_steps.get(step["id"], [])}),
            }
        )
    return position


def colleague_for(task: ReviewTask, user_id: int | None) -> User:
    """An eligible colleague for 转办 / 改派 by id (one of review.handlers_for the task), or ASSIGNEE_NOT_ELIGIBLE."""
    colleague = review.handlers_for(task.organisation, task.role).filter(pk=user_id).first() if user_id else None
    if colleague is None:
        raise DomainError(CaseError.ASSIGNEE_NOT_ELIGIBLE)
    return colleague


def handler_choices(task: ReviewTask, *, exclude: int | None) -> list[tuple[int, str]]:
    """The colleagues a task may go to, as (id, name) pairs, without `exclude` (oneself, or the current assignee)."""
    return [
        (user.pk, person_label(user))
        for user in review.handlers_for(task.organisation, task.role)
        if user.pk != exclude
    ]
