"""Routing per shipped process template (and one custom BPMN): each runs from acceptance to a decision through the
review services, the task table showing who works where at each point; a lane department that does not resolve is
refused when publishing, and acceptance refuses it (changing nothing) if it stopped resolving afterwards."""

from __future__ import annotations

import pytest

from tongban.accounts.models import StaffRole
from tongban.cases import review, services
from tongban.cases.errors import CaseError
from tongban.cases.models import Case, CaseStatus, ReviewTask, TaskOutcome, TaskStatus, WorkflowState
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import PDF_BYTES, complete_draft, publish_food_item, stored_upload
from tongban.catalog import bpmn
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import ImplementationItem, ItemVersion, VersionStatus
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.calendar import add_working_days
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, Organisation

# A custom process: 牵头部门 and 协办部门 review in parallel; when either disagrees the case goes to a joint re-check
# (联合复核) before the decision, otherwise straight to the decision.
OPINIONS_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_opinions"
    targetNamespace="https://tongban.example/bpmn">
  <bpmn:process id="joint_opinions" name="并联审查，有不同意见时联合复核" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_window" name="受理">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_accept</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Gateway_fork</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_lead" name="审查（牵头部门）"><bpmn:flowNodeRef>Task_lead</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="Lane_joint" name="审查（协办部门）"><bpmn:flowNodeRef>Task_joint</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="Lane_recheck" name="审核"><bpmn:flowNodeRef>Task_recheck</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="Lane_approve" name="审批">
        <bpmn:flowNodeRef>Gateway_join</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Gateway_opinions</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_approve</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_accept" name="受理">
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:parallelGateway id="Gateway_fork">
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing><bpmn:outgoing>F4</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="Task_lead" name="牵头部门审查">
      <bpmn:incoming>F3</bpmn:incoming><bpmn:outgoing>F5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="Task_joint" name="协办部门审查">
      <bpmn:incoming>F4</bpmn:incoming><bpmn:outgoing>F6</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:parallelGateway id="Gateway_join">
      <bpmn:incoming>F5</bpmn:incoming><bpmn:incoming>F6</bpmn:incoming><bpmn:outgoing>F7</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:exclusiveGateway id="Gateway_opinions" name="各部门意见是否一致" default="F9">
      <bpmn:incoming>F7</bpmn:incoming><bpmn:outgoing>F8</bpmn:outgoing><bpmn:outgoing>F9</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="Task_recheck" name="联合复核">
      <bpmn:incoming>F8</bpmn:incoming><bpmn:outgoing>F10</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="Task_approve" name="审批">
      <bpmn:incoming>F9</bpmn:incoming><bpmn:incoming>F10</bpmn:incoming><bpmn:outgoing>F11</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F11</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_accept" />
    <bpmn:sequenceFlow id="F2" sourceRef="Task_accept" targetRef="Gateway_fork" />
    <bpmn:sequenceFlow id="F3" sourceRef="Gateway_fork" targetRef="Task_lead" />
    <bpmn:sequenceFlow id="F4" sourceRef="Gateway_fork" targetRef="Task_joint" />
    <bpmn:sequenceFlow id="F5" sourceRef="Task_lead" targetRef="Gateway_join" />
    <bpmn:sequenceFlow id="F6" sourceRef="Task_joint" targetRef="Gateway_join" />
    <bpmn:sequenceFlow id="F7" sourceRef="Gateway_join" targetRef="Gateway_opinions" />
    <bpmn:sequenceFlow id="F8" name="有部门不同意" sourceRef="Gateway_opinions" targetRef="Task_recheck">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">
        "不同意" in department_opinions
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F9" sourceRef="Gateway_opinions" targetRef="Task_approve" />
    <bpmn:sequenceFlow id="F10" sourceRef="Task_recheck" targetRef="Task_approve" />
    <bpmn:sequenceFlow id="F11" sourceRef="Task_approve" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def hands(county):
    """Who works the steps: the bureau's window clerk, a checker and an approver; the civil bureau's reviewer."""
    amr = county["amr"]
    return {
        "window": staff("window_amr", (amr, StaffRole.WINDOW_CLERK)),
        "checker": staff("checker_lu", (amr, StaffRole.REVIEWER)),
        "approver": staff("approver_fang", (amr, StaffRole.APPROVER)),
    }


