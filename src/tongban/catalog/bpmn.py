"""Process definitions (办理流程定义): BPMN 2.0 XML checked with SpiffWorkflow, stored once by content hash, with a
readable outline and an inline SVG diagram drawn from the BPMN diagram coordinates.

Rules an uploaded process must follow (docs/decisions/0007-forms-and-processes.md):
- exactly one executable process; valid against the BPMN 2.0 schema and parsable by SpiffWorkflow;
- every lane maps to a staff role: its name is a role word (受理 → window_clerk; 承办/审查/审核/现场核查 → reviewer;
  审批/决定/签发 → approver), optionally with the department in brackets ("审查（市场监管局）"), or a role code;
- every user task sits in a lane; no script tasks, sub-processes or call activities;
- every condition passes the safe-expression whitelist (catalog/expressions.py); timers are quoted ISO 8601
  durations ("P2D");
- a step's time limit is a line "时限: 5 工作日" (or 自然日) in the task's documentation, which bpmn.io and Camunda
  Modeler both edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
from SpiffWorkflow.exceptions import SpiffWorkflowException

from tongban.accounts.models import StaffRole
from tongban.catalog.errors import CatalogError
from tongban.catalog.expressions import CASE_VARIABLES, check_expression, expression_names, expression_problems
from tongban.catalog.models import ProcessDefinition
from tongban.core import audit
from tongban.core.crypto import sm3_hex
from tongban.core.errors import DomainError

__all__ = [
    "LANE_ROLE_WORDS",
    "TEMPLATES",
    "Template",
    "check_expression",
    "check_process_fields",
    "diagram_svg",
    "outline",
    "process_from_template",
    "process_problems",
    "process_store",
]

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}
MAX_XML_BYTES = 1_000_000

# The roles that handle a case, and the lane words that name them.
CASE_ROLES = (StaffRole.WINDOW_CLERK, StaffRole.REVIEWER, StaffRole.APPROVER)
LANE_ROLE_WORDS = {
    "受理": StaffRole.WINDOW_CLERK,
    "窗口": StaffRole.WINDOW_CLERK,
    "窗口受理": StaffRole.WINDOW_CLERK,
    "承办": StaffRole.REVIEWER,
    "审查": StaffRole.REVIEWER,
    "审核": StaffRole.REVIEWER,
    "核查": StaffRole.REVIEWER,
    "现场核查": StaffRole.REVIEWER,
    "审批": StaffRole.APPROVER,
    "决定": StaffRole.APPROVER,
    "签发": StaffRole.APPROVER,
}
_LANE_NAME = re.compile(r"^\s*(?P<word>[^（(]+?)\s*(?:[（(](?P<department>[^）)]*)[）)])?\s*$")
_TIME_LIMIT = re.compile(r"时限\s*[:：]\s*(?P<days>\d+)\s*个?\s*(?P<unit>工作日|自然日|天)")
_ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
STEP_TAGS = {"userTask", "manualTask", "task"}
REFUSED_TAGS = {  # messages marked for translation; translated when a problem is reported
    "scriptTask": gettext_noop("流程中不允许脚本任务（scriptTask）"),
    "script": gettext_noop("流程中不允许脚本"),
    "subProcess": gettext_noop("暂不支持子流程（subProcess），请展开为普通步骤"),
    "adHocSubProcess": gettext_noop("暂不支持子流程（adHocSubProcess）"),
    "transaction": gettext_noop("暂不支持事务子流程（transaction）"),
    "callActivity": gettext_noop("暂不支持调用活动（callActivity）"),
}
EXPRESSION_TAGS = {"conditionExpression", "condition", "completionCondition", "loopCardinality", "messagePath"}
TIMER_TAGS = {"timeDuration", "timeDate", "timeCycle"}
STROKE = 'stroke="#0b0c0c" stroke-width="1.5"'


@dataclass(frozen=True)
class Template:
    """A shipped process template (流程模板). `label` and `description` are marked for translation (gettext_noop);
    translate them where they are shown."""

    key: str
    label: str
    description: str
    filename: str

    @property
    def path(self) -> Path:
        return Path(__file__).parent / "process_templates" / self.filename

    def xml(self) -> str:
        return self.path.read_text(encoding="utf-8")


TEMPLATES = {
    "instant": Template("instant", gettext_noop("即办件"), gettext_noop("窗口受理后当场办结"), "instant.bpmn"),
    "single_department": Template(
        "single_department",
        gettext_noop("一个部门办理"),
        gettext_noop("受理 → 承办 → 审核 → 审批，审批超时提醒"),
        "single_department.bpmn",
    ),
    "parallel": Template(
        "parallel",
        gettext_noop("多部门并联审批"),
        gettext_noop("受理后牵头部门与协办部门同时审查，汇总后审批"),
        "parallel.bpmn",
    ),
    "inspection": Template(
        "inspection",
        gettext_noop("含现场核查"),
        gettext_noop("受理 → 承办 → 现场核查 → 审核 → 审批；核查不合格直接审批"),
        "inspection.bpmn",
    ),
}


# ---------------------------------------------------------------------------------------------------------------
# Storing


def process_store(*, actor, xml: str, template: str = "", form_fields=None) -> ProcessDefinition:
    """Check a BPMN document and store it once: the same normalised XML returns the row already stored.

    `form_fields`, when given, are the fields conditions may name (besides the case variables); otherwise any plain
    name is accepted here and check_process_fields checks it when the process is attached to a version's form.
    """
    root = _parse_xml(xml)
    problems = _problems(root, form_fields)
    if problems:
        raise DomainError(CatalogError.INVALID_PROCESS, problems[0], fields={"bpmn_xml": problems})
    content_hash = sm3_hex(_normalised(root))
    existing = ProcessDefinition.objects.filter(content_hash=content_hash).first()
    if existing is not None:
        return existing
    return _create(actor=actor, root=root, xml=xml, template=template, content_hash=content_hash)


def _create(*, actor, root, xml: str, template: str, content_hash: str) -> ProcessDefinition:
    summary = _outline(root)
    try:
        with transaction.atomic():
            definition = ProcessDefinition.objects.create(
                content_hash=content_hash,
                process_id=summary["process_id"],
                name=summary["name"][:200],
                template=template,
                bpmn_xml=xml,
                outline=summary,
            )
            audit.record(
                actor=actor,
                action="process_definition.store",
                obj=definition,
                after={"content_hash": content_hash, "template": template, "steps": len(summary["steps"])},
            )
    except IntegrityError:  # stored by someone else a moment ago
        return ProcessDefinition.objects.get(content_hash=content_hash)
    return definition


def process_from_template(*, actor, key: str) -> ProcessDefinition:
    """The stored definition of a shipped template (stored on first use)."""
    if key not in TEMPLATES:
        raise DomainError(CatalogError.INVALID_PROCESS, _("没有名为“%(key)s”的流程模板") % {"key": key})
    return process_store(actor=actor, xml=TEMPLATES[key].xml(), template=key)


def outline(definition: ProcessDefinition) -> dict:
    """The readable outline: lanes, steps in order (who, time limit, parallel branch), gateways with conditions."""
    return definition.outline or _outline(_parse_xml(definition.bpmn_xml))


def process_problems(xml: str, form_fields=None) -> list[str]:
    """Every Chinese problem of a BPMN document (empty when it may be stored); for previews before saving."""
    try:
        root = _parse_xml(xml)
    except DomainError as error:
        return [error.message]
    return _problems(root, form_fields)


def check_process_fields(definition: ProcessDefinition, schema: dict) -> None:
    """Raise when a condition of the process names something that is neither a field of `schema` nor a case
    variable (LIFECYCLE calls it when a version's form or process changes)."""
    fields = set((schema or {}).get("properties", {}))
    unknown = [name for name in outline(definition).get("variables", []) if name not in fields | CASE_VARIABLES]
    if unknown:
        messages = [_("流程条件中的“%(name)s”不是申请表字段，也不是办件变量") % {"name": name} for name in unknown]
        raise DomainError(CatalogError.INVALID_PROCESS, messages[0], fields={"process": messages})


# ---------------------------------------------------------------------------------------------------------------
# Parsing and checking


def _parse_xml(xml: str | bytes) -> etree._Element:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    if len(data) > MAX_XML_BYTES:
        raise DomainError(CatalogError.INVALID_PROCESS, _("BPMN 文件太大（不能超过 1 MB）"))
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DomainError(CatalogError.INVALID_PROCESS, _("BPMN 文件中不允许 DOCTYPE 或实体声明"))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        message = _("BPMN 文件不是合法的 XML：%(detail)s") % {"detail": error.msg}
        raise DomainError(CatalogError.INVALID_PROCESS, message) from error
    if root.tag != f"{{{BPMN}}}definitions":
        raise DomainError(CatalogError.INVALID_PROCESS, _("这不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）"))
    return root


def _normalised(root) -> bytes:
    """Canonical XML (C14N 2.0, whitespace-only text dropped): attribute order and indentation do not count."""
    return etree.tostring(root, method="c14n2", strip_text=True, with_comments=False)


def _problems(root, form_fields) -> list[str]:
    spiff_problem = _spiff_problem(root)
    if spiff_problem:
        return [spiff_problem]
    process = _executable_process(root)
    problems = [_(message) for tag, message in REFUSED_TAGS.items() if process.find(f".//{{{BPMN}}}{tag}") is not None]
    problems += _reserved_id_problems(process)
    problems += _lane_problems(process)
    problems += _expression_problems(process, form_fields)
    problems += _gateway_problems(process)
    return problems


# SpiffWorkflow names its own internal task specs Start, End and Root; a BPMN element with one of these ids parses
# but breaks the running workflow ("No output task connected") when the first case is accepted.
RESERVED_IDS = ("Start", "End", "Root")


def _reserved_id_problems(process) -> list[str]:
    return [
        _("流程元素的标识“%(id)s”为流程引擎保留，请在建模工具中改为其他标识（如 StartEvent_1）")
        % {"id": element.get("id")}
        for element in process.iter()
        if isinstance(element.tag, str) and element.get("id") in RESERVED_IDS
    ]


def _spiff_problem(root) -> str:
    parser = BpmnParser(validator=BpmnValidator())
    try:
        parser.add_bpmn_xml(etree.ElementTree(root))
        process_ids = parser.get_process_ids()
        if len(process_ids) != 1:
            return _('BPMN 文件中必须恰好有一个可执行流程（isExecutable="true"），现有 %(count)s 个') % {
                "count": len(process_ids)
            }
        parser.get_spec(process_ids[0])
    except SpiffWorkflowException as error:
        return _("流程定义无法解析：%(detail)s") % {"detail": _spiff_message(error)}
    except etree.LxmlError as error:
        return _("BPMN 文件不符合 BPMN 2.0 规范：%(detail)s") % {"detail": error}
    return ""


def _spiff_message(error: SpiffWorkflowException) -> str:
    where = " ".join(str(part) for part in (getattr(error, "name", ""), getattr(error, "id", "")) if part)
    line = getattr(error, "line_number", "")
    detail = f"（{where}）" if where else ""
    return f"{error}{detail}" + (_("，第 %(line)s 行") % {"line": line} if line else "")


def _executable_process(root):
    for process in root.iterfind(f"{{{BPMN}}}process"):
        if process.get("isExecutable") == "true":
            return process
    raise DomainError(CatalogError.INVALID_PROCESS, _("BPMN 文件中没有可执行流程"))


def _local(element) -> str:
    return etree.QName(element).localname


def lane_role(name: str) -> tuple[str, str] | None:
    """(role, department) for a lane name such as "审查（市场监管局）", or None when it names no role."""
    match = _LANE_NAME.match(name or "")
    if not match:
        return None
    word = match["word"]
    role = LANE_ROLE_WORDS.get(word) or next((r for r in CASE_ROLES if r.value == word), None)
    return (role.value, match["department"] or "") if role else None


def _lanes(process) -> list[dict]:
    lanes = []
    for lane in process.iter(f"{{{BPMN}}}lane"):
        if lane.find(f"{{{BPMN}}}childLaneSet") is not None:
            continue  # a parent lane: its child lanes carry the roles
        mapped = lane_role(lane.get("name", ""))
        lanes.append(
            {
                "id": lane.get("id"),
                "name": lane.get("name", ""),
                "role": mapped[0] if mapped else "",
                "role_label": str(StaffRole(mapped[0]).label) if mapped else "",
                "department": mapped[1] if mapped else "",
                "nodes": [ref.text.strip() for ref in lane.iterfind(f"{{{BPMN}}}flowNodeRef") if ref.text],
            }
        )
    return lanes


def _lane_problems(process) -> list[str]:
    lanes = _lanes(process)
    words = "、".join(LANE_ROLE_WORDS)
    problems = [
        _("泳道“%(lane)s”对应不到岗位，泳道名称应为：%(words)s（可在括号中注明部门）")
        % {"lane": lane["name"] or lane["id"], "words": words}
        for lane in lanes
        if not lane["role"]
    ]
    in_lane = {node for lane in lanes for node in lane["nodes"]}
    for task in _steps_elements(process):
        if task.get("id") not in in_lane:
            step = task.get("name") or task.get("id")
            problems.append(_("步骤“%(step)s”不在任何泳道中，请把它放进对应岗位的泳道") % {"step": step})
    return problems


def _steps_elements(process) -> list:
    return [element for element in process if _local(element) in STEP_TAGS]


def _expression_problems(process, form_fields) -> list[str]:
    problems = []
    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        tag = _local(element)
        if tag in EXPRESSION_TAGS:
            problems += expression_problems(element.text or "", form_fields)
        elif tag in TIMER_TAGS and _timer_value(element.text) is None:
            problems.append(
                _('定时事件的时长“%(value)s”不正确，请写成带引号的 ISO 8601 时长，如 "P2D"')
                % {"value": (element.text or "").strip()}
            )
    return problems


def _timer_value(text: str | None) -> str | None:
    """ "P2D" (quoted, as SpiffWorkflow evaluates timer expressions) → P2D; anything else → None."""
    value = (text or "").strip()
    if len(value) < 3 or value[0] != value[-1] or value[0] not in "\"'":
        return None
    inner = value[1:-1]
    return inner if _ISO_DURATION.match(inner) else None


def _gateway_problems(process) -> list[str]:
    flows = _flows(process)
    problems = []
    for gateway in process:
        if _local(gateway) not in {"exclusiveGateway", "inclusiveGateway"}:
            continue
        outgoing = [flow for flow in flows.values() if flow["source"] == gateway.get("id")]
        if len(outgoing) < 2:
            continue
        for flow in outgoing:
            if not flow["condition"] and flow["id"] != gateway.get("default"):
                name = gateway.get("name") or gateway.get("id")
                message = _("网关“%(gateway)s”的流向“%(flow)s”缺少条件，请填写条件或设为默认流向")
                problems.append(message % {"gateway": name, "flow": flow["name"] or flow["id"]})
    return problems


# ---------------------------------------------------------------------------------------------------------------
# Outline


def _flows(process) -> dict[str, dict]:
    flows = {}
    for flow in process.iterfind(f"{{{BPMN}}}sequenceFlow"):
        condition = flow.find(f"{{{BPMN}}}conditionExpression")
        flows[flow.get("id")] = {
            "id": flow.get("id"),
            "name": flow.get("name", ""),
            "source": flow.get("sourceRef"),
            "target": flow.get("targetRef"),
            "condition": (condition.text or "").strip() if condition is not None else "",
        }
    return flows


def time_limit(documentation: str) -> dict | None:
    """{"days": 5, "unit": "working_day"} from a line "时限: 5 工作日" (天 counts as 自然日); None when absent."""
    match = _TIME_LIMIT.search(documentation or "")
    if not match:
        return None
    unit = "working_day" if match["unit"] == "工作日" else "natural_day"
    return {"days": int(match["days"]), "unit": unit}


def _documentation(element) -> str:
    return "\n".join((doc.text or "").strip() for doc in element.iterfind(f"{{{BPMN}}}documentation"))


def _order(process, flows: dict) -> list[str]:
    """Flow nodes in reading order: a topological order from the start events, ignoring loops back."""
    nodes = [element.get("id") for element in process if element.get("id") and _local(element) != "sequenceFlow"]
    successors: dict[str, list[str]] = {node: [] for node in nodes}
    for flow in flows.values():
        successors.setdefault(flow["source"], []).append(flow["target"])
    starts = [e.get("id") for e in process if _local(e) == "startEvent"]
    back_edges = _back_edges(starts, successors)
    indegree = dict.fromkeys(successors, 0)
    for source, targets in successors.items():
        for target in targets:
            if (source, target) not in back_edges:
                indegree[target] = indegree.get(target, 0) + 1
    ready = [node for node in nodes if indegree.get(node, 0) == 0]
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for target in successors.get(node, []):
            if (node, target) in back_edges:
                continue
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return order


def _back_edges(starts: list[str], successors: dict[str, list[str]]) -> set[tuple[str, str]]:
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in starts:
        stack = [(start, iter(successors.get(start, [])))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(successors.get(child, []))))
    return back


