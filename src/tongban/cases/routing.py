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
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from tongban.catalog.bpmn import lane_role
from tongban.catalog.expressions import safe_script_engine
from tongban.catalog.models import ProcessDefinition
from tongban.core.kept import KeptPerProcess

_SPECS: dict[str, object] = {}
_SPEC_LOCK = threading.Lock()


class _StateConverter(BpmnWorkflowConverter):
    """SpiffWorkflow's workflow converter without the process definition: `to_dict` leaves the spec out (stored
    once per definition, not per case) instead of converting it and dropping it, and `from_dict` takes the cached,
    already parsed spec instead of restoring one from a dict. Both were most of a load's and a dump's time."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None):
        if spec is None:  # a full dict (with its spec), as SpiffWorkflow's own serializer would read it
            return super().from_dict(dct)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        return super().from_dict(dict(dct, spec=spec, subprocess_specs={}))


@cache
def _serializer() -> BpmnWorkflowSerializer:
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG, BpmnWorkflow: _StateConverter}))


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


# Stored definitions never change (content-addressed: a new process is a new row), so a completion need not read the
# BPMN XML and outline again.
_definitions: KeptPerProcess[ProcessDefinition] = KeptPerProcess("cases-routing-definitions", ProcessDefinition)


def definition_by_id(definition_id: int) -> ProcessDefinition:
    """A stored process definition, read once per process. Callers must not change it."""
    return _definitions.get(definition_id, lambda: ProcessDefinition.objects.get(pk=definition_id))


def workflow_new(definition: ProcessDefinition, variables: dict) -> BpmnWorkflow:
    """A new workflow of `definition` whose data starts with `variables` (form fields and case variables)."""
    workflow = BpmnWorkflow(process_spec(definition), script_engine=safe_script_engine())
    workflow.task_tree.data.update(variables)
    workflow.do_engine_steps()
    return workflow


def workflow_dump(workflow: BpmnWorkflow) -> dict:
    """The running state to store: SpiffWorkflow's dict without the process definition."""
    return _serializer().to_dict(workflow)


def workflow_load(definition: ProcessDefinition, state: dict) -> BpmnWorkflow:
    """The workflow from its stored state and the definition's (cached) spec. `state` is read, not changed."""
    workflow = _serializer().from_dict(state, spec=process_spec(definition))
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