def _item(county, crew, process: str, **overrides) -> ImplementationItem:
    return publish_food_item(county["amr"], crew["editor"], crew["catreviewer"], process=process, **overrides)


def _joint_item(county, crew, process: str = "parallel") -> ImplementationItem:
    return _item(county, crew, process, process_departments={"协办部门": county["civil"].uscc})


def _complete_case(person, item: ImplementationItem) -> Case:
    """Received today with every material uploaded (the deferrable one too), so a grant needs no 容缺通过."""
    case = complete_draft(person, item)
    deferrable = item.published_version.materials.get(necessity="deferrable")
    upload = stored_upload(person, content=PDF_BYTES + b"deferrable")
    services.material_attach(
        actor=person, case=case, material_id=deferrable.pk, provision="upload", upload_id=upload.pk
    )
    return services.case_submit(actor=person, case=Case.objects.get(pk=case.pk))


def _accepted(item, applicants, crew) -> Case:
    case = _complete_case(applicants["li"], item)
    return services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)


# The order steps are listed in when several are open at once (the lead department first).
STEP_ORDER = {"Task_lead": 0, "Task_joint": 1}


def _open(case: Case) -> list[ReviewTask]:
    rows = case.tasks.filter(status=TaskStatus.OPEN).select_related("organisation")
    return sorted(rows, key=lambda row: (STEP_ORDER.get(row.step_id, 9), row.step_id))


def _route(case: Case) -> list[tuple[str, str]]:
    """(step, outcome) of the finished steps in the order they finished."""
    done = case.tasks.filter(status=TaskStatus.DONE).order_by("finished_at", "pk")
    return list(done.values_list("step_name", "outcome"))


def _do(task: ReviewTask, actor, outcome=TaskOutcome.AGREE, opinion="同意") -> ReviewTask:
    task.refresh_from_db()
    return review.task_complete(
        actor=actor, task=task, outcome=outcome, opinion=opinion, expected_version=task.lock_version
    )


def _decided(case: Case) -> Case:
    case.refresh_from_db()
    assert not WorkflowState.objects.filter(case=case).exists()
    assert case.tasks.filter(status=TaskStatus.OPEN).count() == 0
    return case


# ---------------------------------------------------------------------------------------------------------------
# instant: the window clerk's 受理并办结 decides at once


def test_instant_the_window_clerks_step_decides_at_once(county, crew, applicants, hands):
    item = _item(county, crew, "instant", case_type="instant", promised_limit=0)
    case = _accepted(item, applicants, crew)
    [step] = _open(case)
    assert (step.step_name, step.role, step.organisation, step.decides) == (
        "受理并办结",
        StaffRole.WINDOW_CLERK,
        county["amr"],
        True,
    )
    with pytest.raises(DomainError) as wrong_role:
        _do(step, crew["amr_clerk"], TaskOutcome.GRANT, "准予")
    assert wrong_role.value.code == CaseError.NOT_TASK_ROLE
    with pytest.raises(DomainError) as not_a_decision:
        _do(step, hands["window"], TaskOutcome.AGREE)
    assert not_a_decision.value.code == CaseError.OUTCOME_INVALID
    _do(step, hands["window"], TaskOutcome.GRANT, "当场办结")
    case = _decided(case)
    assert (case.status, case.decided_by) == (CaseStatus.APPROVED, hands["window"])
    assert _route(case) == [("受理并办结", TaskOutcome.GRANT)]


# ---------------------------------------------------------------------------------------------------------------
# single_department: 承办 → 审核 → 审批, 审批 escalates after its P2D timer


