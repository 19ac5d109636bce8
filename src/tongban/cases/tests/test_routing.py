"""Routing: a case's BPMN process runs from acceptance to decision, mirrored in the task table."""

from __future__ import annotations

import pytest

from tongban.accounts.models import StaffRole
from tongban.cases import review, services
from tongban.cases.errors import CaseError
from tongban.cases.models import CaseStatus, EventCode, ReviewTask, TaskOutcome, TaskStatus, WorkflowState
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import submitted_case
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.errors import DomainError


@pytest.fixture
def deciders(county):
    return {
        "checker": staff("checker_lu", (county["amr"], StaffRole.REVIEWER)),
        "approver": staff("approver_fang", (county["amr"], StaffRole.APPROVER)),
    }


def _accepted(food_item, applicants, crew):
    case = submitted_case(applicants["li"], food_item)
    return services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)


def _open(case) -> list[ReviewTask]:
    return list(case.tasks.filter(status=TaskStatus.OPEN).order_by("step_id"))


def _do(task: ReviewTask, actor, outcome=TaskOutcome.AGREE, opinion="同意"):
    task.refresh_from_db()
    return review.task_complete(
        actor=actor, task=task, outcome=outcome, opinion=opinion, expected_version=task.lock_version
    )


def test_single_department_runs_from_acceptance_to_grant(food_item, applicants, crew, deciders):
    food_item.published_version.__class__.objects.filter(pk=food_item.published_version.pk).update(
        allows_deferred_approval=True
    )
    case = _accepted(food_item, applicants, crew)
    accept_step = case.tasks.get(step_id="Task_accept")
    assert (accept_step.status, accept_step.outcome, accept_step.handler) == (
        TaskStatus.DONE,
        TaskOutcome.ACCEPTED,
        crew["amr_clerk"],
    )
    [handle] = _open(case)
    assert (handle.step_name, handle.role, handle.organisation, handle.decides) == (
        "承办",
        StaffRole.REVIEWER,
        food_item.organisation,
        False,
    )
    assert handle.due_on is not None
    _do(handle, crew["amr_clerk"])
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    assert case.events.filter(code=EventCode.REVIEW_STARTED).count() == 1
    [check] = _open(case)
    assert check.step_name == "审核"
    _do(check, deciders["checker"])
    [approve] = _open(case)
    assert (approve.step_name, approve.role, approve.decides, approve.escalate_on is not None) == (
        "审批",
        StaffRole.APPROVER,
        True,
        True,
    )
    _do(approve, deciders["approver"], TaskOutcome.GRANT, "准予许可")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED_DEFERRED
    assert not WorkflowState.objects.filter(case=case).exists()
    assert case.tasks.filter(status=TaskStatus.OPEN).count() == 0


def test_a_grant_waits_for_deferred_materials_unless_the_item_allows_it(food_item, applicants, crew, deciders):
    case = _accepted(food_item, applicants, crew)
    _do(_open(case)[0], crew["amr_clerk"])
    _do(_open(case)[0], deciders["checker"])
    approve = _open(case)[0]
    with pytest.raises(DomainError) as refused:
        _do(approve, deciders["approver"], TaskOutcome.GRANT, "准予")
    assert refused.value.code == CaseError.DEFERRED_OUTSTANDING
    approve.refresh_from_db()
    assert approve.status == TaskStatus.OPEN
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW


def test_a_stale_page_and_a_wrong_role_change_nothing(food_item, applicants, crew, deciders):
    case = _accepted(food_item, applicants, crew)
    [handle] = _open(case)
    review.task_claim(actor=crew["amr_clerk"], task=handle, expected_version=handle.lock_version)
    with pytest.raises(DomainError) as stale:
        review.task_complete(actor=crew["amr_clerk"], task=handle, outcome="agree", expected_version=0)
    assert stale.value.code == CaseError.CONFLICT
    handle.refresh_from_db()
    with pytest.raises(DomainError) as taken:
        _do(handle, crew["amr_clerk2"])
    assert taken.value.code == CaseError.TASK_TAKEN
    with pytest.raises(DomainError) as wrong_role:
        _do(handle, deciders["approver"])
    assert wrong_role.value.code == CaseError.NOT_TASK_ROLE
    handle.refresh_from_db()
    assert (handle.status, handle.assignee) == (TaskStatus.OPEN, crew["amr_clerk"])


def test_what_a_step_knows_of_the_case_so_far_is_read_in_one_statement(food_item, applicants, crew, deciders, county):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = _accepted(food_item, applicants, crew)
    [handle] = _open(case)
    with CaptureQueriesContext(connection) as queries:
        fresh = review._case_so_far(case, handle, earlier=True)
    assert (fresh, len(queries)) == (review.CaseSoFar(started=False, earlier=[]), 1)
    _do(handle, crew["amr_clerk"], TaskOutcome.DISAGREE, "材料不全")
    [check] = _open(case)
    _do(check, deciders["checker"])
    # two review steps done (不同意, then 同意), oldest first; the step itself is never among its own earlier ones
    done_check = ReviewTask.objects.get(pk=check.pk)
    assert review._case_so_far(case, done_check, earlier=True) == review.CaseSoFar(
        started=True, earlier=[TaskOutcome.DISAGREE]
    )
    [approve] = _open(case)
    assert review._case_so_far(case, approve, earlier=True) == review.CaseSoFar(
        started=True, earlier=[TaskOutcome.DISAGREE, TaskOutcome.AGREE]
    )
    assert review._case_so_far(case, approve, earlier=False) == review.CaseSoFar(started=True, earlier=[])
    approve.organisation_id = county["civil"].pk  # another organisation has not started on the case
    assert review._case_so_far(case, approve, earlier=False).started is False
    assert case.events.filter(code=EventCode.REVIEW_STARTED).count() == 1
