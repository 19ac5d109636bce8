"""Decisions (决定) and what follows them: a case's process ends with a grant (准予, code 11; 容缺通过 code 12) or a
denial (不予, code 13); the applicant may withdraw before that (撤回, 14); a grant may be revoked later (撤销, 15).

`case_decide` is called by cases/review.py inside the transaction that finishes the deciding step, so the decision,
its document (准予/不予许可决定书), the task and the workflow state change together. 容缺 (materials deferred at
acceptance) must be supplied before a grant unless the item version allows 容缺通过; the applicant supplies them from
the case page (`deferred_supply`).

A grant whose item version names a licence type (`result_licence_type`) of the deciding organisation schedules the
licence through the outbox (`LICENCE_TOPIC`, after commit, idempotent by case: `case_licence_issue`); a failure such
as missing keys is retried by the outbox and shows on the case (`licence_progress`). Without a licence type the
result is recorded as paper / no electronic licence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tongban.accounts.access import holders_of, staff_has_role
from tongban.accounts.models import StaffRole, User
from tongban.cases import documents, review, special, steps
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    Case,
    CaseDocument,
    CaseMaterial,
    CaseStatus,
    DocumentKind,
    EventCode,
    Provision,
    ReviewTask,
    TaskStatus,
)
from tongban.catalog.models import Material
from tongban.core import outbox
from tongban.core.calendar import add_working_days
from tongban.core.errors import DomainError
from tongban.core.models import OutboxMessage
from tongban.notifications.services import notify

LICENCE_TOPIC = "cases.issue_licence"
# Deferred materials owed after 容缺通过 are due within the 10 days the law gives for issuing and delivering the
# result after the decision (行政许可法 art. 44), counted in working days like every other limit.
DEFERRED_DUE_WORKING_DAYS = 10
# Before the decision the applicant may withdraw (撤回) and supply deferred materials.
UNDECIDED_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW, CaseStatus.SPECIAL_PROCEDURE)
GRANTED_STATUSES = (CaseStatus.APPROVED, CaseStatus.APPROVED_DEFERRED)
DECIDED_STATUSES = (*GRANTED_STATUSES, CaseStatus.DENIED)
# Deferred materials may still arrive after 容缺通过 (12): that is what the grant said they owe.
DEFERRED_SUPPLY_STATUSES = (*UNDECIDED_STATUSES, CaseStatus.APPROVED_DEFERRED)
# Who may revoke a grant (撤销) for the competent organisation.
REVOKING_ROLES = (StaffRole.APPROVER, StaffRole.HEAD)
PAPER_RESULT = gettext_noop("本事项结果为纸质/无电子证照")


# ---------------------------------------------------------------------------------------------------------------
# 容缺: materials deferred at acceptance


def owed_materials(case: Case) -> list[Material]:
    """The materials deferred at acceptance (容缺) not supplied since, in the guide's order."""
    rows = list(case.materials.values_list("material_id", "provision"))
    deferred = {material for material, provision in rows if provision == Provision.DEFERRED}
    supplied = {material for material, provision in rows if provision != Provision.DEFERRED}
    owed = deferred - supplied
    if not owed:
        return []
    return list(Material.objects.filter(pk__in=owed).order_by("order", "pk"))


def deferred_outstanding(case: Case) -> int:
    """How many materials deferred at acceptance (容缺) have not been supplied since."""
    return len(owed_materials(case))


def require_completable(case: Case) -> int:
    """The status a grant would give (11, or 12 when deferred materials are still owed and the item allows it);
    raise DEFERRED_OUTSTANDING when they are owed and it does not."""
    if not deferred_outstanding(case):
        return CaseStatus.APPROVED
    if case.version.allows_deferred_approval:
        return CaseStatus.APPROVED_DEFERRED
    raise DomainError(CaseError.DEFERRED_OUTSTANDING)


def _open_task_people(case: Case) -> list[User]:
    """Who works on the case now: the assignees of its open tasks, or everyone holding the role of an unclaimed one."""
    people: dict[int, User] = {}
    for task in ReviewTask.objects.filter(case=case, status=TaskStatus.OPEN).select_related(
        "assignee", "organisation__region"
    ):
        if task.assignee is not None:
            people[task.assignee.pk] = task.assignee
            continue
        for holder in holders_of(task.role, task.organisation):
            people[holder.pk] = holder
    return list(people.values())


