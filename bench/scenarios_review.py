"""Bench scenarios for review and decision (issue 6): the 待审查 worklist (page and API) of a reviewer with many tasks,
completing a review step through the API, and the overdue scan.

Data: `manage.py cases_generate` then `manage.py review_generate` (cases/bench_review.py: 100 000 cases in progress
with their process state and open tasks). The preparations run like the cases ones (`python -m bench.scenarios_review
prepare <name> --clients N --out FILE`, started by the runner in the server's environment):

- the worklist reader is `bench_rw01`, 审查人员 (reviewer) at the organisation with the largest pool of open review
  steps; the completing clients are `bench_r01…`, reviewers at every organisation with open review steps (made on
  first use, signed in through the platform's session_start, the second factor marked as the dynamic-code step does);
- `review-complete` gives every client its own supply of open, unclaimed, non-deciding review steps
  (BENCH_REVIEW_TASKS_PER_CLIENT, default 600: more than a 22-second run at 400 req/s uses), each request completing
  the next one with 同意 and its lock_version, so no two requests touch the same task or case; one more task is
  completed in-process as the check. A client that runs out starts its list again and those requests fail (409),
  which the report shows as errors.

The overdue scan is not an HTTP request: `python -m bench.scenarios_review overdue-scan [--reset]` times one
`cases.overdue.scan()` over the open tasks (--reset first clears the overdue and escalation stamps of open tasks so the
scan has its full work again, and vacuums the task table; a bench tool only).
"""

from __future__ import annotations

import json
import os
import sys
import time

from bench import prepare_cli

REVIEWER_PREFIX = "bench_r"  # the completing clients: 审查人员 at every organisation with open review steps
WORKLIST_REVIEWER_PREFIX = "bench_rw"  # the worklist reader: 审查人员 at the largest pool only
TASKS_PER_CLIENT = int(os.environ.get("BENCH_REVIEW_TASKS_PER_CLIENT", "600"))
WORKLIST_PAGE = "/workbench/review/?list=to_review"
WORKLIST_API = "/api/v1/review/tasks?list=to_review"

# The fields of bench.scenarios.Scenario (built there). review-complete runs last of these: it changes the lists.
REVIEW_SCENARIOS = (
    {
        "name": "review-worklist",
        "path": WORKLIST_PAGE,
        "prepare": "worklist-page",
        "prepare_module": "bench.scenarios_review",
        "description": "审查工作台 待审查（待办最多的机构的审查人员）/ to-review worklist page, largest pool",
    },
    {
        "name": "review-worklist-api",
        "path": WORKLIST_API,
        "prepare": "worklist-api",
        "prepare_module": "bench.scenarios_review",
        "description": "审查清单 API 待审查 / to-review worklist API, largest pool",
    },
    {
        "name": "review-complete",
        "path": "/api/v1/review/tasks/0/complete",
        "method": "POST",
        "prepare": "complete",
        "prepare_module": "bench.scenarios_review",
        "description": "办理一个审查步骤（同意 + 意见，流转到下一步），每次一个新任务 / complete a review step "
        "(opinion + routing), a fresh open task per request",
    },
)


# ---------------------------------------------------------------------------------------------------------------
# Preparation side (Django)


