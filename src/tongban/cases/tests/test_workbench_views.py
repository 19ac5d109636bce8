"""The pre-review workbench pages (views_workbench.py): worklists, the case page, accept / refuse / supplement with
conflict detection, the staff-only file view; and the counter pages (views_counter.py) from window to receipt."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tongban.accounts.models import RealNameLevel
from tongban.cases import services
from tongban.cases.models import Case, CaseDocument, CaseStatus, Channel, SupplementRequest
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import PDF_BYTES, stored_upload, submitted_case
from tongban.catalog.models import ItemVersion
from tongban.core.models import AuditEntry, HallWindow

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tongban.cases.tests.urls_workbench_for_tests")]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["second_factor_verified"] = True  # as views_staff sets it after the dynamic code
    session.save()
    return client


def url(name: str, *args) -> str:
    return reverse(f"cases-workbench:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def snapshot(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    return (
        fresh.status,
        fresh.lock_version,
        fresh.events.count(),
        fresh.documents.count(),
        SupplementRequest.objects.filter(case=case).count(),
        AuditEntry.objects.count(),
    )


# ---------------------------------------------------------------------------------------------------------------
# Worklists


def test_worklists_show_the_bureaus_cases_by_deadline(food_item, crew, applicants):
    li = applicants["li"]
    first, second, third = (submitted_case(li, food_item) for _ in range(3))
    Case.objects.filter(pk=first.pk).update(acceptance_due=first.acceptance_due + dt.timedelta(days=7))
    Case.objects.filter(pk=second.pk).update(acceptance_due=dt.date.today() - dt.timedelta(days=1))
    material = food_item.published_version.materials.first()
    services.case_request_supplement(
        actor=crew["amr_clerk"],
        case=third,
        expected_version=third.lock_version,
        items=[{"material": material.pk, "problem": "未签字"}],
    )
    client = signed_in(crew["amr_clerk"])
    pre_review = client.get(url("worklist"))
    assert pre_review.status_code == 200
    numbers = [case.number for case in pre_review.context["page"]]
    assert numbers == [second.number, first.number]  # soonest deadline first
    assert "已超期" in text(pre_review)
    supplement = client.get(url("worklist") + "?list=supplement")
    assert [case.number for case in supplement.context["page"]] == [third.number]
    due_soon = client.get(url("worklist") + "?list=due_soon")
    assert [case.number for case in due_soon.context["page"]] == [second.number]
    other = signed_in(crew["civil_clerk"]).get(url("worklist"))
    assert list(other.context["page"]) == []


def test_worklist_runs_a_constant_number_of_queries(food_item, crew, applicants, django_assert_num_queries):
    client = signed_in(crew["amr_clerk"])
    submitted_case(applicants["li"], food_item)
    client.get(url("worklist"))  # warm: the working-day calendar is read once per process
    with CaptureQueriesContext(connection) as one:
        client.get(url("worklist"))
    for _ in range(4):
        submitted_case(applicants["li"], food_item)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url("worklist"))
    assert len(response.context["page"]) == 5
    assert len(one.captured_queries) == WORKLIST_QUERIES


# Session, user, roles (once: the organisations the reviewer pre-reviews are those of the roles, with no region subtree
# to expand), the count, the page of cases, and the shell's two (the service region and the unread-message count).
# A reviewer holds no window role: no hall query.
WORKLIST_QUERIES = 7


def test_worklist_paginates(food_item, crew, applicants, monkeypatch):
    from tongban.cases import views_workbench

    monkeypatch.setattr(views_workbench, "PER_PAGE", 2)
    cases = [submitted_case(applicants["li"], food_item) for _ in range(3)]
    client = signed_in(crew["amr_clerk"])
    second = client.get(url("worklist") + "?list=pre_review&page=2")
    assert [case.number for case in second.context["page"]] == [cases[2].number]
    assert "第 2 页，共 2 页" in text(second)


def test_worklist_count_stops_past_the_cap(food_item, crew, applicants, monkeypatch):
    from tongban.cases import selectors_review, views_workbench

    monkeypatch.setattr(views_workbench, "PER_PAGE", 2)
    monkeypatch.setattr(selectors_review, "COUNT_CAP", 3)
    cases = [submitted_case(applicants["li"], food_item) for _ in range(5)]
    client = signed_in(crew["amr_clerk"])
    first = client.get(url("worklist") + "?list=pre_review")
    assert first.context["page"].paginator.capped is True
    assert "超过 3 件" in text(first) and "第 1 页" in text(first) and "共 3 页" not in text(first)
    assert [case.number for case in first.context["page"]] == [cases[0].number, cases[1].number]
    # A page past the cap counts them all, to find it.
    last = client.get(url("worklist") + "?list=pre_review&page=3")
    assert last.context["page"].paginator.capped is False
    assert "共 5 件" in text(last) and "第 3 页，共 3 页" in text(last)
    assert [case.number for case in last.context["page"]] == [cases[4].number]


# ---------------------------------------------------------------------------------------------------------------
# The case page


def test_case_page_shows_the_application(food_item, crew, applicants):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    response = signed_in(crew["amr_clerk"]).get(url("case", case.number))
    assert response.status_code == 200
    page = text(response)
    assert li.id_number not in page and li.id_number[:4] + "**********" + li.id_number[-4:] in page
    assert "<dt>联系电话</dt><dd>138****0003</dd>" in page  # the applicant's phone; answers are shown as given
    assert [p["title"] for p in response.context["pages"]] == ["店铺信息", "经营项目", "联系方式"]
    assert response.context["pages"][0]["rows"][0] == {"label": "店铺名称", "answer": "李记小面馆"}
    slots = response.context["slots"]
    assert [slot.material.name for slot in slots][:2] == ["食品经营许可申请书", "营业执照复印件"]
    assert [slot.missing for slot in slots] == [False, False, False, False, False]
    assert [len(slot.provided) for slot in slots] == [1, 1, 1, 1, 0]
    assert response.context["clock"] == {"overdue": False, "left": 5, "urgent": False}
    assert f'name="lock_version" value="{case.lock_version}"' in page
    assert "即办件" not in page


def test_instant_item_says_it_can_be_decided_at_acceptance(food_item, crew, applicants):
    ItemVersion.objects.filter(pk=food_item.published_version_id).update(case_type="instant")
    case = submitted_case(applicants["li"], food_item)
    page = text(signed_in(crew["amr_clerk"]).get(url("case", case.number)))
    assert "即办件：材料齐全、符合法定形式的，可在受理时当场作出决定" in page


def test_files_open_inline_or_download_for_the_clerk_only(food_item, crew, applicants):
    case = submitted_case(applicants["li"], food_item)
    provided = case.materials.filter(provision="upload").first()
    client = signed_in(crew["amr_clerk"])
    inline = client.get(url("file", case.number, provided.pk))
    assert inline.status_code == 200 and inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"].startswith("inline")
    assert inline["X-Content-Type-Options"] == "nosniff" and "no-store" in inline["Cache-Control"]
    assert b"".join(inline.streaming_content).startswith(b"%PDF")
    download = client.get(url("file", case.number, provided.pk) + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    other = submitted_case(applicants["li"], food_item)
    assert client.get(url("file", other.number, provided.pk)).status_code == 404
    assert signed_in(crew["civil_clerk"]).get(url("file", case.number, provided.pk)).status_code == 404


def test_documents_download_for_the_clerk(food_item, crew, applicants):
    case = submitted_case(applicants["li"], food_item)
    receipt = CaseDocument.objects.get(case=case)
    response = signed_in(crew["amr_clerk"]).get(url("document", case.number, receipt.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert signed_in(crew["civil_clerk"]).get(url("document", case.number, receipt.pk)).status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# Accept, refuse, supplement


def test_accept_with_an_opinion(food_item, crew, applicants):
    case = submitted_case(applicants["li"], food_item)
    client = signed_in(crew["amr_clerk"])
    response = client.post(url("accept", case.number), {"lock_version": case.lock_version, "opinion": "材料齐全"})
    assert response.status_code == 303 and response["Location"] == url("case", case.number)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.accepted_by == crew["amr_clerk"]
    assert case.events.last().opinion == "材料齐全"
    page = text(client.get(url("case", case.number)))
    assert "已受理，受理通知书已出具" in page and "受理通知书" in page


def test_two_clerks_at_once_one_wins_the_other_sees_the_conflict(food_item, crew, applicants):
    case = submitted_case(applicants["li"], food_item)
    sun, qin = signed_in(crew["amr_clerk"]), signed_in(crew["amr_clerk2"])
    drawn = case.lock_version  # both opened the page now
    assert sun.post(url("accept", case.number), {"lock_version": drawn}).status_code == 303
    after_win = snapshot(case)
    refused = qin.post(url("refuse", case.number), {"lock_version": drawn, "reasons": "不符合条件", "confirmed": "on"})
    assert refused.status_code == 409
    assert "该办件刚刚已被他人处理，页面已过时" in text(refused) and "操作没有生效" in text(refused)
    assert snapshot(case) == after_win
    again = qin.post(url("accept", case.number), {"lock_version": drawn})
    assert again.status_code == 409 and snapshot(case) == after_win
    supplement = qin.post(
        url("supplement", case.number),
        {
            "lock_version": drawn,
            f"material-{case.version.materials.first().pk}": "on",
            f"problem-{case.version.materials.first().pk}": "未签字",
        },
    )
    assert supplement.status_code == 409 and snapshot(case) == after_win
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED


def test_refuse_needs_reasons_and_a_confirmation(food_item, crew, applicants):
    case = submitted_case(applicants["li"], food_item)
    client = signed_in(crew["amr_clerk"])
    before = snapshot(case)
    empty = client.post(url("refuse", case.number), {"lock_version": case.lock_version, "reasons": " "})
    assert empty.status_code == 400 and "请写明不予受理的理由" in text(empty)
    asked = client.post(url("refuse", case.number), {"lock_version": case.lock_version, "reasons": "超出经营范围"})
    assert asked.status_code == 200 and "确认不予受理" in text(asked) and "超出经营范围" in text(asked)
    assert snapshot(case) == before
    done = client.post(
        url("refuse", case.number), {"lock_version": case.lock_version, "reasons": "超出经营范围", "confirmed": "on"}
    )
    assert done.status_code == 303
    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED and case.events.last().opinion == "超出经营范围"
    assert case.documents.filter(kind="refusal").count() == 1


def test_supplement_lists_every_item_once(food_item, crew, applicants):
    case = submitted_case(applicants["li"], food_item)
    first, second = case.version.materials.order_by("order")[:2]
    client = signed_in(crew["amr_clerk"])
    page = client.get(url("supplement", case.number))
    assert page.status_code == 200 and "补正通知只能发一次" in text(page)
    before = snapshot(case)
    empty = client.post(url("supplement", case.number), {"lock_version": case.lock_version})
    assert empty.status_code == 400 and "请至少列出一项需要补正的材料或内容" in text(empty)
    half = client.post(
        url("supplement", case.number), {"lock_version": case.lock_version, f"material-{first.pk}": "on"}
    )
    assert half.status_code == 400 and "请写明该材料存在的问题" in text(half)
    assert snapshot(case) == before
    done = client.post(
        url("supplement", case.number),
        {
            "lock_version": case.lock_version,
            f"material-{first.pk}": "on",
            f"problem-{first.pk}": "未签字",
            f"material-{second.pk}": "on",
            f"problem-{second.pk}": "复印件不清晰",
            "extra-name-1": "申请表经营面积",
            "extra-problem-1": "与平面图不一致",
            "note": "请一次补齐",
        },
    )
    assert done.status_code == 303
    request = SupplementRequest.objects.get(case=case)
    assert request.items == [
        {"material": first.pk, "name": "食品经营许可申请书", "problem": "未签字"},
        {"material": second.pk, "name": "营业执照复印件", "problem": "复印件不清晰"},
        {"material": None, "name": "申请表经营面积", "problem": "与平面图不一致"},
    ]
    assert request.note == "请一次补齐" and Case.objects.get(pk=case.pk).status == CaseStatus.SUPPLEMENT


def test_supplement_cannot_be_asked_twice(food_item, crew, applicants):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    material = case.version.materials.first()
    services.case_request_supplement(
        actor=crew["amr_clerk"],
        case=case,
        expected_version=case.lock_version,
        items=[{"material": material.pk, "problem": "未签字"}],
    )
    upload = stored_upload(li, content=b"%PDF-1.4 signed")
    services.material_attach(actor=li, case=case, material_id=material.pk, provision="upload", upload_id=upload.pk)
    case = services.case_supplement_return(actor=li, case=case)
    client = signed_in(crew["amr_clerk"])
    page = text(client.get(url("case", case.number)))
    assert "已发出过补正通知" in page and "补正提交" in page
    form = client.get(url("supplement", case.number))
    assert "不能再次要求补正" in text(form)
    before = snapshot(case)
    refused = client.post(
        url("supplement", case.number),
        {"lock_version": case.lock_version, f"material-{material.pk}": "on", f"problem-{material.pk}": "x"},
    )
    assert refused.status_code == 409 and "补正材料应一次性告知" in text(refused)
    assert snapshot(case) == before


# ---------------------------------------------------------------------------------------------------------------
# The counter, page by page


def test_counter_from_window_to_receipt(food_item, county, crew, applicants):
    clerk, li = crew["town_clerk"], applicants["li"]
    client = signed_in(clerk)
    window = HallWindow.objects.get(hall=county["town_hall"])
    home = client.get(url("counter_home"))
    assert home.status_code == 200 and "富春江镇便民服务中心 · 01 综合受理窗口" in text(home)
    assert client.get(url("counter_items")).status_code == 303  # no window chosen yet
    assert client.post(url("counter_home"), {"window": window.pk})["Location"] == url("counter_items")
    items = client.get(url("counter_items") + "?q=食品")
    assert list(items.context["items"]) == [food_item]
    walk_in = client.post(
        url("counter_walk_in", food_item.pk), {"kind": "person", "phone": "13805710003", "identity_checked": "on"}
    )
    assert walk_in.status_code == 303
    case = Case.objects.get(channel=Channel.WINDOW)
    assert walk_in["Location"] == url("counter_form", case.public_id)
    li.refresh_from_db()
    assert li.real_name_level == RealNameLevel.L3 and case.identity_checked
    bad = client.post(url("counter_form", case.public_id), {"shop_name": "李记", "area": "很大"})
    assert bad.status_code == 400 and "请输入数字" in text(bad) and 'value="李记"' in text(bad)
    good = client.post(
        url("counter_form", case.public_id),
        {
            "shop_name": "李记小面馆",
            "address": "桐庐县富春江镇 1 号",
            "area": "45",
            "categories": ["热食类食品制售"],
            "contact_phone": "13805710003",
        },
    )
    assert good["Location"] == url("counter_materials", case.public_id)
    materials = list(case.version.materials.order_by("order"))
    scan = SimpleUploadedFile("扫描件.pdf", PDF_BYTES + b"counter", content_type="application/pdf")
    uploaded = client.post(
        url("counter_materials", case.public_id), {"action": "upload", "material": materials[0].pk, "file": scan}
    )
    assert uploaded.status_code == 303
    disguised = SimpleUploadedFile("照片.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    refused = client.post(
        url("counter_materials", case.public_id), {"action": "upload", "material": materials[1].pk, "file": disguised}
    )
    assert refused.status_code == 400 and "只能上传 PDF、JPG、PNG 或 OFD 文件" in text(refused)
    assert list(case.materials.values_list("material_id", flat=True)) == [materials[0].pk]
    early = client.get(url("counter_submit", case.public_id))
    assert "请提供“营业执照复印件”" in text(early)
    for material in materials[1:3]:
        client.post(url("counter_materials", case.public_id), {"action": "paper", "material": material.pk})
    client.post(url("counter_materials", case.public_id), {"action": "deferred", "material": materials[3].pk})
    check = client.get(url("counter_submit", case.public_id))
    assert check.context["problems"] == {}
    submitted = client.post(url("counter_submit", case.public_id), {"key": check.context["key"]})
    assert submitted["Location"] == url("counter_receipt", case.public_id)
    again = client.post(url("counter_submit", case.public_id), {"key": check.context["key"]})
    assert again["Location"] == url("counter_receipt", case.public_id)
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED and case.organisation == county["amr"]
    assert case.accepting_hall == county["town_hall"] and case.accepting_window == window
    assert Case.objects.count() == 1
    receipt = client.get(url("counter_receipt", case.public_id))
    page = text(receipt)
    assert case.number in page and case.query_code in page and "桐庐县市场监督管理局" in page
    document = receipt.context["receipt"]
    assert document.kind == "receipt" and document.organisation == county["town_hall"]
    pdf = client.get(url("counter_document", case.public_id, document.pk))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # 受办分离: the bureau's clerk has it in 待预审
    worklist = signed_in(crew["amr_clerk"]).get(url("worklist"))
    assert [c.number for c in worklist.context["page"]] == [case.number]


def test_counter_refusals_are_shown_beside_the_form(food_item, county, crew, applicants):
    client = signed_in(crew["hall_clerk"])
    window = HallWindow.objects.get(hall=county["hall"])
    client.post(url("counter_home"), {"window": window.pk})
    missing = client.post(url("counter_walk_in", food_item.pk), {"kind": "person"})
    assert missing.status_code == 400 and "请填写申请人的手机号码或身份证号码" in text(missing)
    unknown = client.post(url("counter_walk_in", food_item.pk), {"kind": "person", "phone": "13900000000"})
    assert unknown.status_code == 404 and "没有找到该申请人的账号" in text(unknown)
    outside = client.post(
        url("counter_walk_in", food_item.pk),
        {"kind": "enterprise", "uscc": applicants["firm"].username, "phone": "13805710003"},
    )
    assert outside.status_code == 403 and "您的经办授权不包含该事项" in text(outside)
    assert Case.objects.count() == 0


def test_counter_needs_a_window_of_ones_own_hall(food_item, county, crew):
    assert signed_in(crew["amr_clerk"]).get(url("counter_home")).status_code == 403
    client = signed_in(crew["hall_clerk"])
    other_window = HallWindow.objects.get(hall=county["town_hall"])
    response = client.post(url("counter_home"), {"window": other_window.pk})
    assert response.status_code == 400 and "请选择受理窗口" in text(response)
    far = signed_in(crew["far_clerk"])
    far.post(url("counter_home"), {"window": HallWindow.objects.get(hall=county["other_county_hall"]).pk})
    assert list(far.get(url("counter_items") + "?q=食品").context["items"]) == []
    assert far.get(url("counter_walk_in", food_item.pk)).status_code == 403  # outside the item's scope


def test_counter_card_check_for_a_person_without_verified_identity(food_item, county, crew):
    from tongban.accounts.registries import population_record_put
    from tongban.accounts.tests.identity_fixtures import person
    from tongban.demo.identifiers import resident_id

    zhang_id = resident_id("330122", "19700312", 7, female=True)
    population_record_put(actor=None, name="张秀英", id_number=zhang_id)
    zhang = person("13805710004")
    client = signed_in(crew["hall_clerk"])
    client.post(url("counter_home"), {"window": HallWindow.objects.get(hall=county["hall"]).pk})
    unchecked = client.post(url("counter_walk_in", food_item.pk), {"kind": "person", "phone": "13805710004"})
    assert unchecked.status_code == 403 and "该事项要求实名等级 L2" in text(unchecked)
    no_card = client.post(
        url("counter_walk_in", food_item.pk), {"kind": "person", "phone": "13805710004", "identity_checked": "on"}
    )
    assert no_card.status_code == 400 and no_card.context["form"].errors["card_name"] == ["请输入姓名"]
    checked = client.post(
        url("counter_walk_in", food_item.pk),
        {
            "kind": "person",
            "phone": "13805710004",
            "identity_checked": "on",
            "card_name": "张秀英",
            "card_number": zhang_id,
        },
    )
    assert checked.status_code == 303
    zhang.refresh_from_db()
    assert zhang.real_name_level == RealNameLevel.L3
    case = Case.objects.get(applicant=zhang)
    assert case.identity_checked and case.applicant_id_number == zhang_id
    by_id = client.post(url("counter_walk_in", food_item.pk), {"kind": "person", "id_number": zhang_id})
    assert by_id.status_code == 303 and Case.objects.filter(applicant=zhang).count() == 2