def _tell_staff(people: list[User], case: Case, topic: str, title: str, body: str) -> None:
    notify(recipients=people, topic=topic, title=title, body=body, link=f"/workbench/review/cases/{case.number}/")


@transaction.atomic
def deferred_supply(*, actor: User, case: Case, material_id: int, upload_id: int) -> CaseMaterial:
    """The applicant supplies a material deferred at acceptance (补交容缺材料) from the case page: the same upload rules
    as any material (an upload of their own); only a material still owed; before the decision or after 容缺通过."""
    from tongban.cases.services import _owned_upload

    case = steps.lock(case)
    steps.require_status(case, DEFERRED_SUPPLY_STATUSES, CaseError.DEFERRED_CLOSED)
    material = next((m for m in owed_materials(case) if m.pk == material_id), None)
    if material is None:
        raise DomainError(CaseError.DEFERRED_NOT_OWED)
    upload = _owned_upload(actor, upload_id)
    before = steps.state(case)
    attached = CaseMaterial.objects.create(
        case=case, material=material, provision=Provision.UPLOAD, upload=upload, added_by=actor
    )
    steps.touch(case, [])
    steps.event(case, EventCode.LOCAL, gettext_noop("补交容缺材料"), actor=actor, opinion=material.name)
    steps.audit_case(actor, "cases.case.deferred_supply", case, before, material=material.pk, upload=upload.pk)
    _tell_staff(
        _open_task_people(case),
        case,
        "case.deferred_supplied",
        _("申请人已补交容缺材料"),
        _("办件 %(number)s 的申请人已补交“%(material)s”。") % {"number": case.number, "material": material.name},
    )
    return attached


# ---------------------------------------------------------------------------------------------------------------
# The decision


def _document_base(case: Case) -> dict:
    return {
        "item": case.version.name,
        "applicant": case.applicant_name,
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else "",
    }


def _grant_data(case: Case, opinion: str, today: dt.date) -> dict:
    owed = owed_materials(case) if case.status == CaseStatus.APPROVED_DEFERRED else []
    due = add_working_days(today, DEFERRED_DUE_WORKING_DAYS).date if owed else None
    licence_type = licence_type_for(case)
    return _document_base(case) | {
        "decided_on": today.isoformat(),
        "opinion": opinion,
        "result_name": case.version.result_name or case.version.name,
        "deferred": [material.name for material in owed],
        "deferred_due": due.isoformat() if due else "",
        "licence": licence_type.name if licence_type else "",
    }


def _denial_data(case: Case, opinion: str, today: dt.date) -> dict:
    return _document_base(case) | {
        "decided_on": today.isoformat(),
        "reasons": opinion,
        "reconsideration_body": documents.reconsideration_body(case.organisation),
    }


def case_decide(*, case: Case, actor: User, granted: bool, opinion: str) -> Case:
    """Record the decision of a case whose process has just ended (call inside the completing transaction): status,
    timeline, 准予/不予许可决定书, the licence step on a grant, audit and the applicant told."""
    before = steps.state(case)
    status = require_completable(case) if granted else CaseStatus.DENIED
    now = timezone.now()
    today = timezone.localdate(now)
    case.decided_at = now
    case.decided_by = actor
    case.closed_at = now
    steps.transition(case, status, ["decided_at", "decided_by", "closed_at"])
    names = {
        CaseStatus.APPROVED: gettext_noop("准予许可"),
        CaseStatus.APPROVED_DEFERRED: gettext_noop("准予许可（容缺通过）"),
        CaseStatus.DENIED: gettext_noop("不予许可"),
    }
    codes = {
        CaseStatus.APPROVED: EventCode.APPROVED,
        CaseStatus.APPROVED_DEFERRED: EventCode.APPROVED_DEFERRED,
        CaseStatus.DENIED: EventCode.DENIED,
    }
    steps.event(case, codes[status], names[status], actor=actor, opinion=opinion)
    if granted:
        document = documents.document_issue(case=case, kind=DocumentKind.GRANT, data=_grant_data(case, opinion, today))
        _licence_schedule(case, actor)
    else:
        document = documents.document_issue(
            case=case, kind=DocumentKind.DENIAL, data=_denial_data(case, opinion, today)
        )
    steps.audit_case(actor, "cases.case.decide", case, before, granted=granted, document=document.number)
    if granted:
        title, body = _("申请已办结（准予）"), _("您的办件 %(number)s 已办结，结果为准予。")
    else:
        title, body = (
            _("申请已办结（不予许可）"),
            _("您的办件 %(number)s 已办结，结果为不予许可，理由及救济途径见决定书。"),
        )
    steps.tell(case, "case.decided", title, body % {"number": case.number})
    return case


