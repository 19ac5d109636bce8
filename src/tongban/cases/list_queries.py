"""The hot lists — 我的办件, the pre-review worklists (issue 5) and the review worklists (issue 6) — read with
hand-written SQL (DESIGN rule 9).

Why not querysets: a page of 20 cases through the ORM (select_related, only(), a subquery annotation, a prefetch of the
documents) cost about 4 ms of CPU per request, nearly all of it compiling SQL and building some 80 model objects;
the statements below cost about 0.4 ms for the same page. Each list is a `SqlList` that Django's Paginator pages as
it would a queryset: count() runs one COUNT, and a slice runs one statement that reads the page (and, for 我的办件,
its documents in the same statement). The views page them with `SqlPaginator`, which reads the page and the count in
one statement. Rows are plain `CaseRow`s and `TaskListRow`s holding what the lists show.

Who may see what is decided in cases/access.py (`applicant_scope`, `pre_review_organisation_ids`,
`task_scope_of`); this module only turns those scopes into WHERE clauses. Values always travel as parameters; the only
text put into the SQL is table names from the models' Meta and one "%s" per value (hence the S608 waivers). The
statements run unchanged on SQLite and PostgreSQL (where psycopg prepares them after a few runs, see
TONGBAN_DB_PREPARED); tests check every list against the ORM's scoped querysets on both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.paginator import Paginator
from django.db import connection

from tongban.accounts.models import User
from tongban.cases.access import ApplicantScope, TaskScope
from tongban.cases.models import Case, CaseDocument, CaseEvent, CaseStatus, ReviewTask, TaskStatus
from tongban.catalog.models import BasicItem, ImplementationItem, ItemVersion
from tongban.core.db.values import aware_datetime, date_value, uuid_value
from tongban.core.models import Organisation

# ---------------------------------------------------------------------------------------------------------------
# Rows


@dataclass(frozen=True)
class DocumentRow:
    """One of a case's documents as a list links it (受理通知书 …): its PDF may still be rendering."""

    pk: int
    kind: str
    number: str
    issued_at: dt.datetime
    status: str  # CaseDocument.RenderStatus


@dataclass
class CaseRow:
    """One case of a hot list: the case's listed columns, its item's code and name, its organisation's name and,
    on 我的办件, its current step and documents."""

    pk: int
    public_id: uuid.UUID
    number: str | None
    status: int
    lock_version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    received_at: dt.datetime | None
    draft_expires_at: dt.datetime | None
    acceptance_due: dt.date | None
    promised_due: dt.date | None
    statutory_due: dt.date | None
    accepted_on: dt.date | None
    acceptance_deemed: bool
    supervision_flag: bool
    applicant_name: str
    channel: str
    item_code: str
    item_name: str  # the name of the item version applied for
    organisation_name: str
    current_step: str = ""
    documents: list[DocumentRow] = field(default_factory=list)

    @property
    def is_draft(self) -> bool:
        return self.status == CaseStatus.DRAFT


# ---------------------------------------------------------------------------------------------------------------
# Paging


class Head(NamedTuple):
    """What a page's statement puts first in its SELECT list, with its parameters: nothing, or the list's count."""

    sql: str
    params: list


NO_HEAD = Head("", [])

# A list's page statement: (head, limit, offset) -> (SQL, parameters). The head goes first in the SELECT list that
# gives the rows, so a statement can carry the list's count as its first column (SqlList.read_counted).
PageStatement = Callable[[Head, int, int], tuple[str, list]]


