"""Delivery (送达): the organisation's staff arrange pick-up at a result window in scope, express or electronic
delivery, then record it; the 送达回证 is issued and the applicant sees it. Refused calls change nothing."""

from __future__ import annotations

import pytest

from tongban.accounts.models import StaffRole
from tongban.cases import delivery
from tongban.cases.errors import CaseError
from tongban.cases.models import CaseDocument, Delivery, DeliveryMethod, DocumentKind
from tongban.cases.tests import test_decisions
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.test_decisions import accepted, allow_deferred, decide
from tongban.cases.tests.test_pdf import needs_pdftotext, pdf_text
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, HallWindow

pytestmark = pytest.mark.django_db

deciders = test_decisions.deciders  # the fixture


@pytest.fixture
def windows(county):
    return {
        "county": HallWindow.objects.create(
            hall=county["hall"], number="09", name="出件窗口", kind=HallWindow.Kind.RESULT
        ),
        "town": HallWindow.objects.create(
            hall=county["town_hall"], number="03", name="出件窗口", kind=HallWindow.Kind.RESULT
        ),
        "far": HallWindow.objects.create(
            hall=county["other_county_hall"], number="09", name="出件窗口", kind=HallWindow.Kind.RESULT
        ),
        "closed": HallWindow.objects.create(
            hall=county["hall"], number="10", name="出件窗口", kind=HallWindow.Kind.RESULT, active=False
        ),
    }


@pytest.fixture
def granted(food_item, applicants, crew, deciders):
    allow_deferred(food_item)
    return decide(accepted(food_item, applicants["li"], crew), crew, deciders)


def _arrange(case, actor, **kwargs):
    case.refresh_from_db()
    return delivery.delivery_arrange(actor=actor, case=case, expected_version=case.lock_version, **kwargs)


def _record(case, actor, recipient="李建国"):
    case.refresh_from_db()
    return delivery.delivery_record(actor=actor, case=case, recipient=recipient, expected_version=case.lock_version)


def test_result_windows_are_the_open_result_windows_of_halls_in_scope(granted, windows):
    assert {w.pk for w in delivery.result_windows(granted)} == {windows["county"].pk, windows["town"].pk}


def test_window_pick_up_arranged_then_recorded_issues_the_delivery_receipt(granted, windows, crew, applicants):
    clerk = crew["amr_clerk"]
    arranged = _arrange(granted, clerk, method=DeliveryMethod.WINDOW, window_id=windows["town"].pk)
    assert (arranged.method, arranged.hall, arranged.window, arranged.arranged_by) == (
        "window",
        windows["town"].hall,
        windows["town"],
        clerk,
    )
    li = applicants["li"]
    assert li.site_messages.filter(topic="case.delivery_arranged", body__contains="富春江镇便民服务中心").count() == 1
    # the town hall's window clerk hands the result over and records it
    done = _record(granted, crew["town_clerk"], recipient="李建国")
    assert (done.recipient, done.delivered_recorded_by, done.delivered_at is not None) == (
        "李建国",
        crew["town_clerk"],
        True,
    )
    [receipt] = CaseDocument.objects.filter(case=granted, kind=DocumentKind.DELIVERY)
    grant = CaseDocument.objects.get(case=granted, kind=DocumentKind.GRANT)
    assert receipt.number.startswith("桐庐县市场监督管理局送字〔")
    assert receipt.data["documents"] == [f"准予许可决定书（{grant.number}）"]
    assert (receipt.data["method"], receipt.data["place"], receipt.data["recipient"]) == (
        "窗口领取",
        "富春江镇便民服务中心 03 出件窗口",
        "李建国",
    )
    assert granted.events.filter(name="办理结果已送达", opinion="李建国").count() == 1
    assert li.site_messages.filter(topic="case.delivered").count() == 1
    assert AuditEntry.objects.filter(action="cases.delivery.record", object_id=str(granted.pk)).count() == 1
    result = delivery.case_result(granted)
    assert (result.delivered, [d.kind for d in result.decision_documents]) == (True, ["grant", "delivery"])


def test_express_needs_carrier_tracking_and_address(granted, crew):
    with pytest.raises(DomainError) as refused:
        _arrange(granted, crew["amr_clerk"], method=DeliveryMethod.EXPRESS, carrier="EMS")
    assert refused.value.code == CaseError.EXPRESS_DETAILS_REQUIRED
    assert set(refused.value.fields) == {"tracking_number", "address"}
    assert not Delivery.objects.filter(case=granted).exists()
    arranged = _arrange(
        granted,
        crew["amr_clerk"],
        method=DeliveryMethod.EXPRESS,
        carrier="EMS",
        tracking_number="1234567890123",
        address="桐庐县桐君街道迎春南路 18 号",
    )
    arranged.refresh_from_db()
    assert (arranged.carrier, arranged.tracking_number, arranged.address, arranged.window) == (
        "EMS",
        "1234567890123",
        "桐庐县桐君街道迎春南路 18 号",
        None,
    )


