"""review_generate / cases.bench_review: cases in progress whose cloned process state runs like the engine's own."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from tongban.accounts.models import StaffRole
from tongban.cases import bench_data, bench_review, review, routing
from tongban.cases.models import Case, CaseStatus, EventCode, ReviewTask, TaskOutcome, TaskStatus, WorkflowState
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(food_item, crew, county):
    staff("approver_fang", (county["amr"], StaffRole.APPROVER))
    bench_data.generate(400, rng=random.Random(3), days=60, applicants=12)
    return food_item


def test_stage_templates_follow_the_engine_to_the_deciding_step(food_item):
    stages = bench_review.stage_templates(food_item.published_version.process)
    assert [[step.step_name for step in stage.open] for stage in stages] == [["承办"], ["审核"], ["审批"]]
    assert [[(step.step_name, outcome) for step, outcome in stage.done] for stage in stages][2] == [
        ("受理", TaskOutcome.ACCEPTED),
        ("承办", TaskOutcome.AGREE),
        ("审核", TaskOutcome.AGREE),
    ]
    assert stages[2].open[0].decides and not stages[1].open[0].decides


def test_clone_gives_fresh_task_ids_and_the_case_variables(food_item):
    stage = bench_review.stage_templates(food_item.published_version.process)[1]
    variables = {"business_name": "好味道", "applicant_kind": "person"}
    text, mapping = bench_review.clone_state(stage, variables, random.Random(1))
    state = json.loads(text)
    assert set(state["tasks"]) == set(mapping.values()) and not set(mapping) & set(mapping.values())
    assert not any(old in text for old in mapping)
    workflow = routing.workflow_load(food_item.published_version.process, state)
    assert workflow.task_tree.data["business_name"] == "好味道"
    assert [str(step.spiff_task_id) for step in routing.ready_steps(workflow)] == [mapping[stage.open[0].spiff_id]]


def test_generate_brings_cases_in_progress_up_to_the_target_and_they_complete(generated, crew):
    audit_before = AuditEntry.objects.count()
    already_open = Case.objects.filter(status__in=[CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW]).count()
    target = already_open + 20
    assert bench_review.generate(target, rng=random.Random(5)) == target
    assert WorkflowState.objects.count() == target
    assert AuditEntry.objects.count() == audit_before
    reopened = Case.objects.filter(workflow__isnull=False, status=CaseStatus.IN_REVIEW, closed_at__isnull=True)
    assert reopened.count() >= 20
    assert not reopened.filter(events__code=EventCode.APPROVED).exists()
    today = timezone.localdate()
    # As the 15-minute scan would have left them: flagged exactly when their statutory date has passed.
    flags = {
        pk: (due is not None and due < today, flag)
        for pk, due, flag in reopened.values_list("pk", "statutory_due", "supervision_flag")
    }
    assert all(expected == flag for expected, flag in flags.values())
    assert any(flag for _expected, flag in flags.values())
    for state in WorkflowState.objects.select_related("definition"):
        workflow = routing.workflow_load(state.definition, state.state)
        ready = {step.spiff_task_id for step in routing.ready_steps(workflow)}
        open_rows = set(state.case.tasks.filter(status=TaskStatus.OPEN).values_list("spiff_task_id", flat=True))
        assert ready == open_rows
        assert state.case.tasks.filter(status=TaskStatus.DONE, outcome=TaskOutcome.ACCEPTED).count() == 1
    summary = bench_review.open_task_summary()
    assert summary["open"] == target and summary["largest_pool"][0] == generated.organisation_id
    assert ReviewTask.objects.filter(status=TaskStatus.OPEN, due_on__isnull=True).count() == 0
    assert Counter(ReviewTask.objects.filter(status=TaskStatus.OPEN).values_list("step_name", flat=True))["审批"] > 0
    assert ReviewTask.objects.filter(status=TaskStatus.OPEN, due_on__lt=today).exists()

    # A generated task completes through the service like one the engine made: the next step appears.
    task = ReviewTask.objects.filter(status=TaskStatus.OPEN, step_name="承办", assignee__isnull=True).first()
    review.task_complete(
        actor=crew["amr_clerk"], task=task, outcome=TaskOutcome.AGREE, opinion="同意", expected_version=0
    )
    [following] = task.case.tasks.filter(status=TaskStatus.OPEN)
    assert following.step_name == "审核" and task.case.events.filter(code=EventCode.LOCAL).count() == 1

    # A second run with the same target adds nothing.
    assert bench_review.generate(target, rng=random.Random(6)) == 0


def test_command_reports_and_refuses_bad_input(generated, capsys):
    call_command("review_generate", "--in-progress", "30")
    out = capsys.readouterr().out
    assert "新增办理中办件" in out and "待办任务" in out
    with pytest.raises(Exception, match="--in-progress 必须大于 0"):
        call_command("review_generate", "--in-progress", "0")


def test_the_fast_state_converter_stores_what_spiffworkflow_stores_and_reads_it_back(food_item):
    """routing's dump leaves the spec out instead of converting it, its load takes the cached spec: same dict as
    SpiffWorkflow's own serializer minus the spec, the stored dict is not changed, and a full dict still loads."""
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

    definition = food_item.published_version.process
    workflow = routing.workflow_new(definition, {"business_name": "好味道"})
    stock = BpmnWorkflowSerializer().to_dict(workflow)
    full = json.loads(json.dumps(stock))
    stock.pop("spec"), stock.pop("subprocess_specs")
    state = routing.workflow_dump(workflow)
    assert json.dumps(state, sort_keys=True) == json.dumps(stock, sort_keys=True)
    kept = json.dumps(state, sort_keys=True)
    loaded = routing.workflow_load(definition, state)
    assert json.dumps(state, sort_keys=True) == kept
    assert json.dumps(routing.workflow_dump(loaded), sort_keys=True) == kept
    assert routing.ready_steps(routing._serializer().from_dict(full)) == routing.ready_steps(workflow)