def _outline(root) -> dict[str, Any]:
    with translation.override(settings.LANGUAGE_CODE):  # role labels are stored, so in the site's language
        return _outline_of(root)


def _outline_of(root) -> dict[str, Any]:
    process = _executable_process(root)
    flows = _flows(process)
    elements = {element.get("id"): element for element in process if element.get("id")}
    lanes = _lanes(process)
    lane_of = {node: lane for lane in lanes for node in lane["nodes"]}
    order = _order(process, flows)
    steps = [_step(elements[node], lane_of.get(node)) for node in order if _local(elements[node]) in STEP_TAGS]
    groups = _parallel_groups(process, flows, elements, steps)
    gateways = [_gateway(elements[node], flows, elements) for node in order if "Gateway" in _local(elements[node])]
    variables = sorted(
        {name for flow in flows.values() if flow["condition"] for name in expression_names(flow["condition"])}
    )
    return {
        "process_id": process.get("id"),
        "name": process.get("name") or _participant_name(root, process) or process.get("id"),
        "lanes": [{key: lane[key] for key in ("id", "name", "role", "role_label", "department")} for lane in lanes],
        "steps": steps,
        "parallel_groups": groups,
        "gateways": gateways,
        "escalations": _escalations(process, elements),
        "variables": variables,
        "total_limit": _total_limit(steps, groups),
    }