def test_a_window_out_of_scope_or_closed_is_refused(granted, windows, crew):
    for window in (windows["far"], windows["closed"]):
        with pytest.raises(DomainError) as refused:
            _arrange(granted, crew["amr_clerk"], method=DeliveryMethod.WINDOW, window_id=window.pk)
        assert refused.value.code == CaseError.RESULT_WINDOW_INVALID
    with pytest.raises(DomainError) as unknown:
        _arrange(granted, crew["amr_clerk"], method="pigeon")
    assert unknown.value.code == CaseError.DELIVERY_METHOD_INVALID
    assert not Delivery.objects.filter(case=granted).exists()


def test_electronic_delivery_can_be_rearranged_until_delivered_then_is_final(granted, windows, crew):
    _arrange(granted, crew["amr_clerk"], method=DeliveryMethod.WINDOW, window_id=windows["county"].pk)
    _arrange(granted, crew["amr_clerk"], method=DeliveryMethod.ELECTRONIC)
    assert Delivery.objects.get(case=granted).method == "electronic"
    _record(granted, crew["amr_clerk"])
    assert CaseDocument.objects.get(case=granted, kind=DocumentKind.DELIVERY).data["place"] == (
        "通办政务服务平台（电子送达）"
    )
    with pytest.raises(DomainError) as final:
        _arrange(granted, crew["amr_clerk"], method=DeliveryMethod.WINDOW, window_id=windows["county"].pk)
    assert final.value.code == CaseError.DELIVERY_DONE
    with pytest.raises(DomainError) as twice:
        _record(granted, crew["amr_clerk"])
    assert twice.value.code == CaseError.DELIVERY_DONE
    assert Delivery.objects.get(case=granted).method == "electronic"
    assert CaseDocument.objects.filter(case=granted, kind=DocumentKind.DELIVERY).count() == 1


def test_who_may_deliver_and_when(granted, windows, food_item, applicants, crew, county):
    other = staff("reviewer_other", (county["civil"], StaffRole.REVIEWER))
    for actor in (other, crew["hall_clerk"], applicants["li"]):
        with pytest.raises(DomainError) as refused:
            _arrange(granted, actor, method=DeliveryMethod.ELECTRONIC)
        assert refused.value.code == CaseError.DELIVERY_STAFF_REQUIRED
    with pytest.raises(DomainError) as not_arranged:
        _record(granted, crew["amr_clerk"])
    assert not_arranged.value.code == CaseError.DELIVERY_NOT_ARRANGED
    _arrange(granted, crew["amr_clerk"], method=DeliveryMethod.WINDOW, window_id=windows["county"].pk)
    # a clerk of another hall than the pick-up hall may not record it
    with pytest.raises(DomainError) as elsewhere:
        _record(granted, crew["town_clerk"])
    assert elsewhere.value.code == CaseError.DELIVERY_STAFF_REQUIRED
    with pytest.raises(DomainError) as stale:
        delivery.delivery_record(actor=crew["amr_clerk"], case=granted, recipient="李建国", expected_version=0)
    assert stale.value.code == CaseError.CONFLICT
    assert Delivery.objects.get(case=granted).delivered_at is None
    undecided = accepted(food_item, applicants["li"], crew)
    with pytest.raises(DomainError) as early:
        _arrange(undecided, crew["amr_clerk"], method=DeliveryMethod.ELECTRONIC)
    assert early.value.code == CaseError.DELIVERY_NOT_DECIDED
    assert not Delivery.objects.filter(case=undecided).exists()


@needs_pdftotext
def test_the_delivery_receipt_reads_as_recorded(granted, windows, crew):
    from tongban.cases import pdf

    _arrange(granted, crew["amr_clerk"], method=DeliveryMethod.WINDOW, window_id=windows["county"].pk)
    _record(granted, crew["hall_clerk"], recipient="李建国")
    receipt = CaseDocument.objects.get(case=granted, kind=DocumentKind.DELIVERY)
    text = pdf_text(pdf.render_document_pdf(receipt))
    assert "送达回证" in text and "受送达人李建国" in text and "送达方式窗口领取" in text
    assert "桐庐县政务服务中心09出件窗口" in text
