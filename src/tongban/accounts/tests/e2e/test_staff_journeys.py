"""Staff journeys in the browser: a clerk signs in with a password, binds an authenticator by typing the secret shown
on the page (the code computed here with pyotp, as a phone app would), keeps the recovery codes and reaches 我的岗位;
a wrong code is refused in words; the administrator reaches the admin only through the same second factor.
Every page passes axe at WCAG 2.x AA and fits a 360px phone."""

from __future__ import annotations

import re

import pyotp
import pytest

from tongban.accounts import services
from tongban.accounts.models import StaffRole, UserKind
from tongban.core import services as core_services
from tongban.core.models import OrganisationKind
from tongban.core.tests.e2e.conftest import PHONE as PHONE_VIEWPORT
from tongban.core.tests.identifiers import uscc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Qiang-Mima-2026"


@pytest.fixture
def hall():
    core_services.region_create(actor=None, code="330100", name="杭州市")
    county = core_services.region_create(actor=None, code="330122", name="桐庐县")
    return core_services.organisation_create(
        actor=None, name="桐庐县政务服务中心", uscc=uscc(), kind=OrganisationKind.SERVICE_HALL, region=county
    )


def make_staff(username: str, display_name: str, *grants, superuser: bool = False):
    user = services.user_create(
        actor=None,
        kind=UserKind.STAFF,
        username=username,
        display_name=display_name,
        password=PASSWORD,
        is_superuser=superuser,
    )
    for organisation, role, subtree in grants:
        services.staff_role_grant(
            actor=None, user=user, organisation=organisation, role=role, covers_region_subtree=subtree
        )
    return user


def sign_in_with_password(page, username: str, path: str = "/accounts/sign-in/?method=password"):
    page.goto(path)
    page.page.get_by_label("手机号码或用户名").fill(username)
    page.page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.page.get_by_role("button", name="登录", exact=True).click()
    page.page.wait_for_url("**/accounts/second-factor/")


def secret_from_page(page) -> str:
    """The key as a person would type it into an authenticator app: the groups shown, spaces removed."""
    return re.sub(r"\s", "", page.page.locator("#totp-secret").inner_text())


def test_clerk_binds_an_authenticator_keeps_recovery_codes_and_sees_my_roles(open_page, hall):
    make_staff("clerk_wang", "王科员", (hall, StaffRole.WINDOW_CLERK, True))
    page = open_page(viewport=PHONE_VIEWPORT)
    sign_in_with_password(page, "clerk_wang")
    assert page.page.get_by_role("heading", name="绑定动态口令", level=1).is_visible()
    assert page.page.get_by_role("img", name="动态口令绑定二维码").is_visible()
    assert page.axe_violations() == []
    assert not page.has_horizontal_scroll()

    # A wrong code first: refused in words, the summary takes focus, the pending sign-in stays.
    secret = secret_from_page(page)
    assert len(secret) == 32
    page.page.get_by_label("动态口令", exact=True).fill("000000")
    page.page.get_by_role("button", name="确认绑定").click()
    page.page.wait_for_load_state()
    summary = page.page.locator(".error-summary")
    assert "动态口令不正确或已过期" in summary.inner_text()
    assert "本次登录还可以再试 4 次" in summary.inner_text()
    assert page.page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert secret_from_page(page) == secret  # the same key: nothing to re-scan
    assert page.axe_violations() == []

    page.page.get_by_label("动态口令", exact=True).fill(pyotp.TOTP(secret).now())
    page.page.get_by_role("button", name="确认绑定").click()
    page.page.wait_for_load_state()
    assert page.page.get_by_role("heading", name="保存恢复码", level=1).is_visible()
    codes = page.page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)
    assert page.axe_violations() == []
    assert not page.has_horizontal_scroll()

    page.page.get_by_role("link", name="我已保存，继续").click()
    page.page.wait_for_url("**/accounts/staff/roles/")
    assert page.page.get_by_role("heading", name="我的岗位", level=1).is_visible()
    row = page.page.locator("tbody tr")
    assert row.locator("td").all_inner_texts() == ["窗口受理", "桐庐县政务服务中心", "桐庐县及下辖区划内的所有机构"]
    assert page.page.get_by_text("剩余 10 个可用恢复码").is_visible()
    assert page.axe_violations() == []
    assert not page.has_horizontal_scroll()


def test_administrator_reaches_the_admin_only_through_the_second_factor(open_page, hall):
    make_staff("admin", "系统管理员", (hall, StaffRole.SYSTEM_ADMIN, True), superuser=True)
    page = open_page()
    page.goto("/admin/")
    page.page.wait_for_url("**/accounts/sign-in/?next=%2Fadmin%2F")
    page.page.get_by_role("link", name="密码登录").click()
    page.page.get_by_label("手机号码或用户名").fill("admin")
    page.page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.page.get_by_role("button", name="登录", exact=True).click()
    page.page.wait_for_url("**/accounts/second-factor/")
    page.page.get_by_label("动态口令", exact=True).fill(pyotp.TOTP(secret_from_page(page)).now())
    page.page.get_by_role("button", name="确认绑定").click()
    page.page.get_by_role("link", name="我已保存，继续").click()
    page.page.wait_for_url("**/admin/")
    assert "通办管理后台" in page.page.title()


def test_later_sign_in_offers_the_recovery_code_and_passes_axe(open_page, hall):
    from tongban.accounts import second_factor

    clerk = make_staff("clerk_he", "何科员", (hall, StaffRole.WINDOW_CLERK, False))
    enrolment = second_factor.totp_enrol_start(actor=clerk)
    codes = second_factor.totp_enrol_confirm(actor=clerk, code=pyotp.TOTP(enrolment.secret).now())
    page = open_page(viewport=PHONE_VIEWPORT)
    sign_in_with_password(page, "clerk_he")
    assert page.page.get_by_role("heading", name="动态口令验证", level=1).is_visible()
    assert page.axe_violations() == []
    page.page.get_by_role("link", name="手机不在身边？使用恢复码").click()
    assert page.page.get_by_role("heading", name="使用恢复码登录", level=1).is_visible()
    assert page.axe_violations() == []
    assert not page.has_horizontal_scroll()
    page.page.get_by_label("恢复码").fill(codes[0])
    page.page.get_by_role("button", name="登录", exact=True).click()
    page.page.wait_for_url("**/accounts/staff/roles/")
    assert page.page.get_by_text("剩余 9 个可用恢复码").is_visible()