def _participant_name(root, process) -> str:
    for participant in root.iter(f"{{{BPMN}}}participant"):
        if participant.get("processRef") == process.get("id"):
            return participant.get("name", "")
    return ""


def _step(element, lane: dict | None) -> dict:
    limit = time_limit(_documentation(element))
    return {
        "id": element.get("id"),
        "name": element.get("name") or element.get("id"),
        "lane": lane["name"] if lane else "",
        "role": lane["role"] if lane else "",
        "role_label": lane["role_label"] if lane else "",
        "department": lane["department"] if lane else "",
        "limit": limit,
        "parallel_group": None,
        "branch": None,
    }


def _parallel_groups(process, flows: dict, elements: dict, steps: list[dict]) -> list[dict]:
    """Each diverging parallel gateway with the steps on each branch until the branches join again."""
    by_id = {step["id"]: step for step in steps}
    groups = []
    for gateway in process:
        if _local(gateway) != "parallelGateway":
            continue
        outgoing = [flow for flow in flows.values() if flow["source"] == gateway.get("id")]
        if len(outgoing) < 2:
            continue
        number = len(groups)
        branches = []
        for branch_number, flow in enumerate(outgoing):
            branch = _branch_steps(flow["target"], flows, elements)
            for step_id in branch:
                by_id[step_id]["parallel_group"] = number
                by_id[step_id]["branch"] = branch_number
            branches.append(branch)
        groups.append({"gateway": gateway.get("id"), "name": gateway.get("name", ""), "branches": branches})
    return groups


