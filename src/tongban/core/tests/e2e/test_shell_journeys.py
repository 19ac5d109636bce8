"""Journeys through the page shell: 张阿姨 on her phone, the English switch, the admin, the API docs, a lost page."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from tongban.core.models import Organisation, OrganisationKind
from tongban.core.tests.e2e.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


@pytest.fixture
def county_with_hall(county):
    """The platform's county with its service hall, so the phone layouts are checked with a real place card."""
    body = "11330122000000001"
    return Organisation.objects.create(
        name="桐庐县政务服务中心",
        uscc=body + uscc.calc_check_digit(body),
        kind=OrganisationKind.SERVICE_HALL,
        region=county,
        phone="0571-6461 2345",
        address="桐庐县迎春南路 1 号（市民之家一楼）",
        opening_hours="周一至周五 8:30-12:00，13:30-17:00；周六上午 9:00-12:00",
    )


def _html_classes(page) -> list[str]:
    return page.page.evaluate("Array.from(document.documentElement.classList)")


def _tab_to(page, name: str, limit: int = 40):
    """Press Tab until the focused element's text is `name`: proves it is reachable by keyboard alone."""
    for _ in range(limit):
        page.page.keyboard.press("Tab")
        if page.page.evaluate("document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"按 Tab {limit} 次仍未到达“{name}”")


def test_zhang_ayi_reads_home_on_phone_in_care_mode_by_keyboard(open_page, county_with_hall):
    page = open_page(viewport=PHONE)
    page.goto("/")
    assert page.page.get_by_role("heading", name="桐庐县政务服务中心").is_visible()
    assert page.page.locator("h1").inner_text() != ""
    assert not page.has_horizontal_scroll()

    # The first Tab lands on the skip link, which shows itself and moves focus to the main content.
    page.page.keyboard.press("Tab")
    skip = page.page.locator(".skip-link")
    assert page.page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0
    page.page.keyboard.press("Enter")
    assert page.page.evaluate("document.activeElement.id") == "main"
    assert page.page.url.endswith("#main")

    # 关怀模式 by keyboard: text at least 18px, buttons at least 44px (60px asked for on phones), no sideways scroll.
    page.goto("/")
    assert page.root_font_px() == 16
    _tab_to(page, "关怀模式")
    page.page.keyboard.press("Enter")
    page.page.wait_for_function("document.documentElement.classList.contains('care')")
    assert page.root_font_px() >= 18
    care_button = page.page.locator("button[name=care]")
    assert care_button.get_attribute("aria-pressed") == "true"
    height = care_button.bounding_box()["height"]
    assert height >= 60
    assert not page.has_horizontal_scroll()

    # 字号 大 inside 显示设置, still by keyboard.
    _tab_to(page, "显示设置")
    page.page.keyboard.press("Enter")
    _tab_to(page, "大")
    page.page.keyboard.press("Enter")
    page.page.wait_for_function("document.documentElement.classList.contains('font-l')")
    assert page.root_font_px() == 24
    assert not page.has_horizontal_scroll()

    # The choice survives a reload and is already applied in the server's HTML (no flash before scripts run).
    response = page.page.reload()
    assert 'class="font-l care"' in response.text()
    assert sorted(_html_classes(page)) == ["care", "font-l"]
    assert page.root_font_px() == 24
    assert page.page.locator("button[name=care]").get_attribute("aria-pressed") == "true"
    assert page.page.locator("button[name=font][value=l]").get_attribute("aria-pressed") == "true"
    assert not page.has_horizontal_scroll()

    # Turning care mode off again brings the text back to the chosen 大 without care mode.
    page.page.locator("button[name=care]").click()
    page.page.wait_for_function("!document.documentElement.classList.contains('care')")
    assert page.root_font_px() == 20


@pytest.mark.parametrize("theme", ["contrast", "green", "yellow"])
def test_colour_themes_apply_and_persist_without_sideways_scroll(open_page, county_with_hall, theme):
    page = open_page(viewport=PHONE)
    page.goto("/")
    background_before = page.page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.page.locator("summary").click()
    page.page.locator(f"button[name=theme][value={theme}]").click()
    page.page.wait_for_function(f"document.documentElement.classList.contains('theme-{theme}')")
    page.page.reload()
    assert f"theme-{theme}" in _html_classes(page)
    assert page.page.evaluate("getComputedStyle(document.body).backgroundColor") != background_before
    assert not page.has_horizontal_scroll()


def test_toolbar_works_without_javascript(open_page):
    page = open_page(viewport=PHONE, java_script_enabled=False)
    page.goto("/")
    page.page.locator("button[name=care]").click()
    page.page.wait_for_url(page.base_url + "/")
    assert "care" in _html_classes(page)
    assert page.root_font_px() == 20
    assert page.page.locator("button[name=care]").get_attribute("aria-pressed") == "true"
    assert not page.has_horizontal_scroll()


def test_visitor_switches_to_english_and_back(open_page):
    page = open_page()
    page.goto("/")
    page.page.get_by_role("button", name="English").click()
    page.page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.page.locator("#help-title").inner_text() == "Help by phone"
    assert page.page.locator(".skip-link").inner_text() == "Skip to main content"
    page.page.get_by_role("button", name="中文").click()
    page.page.wait_for_function("document.documentElement.lang === 'zh-hans'")
    assert page.page.locator("#help-title").inner_text() == "电话咨询"


def test_staff_sees_admin_login_in_chinese(open_page):
    # The admin has no sign-in form of its own: staff sign in on the platform (password, then the second factor).
    page = open_page()
    response = page.goto("/admin/login/")
    assert response.status == 200
    assert page.page.url.endswith("/accounts/sign-in/?next=%2Fadmin%2F")
    assert page.page.evaluate("document.documentElement.lang") == "zh-hans"
    assert page.page.locator("h1").inner_text() == "登录"


def test_developer_reads_api_docs_offline(open_page):
    page = open_page()
    response = page.goto("/api/v1/docs")
    assert response.status == 200
    title = page.page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert "通办政务服务平台 API" in title.inner_text()
    # The fence in conftest fails this test if Swagger UI asked for anything outside the live server.


def test_lost_visitor_gets_a_chinese_404_with_a_way_home(open_page):
    page = open_page(viewport=PHONE)
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert page.page.locator("h1").inner_text() == "页面不存在"
    assert page.page.get_by_role("link", name="返回首页").is_visible()
    assert not page.has_horizontal_scroll()


@pytest.mark.parametrize(
    ("path", "classes", "viewport"),
    [
        ("/", "", DESKTOP),
        ("/", "", PHONE),
        ("/", "care font-l", PHONE),
        ("/", "theme-contrast", DESKTOP),
        ("/", "theme-green", DESKTOP),
        ("/", "care theme-yellow", DESKTOP),
        ("/no-such-page/", "", DESKTOP),
    ],
)
def test_shell_pages_pass_axe_wcag_aa(open_page, county_with_hall, path, classes, viewport):
    page = open_page(viewport=viewport)
    page.goto(path)
    if classes:
        page.page.evaluate(f"document.documentElement.className = {classes!r}")
    # Open the folded toolbar so its buttons are checked too.
    page.page.locator("details.display-more").evaluate("details => details.open = true")
    assert page.axe_violations() == []


def test_admin_login_passes_axe_wcag_aa(open_page):
    page = open_page()
    page.goto("/admin/login/")
    assert page.axe_violations() == []