class SqlList:
    """A list Django's Paginator pages like a queryset: `count()` counts the rows of `from_where` (the statement's
    FROM … WHERE … text, over `params`), a slice runs the page statement and `build` turns its records into rows.

    The count is read once per list; `count_up_to(n)` stops counting at n (a worklist's capped count), and
    `read_counted` reads a page and the count in one statement (SqlPaginator). Iterating reads every row in one
    statement (tests; pages slice). No __len__: list() would count first.
    """

    def __init__(self, from_where: str, params: Sequence, page: PageStatement, build: Callable[[list], list]):
        self._from_where = from_where
        self._params = list(params)
        self._page = page
        self._build = build
        self._count: int | None = None

    @classmethod
    def empty(cls) -> SqlList:
        """A list of nothing that runs no statement (an actor who may see nothing)."""
        empty = cls("", [], lambda head, limit, offset: ("", []), lambda records: [])
        empty._count = 0
        return empty

    def count(self) -> int:
        if self._count is None:
            self._count = _fetch_all(f"SELECT COUNT(*) {self._from_where}", self._params)[0][0]
        return self._count

    def count_up_to(self, limit: int) -> int:
        """The number of rows, counting no further than `limit`."""
        if self._count is not None:
            return min(self._count, limit)
        return _fetch_all(*self._counting(limit))[0][0]

    def _counting(self, limit: int | None) -> tuple[str, list]:
        if limit is None:
            return f"SELECT COUNT(*) {self._from_where}", list(self._params)
        sql = f"SELECT COUNT(*) FROM (SELECT 1 {self._from_where} LIMIT %s) AS counted"  # noqa: S608
        return sql, [*self._params, limit]

    def read_counted(self, limit: int, offset: int, count_up_to: int | None) -> tuple[list, int | None]:
        """A page and the list's count (up to `count_up_to`; None counts every row) in one statement: the count is
        an uncorrelated subquery, run once, in the page's first column. The count is None when the page is past the
        end (no row carries it); an empty first page counts 0."""
        if self._count is not None:  # counted already (or empty): only the page
            return self[offset : offset + limit], min(self._count, count_up_to or self._count)
        sql, params = self._counting(count_up_to)
        records = _fetch_all(*self._page(Head(f"({sql}) AS total, ", params), limit, offset))
        if not records:
            return [], (0 if offset == 0 else None)
        return self._build([record[1:] for record in records]), records[0][0]

    def __iter__(self) -> Iterator:
        return iter(self._read(_EVERY_ROW, 0))

    def __getitem__(self, window: slice) -> list:
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError("SqlList is read a page at a time: list[start:stop]")
        start = window.start or 0
        stop = self.count() if window.stop is None else window.stop
        return self._read(stop - start, start) if stop > start else []

    def _read(self, limit: int, offset: int) -> list:
        if self._count == 0:
            return []
        return self._build(_fetch_all(*self._page(NO_HEAD, limit, offset)))


class SqlPaginator(Paginator):
    """Django's Paginator over a SqlList, reading the page asked for and the list's count in one statement.

    `count_limit(number)` says how far the count for page `number` goes (None: every row). A page past the end (no
    row to carry the count) and a number that is not a positive whole number go Django's own way: get_page counts,
    then falls back to the last (or first) page."""

    def count_limit(self, number: int) -> int | None:
        return None

    def get_page(self, number):
        wanted = _page_number(number)
        if wanted is not None:
            offset = (wanted - 1) * self.per_page
            rows, count = self.object_list.read_counted(self.per_page, offset, self.count_limit(wanted))
            if count is not None:
                self.__dict__["count"] = count  # Paginator.count is a cached_property: this is its cached value
                return self._get_page(rows, wanted, self)
        return super().get_page(number)


def _page_number(number) -> int | None:
    """The page number asked for if it is a whole number ≥ 1 (as Paginator.validate_number accepts it), else None."""
    if isinstance(number, float) and not number.is_integer():
        return None
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        return None
    return wanted if wanted >= 1 else None


_EVERY_ROW = 2**62  # a LIMIT both databases take as "no limit" (SQLite has no LIMIT ALL)


