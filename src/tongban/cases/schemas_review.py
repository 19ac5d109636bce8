"""Schemas of the review API (/api/v1/review/, cases/api_review.py)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from tongban.cases.schemas import AnswerOut


class TaskRowOut(AnswerOut):
    """One open task of a worklist: no ID numbers, only the applicant's name."""

    id: int
    number: str = Field(..., description="办件编号")
    item_name: str = Field(..., description="事项名称")
    applicant_name: str
    step: str = Field(..., description="办理步骤")
    decides: bool = Field(..., description="是否为作出决定（审批）的步骤")
    organisation: str
    assignee: str = Field(..., description="承办人；空为待认领")
    due_on: dt.date | None = Field(..., description="步骤期限")
    due_provisional: bool = Field(..., description="期限按临时日历计算")
    warning: str = Field(..., description="预警：red 已超期、yellow 即将超期（2 个工作日内）、空为正常")
    promised_due: dt.date | None = Field(..., description="办件承诺办结日期")
    case_status: int
    case_status_name: str
    lock_version: int = Field(..., description="操作时作为 expected_version 提交")


class TaskPageOut(AnswerOut):
    worklist: str
    items: list[TaskRowOut]
    count: int = Field(..., description="任务数；count_capped 为 true 时只计到 1000")
    count_capped: bool = Field(
        ..., description="多于 1000 个任务：count 为 1000，pages 为至少的页数；请求 1000 个之后的页时按实际数量计"
    )
    page: int
    pages: int


class TaskCaseOut(Schema):
    number: str
    status: int
    status_name: str
    item_name: str
    applicant_name: str
    organisation: str
    promised_due: dt.date | None
    statutory_due: dt.date | None
    deadline_provisional: bool


class TaskDetailOut(Schema):
    """A task with what the caller may do on it now."""

    id: int
    step: str
    step_id: str
    role: str
    decides: bool
    organisation: str
    status: str = Field(..., description="open 待办、done 已办、cancelled 已取消")
    assignee: str
    assignee_id: int | None
    lock_version: int
    created_at: dt.datetime
    due_on: dt.date | None
    due_provisional: bool
    warning: str
    finished_at: dt.datetime | None
    handler: str
    outcome: str
    opinion: str
    outcomes: list[str] = Field(..., description="办理时可选的结论：agree/disagree，或审批步骤的 grant/deny")
    actions: list[str] = Field(..., description="调用者现在可执行的操作：claim、release、assign、reassign、complete")
    case: TaskCaseOut


class VersionIn(Schema):
    expected_version: int = Field(..., ge=0, description="读取任务时的 lock_version；已被他人改动时返回 409")


class AssignIn(VersionIn):
    colleague: int = Field(..., description="同事的账号 id（须在该机构的该岗位上）")


class CompleteIn(VersionIn):
    outcome: str = Field(..., description="agree 同意 / disagree 不同意；审批步骤为 grant 准予 / deny 不予")
    opinion: str = Field("", max_length=1000, description="办理意见；不同意或不予时必填")
