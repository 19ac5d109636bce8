"""撤回 (14): the applicant withdraws an accepted case before the decision; refused once decided. 撤销 (15): an
approver or head of the competent organisation revokes a grant with reasons; the licence goes with it. A refused call
changes nothing."""

from __future__ import annotations

import pytest

from tongban.accounts.models import StaffRole
from tongban.cases import decisions, review
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    CaseDocument,
    CaseStatus,
    DocumentKind,
    EventCode,
    TaskOutcome,
    TaskStatus,
    WorkflowState,
)
from tongban.cases.tests import test_decisions
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import publish_food_item
from tongban.cases.tests.test_decisions import REMEDIES, accepted, allow_deferred, complete, decide, open_tasks
from tongban.cases.tests.test_licence_on_grant import _keys, _licence_type
from tongban.cases.tests.test_pdf import needs_pdftotext, pdf_text
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.errors import DomainError
from tongban.licences.models import Licence, LicenceStatus

pytestmark = pytest.mark.django_db

deciders = test_decisions.deciders  # the fixture


def _snapshot(case):
    case.refresh_from_db()
    return (
        case.status,
        case.lock_version,
        case.events.count(),
        case.documents.count(),
        case.tasks.filter(status=TaskStatus.OPEN).count(),
    )


# --- 撤回 -----------------------------------------------------------------------------------------------------------


def test_the_applicant_retracts_an_accepted_case_and_the_handlers_hear(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants["li"], crew)
    [handle] = open_tasks(case)
    review.task_claim(actor=crew["amr_clerk"], task=handle, expected_version=handle.lock_version)
    decisions.case_retract(actor=applicants["li"], case=case, reason="不再经营")
    case.refresh_from_db()
    assert (case.status, case.closed_at is not None, case.decided_at) == (CaseStatus.RETRACTED, True, None)
    assert case.events.filter(code=EventCode.RETRACTED, opinion="不再经营", actor=applicants["li"]).count() == 1
    handle.refresh_from_db()
    assert (handle.status, handle.outcome) == (TaskStatus.CANCELLED, TaskOutcome.CANCELLED)
    assert not WorkflowState.objects.filter(case=case).exists()
    assert crew["amr_clerk"].site_messages.filter(topic="case.retracted").count() == 1
    assert crew["amr_clerk2"].site_messages.filter(topic="case.retracted").count() == 0
    assert applicants["li"].site_messages.filter(topic="case.retracted").count() == 1


def test_an_unclaimed_step_tells_everyone_holding_its_role(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants["li"], crew)
    decisions.case_retract(actor=applicants["li"], case=case)
    assert crew["amr_clerk"].site_messages.filter(topic="case.retracted").count() == 1
    assert crew["amr_clerk2"].site_messages.filter(topic="case.retracted").count() == 1


