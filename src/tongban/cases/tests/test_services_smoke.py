"""The core path of an application: draft → submit → supplement → return → accept; withdraw; refuse; deem."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.cases import services
from tongban.cases.errors import CaseError
from tongban.cases.models import Case, CaseDocument, CaseStatus, EventCode
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import submitted_case
from tongban.core.errors import DomainError
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db


def test_submit_numbers_the_case_and_issues_a_receipt(food_item, applicants):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    assert case.status == CaseStatus.RECEIVED
    assert case.number.startswith(food_item.code) and len(case.number) == 43
    assert len(case.query_code) == 6 and case.query_code.isdigit()
    assert list(case.events.values_list("code", flat=True)) == [EventCode.RECEIVED]
    assert list(CaseDocument.objects.filter(case=case).values_list("kind", flat=True)) == ["receipt"]
    assert Message.objects.filter(recipient=li, topic="case.received").count() == 1
    again = services.case_submit(actor=li, case=case)
    assert again.pk == case.pk and Case.objects.exclude(status=CaseStatus.DRAFT).count() == 1


def test_supplement_once_then_accept(food_item, applicants, crew):
    li, clerk = applicants["li"], crew["amr_clerk"]
    case = submitted_case(li, food_item)
    material = food_item.published_version.materials.first()
    services.case_request_supplement(
        actor=clerk,
        case=case,
        expected_version=case.lock_version,
        items=[{"material": material.pk, "problem": "未签字"}],
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.SUPPLEMENT
    with pytest.raises(DomainError) as caught:
        services.case_supplement_return(actor=li, case=case)
    assert caught.value.code == CaseError.SUPPLEMENT_NOTHING
    from tongban.cases.tests.fixtures import stored_upload

    upload = stored_upload(li, content=b"%PDF-1.4 signed")
    services.material_attach(actor=li, case=case, material_id=material.pk, provision="upload", upload_id=upload.pk)
    services.case_supplement_return(actor=li, case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED
    with pytest.raises(DomainError) as caught:
        services.case_request_supplement(
            actor=clerk,
            case=case,
            expected_version=case.lock_version,
            items=[{"material": material.pk, "problem": "x"}],
        )
    assert caught.value.code == CaseError.SUPPLEMENT_ALREADY
    stale = case.lock_version - 1
    with pytest.raises(DomainError) as caught:
        services.case_accept(actor=clerk, case=case, expected_version=stale)
    assert caught.value.code == CaseError.CONFLICT
    services.case_accept(actor=clerk, case=case, expected_version=case.lock_version)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.promised_due is not None


def test_deemed_acceptance(food_item, applicants):
    case = submitted_case(applicants["li"], food_item)
    assert services.deem_overdue_acceptances(today=case.acceptance_due) == 0
    assert services.deem_overdue_acceptances(today=case.acceptance_due + dt.timedelta(days=1)) == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.acceptance_deemed and case.supervision_flag
    assert case.accepted_on == case.materials_complete_on


def test_agent_submits_for_the_enterprise(food_item, applicants):
    wu, firm = applicants["wu"], applicants["firm"]
    case = submitted_case(wu, food_item, services.Applicant(account=firm, person=wu))
    assert case.applicant == firm and case.applicant_kind == "enterprise" and case.agent_name == "吴晓燕"


def test_an_item_not_offered_online_is_filed_only_at_a_counter(county, crew, applicants):
    from tongban.cases.tests.fixtures import publish_food_item

    item = publish_food_item(
        county["amr"], crew["editor"], crew["catreviewer"], handling_forms=["window"], online_depth=1
    )
    li = applicants["li"]
    with pytest.raises(DomainError) as caught:
        services.draft_start(actor=li, applicant=services.Applicant(account=li, person=li), item=item)
    assert caught.value.code == CaseError.ONLINE_NOT_OFFERED and not Case.objects.exists()
    walk_in = services.draft_start(
        actor=crew["hall_clerk"],
        applicant=services.Applicant(account=li, person=crew["hall_clerk"]),
        item=item,
        channel="window",
        accepting_hall=county["hall"],
    )
    assert walk_in.channel == "window" and walk_in.status == CaseStatus.DRAFT
