"""Reliability of routing (issue 6): a crash between the task update and the workflow update leaves both as they
were (one transaction), and of two approvers acting at once on the same step one wins and the other gets a clear
conflict with nothing of theirs written."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tongban.accounts.models import StaffRole
from tongban.cases import review, routing, services
from tongban.cases.errors import CaseError
from tongban.cases.models import Case, CaseEvent, CaseStatus, EventCode, ReviewTask, TaskStatus, WorkflowState
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import submitted_case
from tongban.catalog.models import ItemVersion
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry


def _accepted(food_item, applicants, crew) -> Case:
    ItemVersion.objects.filter(pk=food_item.published_version.pk).update(allows_deferred_approval=True)
    case = submitted_case(applicants["li"], food_item)
    return services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)


def _finish_review_steps(case: Case, crew) -> ReviewTask:
    """承办 and 审核 done; returns the open 审批 step."""
    for actor in (crew["amr_clerk"], crew["amr_clerk2"]):
        task = case.tasks.get(status=TaskStatus.OPEN)
        review.task_complete(
            actor=actor, task=task, outcome="agree", opinion="同意", expected_version=task.lock_version
        )
    return case.tasks.get(status=TaskStatus.OPEN)


@pytest.mark.django_db
def test_a_crash_before_the_workflow_is_saved_leaves_task_and_workflow_as_they_were(
    food_item, applicants, crew, monkeypatch
):
    case = _accepted(food_item, applicants, crew)
    task = case.tasks.get(status=TaskStatus.OPEN)
    state_before = WorkflowState.objects.get(case=case).state
    events_before, audit_before = CaseEvent.objects.filter(case=case).count(), AuditEntry.objects.count()

    def crash(_workflow):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(routing, "workflow_dump", crash)
    with pytest.raises(RuntimeError):
        review.task_complete(
            actor=crew["amr_clerk"], task=task, outcome="agree", opinion="同意", expected_version=task.lock_version
        )
    monkeypatch.undo()
    task.refresh_from_db()
    case.refresh_from_db()
    assert (task.status, task.handler, task.opinion) == (TaskStatus.OPEN, None, "")
    assert list(case.tasks.values_list("step_id", "status")) == [
        ("Task_accept", TaskStatus.DONE),
        ("Task_handle", TaskStatus.OPEN),
    ]
    assert WorkflowState.objects.get(case=case).state == state_before
    assert case.status == CaseStatus.ACCEPTED
    assert (CaseEvent.objects.filter(case=case).count(), AuditEntry.objects.count()) == (events_before, audit_before)
    # and the step can still be done afterwards, routing on from the unchanged state
    review.task_complete(
        actor=crew["amr_clerk"], task=task, outcome="agree", opinion="同意", expected_version=task.lock_version
    )
    assert case.tasks.get(status=TaskStatus.OPEN).step_name == "审核"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (SQLite serialises)")
def test_two_approvers_at_once_one_wins_the_other_gets_a_conflict(food_item, applicants, crew):
    case = _accepted(food_item, applicants, crew)
    approve = _finish_review_steps(case, crew)
    approvers = [staff(f"approver_{n}", (food_item.organisation, StaffRole.APPROVER)) for n in range(2)]
    version = approve.lock_version
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def decide(actor, outcome, opinion):
        try:
            barrier.wait()
            task = ReviewTask.objects.get(pk=approve.pk)
            review.task_complete(actor=actor, task=task, outcome=outcome, opinion=opinion, expected_version=version)
            outcomes.append(outcome)
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(approvers[0], "grant", "准予")),
        threading.Thread(target=decide, args=(approvers[1], "deny", "不符合条件")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [outcome for outcome in outcomes if outcome in ("grant", "deny")]
    losers = [outcome for outcome in outcomes if outcome not in ("grant", "deny")]
    assert len(winners) == 1
    assert losers in ([CaseError.CONFLICT], [CaseError.TASK_CLOSED])
    case.refresh_from_db()
    expected_status = CaseStatus.APPROVED_DEFERRED if winners == ["grant"] else CaseStatus.DENIED
    assert case.status == expected_status
    decided = case.events.filter(code__in=[EventCode.APPROVED, EventCode.APPROVED_DEFERRED, EventCode.DENIED])
    assert decided.count() == 1
    approve.refresh_from_db()
    assert approve.outcome == winners[0]
    assert not WorkflowState.objects.filter(case=case).exists()
