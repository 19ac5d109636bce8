"""The four case documents as PDF: every kind renders, and its text says exactly what was decided.

Text is extracted with poppler's pdftotext (scripts/bootstrap.sh installs poppler-utils for tests). Whitespace is
removed before comparing, since CJK lines wrap anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess

import pytest
from django.utils import timezone

from tongban.cases import documents, pdf, services
from tongban.cases.models import Case, CaseDocument, DocumentKind
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import submitted_case
from tongban.core import services as core_services
from tongban.core.fonts import CjkFontMissing
from tongban.core.models import Organisation, OrganisationKind, Region
from tongban.core.tests.identifiers import uscc

pytestmark = pytest.mark.django_db
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")

REMEDIES = (
    "如不服本决定，可以自收到本通知书之日起六十日内向桐庐县人民政府申请行政复议，"
    "或者在六个月内依法向人民法院提起行政诉讼。"
)


def pdf_text(content: bytes) -> str:
    """The PDF's text with all whitespace removed."""
    assert content.startswith(b"%PDF-")
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True, check=True)
    return re.sub(r"\s+", "", result.stdout.decode("utf-8"))


def cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def document_text(case: Case, kind: str) -> tuple[CaseDocument, str]:
    document = CaseDocument.objects.get(case=case, kind=kind)
    return document, pdf_text(pdf.render_document_pdf(document))


def assert_frame(document: CaseDocument, text: str, title: str) -> None:
    """Every notice: organisation, title, number, applicant, the marked place of the seal and the issue date."""
    assert document.number.startswith("桐庐县市场监督管理局")
    assert text.startswith(f"桐庐县市场监督管理局{title}{document.number}")
    assert text.endswith(f"桐庐县市场监督管理局（印章）{cn(timezone.localtime(document.issued_at).date())}")
    assert "李建国" in text


@needs_pdftotext
def test_receipt_says_number_code_item_times_and_what_next(food_item, applicants):
    case = submitted_case(applicants["li"], food_item)
    document, text = document_text(case, DocumentKind.RECEIPT)
    assert_frame(document, text, "办件回执")
    received = timezone.localtime(case.received_at)
    assert f"办件编号{case.number}" in text
    assert f"查询密码{case.query_code}" in text
    assert "申请事项食品经营许可" in text
    assert "申请人李建国" in text
    assert "申请方式网上申请" in text
    assert f"接件时间{cn(received.date())}{received:%H:%M}" in text
    assert f"受理期限{cn(case.acceptance_due)}" in text
    assert f"办理机构将在{cn(case.acceptance_due)}前对申请材料进行审查" in text
    assert "“我的办件”中查看" in text and "凭办件编号和查询密码查询" in text


@needs_pdftotext
def test_acceptance_states_dates_and_legal_basis(food_item, applicants, crew):
    case = submitted_case(applicants["li"], food_item)
    services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version, opinion="材料齐全")
    case.refresh_from_db()
    document, text = document_text(case, DocumentKind.ACCEPTANCE)
    assert_frame(document, text, "受理通知书")
    assert f"“食品经营许可”申请（办件编号：{case.number}）" in text
    assert f"第三十二条第一款第（五）项的规定，本机关决定予以受理，受理日期为{cn(case.accepted_on)}。" in text
    assert f"本机关承诺于{cn(case.promised_due)}前办结；法定办结期限截止日为{cn(case.statutory_due)}。" in text
    assert "受理意见：材料齐全" in text
    assert "视为受理" not in text


@needs_pdftotext
def test_deemed_acceptance_says_so_and_why(food_item, applicants):
    case = submitted_case(applicants["li"], food_item)
    services.deem_overdue_acceptances(today=case.acceptance_due + dt.timedelta(days=1))
    case.refresh_from_db()
    document, text = document_text(case, DocumentKind.ACCEPTANCE)
    assert_frame(document, text, "受理通知书")
    assert "本机关未在五个工作日内作出是否受理的决定" in text
    assert (
        f"根据《中华人民共和国行政许可法》第三十二条第一款第（四）项的规定，"
        f"自收到申请材料之日（{cn(case.accepted_on)}）起即为受理（逾期视为受理）。"
    ) in text
    assert f"本机关承诺于{cn(case.promised_due)}前办结" in text