def _branch_steps(node: str, flows: dict, elements: dict) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    while node and node not in seen and node in elements:
        seen.add(node)
        element = elements[node]
        incoming = [flow for flow in flows.values() if flow["target"] == node]
        if "Gateway" in _local(element) and len(incoming) > 1:
            break  # the join
        if _local(element) in STEP_TAGS:
            found.append(node)
        outgoing = [flow for flow in flows.values() if flow["source"] == node]
        node = outgoing[0]["target"] if len(outgoing) == 1 else ""
    return found


def _gateway(element, flows: dict, elements: dict) -> dict:
    gateway_id = element.get("id")
    outgoing = [flow for flow in flows.values() if flow["source"] == gateway_id]
    incoming = [flow for flow in flows.values() if flow["target"] == gateway_id]
    return {
        "id": gateway_id,
        "name": element.get("name", ""),
        "kind": _local(element).removesuffix("Gateway"),
        "direction": "join" if len(incoming) > 1 and len(outgoing) <= 1 else "split",
        "flows": [
            {
                "id": flow["id"],
                "name": flow["name"],
                "target": flow["target"],
                "target_name": elements[flow["target"]].get("name", "") if flow["target"] in elements else "",
                "condition": flow["condition"],
                "default": flow["id"] == element.get("default"),
            }
            for flow in outgoing
        ],
    }


