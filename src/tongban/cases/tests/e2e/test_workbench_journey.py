# ruff: noqa: F811 — fixtures imported from cases.tests.fixtures are used as arguments
"""Pre-review and counter journeys in the browser.

1. 孙 (the market regulation bureau's reviewer) finds 李建国's application in 待预审 and asks, once, for the unsigned
   application form; 李建国 uploads the signed one on his 补正 page and confirms; the case is back in 待预审 and 孙
   accepts it.
2. 李建国 walks into the 富春江镇 centre (another town's hall); 王 (its window clerk) checks his ID card, fills in the
   form, scans one material, takes the others on paper and prints the receipt; the case reaches the county bureau,
   whose clerk sees it in 待预审.

axe finds nothing serious or critical on the workbench and counter pages.
"""

from __future__ import annotations

import pytest

from tongban.accounts.models import RealNameLevel
from tongban.cases.models import Case, CaseStatus, Channel
from tongban.cases.tests.e2e.conftest import serious, signed_in_page
from tongban.cases.tests.fixtures import (  # noqa: F401 — fixtures
    PDF_BYTES,
    applicants,
    county,
    crew,
    food_item,
    submitted_case,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tongban.cases.tests.urls_workbench_for_tests"),
]


def test_a_clerk_asks_for_a_supplement_the_person_supplements_the_clerk_accepts(
    open_page, live_server, food_item, crew, applicants, tmp_path
):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    signed = tmp_path / "签字版申请书.pdf"
    signed.write_bytes(PDF_BYTES + b"signed")

    clerk = signed_in_page(open_page, live_server, crew["amr_clerk"])
    c = clerk.page
    clerk.goto("/workbench/cases/")
    assert c.locator("h1").inner_text() == "待预审"
    assert serious(clerk.axe_violations()) == []
    c.get_by_role("link", name=case.number).click()
    assert c.locator("h1").inner_text() == "食品经营许可"
    assert c.get_by_text("李建国（自然人）").is_visible()
    assert serious(clerk.axe_violations()) == []
    c.get_by_role("link", name="一次性告知补正").click()
    assert serious(clerk.axe_violations()) == []
    c.get_by_label("食品经营许可申请书", exact=True).check()
    c.get_by_label("“食品经营许可申请书”的问题").fill("申请人未签字")
    c.get_by_role("button", name="出具补正材料通知书").click()
    assert c.get_by_text("补正材料通知书已出具").is_visible()
    assert c.locator(".key-facts").get_by_text("待补正").is_visible()

    person = signed_in_page(open_page, live_server, li)
    p = person.page
    person.goto(f"/cases/mine/{case.public_id}/supplement/")
    assert p.get_by_text("申请人未签字").is_visible()
    p.get_by_label("补正的材料").select_option(label="食品经营许可申请书")
    p.get_by_label("选择文件").set_input_files(str(signed))
    p.get_by_role("button", name="上传", exact=True).click()
    p.get_by_role("button", name="确认提交补正").click()
    assert p.get_by_text("补正材料已提交").is_visible()

    clerk.goto("/workbench/cases/")
    c.get_by_role("link", name=case.number).click()
    assert c.get_by_role("link", name="打开 签字版申请书.pdf").is_visible()
    assert c.get_by_text("已发出过补正通知").is_visible()
    c.get_by_label("受理意见（可选）").fill("补正后材料齐全")
    c.get_by_role("button", name="受理", exact=True).click()
    assert c.get_by_text("已受理，受理通知书已出具").is_visible()
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.accepted_by == crew["amr_clerk"]


def test_a_walk_in_at_another_towns_hall_reaches_the_county_bureau(
    open_page, live_server, food_item, county, crew, applicants, tmp_path
):
    scan = tmp_path / "申请书扫描件.pdf"
    scan.write_bytes(PDF_BYTES + b"scanned at the counter")

    window_clerk = signed_in_page(open_page, live_server, crew["town_clerk"])
    w = window_clerk.page
    window_clerk.goto("/workbench/cases/counter/")
    assert serious(window_clerk.axe_violations()) == []
    w.get_by_label("富春江镇便民服务中心 · 01 综合受理窗口").check()
    w.get_by_role("button", name="在此窗口收件").click()
    w.get_by_label("事项名称或实施编码").fill("食品经营")
    w.get_by_role("button", name="查找").click()
    assert serious(window_clerk.axe_violations()) == []
    w.get_by_role("link", name="食品经营许可").click()
    w.get_by_label("手机号码").fill("13805710003")
    w.get_by_label("已现场核验到场人员的身份证原件").check()
    assert serious(window_clerk.axe_violations()) == []
    w.get_by_role("button", name="开始填写申请").click()

    assert w.locator("h1").inner_text() == "填写申请表：食品经营许可"
    w.get_by_label("店铺名称").fill("李记小面馆")
    w.get_by_label("经营场所").fill("桐庐县富春江镇富春路 8 号")
    w.get_by_label("经营面积（平方米）").fill("38")
    w.get_by_label("热食类食品制售").check()
    w.get_by_label("联系电话").fill("13805710003")
    assert serious(window_clerk.axe_violations()) == []
    w.get_by_role("button", name="保存并继续").click()

    w.get_by_label("上传“食品经营许可申请书”的扫描件").set_input_files(str(scan))
    w.get_by_role("button", name="上传 食品经营许可申请书").click()
    for name in ("营业执照复印件", "经营场所平面图"):
        w.get_by_role("button", name=f"已收取纸质材料 {name}").click()
    w.get_by_role("button", name="容缺后补 食品安全管理制度文本").click()
    assert w.get_by_text("申请书扫描件.pdf").is_visible()
    assert serious(window_clerk.axe_violations()) == []
    w.get_by_role("link", name="下一步：核对并提交").click()
    assert serious(window_clerk.axe_violations()) == []
    w.get_by_role("button", name="提交申请").click()

    assert w.locator("h1").inner_text() == "办件回执"
    case = Case.objects.get(channel=Channel.WINDOW)
    assert w.get_by_text(case.number).is_visible() and w.get_by_text(case.query_code, exact=True).is_visible()
    assert w.get_by_text("桐庐县市场监督管理局").is_visible()
    assert serious(window_clerk.axe_violations()) == []
    assert case.status == CaseStatus.RECEIVED and case.identity_checked
    assert case.accepting_hall == county["town_hall"] and case.organisation == county["amr"]
    applicants["li"].refresh_from_db()
    assert applicants["li"].real_name_level == RealNameLevel.L3

    bureau = signed_in_page(open_page, live_server, crew["amr_clerk"])
    b = bureau.page
    bureau.goto("/workbench/cases/")
    row = b.get_by_role("row").filter(has_text=case.number)
    assert row.get_by_text("窗口").is_visible()
    b.get_by_role("link", name=case.number).click()
    assert b.get_by_text("窗口受理：富春江镇便民服务中心").is_visible()
    assert b.get_by_text("窗口已现场核验原件").is_visible()
