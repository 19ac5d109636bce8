"""/api/v1/review/time/{number}: special procedures (特别程序) and extensions (延期) of a case under review.

- GET "": the case's dates, its special procedures (with the working days each paused), its extensions, the legal
  maximum left and the actions open to the caller.
- POST /special: start a special procedure; POST /special/end: end the running one (the dates move).
- POST /extensions: ask the head for more working days; POST /extensions/{id}/decision: the head approves or refuses.

Every write carries `expected_version` (the case's lock_version as read): when someone acted first the answer is 409
and nothing changes. Authentication and the staff check are those of the review API (cases/api_review.py); the case is
loaded only through access.access_case_for_reviewer (404 for a case the caller may not see). Each write answers with
the state after it, as GET does.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema
from oauth2_provider.models import AccessToken

from tongban.accounts.models import User
from tongban.cases import access, extensions, special
from tongban.cases.api import ERRORS
from tongban.cases.api_review import review_auth
from tongban.cases.models import Case
from tongban.cases.selectors import status_name

router = Router(tags=["审查与决定"])


class _Versioned(Schema):
    expected_version: int = Field(..., ge=0, description="读取办件时的 lock_version；已被他人改动时返回 409")


class SpecialStartIn(_Versioned):
    kind: str = Field(..., description="hearing 听证、inspection 现场勘验、testing 检验检测、expert_review 专家评审")
    reason: str = Field(..., max_length=2000)
    legal_basis: str = Field(..., max_length=2000)
    expected_end: dt.date


class SpecialEndIn(_Versioned):
    result: str = Field(..., max_length=2000)


class ExtensionIn(_Versioned):
    days: int = Field(..., description="延长的工作日数；全部延期合计不超过 10（联合办理 15）")
    reason: str = Field(..., max_length=2000)


class ExtensionDecisionIn(_Versioned):
    approve: bool
    note: str = Field("", max_length=2000)


class ProcedureOut(Schema):
    id: int
    kind: str
    kind_name: str
    reason: str
    legal_basis: str
    started_on: dt.date
    expected_end: dt.date
    ended_on: dt.date | None
    result: str
    paused_working_days: int


class ExtensionOut(Schema):
    id: int
    days: int
    reason: str
    status: str
    status_name: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str
    previous_due: dt.date | None
    new_due: dt.date | None


class TimeOut(Schema):
    number: str
    status: int
    status_name: str
    lock_version: int
    promised_due: dt.date | None
    statutory_due: dt.date | None
    deadline_provisional: bool
    paused_since: dt.date | None
    extended_days: int
    extension_limit: int
    special_procedures: list[ProcedureOut]
    extensions: list[ExtensionOut]
    actions: list[str] = Field(..., description="start_special、end_special、request_extension、decide_extension")


def _caller(request) -> User:
    auth = request.auth
    return auth.user if isinstance(auth, AccessToken) else auth


def _case(request, number: str) -> Case:
    return access.access_case_for_reviewer(_caller(request), number[:43])


def _time(user: User, number: str) -> dict:
    """The case's time state as the caller sees it, read fresh (after an action, its new version)."""
    case = access.access_case_for_reviewer(user, number)
    state = extensions.time_state(user, case)
    allowed = {
        "start_special": state.may_start,
        "end_special": state.may_end,
        "request_extension": state.may_request,
        "decide_extension": state.may_decide,
    }
    return {
        "number": case.number,
        "status": case.status,
        "status_name": status_name(case.status),
        "lock_version": case.lock_version,
        "promised_due": case.promised_due,
        "statutory_due": case.statutory_due,
        "deadline_provisional": case.deadline_provisional,
        "paused_since": case.paused_since,
        "extended_days": case.extended_days,
        "extension_limit": state.limit,
        "special_procedures": [
            {
                "id": p.pk,
                "kind": p.kind,
                "kind_name": p.get_kind_display(),
                "reason": p.reason,
                "legal_basis": p.legal_basis,
                "started_on": p.started_on,
                "expected_end": p.expected_end,
                "ended_on": p.ended_on,
                "result": p.result,
                "paused_working_days": p.paused_working_days,
            }
            for p in state.procedures
        ],
        "extensions": [
            {
                "id": e.pk,
                "days": e.days,
                "reason": e.reason,
                "status": e.status,
                "status_name": e.get_status_display(),
                "requested_at": e.requested_at,
                "decided_at": e.decided_at,
                "decision_note": e.decision_note,
                "previous_due": e.previous_due,
                "new_due": e.new_due,
            }
            for e in state.extensions
        ],
        "actions": [name for name, ok in allowed.items() if ok],
    }


@router.get("/{number}", auth=review_auth, response={200: TimeOut, **ERRORS}, summary="特别程序与延期", url_name="time")
def time_detail(request, number: str):
    """办件的期限、特别程序（含各自暂停的工作日）、延期申请、尚可延长的上限，以及本人可执行的操作。"""
    return _time(_caller(request), number[:43])


@router.post(
    "/{number}/special",
    auth=review_auth,
    response={200: TimeOut, **ERRORS},
    summary="启动特别程序",
    url_name="time_special_start",
)
def special_start(request, number: str, payload: SpecialStartIn):
    """启动特别程序：办件进入特别程序（状态 9），计时暂停，向申请人出具特别程序告知书。"""
    user = _caller(request)
    special.special_procedure_start(
        actor=user,
        case=_case(request, number),
        kind=payload.kind,
        reason=payload.reason,
        legal_basis=payload.legal_basis,
        expected_end=payload.expected_end,
        expected_version=payload.expected_version,
    )
    return _time(user, number[:43])


@router.post(
    "/{number}/special/end",
    auth=review_auth,
    response={200: TimeOut, **ERRORS},
    summary="结束特别程序",
    url_name="time_special_end",
)
def special_end(request, number: str, payload: SpecialEndIn):
    """结束进行中的特别程序：恢复计时，承诺和法定办结日期按暂停的工作日顺延。"""
    user = _caller(request)
    special.special_procedure_end(
        actor=user, case=_case(request, number), result=payload.result, expected_version=payload.expected_version
    )
    return _time(user, number[:43])


@router.post(
    "/{number}/extensions",
    auth=review_auth,
    response={200: TimeOut, **ERRORS},
    summary="申请延期",
    url_name="time_extension_request",
)
def extension_request(request, number: str, payload: ExtensionIn):
    """向机构负责人申请延长办理期限（工作日）。"""
    user = _caller(request)
    extensions.extension_request(
        actor=user,
        case=_case(request, number),
        days=payload.days,
        reason=payload.reason,
        expected_version=payload.expected_version,
    )
    return _time(user, number[:43])


@router.post(
    "/{number}/extensions/{extension_id}/decision",
    auth=review_auth,
    response={200: TimeOut, **ERRORS},
    summary="批准或不批准延期",
    url_name="time_extension_decide",
)
def extension_decide(request, number: str, extension_id: int, payload: ExtensionDecisionIn):
    """机构负责人批准（法定办结日期顺延，出具延长办理期限告知书）或不批准延期申请。"""
    user = _caller(request)
    case = _case(request, number)
    extensions.extension_decide(
        actor=user,
        extension=extensions.access_extension(user, case, extension_id),
        approve=payload.approve,
        note=payload.note,
        expected_version=payload.expected_version,
    )
    return _time(user, number[:43])
