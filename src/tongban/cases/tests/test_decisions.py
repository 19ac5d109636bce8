"""Decisions: the grant and the denial issue their documents (准予/不予许可决定书); 容缺 materials block a grant
until supplied unless the item allows 容缺通过, and the applicant supplies them later from the case."""

from __future__ import annotations

import pytest

from tongban.accounts.models import StaffRole
from tongban.cases import decisions, pdf, review, services
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    CaseDocument,
    CaseEvent,
    CaseMaterial,
    CaseStatus,
    DocumentKind,
    EventCode,
    ReviewTask,
    TaskOutcome,
    TaskStatus,
)
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import stored_upload, submitted_case
from tongban.cases.tests.test_pdf import needs_pdftotext, pdf_text
from tongban.catalog.models import ItemVersion
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.errors import DomainError

pytestmark = pytest.mark.django_db

REMEDIES = (
    "如不服本决定，可以自收到本通知书之日起六十日内向桐庐县人民政府申请行政复议，"
    "或者在六个月内依法向人民法院提起行政诉讼。"
)


# --- helpers shared by the decision, delivery, revocation, licence and view tests ------------------------------


@pytest.fixture
def deciders(county):
    return {
        "checker": staff("checker_lu", (county["amr"], StaffRole.REVIEWER)),
        "approver": staff("approver_fang", (county["amr"], StaffRole.APPROVER)),
        "head": staff("head_zhao", (county["amr"], StaffRole.HEAD)),
    }


def allow_deferred(item) -> None:
    ItemVersion.objects.filter(pk=item.published_version_id).update(allows_deferred_approval=True)


def accepted(item, person, crew, applicant=None):
    case = submitted_case(person, item, applicant)
    return services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)


def open_tasks(case) -> list[ReviewTask]:
    return list(case.tasks.filter(status=TaskStatus.OPEN).order_by("step_id"))


def complete(task, actor, outcome=TaskOutcome.AGREE, opinion="同意"):
    task.refresh_from_db()
    return review.task_complete(
        actor=actor, task=task, outcome=outcome, opinion=opinion, expected_version=task.lock_version
    )


def to_approval(case, crew, deciders) -> ReviewTask:
    """Run 承办 and 审核; return the open 审批 step."""
    complete(open_tasks(case)[0], crew["amr_clerk"])
    complete(open_tasks(case)[0], deciders["checker"])
    [approve] = open_tasks(case)
    return approve


def decide(case, crew, deciders, *, granted=True, opinion="符合条件，准予许可"):
    approve = to_approval(case, crew, deciders)
    outcome = TaskOutcome.GRANT if granted else TaskOutcome.DENY
    complete(approve, deciders["approver"], outcome, opinion)
    case.refresh_from_db()
    return case


def supply_deferred(case, person):
    material = decisions.owed_materials(case)[0]
    upload = stored_upload(person, content=b"%PDF-1.4\n%deferred\n", name="食品安全管理制度.pdf")
    return decisions.deferred_supply(actor=person, case=case, material_id=material.pk, upload_id=upload.pk)


# --- the grant and the denial ---------------------------------------------------------------------------------


def test_a_grant_with_deferred_approval_issues_the_grant_naming_what_is_owed(food_item, applicants, crew, deciders):
    allow_deferred(food_item)
    case = decide(accepted(food_item, applicants["li"], crew), crew, deciders)
    assert case.status == CaseStatus.APPROVED_DEFERRED
    assert (case.decided_by, case.decided_at is not None, case.closed_at is not None) == (
        deciders["approver"],
        True,
        True,
    )
    [grant] = CaseDocument.objects.filter(case=case, kind=DocumentKind.GRANT)
    assert grant.number == f"桐庐县市场监督管理局许字〔{grant.issued_at.year}〕00001号"
    assert grant.data["deferred"] == ["食品安全管理制度文本"]
    assert grant.data["deferred_due"] > grant.data["decided_on"]
    assert (grant.data["opinion"], grant.data["licence"]) == ("符合条件，准予许可", "")
    assert not CaseDocument.objects.filter(case=case, kind=DocumentKind.DENIAL).exists()
    events = list(
        case.events.filter(code__in=[EventCode.APPROVED_DEFERRED, EventCode.LOCAL]).values_list("name", flat=True)
    )
    assert "准予许可（容缺通过）" in events and decisions.PAPER_RESULT in events
    assert decisions.licence_progress(case).state == "paper"


def test_a_denial_issues_the_denial_with_reasons_and_remedies(food_item, applicants, crew, deciders):
    case = decide(
        accepted(food_item, applicants["li"], crew), crew, deciders, granted=False, opinion="经营场所与申请不符"
    )
    assert case.status == CaseStatus.DENIED
    [denial] = CaseDocument.objects.filter(case=case, kind=DocumentKind.DENIAL)
    assert denial.number.startswith("桐庐县市场监督管理局不许字〔")
    assert (denial.data["reasons"], denial.data["reconsideration_body"]) == ("经营场所与申请不符", "桐庐县人民政府")
    assert not CaseDocument.objects.filter(case=case, kind=DocumentKind.GRANT).exists()
    assert decisions.licence_progress(case) is None
    assert case.applicant.site_messages.filter(topic="case.decided").count() == 1


