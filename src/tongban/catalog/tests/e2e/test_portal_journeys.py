# ruff: noqa: F811 — fixtures imported from portal_fixtures are used as arguments
"""Portal journeys: 李老板 finds the food licence in his own words and downloads its blank form; 张阿姨 in care mode
on her phone finds 高龄津贴 through a theme and sees whom to call. axe finds nothing serious on home, search, guide."""

from __future__ import annotations

import re

import pytest

from tongban.catalog.tests.portal_fixtures import (  # noqa: F401 — fixtures
    catalogue,
    county,
    item,
    people,
)
from tongban.core.tests.e2e.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _portal_setup(settings, tmp_path):
    settings.TONGBAN_REGION_CODE = "330122"
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


def _serious(violations: list[str]) -> list[str]:
    return [v for v in violations if "(serious)" in v or "(critical)" in v]


def test_li_laoban_searches_in_his_own_words_reads_the_guide_and_downloads_the_form(open_page, catalogue):
    page = open_page(viewport=DESKTOP)
    page.goto("/")
    assert _serious(page.axe_violations()) == []

    page.page.get_by_label("搜索办事事项").fill("开饭店要办什么证")
    page.page.get_by_role("button", name="搜索", exact=True).click()
    page.page.wait_for_url("**/services/search/**")
    assert page.page.get_by_label("搜索办事事项").input_value() == "开饭店要办什么证"
    assert "有关的事项" in page.page.locator(".result-count").inner_text()
    assert _serious(page.axe_violations()) == []

    page.page.get_by_role("link", name="食品经营许可证核发").first.click()
    assert page.page.locator("h1").inner_text() == "食品经营许可证核发"
    assert page.page.get_by_text("最多跑一次", exact=True).is_visible()
    assert page.page.get_by_role("heading", name="申请材料").is_visible()
    assert _serious(page.axe_violations()) == []

    with page.page.expect_download() as download_info:
        page.page.get_by_role("link", name=re.compile(r"^下载空白表格\s*：食品经营许可申请书$")).click()
    download = download_info.value
    assert download.suggested_filename == "食品经营许可申请书（空白表格）.docx"
    with open(download.path(), "rb") as handle:
        assert handle.read() == b"blank form bytes"


def test_zhang_ayi_in_care_mode_finds_the_old_age_allowance_by_theme_and_sees_the_phone(open_page, catalogue):
    page = open_page(viewport=PHONE)
    page.goto("/")
    page.page.locator("button[name=care]").click()
    page.page.wait_for_function("document.documentElement.classList.contains('care')")
    assert not page.has_horizontal_scroll()

    page.page.get_by_role("link", name="养老服务").click()
    assert page.page.locator("h1").inner_text() == "养老服务"
    assert not page.has_horizontal_scroll()
    page.page.get_by_role("link", name="高龄津贴申领").click()
    assert page.page.locator("h1").inner_text() == "高龄津贴申领"
    call = page.page.locator(".actions a[href='tel:057164221234']")
    assert call.is_visible()
    assert call.inner_text() == "咨询 057164221234"
    page.settled()  # the height is the care-mode stylesheet's
    assert call.bounding_box()["height"] >= 60
    assert page.page.get_by_text("零跑腿（不用到现场）").first.is_visible()
    assert not page.has_horizontal_scroll()
    assert _serious(page.axe_violations()) == []


def test_search_with_nothing_found_works_without_javascript(open_page, catalogue):
    page = open_page(viewport=PHONE, java_script_enabled=False)
    page.goto("/services/search/?q=宇宙飞船")
    assert "没有找到与“宇宙飞船”有关的事项。" in page.page.locator(".notice").inner_text()
    assert page.page.locator("a[href='tel:12345']").first.is_visible()
    assert not page.has_horizontal_scroll()