# ---------------------------------------------------------------------------------------------------------------
# Licence on grant (证照签发)


def licence_type_for(case: Case):
    """The licence type the case's item version results in, when it belongs to the deciding organisation."""
    from tongban.licences.selectors import licence_type_for_version

    licence_type = licence_type_for_version(case.version)
    if licence_type is None or licence_type.issuer_id != case.organisation_id:
        return None
    return licence_type


def _licence_schedule(case: Case, actor: User) -> None:
    if licence_type_for(case) is not None:
        outbox.enqueue(LICENCE_TOPIC, {"case": case.pk})
        return
    # Until the item has an electronic licence the step only records that the result is on paper (or none).
    steps.event(case, EventCode.LOCAL, PAPER_RESULT, actor=actor)


def _text(value) -> str:
    if isinstance(value, list):
        return "、".join(str(part) for part in value)
    return "" if value is None else str(value)


def licence_fields(case: Case, licence_type) -> dict:
    """The licence's fields from the case: form answers whose names match the type's fields, and the case's dates
    and numbers for fields named after them."""
    known = {
        "case_number": case.number,
        "decided_on": timezone.localdate(case.decided_at).isoformat() if case.decided_at else "",
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else "",
        "applicant_name": case.applicant_name,
        "legal_representative": case.legal_representative,
    }
    answers = case.form_data or {}
    fields = {}
    for definition in licence_type.field_definitions or []:
        name = definition.get("name")
        if name in answers and answers[name] not in (None, "", []):
            fields[name] = _text(answers[name])
        elif known.get(name):
            fields[name] = known[name]
    return fields


def licence_holder(case: Case):
    """The case's applicant as the licence's holder: the name and certificate recorded on the case."""
    from tongban.licences.services import Holder

    return Holder(
        name=case.applicant_name,
        id_type=case.applicant_id_type,
        id_number=case.applicant_id_number,
        account=case.applicant,
    )


def case_licence_issue(*, case_id: int):
    """Issue the licence of a granted case (the outbox handler). Idempotent by case: the case row is locked and a
    licence already issued from it is returned; a case revoked meanwhile gets none. Failures raise (retried)."""
    from tongban.licences.services import licence_issue

    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("version", "organisation", "applicant").get(pk=case_id)
        existing = case.licences.order_by("pk").first()
        if existing is not None or case.status not in GRANTED_STATUSES:
            return existing
        licence_type = licence_type_for(case)
        if licence_type is None:
            return None
        licence = licence_issue(
            actor=case.decided_by,
            licence_type=licence_type,
            holder=licence_holder(case),
            fields=licence_fields(case, licence_type),
            source_case=case,
        )
        steps.event(case, EventCode.LOCAL, gettext_noop("电子证照已签发"), opinion=licence.identifier)
        steps.tell(
            case,
            "licence.issued",
            _("电子证照已签发"),
            _("您的办件 %(number)s 的%(name)s已签发，可在“我的证照”中查看。")
            % {"number": case.number, "name": licence_type.name},
        )
    return licence


@dataclass(frozen=True)
class LicenceProgress:
    """Where the licence step of a decided case stands, as the workbench and the applicant's page show it."""

    state: str  # "issued", "pending", "retrying", "paper"
    licence: object | None = None
    error: str = ""
    attempts: int = 0

    @property
    def label(self) -> str:
        return {
            "issued": _("已签发"),
            "pending": _("证照签发中"),
            "retrying": _("签发失败，正在重试"),
            "paper": _(PAPER_RESULT),
        }[self.state]