@needs_pdftotext
def test_the_decision_documents_read_as_decided(food_item, applicants, crew, deciders):
    allow_deferred(food_item)
    granted = decide(accepted(food_item, applicants["li"], crew), crew, deciders)
    grant = CaseDocument.objects.get(case=granted, kind=DocumentKind.GRANT)
    text = pdf_text(pdf.render_document_pdf(grant))
    assert "准予许可决定书" in text and "本机关决定准予行政许可" in text
    assert "你（单位）尚需补交以下容缺材料：食品安全管理制度文本。" in text
    denied = decide(accepted(food_item, applicants["li"], crew), crew, deciders, granted=False, opinion="场所不符")
    denial = CaseDocument.objects.get(case=denied, kind=DocumentKind.DENIAL)
    text = pdf_text(pdf.render_document_pdf(denial))
    assert "本机关决定不予行政许可。理由如下：场所不符" in text
    assert REMEDIES in text


# --- 容缺 ---------------------------------------------------------------------------------------------------------


def test_a_grant_waits_for_deferred_materials_then_goes_through_once_supplied(food_item, applicants, crew, deciders):
    li = applicants["li"]
    case = accepted(food_item, li, crew)
    approve = to_approval(case, crew, deciders)
    with pytest.raises(DomainError) as refused:
        complete(approve, deciders["approver"], TaskOutcome.GRANT, "准予")
    assert refused.value.code == CaseError.DEFERRED_OUTSTANDING
    case.refresh_from_db()
    assert (case.status, CaseDocument.objects.filter(case=case, kind=DocumentKind.GRANT).count()) == (8, 0)
    version = case.lock_version
    attached = supply_deferred(case, li)
    case.refresh_from_db()
    assert (attached.provision, attached.added_by, case.lock_version) == ("upload", li, version + 1)
    assert decisions.deferred_outstanding(case) == 0
    assert case.events.filter(name="补交容缺材料", opinion="食品安全管理制度文本").count() == 1
    # the handler working on the case hears of it
    assert deciders["approver"].site_messages.filter(topic="case.deferred_supplied").count() == 1
    complete(approve, deciders["approver"], TaskOutcome.GRANT, "准予")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert CaseDocument.objects.get(case=case, kind=DocumentKind.GRANT).data["deferred"] == []


def test_deferred_supply_is_refused_for_a_material_not_owed_or_a_closed_case(food_item, applicants, crew, deciders):
    li = applicants["li"]
    case = accepted(food_item, li, crew)
    required = food_item.published_version.materials.get(name="营业执照复印件")
    upload = stored_upload(li, content=b"%PDF-1.4\n%x\n")
    rows = CaseMaterial.objects.filter(case=case).count()
    with pytest.raises(DomainError) as not_owed:
        decisions.deferred_supply(actor=li, case=case, material_id=required.pk, upload_id=upload.pk)
    assert not_owed.value.code == CaseError.DEFERRED_NOT_OWED
    owed = decisions.owed_materials(case)[0]
    stranger_upload = stored_upload(applicants["sun"], content=b"%PDF-1.4\n%y\n")
    with pytest.raises(DomainError) as not_theirs:
        decisions.deferred_supply(actor=li, case=case, material_id=owed.pk, upload_id=stranger_upload.pk)
    assert not_theirs.value.code == CaseError.UPLOAD_NOT_FOUND
    denied = decide(case, crew, deciders, granted=False, opinion="不符合")
    with pytest.raises(DomainError) as closed:
        decisions.deferred_supply(actor=li, case=denied, material_id=owed.pk, upload_id=upload.pk)
    assert closed.value.code == CaseError.DEFERRED_CLOSED
    assert CaseMaterial.objects.filter(case=case).count() == rows


def test_after_deferred_approval_the_owed_material_can_still_be_supplied(food_item, applicants, crew, deciders):
    allow_deferred(food_item)
    li = applicants["li"]
    case = decide(accepted(food_item, li, crew), crew, deciders)
    supply_deferred(case, li)
    case.refresh_from_db()
    assert (case.status, decisions.owed_materials(case)) == (CaseStatus.APPROVED_DEFERRED, [])


def test_the_decision_is_audited_with_its_document(food_item, applicants, crew, deciders):
    from tongban.core.models import AuditEntry

    case = decide(accepted(food_item, applicants["li"], crew), crew, deciders, granted=False, opinion="不符合")
    entry = AuditEntry.objects.filter(action="cases.case.decide", object_id=str(case.pk)).get()
    denial = CaseDocument.objects.get(case=case, kind=DocumentKind.DENIAL)
    assert (entry.after["status"], entry.after["granted"], entry.after["document"]) == (13, False, denial.number)
    assert CaseEvent.objects.filter(case=case, code=EventCode.DENIED).count() == 1
