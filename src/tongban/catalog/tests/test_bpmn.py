"""Process definitions: the shipped templates, the checks an uploaded BPMN file must pass, storage by hash, diagram."""

from __future__ import annotations

import pytest

from tongban.catalog import bpmn
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import ProcessDefinition
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry

INSPECTION = bpmn.TEMPLATES["inspection"].xml()
SINGLE = bpmn.TEMPLATES["single_department"].xml()


def refusal(xml: str, form_fields=None) -> DomainError:
    with pytest.raises(DomainError) as raised:
        bpmn.process_store(actor=None, xml=xml, form_fields=form_fields)
    assert raised.value.code is CatalogError.INVALID_PROCESS
    assert ProcessDefinition.objects.count() == 0  # a refused upload stores nothing
    assert AuditEntry.objects.count() == 0
    return raised.value


def steps(definition) -> list[tuple]:
    return [(s["name"], s["role"], s["limit"]["days"] if s["limit"] else None) for s in definition.outline["steps"]]


@pytest.mark.django_db
def test_instant_template():
    definition = bpmn.process_from_template(actor=None, key="instant")
    assert (definition.template, definition.process_id, definition.name) == (
        "instant",
        "tongban_instant",
        "即办件：受理即办结",
    )
    assert steps(definition) == [("受理并办结", "window_clerk", 0)]
    assert definition.outline["total_limit"] == {"days": 0, "unit": "working_day"}


@pytest.mark.django_db
def test_single_department_template():
    definition = bpmn.process_from_template(actor=None, key="single_department")
    assert steps(definition) == [
        ("受理", "window_clerk", 1),
        ("承办", "reviewer", 5),
        ("审核", "reviewer", 3),
        ("审批", "approver", 2),
    ]
    assert definition.outline["escalations"] == [
        {
            "id": "Boundary_overdue",
            "name": "审批超过 2 天",
            "step": "审批",
            "step_id": "Task_approve",
            "after": "P2D",
            "interrupting": False,
        }
    ]
    assert definition.outline["total_limit"] == {"days": 11, "unit": "working_day"}
    assert definition.outline["parallel_groups"] == []


@pytest.mark.django_db
def test_parallel_template():
    definition = bpmn.process_from_template(actor=None, key="parallel")
    outline = definition.outline
    assert steps(definition) == [
        ("受理", "window_clerk", 1),
        ("牵头部门审查", "reviewer", 5),
        ("协办部门审查", "reviewer", 5),
        ("审批", "approver", 2),
    ]
    assert outline["parallel_groups"] == [
        {"gateway": "Gateway_fork", "name": "并联审查", "branches": [["Task_lead"], ["Task_joint"]]}
    ]
    by_name = {s["name"]: s for s in outline["steps"]}
    assert (by_name["牵头部门审查"]["parallel_group"], by_name["牵头部门审查"]["branch"]) == (0, 0)
    assert (by_name["协办部门审查"]["parallel_group"], by_name["协办部门审查"]["branch"]) == (0, 1)
    assert by_name["协办部门审查"]["department"] == "协办部门"
    assert by_name["审批"]["parallel_group"] is None
    assert [(g["id"], g["kind"], g["direction"]) for g in outline["gateways"]] == [
        ("Gateway_fork", "parallel", "split"),
        ("Gateway_join", "parallel", "join"),
    ]
    assert outline["total_limit"] == {"days": 8, "unit": "working_day"}  # 1 + max(5, 5) + 2


@pytest.mark.django_db
def test_inspection_template():
    definition = bpmn.process_from_template(actor=None, key="inspection")
    assert steps(definition) == [
        ("受理", "window_clerk", 1),
        ("承办", "reviewer", 3),
        ("现场核查", "reviewer", 5),
        ("审核", "reviewer", 2),
        ("审批", "approver", 2),
    ]
    [gateway] = definition.outline["gateways"]
    assert (gateway["name"], gateway["kind"]) == ("核查是否合格", "exclusive")
    assert [(f["name"], f["target_name"], f["condition"], f["default"]) for f in gateway["flows"]] == [
        ("合格", "审核", "inspection_passed == True", False),
        ("不合格，直接作出不予许可决定", "审批", "", True),
    ]
    assert definition.outline["variables"] == ["inspection_passed"]