def _escalations(process, elements: dict) -> list[dict]:
    escalations = []
    for event in process.iterfind(f"{{{BPMN}}}boundaryEvent"):
        timer = event.find(f"{{{BPMN}}}timerEventDefinition")
        if timer is None:
            continue
        value = next((_timer_value(child.text) for child in timer if _local(child) in TIMER_TAGS), None)
        attached = elements.get(event.get("attachedToRef"))
        escalations.append(
            {
                "id": event.get("id"),
                "name": event.get("name", ""),
                "step": attached.get("name", "") if attached is not None else "",
                "step_id": event.get("attachedToRef", ""),
                "after": value,
                "interrupting": event.get("cancelActivity", "true") != "false",
            }
        )
    return escalations


def _total_limit(steps: list[dict], groups: list[dict]) -> dict | None:
    """The working days along the process when every step counts in working days (parallel branches: the longest)."""
    if not steps or any(step["limit"] is None or step["limit"]["unit"] != "working_day" for step in steps):
        return None
    days = sum(step["limit"]["days"] for step in steps if step["parallel_group"] is None)
    for group in groups:
        by_id = {step["id"]: step for step in steps}
        days += max((sum(by_id[s]["limit"]["days"] for s in branch) for branch in group["branches"]), default=0)
    return {"days": days, "unit": "working_day"}