def test_single_department_routes_handle_check_approve_with_escalation(county, crew, applicants, hands):
    case = _accepted(_item(county, crew, "single_department"), applicants, crew)
    assert _route(case) == [("受理", TaskOutcome.ACCEPTED)]
    [handle] = _open(case)
    assert (handle.step_name, handle.escalate_on) == ("承办", None)
    _do(handle, crew["amr_clerk"])
    [check] = _open(case)
    assert (check.step_name, check.role, check.escalate_on) == ("审核", StaffRole.REVIEWER, None)
    _do(check, hands["checker"])
    [approve] = _open(case)
    today = approve.created_at.astimezone().date()
    assert (approve.step_name, approve.role, approve.organisation, approve.decides) == (
        "审批",
        StaffRole.APPROVER,
        county["amr"],
        True,
    )
    assert approve.escalate_on == add_working_days(today, 2).date
    assert approve.due_on == add_working_days(today, 2).date
    _do(approve, hands["approver"], TaskOutcome.DENY, "经营场所与许可条件不符")
    case = _decided(case)
    assert case.status == CaseStatus.DENIED
    assert _route(case) == [
        ("受理", TaskOutcome.ACCEPTED),
        ("承办", TaskOutcome.AGREE),
        ("审核", TaskOutcome.AGREE),
        ("审批", TaskOutcome.DENY),
    ]


# ---------------------------------------------------------------------------------------------------------------
# parallel: both departments at once, the join waits for both, then 审批


def test_parallel_opens_both_departments_at_once_and_the_join_waits_for_both(county, crew, applicants, hands):
    case = _accepted(_joint_item(county, crew), applicants, crew)
    lead, joint = _open(case)
    assert [(t.step_name, t.organisation, t.role) for t in (lead, joint)] == [
        ("牵头部门审查", county["amr"], StaffRole.REVIEWER),
        ("协办部门审查", county["civil"], StaffRole.REVIEWER),
    ]
    with pytest.raises(DomainError) as other_department:
        _do(joint, crew["amr_clerk"])
    assert other_department.value.code == CaseError.NOT_TASK_ROLE
    _do(joint, crew["civil_clerk"], opinion="符合民政要求")
    assert [t.step_name for t in _open(case)] == ["牵头部门审查"]  # the join waits for the lead department
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    assert set(case.events.filter(code="8").values_list("organisation__name", flat=True)) == {"桐庐县民政局"}
    _do(lead, crew["amr_clerk"])
    [approve] = _open(case)
    assert (approve.step_name, approve.organisation, approve.role, approve.decides) == (
        "审批",
        county["amr"],
        StaffRole.APPROVER,
        True,
    )
    _do(approve, hands["approver"], TaskOutcome.GRANT, "准予许可")
    case = _decided(case)
    assert case.status == CaseStatus.APPROVED
    assert [step for step, _outcome in _route(case)] == ["受理", "协办部门审查", "牵头部门审查", "审批"]


# ---------------------------------------------------------------------------------------------------------------
# inspection: 现场核查 不合格 goes straight to 审批; 合格 goes to 审核


@pytest.mark.parametrize(
    ("outcome", "next_step"),
    [(TaskOutcome.DISAGREE, "审批"), (TaskOutcome.AGREE, "审核")],
    ids=["failed-to-decision", "passed-to-check"],
)
def test_inspection_result_chooses_the_next_step(county, crew, applicants, hands, outcome, next_step):
    case = _accepted(_item(county, crew, "inspection"), applicants, crew)
    _do(_open(case)[0], crew["amr_clerk"])
    [inspect] = _open(case)
    assert (inspect.step_name, inspect.role) == ("现场核查", StaffRole.REVIEWER)
    _do(inspect, hands["checker"], outcome, "现场核查记录见附件")
    [following] = _open(case)
    assert following.step_name == next_step
    if next_step == "审核":
        _do(following, crew["amr_clerk2"])
        [following] = _open(case)
    assert following.step_name == "审批"
    granted = outcome == TaskOutcome.AGREE
    _do(following, hands["approver"], TaskOutcome.GRANT if granted else TaskOutcome.DENY, "依核查结果决定")
    assert _decided(case).status == (CaseStatus.APPROVED if granted else CaseStatus.DENIED)


# ---------------------------------------------------------------------------------------------------------------
# custom BPMN: one department's negative opinion routes to 联合复核