@pytest.mark.django_db
def test_the_same_xml_is_stored_once():
    first = bpmn.process_store(actor=None, xml=SINGLE)
    again = bpmn.process_store(actor=None, xml=SINGLE)
    reindented = bpmn.process_store(actor=None, xml=SINGLE.replace("\n    ", "\n\t"), template="single_department")
    assert first.pk == again.pk == reindented.pk
    assert ProcessDefinition.objects.count() == 1
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["process_definition.store"]
    assert len(first.content_hash) == 64
    changed = bpmn.process_store(actor=None, xml=SINGLE.replace("时限: 5 工作日", "时限: 4 工作日"))
    assert changed.pk != first.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("len(area) &gt; 2", "流程条件不允许调用函数：len(area)"),
        ("area.real &gt; 2", "流程条件不允许访问属性：area.real"),
        ("business_type[0] == 'a'", "流程条件不允许使用下标：business_type[0]"),
        ("__import__('os').system('id')", "流程条件不允许调用函数：__import__('os').system('id')"),
        ("__import__ == 1", "流程条件不允许使用以下划线开头的名字：__import__"),
    ],
)
def test_a_gateway_condition_outside_the_whitelist_is_refused(condition, message):
    error = refusal(INSPECTION.replace("inspection_passed == True", condition))
    assert error.message == message
    assert error.fields == {"bpmn_xml": [message]}


@pytest.mark.django_db
def test_a_condition_naming_something_not_on_the_form_is_refused_when_fields_are_given():
    xml = INSPECTION.replace("inspection_passed == True", "area &gt; 100")
    assert refusal(xml, form_fields={"name"}).message == "流程条件中的“area”不是申请表字段，也不是办件变量"
    definition = bpmn.process_store(actor=None, xml=xml, form_fields={"area"})
    assert definition.outline["variables"] == ["area"]
    bpmn.check_process_fields(definition, {"properties": {"area": {"type": "number"}}})  # does not raise
    with pytest.raises(DomainError) as raised:
        bpmn.check_process_fields(definition, {"properties": {"name": {"type": "string"}}})
    assert raised.value.fields == {"process": ["流程条件中的“area”不是申请表字段，也不是办件变量"]}


@pytest.mark.django_db
def test_an_unknown_lane_is_refused():
    xml = SINGLE.replace('name="审批">', 'name="财务">')
    assert refusal(xml).message.startswith("泳道“财务”对应不到岗位，泳道名称应为：受理、")


@pytest.mark.django_db
def test_a_lane_may_be_a_role_code_or_a_role_word_with_the_department():
    xml = SINGLE.replace('name="审批">', 'name="approver">').replace('name="审查">', 'name="审查（卫生健康局）">')
    outline = bpmn.process_store(actor=None, xml=xml).outline
    assert [(lane["role"], lane["department"]) for lane in outline["lanes"]] == [
        ("window_clerk", ""),
        ("reviewer", "卫生健康局"),
        ("approver", ""),
    ]


@pytest.mark.django_db
def test_a_user_task_outside_the_lanes_is_refused():
    xml = SINGLE.replace("<bpmn:flowNodeRef>Task_approve</bpmn:flowNodeRef>", "")
    assert refusal(xml).message == "步骤“审批”不在任何泳道中，请把它放进对应岗位的泳道"


@pytest.mark.django_db
def test_a_script_task_is_refused():
    xml = SINGLE.replace(
        "</bpmn:process>",
        '<bpmn:scriptTask id="Script_1" name="x"><bpmn:script>import os</bpmn:script></bpmn:scriptTask></bpmn:process>',
    ).replace(
        "<bpmn:flowNodeRef>Task_approve</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>Task_approve</bpmn:flowNodeRef><bpmn:flowNodeRef>Script_1</bpmn:flowNodeRef>",
    )
    assert refusal(xml).message == "流程中不允许脚本任务（scriptTask）"


@pytest.mark.django_db
def test_a_flow_without_condition_out_of_an_exclusive_gateway_is_refused():
    xml = INSPECTION.replace(' default="Flow_6"', "")
    assert "Non-default exclusive outgoing sequence flow without condition" in refusal(xml).message


@pytest.mark.django_db
def test_exactly_one_executable_process():
    xml = SINGLE.replace('isExecutable="true"', 'isExecutable="false"')
    assert refusal(xml).message == 'BPMN 文件中必须恰好有一个可执行流程（isExecutable="true"），现有 0 个'


@pytest.mark.django_db
def test_a_timer_must_be_a_quoted_iso_duration():
    assert refusal(SINGLE.replace("&quot;P2D&quot;", "P2D").replace('"P2D"', "P2D")).message == (
        '定时事件的时长“P2D”不正确，请写成带引号的 ISO 8601 时长，如 "P2D"'
    )
    assert "定时事件的时长" in refusal(SINGLE.replace('"P2D"', "__import__('os')")).message


