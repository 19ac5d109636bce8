"""The overdue scan and timer escalation (cases/overdue.py): idempotent, announced once per task to the right people,
batched lookups with a constant number of queries."""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid

import pytest
from django.db import connections
from django.utils import timezone

from tongban.accounts.models import StaffRole
from tongban.cases import jobs as case_jobs
from tongban.cases import overdue, special
from tongban.cases.models import Case, CaseStatus, ReviewTask, TaskStatus
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.test_special_procedures import accepted_case, seeded_calendar  # noqa: F401
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core import jobs
from tongban.core.models import AuditEntry
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db
D = dt.date
DUE = D(2026, 12, 1)
TODAY = D(2026, 12, 3)


@pytest.fixture
def overseers(county):
    return {
        "head": staff("head_zhou", (county["amr"], StaffRole.HEAD)),
        "supervisor": staff("supervisor_xu", (county["amr"], StaffRole.SUPERVISOR)),
        "civil_head": staff("head_civil", (county["civil"], StaffRole.HEAD)),
    }


@pytest.fixture
def case(food_item, applicants, crew):
    case = accepted_case(food_item, applicants, crew)
    case.tasks.filter(status=TaskStatus.OPEN).update(due_on=DUE, escalate_on=None)
    return case


def topic_count(user, topic: str) -> int:
    return Message.objects.filter(recipient=user, topic=topic).count()


def extra_tasks(case: Case, organisation, count: int, **fields) -> list[ReviewTask]:
    return ReviewTask.objects.bulk_create(
        ReviewTask(
            case=case,
            spiff_task_id=uuid.uuid4(),
            step_id=f"Task_extra_{n}",
            step_name=f"协办{n}",
            organisation=organisation,
            role=StaffRole.REVIEWER,
            created_at=timezone.now(),
            **({"due_on": DUE} | fields),
        )
        for n in range(count)
    )


def test_an_unclaimed_overdue_task_is_announced_once_to_its_role_and_overseers(case, crew, overseers):
    result = overdue.scan(today=TODAY)
    assert (result.overdue, result.escalated) == (1, 0)
    task = case.tasks.get(status=TaskStatus.OPEN)
    assert task.overdue_at is not None
    version = task.lock_version
    for person in (crew["amr_clerk"], crew["amr_clerk2"], overseers["head"], overseers["supervisor"]):
        assert topic_count(person, "case.task_overdue") == 1
    for person in (crew["civil_clerk"], overseers["civil_head"]):
        assert topic_count(person, "case.task_overdue") == 0
    message = Message.objects.get(recipient=crew["amr_clerk"], topic="case.task_overdue")
    assert message.title == "办理任务已超期"
    assert message.body == f"以下 1 个办理任务已超过步骤期限，请尽快办理：办件 {case.number}「承办」（期限 2026-12-01）"
    assert message.link == f"/workbench/review/cases/{case.number}/"
    assert overdue.scan(today=TODAY).overdue == 0
    assert overdue.scan(today=TODAY + dt.timedelta(days=5)).overdue == 0
    assert Message.objects.filter(topic="case.task_overdue").count() == 4
    task.refresh_from_db()
    assert task.lock_version == version  # the scan never makes a handler's page stale
    assert AuditEntry.objects.filter(action="cases.task.overdue").count() == 1


def test_a_claimed_task_tells_its_assignee_not_the_colleagues(case, crew, overseers):
    case.tasks.filter(status=TaskStatus.OPEN).update(assignee=crew["amr_clerk2"])
    overdue.scan(today=TODAY)
    assert topic_count(crew["amr_clerk2"], "case.task_overdue") == 1
    assert topic_count(crew["amr_clerk"], "case.task_overdue") == 0
    assert topic_count(overseers["head"], "case.task_overdue") == 1


def test_tasks_not_yet_due_or_closed_are_left_alone(case, crew, overseers):
    assert overdue.scan(today=DUE).overdue == 0  # due today is not overdue
    case.tasks.update(status=TaskStatus.DONE)
    assert overdue.scan(today=TODAY).overdue == 0
    assert not Message.objects.filter(topic="case.task_overdue").exists()


def test_a_paused_case_is_neither_overdue_nor_escalated(case, crew, overseers):
    case.tasks.filter(status=TaskStatus.OPEN).update(escalate_on=DUE)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.SPECIAL_PROCEDURE)
    result = overdue.scan(today=TODAY)
    assert (result.overdue, result.escalated) == (0, 0)
    assert not Message.objects.filter(topic__in=["case.task_overdue", "case.task_escalated"]).exists()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.IN_REVIEW)  # the procedure ended; the dates still passed
    resumed = overdue.scan(today=TODAY)
    assert (resumed.overdue, resumed.escalated) == (1, 1)


