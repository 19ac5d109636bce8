"""Issuing on grant: a grant whose item names a licence type schedules the licence after commit; the holder is the
case's applicant; a failure (no keys yet) is retried by the outbox and shows on the case; issuing is idempotent."""

from __future__ import annotations

import json

import pytest

from tongban.cases import decisions
from tongban.cases.models import CaseDocument, CaseStatus, DocumentKind
from tongban.cases.tests import test_decisions
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import publish_food_item
from tongban.cases.tests.test_decisions import accepted, allow_deferred, decide
from tongban.core import outbox
from tongban.core.models import OutboxMessage
from tongban.licences import services as licence_services
from tongban.licences.models import Licence, LicenceStatus, LicenceType

pytestmark = pytest.mark.django_db

deciders = test_decisions.deciders  # the fixture


def _keys(organisation) -> None:
    licence_services.ca_ensure()
    licence_services.organisation_keys_issue(actor=None, organisation=organisation)
    licence_services.seal_make(actor=None, organisation=organisation)


def _licence_type(organisation) -> LicenceType:
    return LicenceType.objects.create(
        code="JY",
        name="食品经营许可证",
        issuer=organisation,
        validity_years=5,
        field_definitions=[
            {"name": "shop_name", "label": "店铺名称", "required": True},
            {"name": "address", "label": "经营场所", "required": True},
            {"name": "categories", "label": "经营项目", "required": True},
            {"name": "case_number", "label": "办件编号"},
        ],
    )


@pytest.fixture
def licensed_item(county, crew):
    _licence_type(county["amr"])
    item = publish_food_item(county["amr"], crew["editor"], crew["catreviewer"], result_licence_type="JY")
    allow_deferred(item)
    return item


def _grant(item, applicants, crew, deciders, capture, person="li"):
    with capture(execute=True):
        case = accepted(item, applicants[person], crew)
    with capture(execute=True):
        return decide(case, crew, deciders)


def test_a_grant_issues_the_licence_to_the_applicant_after_commit(
    licensed_item, county, applicants, crew, deciders, django_capture_on_commit_callbacks
):
    _keys(county["amr"])
    li = applicants["li"]
    case = _grant(licensed_item, applicants, crew, deciders, django_capture_on_commit_callbacks)
    [licence] = Licence.objects.filter(source_case=case)
    assert (licence.holder, licence.holder_name, licence.holder_id_type, licence.holder_id_number) == (
        li,
        "李建国",
        "resident_id",
        li.id_number,
    )
    assert licence.fields == {
        "shop_name": "李记小面馆",
        "address": "桐庐县桐君街道迎春南路 18 号",
        "categories": "热食类食品制售",
        "case_number": case.number,
    }
    assert (licence.issued_by, licence.status) == (deciders["approver"], LicenceStatus.VALID)
    assert json.loads(bytes(licence.data))["sourceCase"] == case.number
    progress = decisions.licence_progress(case)
    assert (progress.state, progress.licence, str(progress.label)) == ("issued", licence, "已签发")
    assert li.site_messages.filter(topic="licence.issued").count() == 1
    assert case.events.filter(name="电子证照已签发", opinion=licence.identifier).count() == 1
    grant = CaseDocument.objects.get(case=case, kind=DocumentKind.GRANT)
    assert grant.data["licence"] == "食品经营许可证"


def test_an_enterprise_case_is_issued_to_the_enterprise(
    licensed_item, county, applicants, crew, deciders, django_capture_on_commit_callbacks
):
    from tongban.cases import services

    _keys(county["amr"])
    firm = applicants["firm"]
    with django_capture_on_commit_callbacks(execute=True):
        from tongban.cases.tests.fixtures import submitted_case

        case = submitted_case(
            applicants["sun"], licensed_item, services.Applicant(account=firm, person=applicants["sun"])
        )
        case = services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)
    with django_capture_on_commit_callbacks(execute=True):
        case = decide(case, crew, deciders)
    [licence] = Licence.objects.filter(source_case=case)
    assert (licence.holder, licence.holder_id_type, licence.holder_name) == (firm, "uscc", case.applicant_name)


def test_missing_keys_are_retried_and_shown_then_issued_once(
    licensed_item, county, applicants, crew, deciders, django_capture_on_commit_callbacks
):
    case = _grant(licensed_item, applicants, crew, deciders, django_capture_on_commit_callbacks)
    assert case.status == CaseStatus.APPROVED_DEFERRED
    assert not Licence.objects.filter(source_case=case).exists()
    [message] = OutboxMessage.objects.filter(topic=decisions.LICENCE_TOPIC)
    assert (message.payload, message.status, message.attempts) == ({"case": case.pk}, "pending", 1)
    assert "KEYS_MISSING" in message.last_error or "该机构尚未签发密钥和证书" in message.last_error
    progress = decisions.licence_progress(case)
    assert (progress.state, str(progress.label)) == ("retrying", "签发失败，正在重试")
    _keys(county["amr"])
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=message.created_at)
    assert outbox.deliver(message.pk) == outbox.Outcome.DONE
    assert Licence.objects.filter(source_case=case).count() == 1
    # a re-delivered message (at least once) issues nothing more
    assert decisions.case_licence_issue(case_id=case.pk) == Licence.objects.get(source_case=case)
    assert Licence.objects.filter(source_case=case).count() == 1
    assert decisions.licence_progress(case).state == "issued"


def test_before_delivery_the_step_shows_pending(licensed_item, county, applicants, crew, deciders):
    case = decide(accepted(licensed_item, applicants["li"], crew), crew, deciders)
    assert OutboxMessage.objects.filter(topic=decisions.LICENCE_TOPIC, payload__case=case.pk).count() == 1
    progress = decisions.licence_progress(case)
    assert (progress.state, str(progress.label)) == ("pending", "证照签发中")


def test_a_licence_type_of_another_organisation_is_not_issued(
    county, crew, applicants, deciders, django_capture_on_commit_callbacks
):
    _licence_type(county["civil"])
    item = publish_food_item(county["amr"], crew["editor"], crew["catreviewer"], result_licence_type="JY")
    allow_deferred(item)
    case = _grant(item, applicants, crew, deciders, django_capture_on_commit_callbacks)
    assert not OutboxMessage.objects.filter(topic=decisions.LICENCE_TOPIC).exists()
    assert decisions.licence_progress(case).state == "paper"
    assert case.events.filter(name=decisions.PAPER_RESULT).count() == 1


def test_a_denial_issues_no_licence(licensed_item, county, applicants, crew, deciders):
    case = decide(accepted(licensed_item, applicants["li"], crew), crew, deciders, granted=False, opinion="不符合")
    assert not OutboxMessage.objects.filter(topic=decisions.LICENCE_TOPIC).exists()
    assert decisions.case_licence_issue(case_id=case.pk) is None
    assert not Licence.objects.exists()
