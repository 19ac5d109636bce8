"""Sign-in journeys in the browser: a person signs up with an SMS code on a 360px phone and lands signed in; a wrong
password gets the one message; the sign-in pages pass axe at WCAG 2.x AA."""

from __future__ import annotations

import pytest

from tongban.accounts.models import User, UserKind, UserSession
from tongban.accounts.services import user_create
from tongban.accounts.tests.signin_helpers import PASSWORD, latest_code
from tongban.core.tests.e2e.conftest import PHONE as PHONE_VIEWPORT

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NUMBER = "13812345678"


def test_person_signs_up_by_sms_code_on_a_phone(open_page):
    page = open_page(viewport=PHONE_VIEWPORT)
    page.goto("/")
    page.page.get_by_role("link", name="登录", exact=True).click()
    assert page.page.get_by_role("heading", name="登录", exact=True).is_visible()
    assert page.axe_violations() == []
    assert not page.has_horizontal_scroll()

    page.page.get_by_label("手机号码").fill(NUMBER)
    page.page.get_by_role("button", name="获取验证码").click()
    page.page.wait_for_url("**/accounts/sign-in/sms/code/")
    assert page.page.get_by_text("验证码已发送至 138****5678").is_visible()
    # The countdown (progressive JS) holds the resend button until 60 s have passed.
    resend = page.page.locator("button[data-countdown]")
    assert resend.is_disabled() and "秒）" in resend.inner_text()
    assert page.axe_violations() == []
    assert not page.has_horizontal_scroll()

    page.page.get_by_label("短信验证码").fill(latest_code(NUMBER))
    page.page.get_by_role("button", name="登录", exact=True).click()
    page.page.wait_for_load_state()
    header = page.page.locator(".account-nav")
    assert header.get_by_text("138****5678").is_visible()
    assert header.get_by_role("button", name="退出").is_visible()
    assert not page.has_horizontal_scroll()

    user = User.objects.get(phone_index__isnull=False, username=NUMBER)
    assert user.kind == UserKind.PERSON and UserSession.objects.filter(user=user, ended_at__isnull=True).count() == 1


def test_wrong_password_gets_the_one_message_focused(open_page):
    user_create(
        actor=None, kind=UserKind.PERSON, username="zhangsan", display_name="张三", password=PASSWORD, phone=NUMBER
    )
    page = open_page(viewport=PHONE_VIEWPORT)
    page.goto("/accounts/sign-in/?method=password")
    assert page.axe_violations() == []
    page.page.get_by_label("手机号码或用户名").fill(NUMBER)
    page.page.get_by_label("密码", exact=True).fill("Wrong-pass-2026")
    page.page.get_by_role("button", name="登录", exact=True).click()
    page.page.wait_for_load_state()
    summary = page.page.locator(".error-summary")
    assert "手机号（用户名）或密码错误" in summary.inner_text()
    assert page.page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.page.get_by_label("手机号码或用户名").input_value() == NUMBER
    assert page.page.get_by_label("密码", exact=True).input_value() == ""
    assert page.axe_violations() == []
    assert not page.has_horizontal_scroll()

    # The right password signs in and the security page lists this browser as 当前会话.
    page.page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.page.get_by_role("button", name="登录", exact=True).click()
    page.page.wait_for_load_state()
    page.goto("/accounts/security/")
    assert page.page.get_by_text("当前会话").is_visible()
    assert page.axe_violations() == []
    assert not page.has_horizontal_scroll()