@pytest.mark.django_db
def test_entities_and_non_bpmn_documents_are_refused():
    xxe = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'
    assert refusal(xxe).message == "BPMN 文件中不允许 DOCTYPE 或实体声明"
    assert refusal("<html/>").message == "这不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）"
    assert refusal("not xml").message.startswith("BPMN 文件不是合法的 XML")
    invalid = refusal(SINGLE.replace("<bpmn:laneSet", "<bpmn:bogus/><bpmn:laneSet")).message
    assert invalid.startswith("流程定义无法解析：Element '{http://www.omg.org/spec/BPMN/20100524/MODEL}bogus'")


@pytest.mark.django_db
def test_an_unknown_template_is_refused():
    with pytest.raises(DomainError) as raised:
        bpmn.process_from_template(actor=None, key="nope")
    assert raised.value.message == "没有名为“nope”的流程模板"


def test_process_problems_preview_lists_every_problem():
    xml = SINGLE.replace('name="审批">', 'name="财务">').replace("<bpmn:flowNodeRef>Task_handle</bpmn:flowNodeRef>", "")
    problems = bpmn.process_problems(xml)
    assert len(problems) == 2
    assert problems[1] == "步骤“承办”不在任何泳道中，请把它放进对应岗位的泳道"
    assert bpmn.process_problems(SINGLE) == []


@pytest.mark.parametrize(
    ("documentation", "limit"),
    [
        ("时限: 5 工作日", {"days": 5, "unit": "working_day"}),
        ("审查材料。\n时限：10个工作日", {"days": 10, "unit": "working_day"}),
        ("时限：3 自然日", {"days": 3, "unit": "natural_day"}),
        ("时限: 7天", {"days": 7, "unit": "natural_day"}),
        ("尽快办理", None),
    ],
)
def test_time_limit_from_documentation(documentation, limit):
    assert bpmn.time_limit(documentation) == limit


@pytest.mark.django_db
def test_diagram_svg_draws_every_shape_without_external_resources():
    definition = bpmn.process_from_template(actor=None, key="parallel")
    svg = bpmn.diagram_svg(definition)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    for name in ["受理", "牵头部门审查", "协办部门审查", "审批", "审查（牵头部门）"]:
        assert f">{name}</text>" in svg
    assert svg.count("<polyline") == 8  # every sequence flow
    assert svg.count("<rect") == 4 + 1 + 4  # lanes, participant, tasks
    assert "href" not in svg and "<script" not in svg
    assert svg.count("http") == 1  # the SVG namespace only


def _run(xml: str, data: dict) -> list[str]:
    """Run a process with the platform's script engine, completing each user task with `data`; the task names."""
    from lxml import etree
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from tongban.catalog.expressions import safe_script_engine

    parser = BpmnParser()
    parser.add_bpmn_xml(etree.fromstring(xml.encode()))
    [process_id] = parser.get_process_ids()
    workflow = BpmnWorkflow(parser.get_spec(process_id), script_engine=safe_script_engine())
    done = []
    workflow.do_engine_steps()
    while not workflow.is_completed():
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            break
        task = ready[0]
        task.data.update(data)
        task.run()
        done.append(task.task_spec.bpmn_name)
        workflow.do_engine_steps()
    return done


def test_the_inspection_template_routes_on_the_condition_with_the_safe_engine():
    assert _run(INSPECTION, {"inspection_passed": True}) == ["受理", "承办", "现场核查", "审核", "审批"]
    assert _run(INSPECTION, {"inspection_passed": False}) == ["受理", "承办", "现场核查", "审批"]


def test_the_safe_engine_refuses_a_condition_that_escaped_the_check():
    from SpiffWorkflow.exceptions import SpiffWorkflowException

    xml = INSPECTION.replace("inspection_passed == True", "__import__('os').getcwd() == ''")
    with pytest.raises((DomainError, SpiffWorkflowException)):
        _run(xml, {"inspection_passed": True})


def test_the_parallel_template_runs_both_branches_before_approval():
    assert _run(bpmn.TEMPLATES["parallel"].xml(), {}) == ["受理", "牵头部门审查", "协办部门审查", "审批"]


def test_the_single_department_template_runs_with_its_timer_under_the_safe_engine():
    assert _run(SINGLE, {}) == ["受理", "承办", "审核", "审批"]


@pytest.mark.parametrize("reserved", ["Start", "End", "Root"])
def test_an_element_id_the_engine_reserves_is_refused(reserved):
    xml = (
        bpmn.TEMPLATES["single_department"]
        .xml()
        .replace('"StartEvent_1"', f'"{reserved}"')
        .replace(">StartEvent_1<", f">{reserved}<")
    )
    assert bpmn.process_problems(xml) == [
        f"流程元素的标识“{reserved}”为流程引擎保留，请在建模工具中改为其他标识（如 StartEvent_1）"
    ]