def test_the_enterprise_agent_retracts_within_scope(food_item, applicants, crew):
    from tongban.cases import services

    firm, wu = applicants["firm"], applicants["wu"]
    case = accepted(food_item, wu, crew, services.Applicant(account=firm, person=wu))
    decisions.case_retract(actor=wu, case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.RETRACTED


def test_retract_after_the_decision_is_refused_and_changes_nothing(food_item, applicants, crew, deciders):
    allow_deferred(food_item)
    case = decide(accepted(food_item, applicants["li"], crew), crew, deciders)
    before = _snapshot(case)
    with pytest.raises(DomainError) as refused:
        decisions.case_retract(actor=applicants["li"], case=case, reason="改主意了")
    assert refused.value.code == CaseError.RETRACT_DECIDED
    assert _snapshot(case) == before


def test_a_retracted_case_can_no_longer_be_worked_on(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants["li"], crew)
    [handle] = open_tasks(case)
    decisions.case_retract(actor=applicants["li"], case=case)
    with pytest.raises(DomainError) as closed:
        complete(handle, crew["amr_clerk"])
    assert closed.value.code == CaseError.TASK_CLOSED


# --- 撤销 -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def licensed_grant(county, crew, applicants, deciders, django_capture_on_commit_callbacks):
    _keys(county["amr"])
    _licence_type(county["amr"])
    item = publish_food_item(county["amr"], crew["editor"], crew["catreviewer"], result_licence_type="JY")
    allow_deferred(item)
    with django_capture_on_commit_callbacks(execute=True):
        case = accepted(item, applicants["li"], crew)
    with django_capture_on_commit_callbacks(execute=True):
        case = decide(case, crew, deciders)
    return case


def test_an_approver_revokes_a_grant_and_its_licence(licensed_grant, applicants, deciders):
    case = licensed_grant
    [licence] = Licence.objects.filter(source_case=case)
    decisions.case_revoke(
        actor=deciders["approver"], case=case, reasons="申请人以欺骗手段取得许可", expected_version=case.lock_version
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REVOKED
    assert case.events.filter(code=EventCode.REVOKED, opinion="申请人以欺骗手段取得许可").count() == 1
    licence.refresh_from_db()
    assert (licence.status, licence.revocation_reason) == (LicenceStatus.REVOKED, "申请人以欺骗手段取得许可")
    [revocation] = CaseDocument.objects.filter(case=case, kind=DocumentKind.REVOCATION)
    grant = CaseDocument.objects.get(case=case, kind=DocumentKind.GRANT)
    assert revocation.number.startswith("桐庐县市场监督管理局撤字〔")
    assert (revocation.data["grant_number"], revocation.data["licences"]) == (grant.number, [licence.identifier])
    assert revocation.data["reconsideration_body"] == "桐庐县人民政府"
    assert applicants["li"].site_messages.filter(topic="case.revoked").count() == 1
    assert decisions.licence_progress(case).state == "issued"  # the licence stays on record, now revoked


def test_the_head_may_revoke_too(food_item, applicants, crew, deciders):
    allow_deferred(food_item)
    case = decide(accepted(food_item, applicants["li"], crew), crew, deciders)
    decisions.case_revoke(actor=deciders["head"], case=case, reasons="依法撤销", expected_version=None)
    case.refresh_from_db()
    assert case.status == CaseStatus.REVOKED


def test_who_may_not_revoke_and_when_nothing_changes(licensed_grant, county, applicants, crew, deciders):
    case = licensed_grant
    other_approver = staff("approver_other", (county["civil"], StaffRole.APPROVER))
    before = _snapshot(case)
    for actor in (crew["amr_clerk"], other_approver, applicants["li"], crew["hall_clerk"]):
        with pytest.raises(DomainError) as refused:
            decisions.case_revoke(actor=actor, case=case, reasons="理由", expected_version=case.lock_version)
        assert refused.value.code == CaseError.REVOKE_NOT_ALLOWED
    with pytest.raises(DomainError) as no_reason:
        decisions.case_revoke(actor=deciders["approver"], case=case, reasons="  ", expected_version=case.lock_version)
    assert no_reason.value.code == CaseError.REASON_REQUIRED
    with pytest.raises(DomainError) as stale:
        decisions.case_revoke(actor=deciders["approver"], case=case, reasons="理由", expected_version=0)
    assert stale.value.code == CaseError.CONFLICT
    assert _snapshot(case) == before
    assert Licence.objects.get(source_case=case).status == LicenceStatus.VALID


def test_a_denied_or_undecided_case_cannot_be_revoked(food_item, applicants, crew, deciders):
    undecided = accepted(food_item, applicants["li"], crew)
    denied = decide(accepted(food_item, applicants["li"], crew), crew, deciders, granted=False, opinion="不符合")
    for case in (undecided, denied):
        before = _snapshot(case)
        with pytest.raises(DomainError) as refused:
            decisions.case_revoke(actor=deciders["approver"], case=case, reasons="理由", expected_version=None)
        assert refused.value.code == CaseError.NOT_REVOCABLE
        assert _snapshot(case) == before


def test_a_licence_pending_when_the_grant_is_revoked_is_never_issued(county, applicants, crew, deciders):
    _licence_type(county["amr"])
    item = publish_food_item(county["amr"], crew["editor"], crew["catreviewer"], result_licence_type="JY")
    allow_deferred(item)
    case = decide(accepted(item, applicants["li"], crew), crew, deciders)  # the outbox has not run
    decisions.case_revoke(actor=deciders["approver"], case=case, reasons="依法撤销", expected_version=None)
    _keys(county["amr"])
    assert decisions.case_licence_issue(case_id=case.pk) is None
    assert not Licence.objects.filter(source_case=case).exists()


@needs_pdftotext
def test_the_revocation_reads_with_reasons_and_remedies(food_item, applicants, crew, deciders):
    from tongban.cases import pdf

    allow_deferred(food_item)
    case = decide(accepted(food_item, applicants["li"], crew), crew, deciders)
    decisions.case_revoke(actor=deciders["approver"], case=case, reasons="提交虚假材料", expected_version=None)
    revocation = CaseDocument.objects.get(case=case, kind=DocumentKind.REVOCATION)
    text = pdf_text(pdf.render_document_pdf(revocation))
    assert "撤销决定书" in text and "本机关决定予以撤销：提交虚假材料" in text
    assert REMEDIES in text
