"""/api/v1/decisions/: after the decision — delivery (送达) and revocation (撤销) by the competent organisation's
staff, and the applicant's withdrawal (撤回) before the decision.

- GET  /cases/{number}: the outcome of a case the member of staff may open (decision documents, licence, delivery).
- POST /cases/{number}/delivery: arrange delivery (window pick-up at a result window in scope, express, electronic).
- POST /cases/{number}/delivery/record: record 送达 (the 送达回证 is issued).
- POST /cases/{number}/revocation: revoke a grant with reasons (approvers and heads of the competent organisation).
- POST /mine/{number}/retraction: the applicant (or their representative / agent within scope) withdraws.

Authentication as /api/v1/cases/ (session with CSRF, or a bearer token with the "cases" scope). Staff writes carry
the case's lock_version: when someone acted first the answer is 409 CONFLICT and nothing changed.
"""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from tongban.cases import access, decisions, delivery
from tongban.cases.api import _applicant_case_by_number, _caller, cases_auth
from tongban.cases.models import Case
from tongban.cases.schemas import ErrorOut

router = Router(tags=["办件决定与送达"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class DeliveryIn(Schema):
    lock_version: int
    method: str
    window: int | None = None
    carrier: str = ""
    tracking_number: str = ""
    address: str = ""


class RecordIn(Schema):
    lock_version: int
    recipient: str


class RevokeIn(Schema):
    lock_version: int
    reasons: str


class RetractIn(Schema):
    reason: str = ""
    enterprise: int | None = None


class DocumentOut(Schema):
    kind: str
    kind_name: str
    number: str
    issued_at: dt.datetime


class DeliveryOut(Schema):
    method: str
    method_name: str
    hall: str = ""
    window: str = ""
    carrier: str = ""
    tracking_number: str = ""
    delivered_at: dt.datetime | None = None
    recipient: str = ""


class LicenceOut(Schema):
    state: str
    label: str
    identifier: str = ""
    status: str = ""


class OutcomeOut(Schema):
    number: str
    status: int
    status_name: str
    lock_version: int
    decided_at: dt.datetime | None
    documents: list[DocumentOut]
    licence: LicenceOut | None
    delivery: DeliveryOut | None
    owed_materials: list[str]


def _outcome(case: Case) -> dict:
    case.refresh_from_db()
    result = delivery.case_result(case)
    licence, arranged = result.licence, result.delivery
    return {
        "number": case.number,
        "status": case.status,
        "status_name": case.get_status_display(),
        "lock_version": case.lock_version,
        "decided_at": case.decided_at,
        "documents": [
            {"kind": d.kind, "kind_name": d.get_kind_display(), "number": d.number, "issued_at": d.issued_at}
            for d in result.decision_documents
        ],
        "licence": None
        if licence is None
        else {
            "state": licence.state,
            "label": str(licence.label),
            "identifier": licence.licence.identifier if licence.licence else "",
            "status": licence.licence.status if licence.licence else "",
        },
        "delivery": None
        if arranged is None
        else {
            "method": arranged.method,
            "method_name": arranged.get_method_display(),
            "hall": arranged.hall.name if arranged.hall_id else "",
            "window": str(arranged.window) if arranged.window_id else "",
            "carrier": arranged.carrier,
            "tracking_number": arranged.tracking_number,
            "delivered_at": arranged.delivered_at,
            "recipient": arranged.recipient,
        },
        "owed_materials": [material.name for material in result.owed],
    }


@router.get(
    "/cases/{number}", auth=cases_auth, response={200: OutcomeOut, **ERRORS}, summary="办理结果", url_name="outcome"
)
def outcome(request, number: str):
    """办件的决定、文书、电子证照签发和送达情况（本人可在审查工作台打开的办件）。"""
    return _outcome(delivery.access_case_for_delivery(_caller(request), number))


@router.post(
    "/cases/{number}/delivery",
    auth=cases_auth,
    response={200: OutcomeOut, **ERRORS},
    summary="安排送达",
    url_name="delivery_arrange",
)
def delivery_arrange(request, number: str, payload: DeliveryIn):
    """method 为 window（窗口领取，window 为出件窗口 id）、express（邮寄，需 carrier、tracking_number、address）或
    electronic（电子送达）。送达前可以修改安排。"""
    user = _caller(request)
    case = delivery.access_case_for_delivery(user, number)
    delivery.delivery_arrange(
        actor=user,
        case=case,
        method=payload.method,
        window_id=payload.window,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        address=payload.address,
        expected_version=payload.lock_version,
    )
    return _outcome(case)


@router.post(
    "/cases/{number}/delivery/record",
    auth=cases_auth,
    response={200: OutcomeOut, **ERRORS},
    summary="登记送达",
    url_name="delivery_record",
)
def delivery_record(request, number: str, payload: RecordIn):
    """登记已送达（签收人），出具送达回证。"""
    user = _caller(request)
    case = delivery.access_case_for_delivery(user, number)
    delivery.delivery_record(actor=user, case=case, recipient=payload.recipient, expected_version=payload.lock_version)
    return _outcome(case)


@router.post(
    "/cases/{number}/revocation",
    auth=cases_auth,
    response={200: OutcomeOut, **ERRORS},
    summary="撤销准予许可决定",
    url_name="revoke",
)
def revoke(request, number: str, payload: RevokeIn):
    """办理机构的审批人员或负责人写明理由撤销准予许可决定；依据该决定颁发的电子证照同时撤销。"""
    user = _caller(request)
    case = access.access_case_for_reviewer(user, number)
    decisions.case_revoke(actor=user, case=case, reasons=payload.reasons, expected_version=payload.lock_version)
    return _outcome(case)


@router.post(
    "/mine/{number}/retraction",
    auth=cases_auth,
    response={200: OutcomeOut, **ERRORS},
    summary="撤回申请（受理后、决定前）",
    url_name="retract",
)
def retract(request, number: str, payload: RetractIn):
    """申请人（或企业的法定代表人、授权范围内的经办人）在作出决定前撤回已受理的申请；已作出决定的不能撤回。"""
    case = _applicant_case_by_number(request, number, payload.enterprise)
    decisions.case_retract(actor=_caller(request), case=case, reason=payload.reason)
    return _outcome(case)
