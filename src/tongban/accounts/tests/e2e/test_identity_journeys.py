"""Identity journeys in the browser: a person signs up by SMS, verifies their name and ID number and sees the personal
centre; the representative 孙丽华 authorises 小吴, who switches to the enterprise identity. axe checks on each page."""

from __future__ import annotations

import re

import pytest

from tongban.accounts import enterprises, services
from tongban.accounts.models import SmsMessage, User, UserKind
from tongban.accounts.tests.identity_fixtures import (
    FOOD_LICENCE,
    HAOWEIDAO,
    LI_ID,
    SUN_ID,
    WU_ID,
    a_year_ahead,
    registries,
)
from tongban.core.tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e
PASSWORD = "Tongban@2026"
CODE_RE = re.compile(r"\b(\d{6})\b")


def latest_code(phone: str) -> str:
    for message in SmsMessage.objects.order_by("-id"):
        if message.phone == phone:
            return CODE_RE.search(message.body).group(1)
    raise AssertionError(f"没有发给 {phone} 的短信")


def assert_accessible(page) -> None:
    assert page.axe_violations() == []
    assert not page.has_horizontal_scroll()


def verified_with_password(phone: str, name: str, id_number: str) -> User:
    from tongban.accounts.realname import realname_verify_online

    user = services.user_create(
        actor=None, kind=UserKind.PERSON, username=phone, display_name=name, phone=phone, password=PASSWORD
    )
    return realname_verify_online(actor=user, user=user, name=name, id_number=id_number)


def sign_in_with_password(page, phone: str) -> None:
    page.goto("/accounts/sign-in/?method=password")
    page.page.get_by_label("手机号", exact=False).first.fill(phone)
    page.page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.page.get_by_role("button", name="登录", exact=True).click()
    page.page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_a_person_signs_up_by_sms_verifies_and_sees_the_personal_centre(open_page):
    registries()
    page = open_page(viewport=PHONE)
    page.goto("/accounts/centre/")
    assert "/accounts/sign-in/" in page.page.url

    page.page.get_by_label("手机号码").fill("13805710003")
    page.page.get_by_role("button", name="获取验证码").click()
    page.page.get_by_label("验证码", exact=False).first.fill(latest_code("13805710003"))
    page.page.get_by_role("button", name=re.compile("登录")).first.click()
    page.page.wait_for_load_state()

    page.goto("/accounts/centre/")
    assert page.page.locator("#real-name-level").inner_text() == "L1 手机号注册"
    assert_accessible(page)

    page.page.get_by_role("link", name="去实名核验（升到 L2）").click()
    page.page.get_by_label("姓名").fill("李建国")
    page.page.get_by_label("身份证号码").fill(LI_ID[:-1] + ("0" if LI_ID[-1] != "0" else "1"))
    page.page.get_by_role("button", name="提交核验").click()
    summary = page.page.locator(".error-summary")
    assert "身份证号码校验位不正确" in summary.inner_text()
    assert page.page.get_by_label("姓名").input_value() == "李建国"
    assert_accessible(page)

    page.page.get_by_label("身份证号码").fill(LI_ID)
    page.page.get_by_role("button", name="提交核验").click()
    page.page.wait_for_url("**/accounts/centre/")
    assert "实名核验通过" in page.page.locator("main").inner_text()
    assert page.page.locator("#real-name-level").inner_text() == "L2 在线实名核验"
    masked = LI_ID[:4] + "*" * 10 + LI_ID[-4:]
    assert page.page.locator("#id-number").inner_text() == masked
    assert LI_ID not in page.page.content()
    assert_accessible(page)

    page.page.get_by_role("button", name="查看完整号码").click()
    assert page.page.locator("#id-number").inner_text() == LI_ID


@pytest.mark.django_db(transaction=True)
def test_the_representative_authorises_an_agent_who_switches_to_the_enterprise(open_page):
    registries()
    sun = verified_with_password("13805710007", "孙丽华", SUN_ID)
    firm = enterprises.enterprise_bind(actor=sun, uscc=HAOWEIDAO)
    verified_with_password("13805710006", "吴晓燕", WU_ID)

    boss = open_page()
    sign_in_with_password(boss, "13805710007")
    boss.goto("/accounts/centre/enterprises/")
    assert "桐庐县好味道餐饮有限公司" in boss.page.locator("main").inner_text()
    assert_accessible(boss)
    boss.page.get_by_role("link", name="添加经办人").click()
    boss.page.get_by_label("经办人姓名").fill("吴晓燕")
    boss.page.get_by_label("经办人手机号码").fill("13805710006")
    boss.page.get_by_label("指定事项").check()
    boss.page.get_by_label("事项编码").fill(FOOD_LICENCE)
    boss.page.get_by_label("有效期至").fill(a_year_ahead().isoformat())
    assert_accessible(boss)
    boss.page.get_by_role("button", name="确认授权").click()
    boss.page.wait_for_url("**/accounts/centre/enterprises/")
    assert "吴晓燕（138****0006）" in boss.page.locator("main").inner_text()

    agent = open_page(viewport=PHONE)
    sign_in_with_password(agent, "13805710006")
    agent.goto("/accounts/centre/enterprises/")
    assert FOOD_LICENCE in agent.page.locator("main").inner_text()
    agent.page.get_by_role("button", name="以“桐庐县好味道餐饮有限公司”身份办事").click()
    agent.page.wait_for_url("**/accounts/centre/")
    header = agent.page.locator(".acting-identity")
    assert header.inner_text().startswith("当前身份：桐庐县好味道餐饮有限公司（经办人）")
    assert_accessible(agent)

    # The representative revokes; the agent's next page drops the enterprise identity and says why.
    authorisation = firm.agent_authorisations.get()
    boss.goto(f"/accounts/centre/agents/{authorisation.pk}/revoke/")
    assert_accessible(boss)
    boss.page.get_by_role("button", name="确认撤销").click()
    boss.page.wait_for_url("**/accounts/centre/enterprises/")
    agent.goto("/accounts/centre/")
    assert agent.page.locator(".acting-identity").count() == 0
    assert "授权已失效" in agent.page.locator("main").inner_text()