# ---------------------------------------------------------------------------------------------------------------
# Diagram


def diagram_svg(definition: ProcessDefinition) -> str:
    """The process drawn as inline SVG from its BPMNDI bounds and waypoints (no external resources)."""
    root = _parse_xml(definition.bpmn_xml)
    elements = {element.get("id"): element for element in root.iter() if isinstance(element.tag, str)}
    shapes, edges = [], []
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        bounds = shape.find(f"{{{DC}}}Bounds")
        element = elements.get(shape.get("bpmnElement"))
        if bounds is not None and element is not None:
            shapes.append((element, *(float(bounds.get(k, 0)) for k in ("x", "y", "width", "height"))))
    for edge in root.iter(f"{{{BPMNDI}}}BPMNEdge"):
        points = [(float(p.get("x", 0)), float(p.get("y", 0))) for p in edge.iterfind(f"{{{DI}}}waypoint")]
        element = elements.get(edge.get("bpmnElement"))
        if len(points) >= 2 and element is not None:
            edges.append((element, points))
    if not shapes:
        return ""
    return _svg(definition.name, shapes, edges)


def _svg(title: str, shapes: list, edges: list) -> str:
    xs = [s[1] for s in shapes] + [s[1] + s[3] for s in shapes] + [x for _, pts in edges for x, _ in pts]
    ys = [s[2] for s in shapes] + [s[2] + s[4] for s in shapes] + [y for _, pts in edges for _, y in pts]
    left, top = min(xs) - 10, min(ys) - 10
    width, height = max(xs) - left + 10, max(ys) - top + 10
    label = _("%(name)s（流程图）") % {"name": title}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram" role="img" '
        f'viewBox="{left:g} {top:g} {width:g} {height:g}" aria-labelledby="bpmn-title">',
        f'<title id="bpmn-title">{escape(label)}</title>',
        '<defs><marker id="bpmn-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#0b0c0c"/></marker></defs>',
    ]
    order = {"participant": 0, "lane": 1}
    for element, x, y, w, h in sorted(shapes, key=lambda s: order.get(_local(s[0]), 2)):
        out.append(_svg_shape(element, x, y, w, h))
    for element, points in edges:
        out.append(_svg_edge(element, points))
    out.append("</svg>")
    return "\n".join(out)