def test_the_complete_preparation_gives_each_client_its_own_tasks_and_its_check_completes_one(generated, monkeypatch):
    from bench import scenarios_review

    bench_review.generate(Case.objects.filter(status=CaseStatus.APPROVED).count() // 2, rng=random.Random(8))
    monkeypatch.setattr(scenarios_review, "TASKS_PER_CLIENT", 3)
    done_before = ReviewTask.objects.filter(status=TaskStatus.DONE, handler__username__startswith="bench_r").count()
    prepared = scenarios_review.prepare("complete", 2)
    assert "/complete → 200" in prepared["check"]
    ids = [int(step["path"].split("/")[-2]) for request in prepared["requests"] for step in request["sequence"]]
    assert len(ids) == len(set(ids)) == 6
    tasks = ReviewTask.objects.filter(pk__in=ids)
    assert {(t.status, t.decides, t.assignee_id, t.role) for t in tasks} == {
        (TaskStatus.OPEN, False, None, StaffRole.REVIEWER)
    }
    done = ReviewTask.objects.filter(status=TaskStatus.DONE, handler__username__startswith="bench_r")
    assert done.count() == done_before + 1 and done.get().outcome == TaskOutcome.AGREE
    assert json.loads(prepared["requests"][0]["sequence"][0]["body"])["expected_version"] == 0

    worklist = scenarios_review.prepare("worklist-api", 1)
    assert "/api/v1/review/tasks?list=to_review → 200" in worklist["check"]


def test_the_overdue_scan_timer_marks_the_overdue_tasks_and_reset_lets_it_run_again(generated):
    from bench import scenarios_review

    bench_review.generate(60, rng=random.Random(9))
    first = scenarios_review.time_overdue_scan(reset=False)
    assert first["overdue_marked"] == first["due_before_today_unmarked"] > 0
    assert scenarios_review.time_overdue_scan(reset=False)["overdue_marked"] == 0
    again = scenarios_review.time_overdue_scan(reset=True)
    assert again["cleared"] == first["open"] and again["overdue_marked"] == first["overdue_marked"]