def _custom_item(county, crew) -> ImplementationItem:
    definition = bpmn.process_store(actor=crew["editor"], xml=OPINIONS_BPMN)
    item = _joint_item(county, crew)
    version = ItemVersion.objects.get(pk=item.published_version_id)
    # The published version keeps its own process; a new version with the custom one goes through the lifecycle.
    from tongban.catalog import services as catalog_services

    draft = catalog_services.version_new_draft(actor=crew["editor"], item=item)
    catalog_services.version_set_process(actor=crew["editor"], version=draft, process=definition)
    catalog_services.version_submit(actor=crew["editor"], version=draft)
    catalog_services.version_approve(actor=crew["catreviewer"], version=draft)
    catalog_services.version_publish(actor=crew["catreviewer"], version=draft)
    assert ItemVersion.objects.get(pk=version.pk).status == VersionStatus.SUPERSEDED
    return ImplementationItem.objects.get(pk=item.pk)


@pytest.mark.parametrize("negative_first", [True, False], ids=["negative-first", "negative-last"])
def test_custom_one_departments_negative_opinion_routes_to_the_joint_recheck(
    county, crew, applicants, hands, negative_first
):
    case = _accepted(_custom_item(county, crew), applicants, crew)
    lead, joint = _open(case)
    assert [(t.step_name, t.organisation) for t in (lead, joint)] == [
        ("牵头部门审查", county["amr"]),
        ("协办部门审查", county["civil"]),
    ]
    steps = [(joint, crew["civil_clerk"], TaskOutcome.DISAGREE, "养老服务设施未备案"), (lead, crew["amr_clerk"])]
    for step in steps if negative_first else steps[::-1]:
        _do(*step)
    [recheck] = _open(case)
    assert (recheck.step_name, recheck.organisation, recheck.role) == ("联合复核", county["amr"], StaffRole.REVIEWER)
    _do(recheck, hands["checker"], TaskOutcome.AGREE, "经复核，协办部门意见已落实")
    [approve] = _open(case)
    _do(approve, hands["approver"], TaskOutcome.GRANT, "准予许可")
    assert _decided(case).status == CaseStatus.APPROVED
    assert [step for step, _outcome in _route(case)][-2:] == ["联合复核", "审批"]


def test_custom_agreeing_departments_go_straight_to_the_decision(county, crew, applicants, hands):
    case = _accepted(_custom_item(county, crew), applicants, crew)
    lead, joint = _open(case)
    _do(lead, crew["amr_clerk"])
    _do(joint, crew["civil_clerk"])
    [approve] = _open(case)
    assert approve.step_name == "审批"
    assert "联合复核" not in [step for step, _outcome in _route(case)]


# ---------------------------------------------------------------------------------------------------------------
# A lane department that does not resolve


def test_publishing_a_process_whose_joint_lane_resolves_nowhere_is_refused(county, crew):
    with pytest.raises(DomainError) as refused:
        _item(county, crew, "parallel")
    assert refused.value.code is CatalogError.INVALID_GUIDE
    assert list(refused.value.fields) == ["process_departments"]
    assert not ImplementationItem.objects.exclude(published_version=None).exists()


def test_acceptance_refuses_a_lane_that_stopped_resolving_and_changes_nothing(county, crew, applicants):
    item = _joint_item(county, crew)
    case = _complete_case(applicants["li"], item)
    Organisation.objects.filter(pk=county["civil"].pk).update(active=False)  # the joint bureau closed since
    before = (
        Case.objects.filter(pk=case.pk).values_list("status", "lock_version", "accepted_at").get(),
        case.events.count(),
        AuditEntry.objects.count(),
    )
    with pytest.raises(DomainError) as refused:
        services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)
    assert refused.value.code == CaseError.PROCESS_DEPARTMENT_UNKNOWN
    assert "协办部门" in refused.value.message
    after = (
        Case.objects.filter(pk=case.pk).values_list("status", "lock_version", "accepted_at").get(),
        case.events.count(),
        AuditEntry.objects.count(),
    )
    assert after == before
    assert before[0][0] == CaseStatus.RECEIVED
    assert not ReviewTask.objects.filter(case=case).exists()
    assert not WorkflowState.objects.filter(case=case).exists()
