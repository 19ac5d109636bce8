"""我的办件 pages: the list with tabs and scoping, the detail with timeline and documents, withdrawal, supplement."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongban.accounts.acting import SESSION_KEY
from tongban.cases import selectors, services
from tongban.cases.models import Case, CaseMaterial, CaseStatus, EventCode
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import PDF_BYTES, complete_draft, submitted_case
from tongban.cases.views_progress import resume_url
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def signed_in(client, user, enterprise=None):
    client.force_login(user)
    if enterprise is not None:
        session = client.session
        session[SESSION_KEY] = enterprise.pk
        session.save()
    return client


def detail_url(case: Case) -> str:
    return f"/cases/mine/{case.public_id}/"


# --- 我的办件 ---------------------------------------------------------------------------------------------------------


def test_my_cases_lists_drafts_and_submitted_cases_in_tabs(client, food_item, applicants):
    li = applicants["li"]
    draft = complete_draft(li, food_item)
    case = submitted_case(li, food_item)
    submitted_case(applicants["sun"], food_item)  # someone else's: never listed
    signed_in(client, li)

    page = client.get("/cases/mine/")
    assert page.status_code == 200
    assert [row.pk for row in page.context["rows"]] == [case.pk, draft.pk]
    html = page.content.decode()
    assert case.number in html and "已接件" in html and "接件" in html
    assert f"/cases/mine/{case.public_id}/documents/{case.documents.get().pk}/" in html  # 办件回执
    assert f'href="{resume_url(draft)}"' in html and "继续填写" in html
    assert resume_url(draft) in (f"/cases/apply/draft/{draft.public_id}/",)

    assert [row.pk for row in client.get("/cases/mine/?tab=draft").context["rows"]] == [draft.pk]
    assert [row.pk for row in client.get("/cases/mine/?tab=active").context["rows"]] == [case.pk]
    assert client.get("/cases/mine/?tab=done").context["rows"] == []
    services.case_withdraw(actor=li, case=case)
    assert [row.pk for row in client.get("/cases/mine/?tab=done").context["rows"]] == [case.pk]
    assert client.get("/cases/mine/?tab=nonsense").context["tab"] == "all"


def test_my_cases_rows_are_marked_up_and_escaped(client, food_item, applicants):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    food_item.organisation.__class__.objects.filter(pk=food_item.organisation_id).update(name="<b>市场监管局</b>")
    signed_in(client, li)
    html = client.get("/cases/mine/").content.decode()
    document = case.documents.get()
    assert f"<div><dt>办件编号</dt><dd>{case.number}</dd></div>" in html
    assert "<div><dt>办理机构</dt><dd>&lt;b&gt;市场监管局&lt;/b&gt;</dd></div>" in html and "<b>市场" not in html
    assert (
        f'<ul class="downloads"><li><a href="/cases/mine/{case.public_id}/documents/{document.pk}/">办件回执'
        f'<span class="visually-hidden"> {case.number}</span>（PDF）</a></li></ul>'
    ) in html


def test_my_cases_requires_sign_in(client):
    response = client.get("/cases/mine/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/")


def test_my_cases_list_runs_a_constant_number_of_queries(food_item, applicants, django_assert_num_queries):
    li = applicants["li"]
    submitted_case(li, food_item)
    with django_assert_num_queries(1):  # the cases with their current step and their documents
        rows = list(selectors.my_cases(li, None))
    assert len(rows) == 1 and rows[0].current_step == "接件"
    for _ in range(3):
        submitted_case(li, food_item)
    with django_assert_num_queries(1):
        rows = list(selectors.my_cases(li, None))
        assert [row.item_name for row in rows] == ["食品经营许可"] * 4
        assert {row.organisation_name for row in rows} == {"桐庐县市场监督管理局"}
        assert all(row.acceptance_due and row.accepted_on is None for row in rows)


def test_my_cases_page_query_count_does_not_grow_with_the_cases(client, food_item, applicants):
    li = applicants["li"]
    submitted_case(li, food_item)
    signed_in(client, li).get("/cases/mine/")  # warm the per-process caches (regions, calendar)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/cases/mine/").status_code == 200
    for _ in range(3):
        submitted_case(li, food_item)
    complete_draft(li, food_item)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/cases/mine/").context["rows"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_the_enterprises_cases_for_its_representative_and_its_agent(client, food_item, applicants):
    sun, wu, firm, li = applicants["sun"], applicants["wu"], applicants["firm"], applicants["li"]
    firm_case = submitted_case(wu, food_item, services.Applicant(account=firm, person=wu))
    own_case = submitted_case(sun, food_item)
    submitted_case(li, food_item)

    assert [row.pk for row in signed_in(client, sun, firm).get("/cases/mine/").context["rows"]] == [firm_case.pk]
    client.logout()
    assert [row.pk for row in signed_in(client, sun).get("/cases/mine/").context["rows"]] == [own_case.pk]
    client.logout()
    agent = signed_in(client, wu, firm)
    assert [row.pk for row in agent.get("/cases/mine/").context["rows"]] == [firm_case.pk]
    assert agent.get(detail_url(firm_case)).status_code == 200
    assert agent.get(detail_url(own_case)).status_code == 404


def test_an_agents_list_is_limited_to_the_items_of_their_authorisation(client, food_item, applicants):
    sun, wu, firm = applicants["sun"], applicants["wu"], applicants["firm"]
    firm_case = submitted_case(sun, food_item, services.Applicant(account=firm, person=sun))
    authorisation = firm.agent_authorisations.get()
    authorisation.item_codes = ["000113005000"]  # another item: the food licence is no longer in scope
    authorisation.save(update_fields=["item_codes"])
    agent = signed_in(client, wu, firm)
    assert agent.get("/cases/mine/").context["rows"] == []
    assert agent.get(detail_url(firm_case)).status_code == 404


# --- Detail -----------------------------------------------------------------------------------------------------------


def test_detail_shows_the_timeline_deadlines_and_documents(client, food_item, applicants, crew):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version, opinion="材料齐全")
    case.refresh_from_db()
    page = signed_in(client, li).get(detail_url(case))
    assert page.status_code == 200
    detail = page.context["detail"]
    assert [event.code for event in detail.timeline] == [EventCode.RECEIVED, EventCode.ACCEPTED]
    assert [doc.kind for doc in detail.documents] == ["receipt", "acceptance"]
    html = page.content.decode()
    assert "桐庐县市场监督管理局" in html and "材料齐全" in html and "已受理" in html
    assert case.promised_due.isoformat() in html and case.statutory_due.isoformat() in html
    for document in detail.documents:
        assert f"/cases/mine/{case.public_id}/documents/{document.pk}/" in html
    # accepted: too late to withdraw the application (撤件); it may still be retracted before the decision (撤回, 14)
    assert f"/cases/mine/{case.public_id}/withdraw/" not in html
    assert f"/cases/mine/{case.public_id}/retract/" in html


def test_private_timeline_events_stay_hidden(client, food_item, applicants):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    case.events.create(
        code=EventCode.LOCAL, name="内部会商", opinion="内部意见", public=False, created_at=case.received_at
    )
    page = signed_in(client, li).get(detail_url(case))
    assert "内部会商" not in page.content.decode() and "内部意见" not in page.content.decode()


def test_another_applicant_sees_404_and_a_draft_goes_to_the_application_pages(client, food_item, applicants):
    li, sun = applicants["li"], applicants["sun"]
    case = submitted_case(li, food_item)
    draft = complete_draft(li, food_item)
    stranger = signed_in(client, sun)
    assert stranger.get(detail_url(case)).status_code == 404
    assert stranger.get(f"{detail_url(case)}withdraw/").status_code == 404
    client.logout()
    response = signed_in(client, li).get(detail_url(draft))
    assert response.status_code == 303 and response["Location"] == resume_url(draft)


def test_document_download_for_the_applicant_only(client, food_item, applicants):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    receipt = case.documents.get()
    url = f"{detail_url(case)}documents/{receipt.pk}/"
    response = signed_in(client, li).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    other = submitted_case(applicants["sun"], food_item).documents.get()
    assert client.get(f"{detail_url(case)}documents/{other.pk}/").status_code == 404
    client.logout()
    assert signed_in(client, applicants["sun"]).get(url).status_code == 404


# --- Withdrawal -------------------------------------------------------------------------------------------------------


def test_withdraw_asks_for_confirmation_then_withdraws(client, food_item, applicants):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    signed_in(client, li)
    assert "撤回申请" in client.get(detail_url(case)).content.decode()
    confirm = client.get(f"{detail_url(case)}withdraw/")
    assert confirm.status_code == 200 and "确定撤回这项申请吗？" in confirm.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED  # showing the confirmation changed nothing

    response = client.post(f"{detail_url(case)}withdraw/", {"reason": "不再需要"})
    assert response.status_code == 303 and response["Location"] == detail_url(case)
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    assert case.events.filter(code=EventCode.WITHDRAWN, opinion="不再需要").count() == 1
    assert "您已撤回该申请。" in client.get(detail_url(case)).content.decode()


def test_withdraw_after_acceptance_is_refused_and_changes_nothing(client, food_item, applicants, crew):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)
    case.refresh_from_db()
    version, audits = case.lock_version, AuditEntry.objects.count()
    response = signed_in(client, li).post(f"{detail_url(case)}withdraw/", {"reason": "x"})
    assert response.status_code == 303
    case.refresh_from_db()
    assert (case.status, case.lock_version, AuditEntry.objects.count()) == (CaseStatus.ACCEPTED, version, audits)
    assert "该办件当前状态下不能执行此操作" in client.get(detail_url(case)).content.decode()


def test_a_stranger_cannot_withdraw(client, food_item, applicants):
    case = submitted_case(applicants["li"], food_item)
    response = signed_in(client, applicants["sun"]).post(f"{detail_url(case)}withdraw/", {"reason": "x"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED


# --- Supplement -------------------------------------------------------------------------------------------------------


@pytest.fixture
def supplement_case(food_item, applicants, crew):
    case = submitted_case(applicants["li"], food_item)
    materials = list(food_item.published_version.materials.order_by("order"))
    services.case_request_supplement(
        actor=crew["amr_clerk"],
        case=case,
        expected_version=case.lock_version,
        items=[
            {"material": materials[0].pk, "problem": "申请书未签字"},
            {"material": materials[2].pk, "problem": "平面图不清晰"},
        ],
        note="请一并提交。",
    )
    case.refresh_from_db()
    return case, materials


def test_detail_lists_every_item_of_the_supplement_request(client, applicants, supplement_case):
    case, _materials = supplement_case
    html = signed_in(client, applicants["li"]).get(detail_url(case)).content.decode()
    assert "请补正以下材料" in html
    assert "食品经营许可申请书</strong>：申请书未签字" in html
    assert "经营场所平面图</strong>：平面图不清晰" in html
    assert f"{detail_url(case)}supplement/" in html


def test_supplement_upload_remove_and_confirm(client, applicants, supplement_case):
    li = applicants["li"]
    case, materials = supplement_case
    url = f"{detail_url(case)}supplement/"
    signed_in(client, li)
    page = client.get(url)
    assert page.status_code == 200
    assert [value for value, _label in page.context["upload_form"].fields["material"].choices] == [
        materials[0].pk,
        materials[2].pk,
    ]

    nothing = client.post(url, {"action": "confirm"})
    assert nothing.status_code == 400 and "请先提交补正材料，再确认补正完成" in nothing.content.decode()

    pdf = SimpleUploadedFile("签字版.pdf", PDF_BYTES + b"signed", content_type="application/pdf")
    response = client.post(url, {"action": "upload", "material": materials[0].pk, "file": pdf})
    assert response.status_code == 303
    added = CaseMaterial.objects.get(case=case, supplement__isnull=False)
    assert (added.material_id, added.upload.original_name, added.upload.uploaded_by) == (
        materials[0].pk,
        "签字版.pdf",
        li,
    )

    wrong = SimpleUploadedFile("平面图.pdf", PDF_BYTES + b"plan", content_type="application/pdf")
    client.post(url, {"action": "upload", "material": materials[2].pk, "file": wrong})
    mistaken = CaseMaterial.objects.get(case=case, supplement__isnull=False, material=materials[2])
    assert client.post(url, {"action": "remove", "case_material": mistaken.pk}).status_code == 303
    assert not CaseMaterial.objects.filter(pk=mistaken.pk).exists()
    original = CaseMaterial.objects.filter(case=case, supplement__isnull=True).first()
    refused = client.post(url, {"action": "remove", "case_material": original.pk})
    assert refused.status_code == 409 and CaseMaterial.objects.filter(pk=original.pk).exists()

    confirmed = client.post(url, {"action": "confirm", "note": "已补齐"})
    assert confirmed.status_code == 303 and confirmed["Location"] == detail_url(case)
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED
    assert case.events.filter(code=EventCode.SUPPLEMENT_RETURNED, opinion="已补齐").count() == 1
    again = client.get(url)
    assert again.status_code == 303 and again["Location"] == detail_url(case)


def test_supplement_upload_refuses_a_disguised_file_and_saves_nothing(client, applicants, supplement_case):
    case, materials = supplement_case
    fake = SimpleUploadedFile("申请书.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = signed_in(client, applicants["li"]).post(
        f"{detail_url(case)}supplement/", {"action": "upload", "material": materials[0].pk, "file": fake}
    )
    assert response.status_code == 400
    assert "只能上传 PDF、JPG、PNG 或 OFD 文件" in response.content.decode()
    assert not CaseMaterial.objects.filter(case=case, supplement__isnull=False).exists()


def test_supplement_needs_a_file_and_a_listed_material(client, applicants, supplement_case):
    case, materials = supplement_case
    url = f"{detail_url(case)}supplement/"
    signed_in(client, applicants["li"])
    missing = client.post(url, {"action": "upload", "material": materials[0].pk})
    assert missing.status_code == 400 and "请选择要上传的文件" in missing.content.decode()
    pdf = SimpleUploadedFile("x.pdf", PDF_BYTES, content_type="application/pdf")
    unlisted = client.post(url, {"action": "upload", "material": materials[1].pk, "file": pdf})
    assert unlisted.status_code == 400
    assert not CaseMaterial.objects.filter(case=case, supplement__isnull=False).exists()


def test_a_stranger_cannot_supplement(client, applicants, supplement_case):
    case, materials = supplement_case
    pdf = SimpleUploadedFile("x.pdf", PDF_BYTES, content_type="application/pdf")
    response = signed_in(client, applicants["sun"]).post(
        f"{detail_url(case)}supplement/", {"action": "upload", "material": materials[0].pk, "file": pdf}
    )
    assert response.status_code == 404
    assert not CaseMaterial.objects.filter(case=case, supplement__isnull=False).exists()