def _fetch_all(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _placeholders(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def _select(rows_sql: str, params: list) -> PageStatement:
    """The page statement `SELECT <head><rows_sql>` of a list whose rows come from one SELECT ending in LIMIT %s
    OFFSET %s: the head's parameters first, then the list's, the limit and the offset."""

    def page(head: Head, limit: int, offset: int) -> tuple[str, list]:
        return f"SELECT {head.sql}{rows_sql}", [*head.params, *params, limit, offset]

    return page


def _each(build: Callable[[Sequence], object]) -> Callable[[list], list]:
    """Rows from records, one each."""
    return lambda records: [build(record) for record in records]


# ---------------------------------------------------------------------------------------------------------------
# Statements

_CASE = Case._meta.db_table
_ITEM = ImplementationItem._meta.db_table
_BASIC = BasicItem._meta.db_table
_VERSION = ItemVersion._meta.db_table
_ORGANISATION = Organisation._meta.db_table
_EVENT = CaseEvent._meta.db_table
_DOCUMENT = CaseDocument._meta.db_table

# The columns of a CaseRow up to organisation_name, in its field order.
_ROW_COLUMNS = (
    "c.id, c.public_id, c.number, c.status, c.lock_version, c.created_at, c.updated_at, c.received_at,"
    " c.draft_expires_at, c.acceptance_due, c.promised_due, c.statutory_due, c.accepted_on, c.acceptance_deemed,"
    " c.supervision_flag, c.applicant_name, c.channel, i.code AS item_code, v.name AS item_name,"
    " o.name AS organisation_name"
)
_ROW_JOINS = (
    f"JOIN {_ITEM} i ON i.id = c.item_id JOIN {_VERSION} v ON v.id = c.version_id"
    f" JOIN {_ORGANISATION} o ON o.id = c.organisation_id"
)
# The case's current step: the latest event the applicant may see (the last step of selectors.public_timeline).
_CURRENT_STEP = (
    f"(SELECT e.name FROM {_EVENT} e WHERE e.case_id = c.id AND e.public"  # noqa: S608
    " ORDER BY e.created_at DESC, e.id DESC LIMIT 1) AS current_step"
)
_ROW_WIDTH = 20  # columns of _ROW_COLUMNS


def _case_row(values: Sequence) -> CaseRow:
    (pk, public_id, number, status, lock_version, created, updated, received, expires) = values[:9]
    (acceptance_due, promised_due, statutory_due, accepted_on, deemed, supervised) = values[9:15]
    (applicant_name, channel, item_code, item_name, organisation_name) = values[15:_ROW_WIDTH]
    return CaseRow(
        pk=pk,
        public_id=uuid_value(public_id),
        number=number,
        status=status,
        lock_version=lock_version,
        created_at=aware_datetime(created),
        updated_at=aware_datetime(updated),
        received_at=aware_datetime(received),
        draft_expires_at=aware_datetime(expires),
        acceptance_due=date_value(acceptance_due),
        promised_due=date_value(promised_due),
        statutory_due=date_value(statutory_due),
        accepted_on=date_value(accepted_on),
        acceptance_deemed=bool(deemed),
        supervision_flag=bool(supervised),
        applicant_name=applicant_name,
        channel=channel,
        item_code=item_code,
        item_name=item_name,
        organisation_name=organisation_name,
    )


# ---------------------------------------------------------------------------------------------------------------
# 我的办件


def _applicant_where(scope: ApplicantScope, statuses: Sequence[int] | None) -> tuple[str, list]:
    """The WHERE clause (over `c`, the case) of the scope's cases in `statuses` (None: every status)."""
    where, params = ["c.applicant_id = %s"], [scope.applicant_id]
    if scope.item_codes is not None:
        if not scope.item_codes:
            where.append("1 = 0")  # an agent authorised for no item sees none of the enterprise's cases
        else:
            codes = _placeholders(scope.item_codes)
            where.append(
                f"c.item_id IN (SELECT ii.id FROM {_ITEM} ii JOIN {_BASIC} b ON b.id = ii.basic_item_id"  # noqa: S608
                f" WHERE ii.code IN ({codes}) OR b.code IN ({codes}))"
            )
            params += [*scope.item_codes, *scope.item_codes]
    if statuses is not None:
        where.append(f"c.status IN ({_placeholders(statuses)})")
        params += list(statuses)
    return " AND ".join(where), params


def applicant_list(scope: ApplicantScope | None, statuses: Sequence[int] | None) -> SqlList:
    """我的办件 of the scope in `statuses` (None: all), newest first, each row with its current step and documents."""
    if scope is None:
        return SqlList.empty()
    where, params = _applicant_where(scope, statuses)
    in_page = (
        f"WITH page AS (SELECT {_ROW_COLUMNS}, {_CURRENT_STEP} FROM {_CASE} c {_ROW_JOINS} WHERE {where}"  # noqa: S608
        " ORDER BY c.created_at DESC, c.id DESC LIMIT %s OFFSET %s)"
    )
    with_documents = (
        f" page.*, d.id, d.kind, d.number, d.issued_at, d.status FROM page LEFT JOIN {_DOCUMENT} d"
        " ON d.case_id = page.id ORDER BY page.created_at DESC, page.id DESC, d.issued_at, d.id"
    )

    def page(head: Head, limit: int, offset: int) -> tuple[str, list]:
        return f"{in_page} SELECT {head.sql}{with_documents}", [*params, limit, offset, *head.params]

    return SqlList(f"FROM {_CASE} c WHERE {where}", params, page, _rows_with_documents)


def _rows_with_documents(records: list[tuple]) -> list[CaseRow]:
    """Rows from the page's records: one per (case, document), or one with NULL document columns for a case with
    none; the records come ordered by case, so a case's records are next to each other."""
    rows: list[CaseRow] = []
    for record in records:
        if not rows or rows[-1].pk != record[0]:
            rows.append(_case_row(record))
            rows[-1].current_step = record[_ROW_WIDTH] or ""
        document_pk, kind, number, issued_at, status = record[_ROW_WIDTH + 1 :]
        if document_pk is not None:
            rows[-1].documents.append(DocumentRow(document_pk, kind, number, aware_datetime(issued_at), status))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Pre-review worklists


def worklist(organisation_ids: Sequence[int], status: int, due_by: dt.date | None = None) -> SqlList:
    """The submitted cases in `status` of the organisations (acceptance due by `due_by`, if given), soonest
    acceptance deadline first, then the earliest received."""
    if not organisation_ids:
        return SqlList.empty()
    where = f"c.organisation_id IN ({_placeholders(organisation_ids)}) AND c.status = %s"
    params = [*organisation_ids, status]
    if due_by is not None:
        where += " AND c.acceptance_due <= %s"
        params.append(due_by)
    rows_sql = (
        f"{_ROW_COLUMNS} FROM {_CASE} c {_ROW_JOINS} WHERE {where}"
        " ORDER BY c.acceptance_due, c.received_at, c.id LIMIT %s OFFSET %s"
    )

    return SqlList(f"FROM {_CASE} c WHERE {where}", params, _select(rows_sql, params), _each(_case_row))


# ---------------------------------------------------------------------------------------------------------------
# Review worklists (issue 6)


@dataclass(frozen=True)
class TaskListRow:
    """One open review task of a worklist: the task's listed columns with its case's, its item version's name, its
    organisation's name and its assignee's names."""

    pk: int
    step_name: str
    decides: bool
    lock_version: int
    due_on: dt.date | None
    due_provisional: bool
    case_number: str | None
    case_status: int
    applicant_name: str
    promised_due: dt.date | None
    item_name: str
    organisation_name: str
    assignee_username: str | None
    assignee_display_name: str | None


_TASK = ReviewTask._meta.db_table
_USER = User._meta.db_table
_TASK_COLUMNS = (
    "t.id, t.step_name, t.decides, t.lock_version, t.due_on, t.due_provisional, c.number, c.status,"
    " c.applicant_name, c.promised_due, v.name, o.name, a.username, a.display_name"
)
_TASK_JOINS = (
    f"JOIN {_CASE} c ON c.id = t.case_id JOIN {_VERSION} v ON v.id = c.version_id"
    f" JOIN {_ORGANISATION} o ON o.id = t.organisation_id LEFT JOIN {_USER} a ON a.id = t.assignee_id"
)


def _task_row(values: Sequence) -> TaskListRow:
    (pk, step_name, decides, lock_version, due_on, provisional, number, case_status) = values[:8]
    (applicant_name, promised_due, item_name, organisation_name, username, display_name) = values[8:]
    return TaskListRow(
        pk=pk,
        step_name=step_name,
        decides=bool(decides),
        lock_version=lock_version,
        due_on=date_value(due_on),
        due_provisional=bool(provisional),
        case_number=number,
        case_status=case_status,
        applicant_name=applicant_name,
        promised_due=date_value(promised_due),
        item_name=item_name,
        organisation_name=organisation_name,
        assignee_username=username,
        assignee_display_name=display_name,
    )


def _scope_condition(scope: TaskScope) -> tuple[str, list]:
    """The OR of the scope's branches over `t`, the task ("" when the scope sees nothing)."""
    branches, params = [], []
    if scope.assignee_id is not None:
        branches.append("t.assignee_id = %s")
        params.append(scope.assignee_id)
    for role, organisations in scope.by_role:
        branches.append(f"(t.role = %s AND t.organisation_id IN ({_placeholders(organisations)}))")
        params += [role, *organisations]
    if scope.overseen:
        branches.append(f"t.organisation_id IN ({_placeholders(scope.overseen)})")
        params += list(scope.overseen)
    return (f"({' OR '.join(branches)})" if branches else ""), params


@dataclass(frozen=True)
class TaskFilter:
    """Which open tasks a worklist shows, each condition ANDed (None: not filtered on)."""

    scope: TaskScope | None = None
    assignee_id: int | None = None
    organisation_ids: Sequence[int] | None = None
    decides: bool | None = None
    case_status: int | None = None
    due_from: dt.date | None = None  # due on or after
    due_to: dt.date | None = None  # due on or before
    due_before: dt.date | None = None  # due strictly before


def open_tasks(only: TaskFilter) -> SqlList:
    """The open review tasks `only` lets through, soonest due first (tasks with no due date last), then the oldest."""
    where, params = ["t.status = %s"], [TaskStatus.OPEN.value]
    if only.scope is not None:
        condition, scope_params = _scope_condition(only.scope)
        if not condition:
            return SqlList.empty()
        where.append(condition)
        params += scope_params
    if only.organisation_ids is not None:
        if not only.organisation_ids:
            return SqlList.empty()
        where.append(f"t.organisation_id IN ({_placeholders(only.organisation_ids)})")
        params += list(only.organisation_ids)
    for condition, value in (
        ("t.assignee_id = %s", only.assignee_id),
        ("t.decides = %s", only.decides),
        ("c.status = %s", only.case_status),
        ("t.due_on >= %s", only.due_from),
        ("t.due_on <= %s", only.due_to),
        ("t.due_on < %s", only.due_before),
    ):
        if value is not None:
            where.append(condition)
            params.append(value)
    where_text = " AND ".join(where)
    # The count reads the case only when a condition is on it.
    counted = f"{_TASK} t JOIN {_CASE} c ON c.id = t.case_id" if only.case_status is not None else f"{_TASK} t"
    rows_sql = (
        f"{_TASK_COLUMNS} FROM {_TASK} t {_TASK_JOINS} WHERE {where_text}"
        " ORDER BY t.due_on ASC NULLS LAST, t.created_at, t.id LIMIT %s OFFSET %s"
    )

    return SqlList(f"FROM {counted} WHERE {where_text}", params, _select(rows_sql, params), _each(_task_row))