def licence_progress(case: Case) -> LicenceProgress | None:
    """The licence step of a granted (or later revoked) case; None when there is no grant."""
    if case.status not in (*GRANTED_STATUSES, CaseStatus.REVOKED) or case.decided_at is None:
        return None
    licence = case.licences.select_related("licence_type").order_by("pk").first()
    if licence is not None:
        return LicenceProgress("issued", licence=licence)
    message = (
        OutboxMessage.objects.filter(topic=LICENCE_TOPIC, payload__case=case.pk)
        .only("status", "attempts", "last_error")
        .order_by("-pk")
        .first()
    )
    if message is None or message.status == OutboxMessage.Status.DONE:
        return LicenceProgress("paper")
    if message.last_error:
        return LicenceProgress("retrying", error=message.last_error, attempts=message.attempts)
    return LicenceProgress("pending")


# ---------------------------------------------------------------------------------------------------------------
# 撤回 (14) and 撤销 (15)


@transaction.atomic
def case_retract(*, actor: User, case: Case, reason: str = "") -> Case:
    """The applicant (or their representative / agent within scope, loaded through access.py) withdraws an accepted
    case before the decision (撤回): the process stops, the handlers hear of it."""
    case = steps.lock(case)
    steps.require_status(case, UNDECIDED_STATUSES, CaseError.RETRACT_DECIDED)
    reason = (reason or "").strip()
    before = steps.state(case)
    handlers = _open_task_people(case)
    review.process_stop(case)
    special.special_procedure_stop(actor=actor, case=case, result=gettext_noop("申请人撤回申请，特别程序终止"))
    case.closed_at = timezone.now()
    steps.transition(case, CaseStatus.RETRACTED, ["closed_at"])
    steps.event(case, EventCode.RETRACTED, gettext_noop("申请人撤回申请"), actor=actor, opinion=reason)
    steps.audit_case(actor, "cases.case.retract", case, before, reason=reason)
    _tell_staff(
        handlers,
        case,
        "case.retracted",
        _("申请人已撤回申请"),
        _("办件 %(number)s 的申请人已撤回申请，相关办理任务已取消。") % {"number": case.number},
    )
    steps.tell(case, "case.retracted", _("申请已撤回"), _("您已撤回办件 %(number)s。") % {"number": case.number})
    return case


def may_revoke(user: User, case: Case) -> bool:
    """Approvers and heads of the competent organisation may revoke its grants."""
    return any(staff_has_role(user, role, case.organisation) for role in REVOKING_ROLES)


@transaction.atomic
def case_revoke(*, actor: User, case: Case, reasons: str, expected_version: int | None) -> Case:
    """Revoke a grant (撤销) with reasons: 撤销决定书 with the remedies, the licences issued from the case revoked, the
    applicant told."""
    from tongban.licences.models import LicenceStatus
    from tongban.licences.services import licence_revoke

    reasons = (reasons or "").strip()
    if not may_revoke(actor, case):
        raise DomainError(CaseError.REVOKE_NOT_ALLOWED)
    if not reasons:
        raise DomainError(CaseError.REASON_REQUIRED, fields={"reasons": [_("请写明撤销的理由")]})
    case = steps.lock(case)
    steps.require_version(case, expected_version)
    steps.require_status(case, GRANTED_STATUSES, CaseError.NOT_REVOCABLE)
    before = steps.state(case)
    revoked = [
        licence_revoke(actor=actor, licence=licence, reason=reasons).identifier
        for licence in case.licences.filter(status__in=(LicenceStatus.VALID, LicenceStatus.EXPIRED)).order_by("pk")
    ]
    steps.transition(case, CaseStatus.REVOKED, [])
    steps.event(case, EventCode.REVOKED, gettext_noop("撤销准予许可决定"), actor=actor, opinion=reasons)
    grant = CaseDocument.objects.filter(case=case, kind=DocumentKind.GRANT).order_by("-issued_at").first()
    document = documents.document_issue(
        case=case,
        kind=DocumentKind.REVOCATION,
        data=_document_base(case)
        | {
            "decided_on": timezone.localdate(case.decided_at).isoformat() if case.decided_at else "",
            "grant_number": grant.number if grant else "",
            "reasons": reasons,
            "licences": revoked,
            "reconsideration_body": documents.reconsideration_body(case.organisation),
        },
    )
    steps.audit_case(
        actor, "cases.case.revoke", case, before, reasons=reasons, licences=revoked, document=document.number
    )
    steps.tell(
        case,
        "case.revoked",
        _("准予许可决定已撤销"),
        _("您的办件 %(number)s 的准予许可决定已被撤销，理由及救济途径见撤销决定书。") % {"number": case.number},
    )
    return case
