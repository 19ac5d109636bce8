"""The process engine glue (流程引擎): runs an accepted case's BPMN process with SpiffWorkflow.

- The parsed process spec is kept once per process definition per process (in memory, keyed by content hash);
  a case's WorkflowState holds only the running state (SpiffWorkflow's dict without `spec`).
- Conditions and timer values go through the platform's whitelist engine (catalog/expressions.py): no eval().
- The ready user tasks are mirrored into ReviewTask rows by `sync_tasks`; worklists read those rows only.

Nothing here checks who may act: cases/review.py does, and calls these functions inside its transaction, so the
task table and the workflow state always change together.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from functools import cache

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from tongban.catalog.bpmn import lane_role
from tongban.catalog.expressions import safe_script_engine
from tongban.catalog.models import ProcessDefinition

_SPECS: dict[str, object] = {}
_SPEC_LOCK = threading.Lock()


@cache
def _serializer() -> BpmnWorkflowSerializer:
    return BpmnWorkflowSerializer()


def process_spec(definition: ProcessDefinition):
    """The parsed SpiffWorkflow spec of a stored definition (parsed once per process, by content hash)."""
    spec = _SPECS.get(definition.content_hash)
    if spec is None:
        parser = BpmnParser()
        parser.add_bpmn_xml(etree.ElementTree(etree.fromstring(definition.bpmn_xml.encode("utf-8"))))
        spec = parser.get_spec(definition.process_id or parser.get_process_ids()[0])
        with _SPEC_LOCK:
            _SPECS[definition.content_hash] = spec
    return spec


@cache
def _spec_dict(content_hash: str) -> dict:
    return _serializer().to_dict(_SPECS[content_hash])


def workflow_new(definition: ProcessDefinition, variables: dict) -> BpmnWorkflow:
    """A new workflow of `definition` whose data starts with `variables` (form fields and case variables)."""
    workflow = BpmnWorkflow(process_spec(definition), script_engine=safe_script_engine())
    workflow.task_tree.data.update(variables)
    workflow.do_engine_steps()
    return workflow


def workflow_dump(workflow: BpmnWorkflow) -> dict:
    """The running state to store: SpiffWorkflow's dict without the process definition."""
    state = _serializer().to_dict(workflow)
    state.pop("spec", None)
    state.pop("subprocess_specs", None)
    return state


def workflow_load(definition: ProcessDefinition, state: dict) -> BpmnWorkflow:
    """The workflow from its stored state and the definition's (cached) spec."""
    process_spec(definition)
    full = dict(state, spec=_spec_dict(definition.content_hash), subprocess_specs={})
    workflow = _serializer().from_dict(full)
    workflow.script_engine = safe_script_engine()
    return workflow


@dataclass(frozen=True)
class ReadyStep:
    """A user task of the workflow that is ready for someone to do."""

    spiff_task_id: object
    step_id: str
    step_name: str
    lane: str
    role: str
    department: str
    decides: bool


def _decides(task_spec) -> bool:
    """A step decides the case when finishing it ends the process (it leads straight to an end event)."""
    return any(isinstance(output, EndEvent) for output in task_spec.outputs)


def ready_steps(workflow: BpmnWorkflow) -> list[ReadyStep]:
    """The workflow's ready user tasks, in a stable order."""
    steps = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        lane = spec.lane or ""
        mapped = lane_role(lane) or ("", "")
        steps.append(
            ReadyStep(
                spiff_task_id=task.id,
                step_id=spec.name,
                step_name=spec.bpmn_name or spec.name,
                lane=lane,
                role=mapped[0],
                department=mapped[1],
                decides=_decides(spec),
            )
        )
    return sorted(steps, key=lambda step: (step.step_id, str(step.spiff_task_id)))


def step_run(workflow: BpmnWorkflow, spiff_task_id, variables: dict) -> None:
    """Finish one ready user task with `variables` added to its data, then let the engine route."""
    task = workflow.get_task_from_id(spiff_task_id)
    task.data.update(variables)
    task.run()
    workflow.do_engine_steps()


def workflow_cancel(workflow: BpmnWorkflow) -> None:
    workflow.cancel()


def working_or_natural_days(start: dt.date, limit: dict | None):
    """(due date, provisional) for a step limit {"days": n, "unit": "working_day" | "natural_day"}; no limit →
    (None, False)."""
    from tongban.core.calendar import add_working_days

    if not limit:
        return None, False
    if limit.get("unit") == "natural_day":
        return start + dt.timedelta(days=int(limit["days"])), False
    result = add_working_days(start, int(limit["days"]))
    return result.date, result.provisional