def _text(x: float, y: float, text: str, *, size: int = 13, anchor: str = "middle", extra: str = "") -> str:
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" dominant-baseline="middle" '
        f'fill="#0b0c0c"{extra}>{escape(text)}</text>'
    )


def _svg_shape(element, x: float, y: float, w: float, h: float) -> str:
    kind = _local(element)
    name = element.get("name", "")
    line = f'fill="none" {STROKE}'
    if kind in {"participant", "lane"}:
        cx, cy = x + 15, y + h / 2
        label = _text(cx, cy, name, size=14, extra=f' transform="rotate(-90 {cx:g} {cy:g})"')
        return f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" {line}/>{label}'
    if kind.endswith("Event"):
        r = w / 2
        stroke = "4" if kind == "endEvent" else "1.5"
        dash = ' stroke-dasharray="4 3"' if element.get("cancelActivity") == "false" else ""
        circle = (
            f'<circle cx="{x + r:g}" cy="{y + r:g}" r="{r:g}" fill="#ffffff" stroke="#0b0c0c" '
            f'stroke-width="{stroke}"{dash}/>'
        )
        return circle + _text(x + r, y + h + 14, name, size=12)
    if kind.endswith("Gateway"):
        cx, cy = x + w / 2, y + h / 2
        diamond = (
            f'<path d="M{cx:g},{y:g} L{x + w:g},{cy:g} L{cx:g},{y + h:g} L{x:g},{cy:g} z" fill="#ffffff" {STROKE}/>'
        )
        mark = "+" if kind == "parallelGateway" else ("×" if kind == "exclusiveGateway" else "○")
        return diamond + _text(cx, cy, mark, size=22) + _text(cx, y - 10, name, size=12)
    rect = f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="10" fill="#ffffff" {STROKE}/>'
    return rect + _text(x + w / 2, y + h / 2, name)


def _svg_edge(element, points: list[tuple[float, float]]) -> str:
    path = " ".join(f"{x:g},{y:g}" for x, y in points)
    edge = f'<polyline points="{path}" fill="none" stroke="#0b0c0c" stroke-width="1.5" marker-end="url(#bpmn-arrow)"/>'
    name = element.get("name", "")
    if not name:
        return edge
    (x1, y1), (x2, y2) = points[-2], points[-1]
    return edge + _text((x1 + x2) / 2, (y1 + y2) / 2 - 10, name, size=12)
