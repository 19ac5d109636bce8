"""Decision pages: the workbench case page's decision panel (delivery, revoke), the applicant's case page (result,
licence, delivery, 撤回 with confirmation, 补交容缺材料), each refusal shown and nothing changed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tongban.accounts.acting import SESSION_KEY
from tongban.accounts.models import StaffRole
from tongban.cases import decisions
from tongban.cases.models import Case, CaseDocument, CaseStatus, Delivery, DocumentKind
from tongban.cases.tests import test_decisions
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.test_decisions import accepted, allow_deferred, decide
from tongban.cases.tests.test_delivery import windows  # noqa: F401  (fixture)
from tongban.cases.tests.test_review_workbench import signed_in as staff_client
from tongban.catalog.tests.lifecycle_fixtures import staff

pytestmark = pytest.mark.django_db

deciders = test_decisions.deciders  # the fixture


def person_client(user, enterprise=None) -> Client:
    client = Client()
    client.force_login(user)
    if enterprise is not None:
        session = client.session
        session[SESSION_KEY] = enterprise.pk
        session.save()
    return client


def text(response) -> str:
    return response.content.decode()


def case_page(case: Case) -> str:
    return reverse("cases-review:case", args=[case.number])


def decision_url(name: str, case: Case) -> str:
    return reverse(f"cases-decision:{name}", args=[case.number])


def state(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    return (fresh.status, fresh.lock_version, fresh.events.count(), fresh.documents.count())


@pytest.fixture
def granted(food_item, applicants, crew, deciders):
    allow_deferred(food_item)
    return decide(accepted(food_item, applicants["li"], crew), crew, deciders)


# --- the workbench panel ----------------------------------------------------------------------------------------


def test_the_panel_shows_the_decision_and_the_forms_the_user_may_use(granted, windows, crew, deciders):  # noqa: F811
    page = staff_client(deciders["approver"]).get(case_page(granted))
    assert page.status_code == 200
    body = text(page)
    assert "决定与送达" in body and "办结（容缺通过）" in body
    assert "准予许可决定书" in body and "本事项结果为纸质/无电子证照" in body
    assert "容缺待补材料" in body and "食品安全管理制度文本" in body
    assert "安排送达" in body and "富春江镇便民服务中心 03 出件窗口" in body
    assert "淳安县政务服务中心" not in body  # out of the item's county scope
    assert decision_url("revoke", granted) in body
    clerk_body = text(staff_client(crew["amr_clerk"]).get(case_page(granted)))
    assert "安排送达" in clerk_body and decision_url("revoke", granted) not in clerk_body


def test_arrange_then_record_delivery_through_the_panel(granted, windows, crew, applicants):  # noqa: F811
    clerk = staff_client(crew["amr_clerk"])
    granted.refresh_from_db()
    response = clerk.post(
        decision_url("arrange", granted),
        {
            "arrange-lock_version": granted.lock_version,
            "arrange-method": "window",
            "arrange-window": windows["county"].pk,
        },
    )
    assert response.status_code == 303 and response["Location"] == case_page(granted) + "#decision-title"
    assert Delivery.objects.get(case=granted).window == windows["county"]
    # the county hall's window clerk, who does not review the case, records the pick-up from the decision page
    hall = staff_client(crew["hall_clerk"])
    hall_page = hall.get(decision_url("page", granted))
    assert hall_page.status_code == 200 and "准予许可决定书" in text(hall_page)
    assert reverse("cases-review:document", args=[granted.number, granted.documents.get(kind="grant").pk]) not in text(
        hall_page
    )
    granted.refresh_from_db()
    response = hall.post(
        decision_url("record", granted), {"record-lock_version": granted.lock_version, "record-recipient": "李建国"}
    )
    assert response.status_code == 303 and response["Location"] == decision_url("page", granted)
    assert CaseDocument.objects.filter(case=granted, kind=DocumentKind.DELIVERY).count() == 1
    detail = text(person_client(applicants["li"]).get(reverse("cases:detail", args=[granted.public_id])))
    assert "送达回证" in detail and "签收人 李建国" in detail and "桐庐县政务服务中心 09 出件窗口" in detail


def test_a_refused_arrangement_is_shown_with_the_form_and_changes_nothing(granted, windows, crew):  # noqa: F811
    clerk = staff_client(crew["amr_clerk"])
    granted.refresh_from_db()
    before = state(granted)
    response = clerk.post(
        decision_url("arrange", granted),
        {"arrange-lock_version": granted.lock_version, "arrange-method": "express", "arrange-carrier": "EMS"},
    )
    assert response.status_code == 400
    assert "邮寄送达请填写快递公司、运单号和收件地址" in text(response)
    stale = clerk.post(decision_url("arrange", granted), {"arrange-lock_version": 0, "arrange-method": "electronic"})
    assert stale.status_code == 409 and "页面已过时" in text(stale)
    assert state(granted) == before and not Delivery.objects.filter(case=granted).exists()


def test_staff_of_another_department_cannot_deliver_or_revoke(granted, county, crew, applicants):
    other = staff_client(staff("approver_other", (county["civil"], StaffRole.APPROVER)))
    before = state(granted)
    assert other.post(decision_url("arrange", granted), {"arrange-lock_version": 0}).status_code == 404
    assert other.get(decision_url("revoke", granted)).status_code == 404
    response = other.post(decision_url("revoke", granted), {"revoke-lock_version": 0, "revoke-reasons": "x"})
    assert response.status_code == 404
    # an applicant is not staff at all
    applicant = person_client(applicants["li"])
    assert applicant.post(decision_url("revoke", granted), {"revoke-reasons": "x"}).status_code in (302, 403)
    assert state(granted) == before


def test_revoke_asks_for_confirmation_with_reasons(granted, crew, deciders, applicants):
    approver = staff_client(deciders["approver"])
    confirm = approver.get(decision_url("revoke", granted))
    assert confirm.status_code == 200 and "确定撤销准予许可决定吗？" in text(confirm)
    granted.refresh_from_db()
    empty = approver.post(decision_url("revoke", granted), {"revoke-lock_version": granted.lock_version})
    assert empty.status_code == 400 and "请写明撤销的理由" in text(empty)
    assert Case.objects.get(pk=granted.pk).status == CaseStatus.APPROVED_DEFERRED
    done = approver.post(
        decision_url("revoke", granted),
        {"revoke-lock_version": granted.lock_version, "revoke-reasons": "以欺骗手段取得许可"},
    )
    assert done.status_code == 303
    assert Case.objects.get(pk=granted.pk).status == CaseStatus.REVOKED
    again = approver.get(decision_url("revoke", granted), follow=True)
    assert "只有已准予许可的办件可以撤销" in text(again)
    assert CaseDocument.objects.filter(case=granted, kind=DocumentKind.REVOCATION).count() == 1
    # a reviewer of the organisation sees the case but may not revoke
    refused = staff_client(crew["amr_clerk"]).get(decision_url("revoke", granted))
    assert refused.status_code == 403


# --- the applicant's side -------------------------------------------------------------------------------------------


def test_the_applicant_retracts_with_confirmation(food_item, applicants, crew):
    case = accepted(food_item, applicants["li"], crew)
    client = person_client(applicants["li"])
    detail = text(client.get(reverse("cases:detail", args=[case.public_id])))
    retract_url = reverse("cases:retract", args=[case.public_id])
    assert retract_url in detail
    confirm = client.get(retract_url)
    assert confirm.status_code == 200 and "确定撤回这项申请吗？" in text(confirm)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED
    done = client.post(retract_url, {"reason": "不开了"})
    assert done.status_code == 303
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RETRACTED


def test_retract_after_the_decision_is_refused_on_the_page(granted, applicants):
    client = person_client(applicants["li"])
    retract_url = reverse("cases:retract", args=[granted.public_id])
    assert retract_url not in text(client.get(reverse("cases:detail", args=[granted.public_id])))
    before = state(granted)
    response = client.post(retract_url, {"reason": "x"}, follow=True)
    assert "该办件已作出决定（或已结束），不能再撤回" in text(response)
    assert state(granted) == before


def test_someone_else_cannot_retract(food_item, applicants, crew):
    case = accepted(food_item, applicants["li"], crew)
    before = state(case)
    response = person_client(applicants["sun"]).post(reverse("cases:retract", args=[case.public_id]))
    assert response.status_code == 404
    assert state(case) == before


def test_the_applicant_uploads_the_deferred_material(food_item, applicants, crew):
    li = applicants["li"]
    case = accepted(food_item, li, crew)
    client = person_client(li)
    detail = text(client.get(reverse("cases:detail", args=[case.public_id])))
    deferred_url = reverse("cases:deferred", args=[case.public_id])
    assert "请补交容缺材料" in detail and deferred_url in detail
    owed = decisions.owed_materials(case)[0]
    missing = client.post(deferred_url, {"material": owed.pk})
    assert missing.status_code == 400 and "请选择要上传的文件" in text(missing)
    upload = SimpleUploadedFile("制度.pdf", b"%PDF-1.4\n%owed\n", content_type="application/pdf")
    done = client.post(deferred_url, {"material": owed.pk, "file": upload})
    assert done.status_code == 303 and done["Location"] == reverse("cases:detail", args=[case.public_id])
    assert decisions.deferred_outstanding(case) == 0
    # the clerk sees it among the case's materials
    page = text(staff_client(crew["amr_clerk"]).get(case_page(case)))
    assert "制度.pdf" in page


def test_the_applicant_sees_the_licence_step(granted, applicants):
    body = text(person_client(applicants["li"]).get(reverse("cases:detail", args=[granted.public_id])))
    assert "办理结果" in body and "本事项结果为纸质/无电子证照" in body and "尚未安排" in body


# --- the API ----------------------------------------------------------------------------------------------------


def api(name: str, *args) -> str:
    return reverse(f"api-v1:{name}", args=args)


def test_api_arranges_and_records_delivery(granted, windows, crew):  # noqa: F811
    clerk = staff_client(crew["amr_clerk"])
    outcome = clerk.get(api("outcome", granted.number))
    assert outcome.status_code == 200
    body = outcome.json()
    assert (body["status"], body["owed_materials"], body["licence"]["state"]) == (12, ["食品安全管理制度文本"], "paper")
    arranged = clerk.post(
        api("delivery_arrange", granted.number),
        {
            "lock_version": body["lock_version"],
            "method": "express",
            "carrier": "EMS",
            "tracking_number": "9",
            "address": "桐庐县",
        },
        content_type="application/json",
    )
    assert arranged.status_code == 200
    assert arranged.json()["delivery"]["method_name"] == "邮寄送达"
    recorded = clerk.post(
        api("delivery_record", granted.number),
        {"lock_version": arranged.json()["lock_version"], "recipient": "李建国"},
        content_type="application/json",
    )
    assert recorded.status_code == 200
    assert [d["kind"] for d in recorded.json()["documents"]] == ["grant", "delivery"]


def test_api_refusals_change_nothing(granted, county, crew, deciders, applicants):
    before = state(granted)
    other = staff_client(staff("approver_other", (county["civil"], StaffRole.APPROVER)))
    payload = {"lock_version": granted.lock_version, "reasons": "理由"}
    response = other.post(api("revoke", granted.number), payload, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (404, "cases.case_not_found")
    clerk = staff_client(crew["amr_clerk"])
    response = clerk.post(api("revoke", granted.number), payload, content_type="application/json")
    assert (response.status_code, response.json()["message"]) == (
        403,
        "只有办理机构的审批人员或机构负责人可以撤销准予许可决定",
    )
    applicant = person_client(applicants["li"])
    response = applicant.post(api("revoke", granted.number), payload, content_type="application/json")
    assert response.status_code == 404
    response = applicant.post(api("retract", granted.number), {"reason": "x"}, content_type="application/json")
    assert (response.status_code, response.json()["message"]) == (409, "该办件已作出决定（或已结束），不能再撤回")
    stale = staff_client(deciders["approver"]).post(
        api("revoke", granted.number), {"lock_version": 0, "reasons": "理由"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert state(granted) == before
    done = staff_client(deciders["approver"]).post(
        api("revoke", granted.number), payload, content_type="application/json"
    )
    assert (done.status_code, done.json()["status"]) == (200, 15)


def test_api_retract_by_the_applicant(food_item, applicants, crew):
    case = accepted(food_item, applicants["li"], crew)
    response = person_client(applicants["li"]).post(
        api("retract", case.number), {"reason": "不开了"}, content_type="application/json"
    )
    assert (response.status_code, response.json()["status"]) == (200, 14)