def largest_pool() -> tuple[int, str] | None:
    """(organisation id, role) of the largest pool of open review (non-deciding) steps of the reviewer role."""
    from django.db.models import Count

    from tongban.accounts.models import StaffRole
    from tongban.cases.models import ReviewTask, TaskStatus

    row = (
        ReviewTask.objects.filter(status=TaskStatus.OPEN, decides=False, role=StaffRole.REVIEWER)
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    return (row["organisation_id"], StaffRole.REVIEWER) if row else None


def ensure_reviewers(count: int, organisation_ids: list[int], role: str, prefix: str = REVIEWER_PREFIX) -> list:
    """<prefix>01… holding `role` at each of the organisations (made once, reused)."""
    from django.contrib.auth.hashers import make_password

    from tongban.accounts.models import StaffAssignment, User, UserKind

    people = []
    for number in range(1, count + 1):
        user, _created = User.objects.get_or_create(
            username=f"{prefix}{number:02d}",
            defaults={
                "kind": UserKind.STAFF,
                "display_name": f"压测审查员{number:02d}",
                "password": make_password(None),
            },
        )
        for organisation_id in organisation_ids:
            StaffAssignment.objects.get_or_create(user=user, organisation_id=organisation_id, role=role)
        people.append(user)
    return people


def pool_organisations() -> list[int]:
    """Every organisation with open review (non-deciding) steps of the reviewer role."""
    from tongban.accounts.models import StaffRole
    from tongban.cases.models import ReviewTask, TaskStatus

    return sorted(
        set(
            ReviewTask.objects.filter(status=TaskStatus.OPEN, decides=False, role=StaffRole.REVIEWER).values_list(
                "organisation_id", flat=True
            )
        )
    )


def _no_data() -> dict:
    return {"skip": "没有办理中的审查任务：请先运行 manage.py cases_generate 和 review_generate"}


def _prepare_worklist(path: str) -> dict:
    from bench.scenarios_cases import _get, _session_headers

    pool = largest_pool()
    if pool is None:
        return _no_data()
    organisation_id, role = pool
    [reviewer] = ensure_reviewers(1, [organisation_id], role, prefix=WORKLIST_REVIEWER_PREFIX)
    return {"requests": [_get(path, _session_headers(reviewer))]}


def supply(organisation_ids: list[int], count: int) -> list[tuple[int, int]]:
    """(task id, lock_version) of `count` open, unclaimed review steps of the organisations' reviewers whose case
    may be worked on."""
    from tongban.accounts.models import StaffRole
    from tongban.cases.models import ReviewTask, TaskStatus
    from tongban.cases.review import REVIEW_STATUSES

    return list(
        ReviewTask.objects.filter(
            status=TaskStatus.OPEN,
            decides=False,
            organisation_id__in=organisation_ids,
            role=StaffRole.REVIEWER,
            assignee__isnull=True,
            case__status__in=REVIEW_STATUSES,
        )
        .order_by("pk")
        .values_list("pk", "lock_version")[:count]
    )


def _complete_step(task_id: int, version: int) -> dict:
    body = {"expected_version": version, "outcome": "agree", "opinion": "同意。经审查，申请材料齐全，符合法定形式。"}
    return {"path": f"/api/v1/review/tasks/{task_id}/complete", "body": json.dumps(body, ensure_ascii=False)}


def _prepare_complete(clients: int) -> dict:
    from bench.scenarios_cases import _check, _session_headers
    from tongban.accounts.models import StaffRole

    organisations = pool_organisations()
    if not organisations:
        return _no_data()
    reviewers = ensure_reviewers(clients, organisations, StaffRole.REVIEWER)
    tasks = supply(organisations, count=clients * TASKS_PER_CLIENT + 1)
    if len(tasks) < clients * TASKS_PER_CLIENT + 1:
        return {"skip": f"待办审查任务不足 {clients * TASKS_PER_CLIENT + 1} 个：请运行 review_generate 增加办理中办件"}
    check_task, tasks = tasks[0], tasks[1:]
    requests = []
    for index, reviewer in enumerate(reviewers):
        headers = _session_headers(reviewer) | {"Content-Type": "application/json"}
        mine = tasks[index * TASKS_PER_CLIENT : (index + 1) * TASKS_PER_CLIENT]
        sequence = [_complete_step(*task) for task in mine]
        requests.append({"method": "POST", "headers": headers, **sequence[0], "sequence": sequence})
    check = {"method": "POST", "headers": requests[0]["headers"], **_complete_step(*check_task)}
    return {"requests": requests, "check": _check([check]), "checked": True}


def prepare(name: str, clients: int) -> dict:
    """The request shapes for one scenario (or {"skip": reason}), each checked once in-process."""
    from bench.scenarios_cases import _check

    preparations = {
        "worklist-page": lambda: _prepare_worklist(WORKLIST_PAGE),
        "worklist-api": lambda: _prepare_worklist(WORKLIST_API),
        "complete": lambda: _prepare_complete(clients),
    }
    prepared = preparations[name]()
    if not prepared.get("skip") and not prepared.pop("checked", False):
        prepared["check"] = _check(prepared["requests"])
    return prepared


# ---------------------------------------------------------------------------------------------------------------
# The overdue scan


def reset_stamps() -> int:
    """Clear the overdue and escalation stamps of open tasks (a bench tool: the scan then has all its work again).

    On PostgreSQL the task table is vacuumed afterwards, as autovacuum would soon do after such a mass update: the
    reset's own row versions take the room the table keeps in its pages for the stamps (HOT updates), and only
    once the versions it left dead are vacuumed is that room there again. The case flags (督办) stay set: for a
    first run with them, scan a fresh copy of the data (see docs/performance.md, "Review and decision")."""
    from django.db import connection

    from tongban.cases.models import ReviewTask, TaskStatus

    cleared = ReviewTask.objects.filter(status=TaskStatus.OPEN).update(overdue_at=None, escalated_at=None)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:  # VACUUM cannot run in a transaction
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {ReviewTask._meta.db_table}")
    return cleared


def time_overdue_scan(*, reset: bool) -> dict:
    """Run cases.overdue.scan() once; what it did, how long it took and how many SQL statements it sent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tongban.cases import overdue
    from tongban.cases.models import ReviewTask, TaskStatus

    cleared = reset_stamps() if reset else 0
    today = timezone.localdate()
    open_tasks = ReviewTask.objects.filter(status=TaskStatus.OPEN)
    before = {
        "open": open_tasks.count(),
        "due_before_today_unmarked": open_tasks.filter(due_on__lt=today, overdue_at__isnull=True).count(),
        "escalation_due_unmarked": open_tasks.filter(escalate_on__lte=today, escalated_at__isnull=True).count(),
    }
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = overdue.scan(today)
    elapsed = time.perf_counter() - started
    return {
        "cleared": cleared,
        **before,
        "overdue_marked": result.overdue,
        "escalated": result.escalated,
        "messages": result.messages,
        "flagged_cases": result.flagged_cases,
        "batches": len(result.batches),
        "sql_statements": len(queries),
        "slowest": [
            f"{float(query['time']):.2f} s {query['sql'][:160]}"
            for query in sorted(queries.captured_queries, key=lambda query: -float(query["time"]))[:5]
        ],
        "seconds": round(elapsed, 2),
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str]) -> int:
    """`prepare <name> --clients N --out FILE` (run by the bench runner) or `overdue-scan [--reset]`."""
    names = {scenario["prepare"] for scenario in REVIEW_SCENARIOS}
    parser, commands = prepare_cli.prepare_parser("python -m bench.scenarios_review", names)
    scan = commands.add_parser("overdue-scan")
    scan.add_argument("--reset", action="store_true", help="clear open tasks' overdue/escalation stamps first")
    args = parser.parse_args(argv)
    prepare_cli.django_setup()
    if args.action == "overdue-scan":
        print(json.dumps(time_overdue_scan(reset=args.reset), ensure_ascii=False))
        return 0
    return prepare_cli.write_prepared(prepare, args)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