def test_interleaved_batches_do_not_announce_twice(case, crew, overseers):
    task = case.tasks.get(status=TaskStatus.OPEN)
    first = overdue.mark_overdue_batch(task.pk - 1, today=TODAY, limit=1)
    second = overdue.mark_overdue_batch(task.pk - 1, today=TODAY, limit=1)
    assert (first, second) == (overdue.Batch(1, 4, task.pk), overdue.Batch(0, 0, task.pk - 1))
    assert Message.objects.filter(topic="case.task_overdue").count() == 4


def test_one_message_per_person_lists_their_tasks(case, county, crew, overseers):
    extra_tasks(case, county["amr"], 12)
    overdue.scan(today=TODAY)
    [message] = Message.objects.filter(recipient=overseers["head"], topic="case.task_overdue")
    assert message.body.startswith("以下 13 个办理任务已超过步骤期限")
    assert message.body.endswith("等共 13 项")
    assert message.link == "/workbench/review/"


def test_a_batch_takes_the_same_queries_whatever_its_size(case, county, crew, overseers, django_assert_max_num_queries):
    few = extra_tasks(case, county["amr"], 2)
    many = extra_tasks(case, county["civil"], 40)
    staff("reviewer_civil2", (county["civil"], StaffRole.REVIEWER))
    # savepoint, the statement that picks and stamps, three lookups, the audit row (two; PostgreSQL also locks the
    # chain), release: at most 9; then a message per person (four at the bureau: two reviewers, the head and the
    # supervisor).
    with django_assert_max_num_queries(9 + 4) as small:
        assert overdue.mark_overdue_batch(few[0].pk - 1, today=TODAY, limit=2).stamped == 2
    # the civil affairs bureau: two reviewers and its head.
    with django_assert_max_num_queries(9 + 3) as large:
        assert overdue.mark_overdue_batch(many[0].pk - 1, today=TODAY, limit=40).stamped == 40
    assert len(small.captured_queries) - 4 == len(large.captured_queries) - 3


def test_timer_escalates_to_the_heads_once(case, crew, overseers):
    case.tasks.filter(status=TaskStatus.OPEN).update(due_on=D(2026, 12, 31), escalate_on=DUE)
    result = overdue.scan(today=DUE)
    assert (result.overdue, result.escalated) == (0, 1)
    task = case.tasks.get(status=TaskStatus.OPEN)
    assert task.escalated_at is not None and task.overdue_at is None
    message = Message.objects.get(recipient=overseers["head"], topic="case.task_escalated")
    assert message.title == "转机构负责人督办"
    assert topic_count(crew["amr_clerk"], "case.task_escalated") == 0
    assert topic_count(overseers["supervisor"], "case.task_escalated") == 0
    assert overdue.escalate_batch(task.pk - 1, today=TODAY) == overdue.Batch(0, 0, task.pk - 1)
    assert overdue.scan(today=TODAY).escalated == 0
    assert Message.objects.filter(topic="case.task_escalated").count() == 1


def test_cases_past_the_statutory_date_are_flagged_unless_paused(case, food_item, applicants, crew):
    Case.objects.filter(pk=case.pk).update(statutory_due=DUE)
    paused = accepted_case(food_item, applicants, crew)
    special.special_procedure_start(
        actor=crew["amr_clerk"],
        case=paused,
        kind="testing",
        reason="送检",
        legal_basis="《食品安全法》",
        expected_end=D(2026, 12, 20),
        expected_version=paused.lock_version,
        today=D(2026, 11, 30),
    )
    Case.objects.filter(pk=paused.pk).update(statutory_due=DUE)
    assert overdue.scan(today=TODAY).flagged_cases == 1
    case.refresh_from_db()
    paused.refresh_from_db()
    assert (case.supervision_flag, paused.supervision_flag, paused.status) == (
        True,
        False,
        CaseStatus.SPECIAL_PROCEDURE,
    )
    assert overdue.scan(today=TODAY).flagged_cases == 0


def test_the_scan_runs_every_fifteen_minutes():
    job = jobs.get_job("cases.overdue_scan")
    assert (job.every, job.func) == (dt.timedelta(minutes=15), case_jobs.overdue_scan)


@pytest.mark.django_db(transaction=True)
def test_two_workers_scanning_at_once_announce_each_task_once(case, county, crew, overseers):
    extra_tasks(case, county["amr"], 60)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait(timeout=10)
            results.append(overdue.scan(today=TODAY))
        except Exception as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(result.overdue for result in results) == 61
    assert ReviewTask.objects.filter(status=TaskStatus.OPEN, overdue_at__isnull=True).count() == 0
    for person in (crew["amr_clerk"], overseers["head"], overseers["supervisor"]):
        bodies = Message.objects.filter(recipient=person, topic="case.task_overdue").values_list("body", flat=True)
        assert sum(int(re.match(r"以下 (\d+) 个", body).group(1)) for body in bodies) == 61