@needs_pdftotext
def test_refusal_gives_reasons_and_remedies(food_item, applicants, crew):
    case = submitted_case(applicants["li"], food_item)
    reasons = "申请事项不属于本机关职权范围。\n经营场所位于<禁止区域>内。"
    services.case_refuse(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version, reasons=reasons)
    document, text = document_text(case, DocumentKind.REFUSAL)
    assert_frame(document, text, "不予受理通知书")
    assert f"“食品经营许可”申请（办件编号：{case.number}），经审查，本机关决定不予受理。理由如下：" in text
    assert "申请事项不属于本机关职权范围。经营场所位于<禁止区域>内。" in text
    assert REMEDIES in text


@needs_pdftotext
def test_supplement_lists_every_item_once_and_how_to_supplement(food_item, applicants, crew):
    case = submitted_case(applicants["li"], food_item)
    first, second = food_item.published_version.materials.order_by("order")[:2]
    services.case_request_supplement(
        actor=crew["amr_clerk"],
        case=case,
        expected_version=case.lock_version,
        items=[
            {"material": first.pk, "problem": "申请人未签字"},
            {"material": second.pk, "problem": "复印件模糊，无法辨认"},
            {"name": "租赁合同", "problem": "未提供"},
        ],
        note="请一并提供原件核验",
    )
    document, text = document_text(case, DocumentKind.SUPPLEMENT)
    assert_frame(document, text, "补正材料通知书")
    assert "现将需要补正的全部内容一次性告知如下：" in text
    assert (
        "序号材料名称存在问题1食品经营许可申请书申请人未签字2营业执照复印件复印件模糊，无法辨认3租赁合同未提供"
    ) in text
    assert "补充说明：请一并提供原件核验" in text
    assert "（一）网上补正：登录本平台，在“我的办件”中找到本办件" in text
    assert "（二）窗口补正：携带补正材料和本通知书，到任一政务服务大厅综合受理窗口提交。" in text


@needs_pdftotext
def test_window_receipt_names_the_hall(food_item, applicants, crew, county):
    from tongban.cases.tests.fixtures import complete_draft

    case = complete_draft(applicants["li"], food_item)
    Case.objects.filter(pk=case.pk).update(channel="window", accepting_hall=county["hall"])
    case = services.case_submit(actor=applicants["li"], case=Case.objects.get(pk=case.pk))
    document, text = document_text(case, DocumentKind.RECEIPT)
    assert text.startswith(f"桐庐县政务服务中心办件回执{document.number}")
    assert "申请方式窗口受理受理大厅桐庐县政务服务中心" in text


def test_rendering_twice_gives_the_same_bytes(food_item, applicants):
    case = submitted_case(applicants["li"], food_item)
    document = case.documents.get()
    first = pdf.render_document_pdf(document)
    document.refresh_from_db()
    assert hashlib.sha256(pdf.render_document_pdf(document)).hexdigest() == hashlib.sha256(first).hexdigest()


def _org(name: str, region: Region | None, key: int, kind=OrganisationKind.DEPARTMENT) -> Organisation:
    return core_services.organisation_create(
        actor=None, name=name, uscc=uscc(f"113301067042963{key:02d}"), kind=kind, region=region
    )


def test_reconsideration_body_is_the_government_at_the_same_level(county):
    core_services.region_create(actor=None, code="330106", name="西湖区")
    assert documents.reconsideration_body(county["amr"]) == "桐庐县人民政府"
    assert documents.reconsideration_body(county["town_hall"]) == "桐庐县人民政府"  # a township's acts go to the county
    assert documents.reconsideration_body(
        _org("杭州市西湖区市场监督管理局", Region.objects.get(code="330106"), 11)
    ) == ("杭州市西湖区人民政府")
    assert documents.reconsideration_body(_org("杭州市市场监督管理局", Region.objects.get(code="330100"), 12)) == (
        "杭州市人民政府"
    )


def test_missing_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(pdf, "_font_registered", False)
    monkeypatch.setattr(pdf, "cjk_font_candidates", lambda: ["/nonexistent/font.ttc"])
    with pytest.raises(CjkFontMissing, match="fonts-wqy-zenhei"):
        pdf.ensure_font()
