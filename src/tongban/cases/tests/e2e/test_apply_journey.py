# ruff: noqa: F811 — fixtures imported from cases.tests.fixtures are used as arguments
"""李建国 applies online for 食品经营许可: the start page, the form's short pages (one mistake, corrected), the
prefilled phone, materials uploaded (one disguised program refused), one marked 容缺, check your answers, submit, and
the confirmation with the case number. axe finds nothing serious or critical on any of these pages."""

from __future__ import annotations

import re

import pytest

from tongban.cases.models import Case, CaseStatus
from tongban.cases.tests.e2e.conftest import serious, signed_in_page
from tongban.cases.tests.fixtures import (  # noqa: F401 — fixtures
    PDF_BYTES,
    applicants,
    county,
    crew,
    food_item,
)
from tongban.core.tests.e2e.conftest import DESKTOP, PHONE

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tongban.cases.tests.urls_for_tests"),
]


def _files(tmp_path) -> dict[str, str]:
    paths = {}
    for name, content in {
        "申请书.pdf": PDF_BYTES + b"application",
        "营业执照.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64,
        "平面图.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64,
        "病毒.pdf": b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,
    }.items():
        path = tmp_path / name
        path.write_bytes(content)
        paths[name] = str(path)
    return paths


def _upload(p, material: str, path: str) -> None:
    p.get_by_label(f"上传“{material}”").set_input_files(path)
    p.get_by_role("button", name=re.compile(rf"^上传\s*{material}$")).click()
    p.wait_for_load_state()


def test_li_jianguo_applies_online_with_uploads_and_sees_the_confirmation(
    open_page, live_server, food_item, applicants, tmp_path
):
    li = applicants["li"]
    files = _files(tmp_path)
    page = signed_in_page(open_page, live_server, li, viewport=DESKTOP)
    p = page.page

    page.goto(f"/cases/apply/{food_item.code}/")
    assert p.locator("h1").inner_text() == "食品经营许可"
    assert p.get_by_text("经营场所平面图", exact=True).is_visible()
    assert p.get_by_label("本人（李建国）").is_checked()
    assert serious(page.axe_violations()) == []
    p.get_by_role("button", name="开始申请").click()

    # Page 1: a mistake first; the error summary links to the field and the typed values stay.
    p.wait_for_url("**/page/1/")
    assert p.locator("h1").inner_text() == "店铺信息"
    p.get_by_label("经营场所").fill("桐庐县桐君街道迎春南路 18 号")
    p.get_by_label("经营面积（平方米）").fill("四十五")
    p.get_by_role("button", name="继续", exact=True).click()
    summary = p.locator(".error-summary")
    assert summary.is_visible()
    assert summary.get_by_role("link", name="请填写店铺名称").is_visible()
    assert summary.get_by_role("link", name="经营面积（平方米）请输入数字").is_visible()
    assert p.get_by_label("经营场所").input_value() == "桐庐县桐君街道迎春南路 18 号"
    assert serious(page.axe_violations()) == []
    p.get_by_label("店铺名称").fill("李记小面馆")
    p.get_by_label("经营面积（平方米）").fill("45")
    p.get_by_role("button", name="继续", exact=True).click()

    p.wait_for_url("**/page/2/")
    p.get_by_label("热食类食品制售").check()
    p.get_by_role("button", name="继续", exact=True).click()

    p.wait_for_url("**/page/3/")
    assert p.get_by_label("联系电话").input_value() == "13805710003"  # prefilled from his verified profile
    p.get_by_role("button", name="继续", exact=True).click()

    # Materials: uploads by content type; a program renamed .pdf is refused; the deferrable one marked 容缺.
    p.wait_for_url("**/materials/")
    assert p.get_by_text("可以上传 PDF、JPG、PNG、OFD 文件，每个文件不超过 20 MB。", exact=False).is_visible()
    assert serious(page.axe_violations()) == []
    _upload(p, "食品经营许可申请书", files["病毒.pdf"])
    refused = p.locator(".error-summary").get_by_role("link", name=re.compile("只能上传 PDF、JPG、PNG 或 OFD"))
    assert refused.is_visible()
    _upload(p, "食品经营许可申请书", files["申请书.pdf"])
    assert p.get_by_text("已上传“申请书.pdf”（食品经营许可申请书）。").is_visible()
    _upload(p, "营业执照复印件", files["营业执照.jpg"])
    _upload(p, "经营场所平面图", files["平面图.png"])
    p.get_by_role("button", name=re.compile(r"^暂时没有，容缺后补\s*食品安全管理制度文本$")).click()
    p.wait_for_load_state()
    assert p.get_by_text("容缺后补（受理后按要求补交）").is_visible()
    assert serious(page.axe_violations()) == []
    p.get_by_role("button", name="继续", exact=True).click()

    p.wait_for_url("**/check/")
    assert p.locator("h1").inner_text() == "核对申请信息"
    assert p.get_by_text("李记小面馆", exact=True).is_visible()
    assert p.get_by_text("平面图.png", exact=True).is_visible()
    assert serious(page.axe_violations()) == []
    p.get_by_role("button", name="确认并提交申请").click()

    p.wait_for_url("**/cases/apply/done/**")
    case = Case.objects.get(submitted_by=li)
    assert case.status == CaseStatus.RECEIVED
    assert p.locator("h1").inner_text() == "申请已提交"
    assert p.locator(".confirmation-panel strong").inner_text() == case.number
    assert p.locator(".big-code").inner_text() == case.query_code
    assert p.get_by_role("link", name="下载办件回执（PDF）").is_visible()
    assert serious(page.axe_violations()) == []
    assert list(case.materials.order_by("material__order").values_list("provision", flat=True)) == [
        "upload",
        "upload",
        "upload",
        "deferred",
    ]


def test_pages_fit_a_phone_without_javascript_and_a_saved_draft_resumes(open_page, live_server, food_item, applicants):
    page = signed_in_page(open_page, live_server, applicants["li"], viewport=PHONE, java_script_enabled=False)
    p = page.page
    page.goto(f"/cases/apply/{food_item.code}/")
    assert not page.has_horizontal_scroll()
    p.get_by_role("button", name="开始申请").click()
    p.wait_for_url("**/page/1/")
    assert not page.has_horizontal_scroll()
    p.get_by_label("店铺名称").fill("李记小面馆")
    p.get_by_label("经营场所").fill("迎春南路 18 号")
    p.get_by_label("经营面积（平方米）").fill("45")
    p.get_by_role("button", name="继续", exact=True).click()
    p.wait_for_url("**/page/2/")
    p.get_by_role("button", name="保存草稿，稍后继续").click()
    assert p.locator("h1").inner_text() == "草稿已保存"
    p.get_by_role("link", name="继续填写").click()
    p.wait_for_url("**/page/2/")  # back where he stopped
    assert p.locator("h1").inner_text() == "经营项目"
    p.get_by_label("热食类食品制售").check()
    p.get_by_role("button", name="继续", exact=True).click()
    p.get_by_role("button", name="继续", exact=True).click()
    p.wait_for_url("**/materials/")
    assert not page.has_horizontal_scroll()
