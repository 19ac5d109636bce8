"""Steps of the review journeys in the browser: signing in through the real pages (people by password, staff by
password and then the authenticator's code), opening a review worklist tab, and reading what the review case page
shows. Import them: `from tongban.cases.tests.e2e.review_steps import …`."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pyotp

from tongban.accounts import second_factor
from tongban.accounts.models import User, UserKind
from tongban.catalog.tests.lifecycle_fixtures import PASSWORD
from tongban.core.tests.e2e.conftest import DESKTOP


def expect(locator):
    """Playwright's assertions, which wait for the page (imported here: the browser may be missing, see conftest)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def with_password(user: User) -> User:
    """Give a person (created by SMS sign-up, so without one) the journeys' password; staff already have it."""
    if user.kind != UserKind.STAFF:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return user


def bind_authenticator(user: User) -> str:
    """Bind an authenticator for a member of staff, as they did on their first sign-in; returns its secret."""
    enrolment = second_factor.totp_enrol_start(actor=user)
    second_factor.totp_enrol_confirm(actor=user, code=_totp(enrolment.secret).now())
    return enrolment.secret


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=second_factor.DIGITS, interval=second_factor.STEP_SECONDS)


def next_code(secret: str) -> str:
    """The code of the next 30-second step: accepted now (the server allows a step either side) and always after the
    step the binding used, however soon the sign-in follows it (a code already used is refused as a replay)."""
    return _totp(secret).at(dt.datetime.now() + dt.timedelta(seconds=second_factor.STEP_SECONDS))


def sign_in(open_page, user: User, next_path: str, secret: str = ""):
    """A new browser in which `user` signs in with a password (and, for staff, the authenticator's code for
    `secret`) and lands on `next_path`."""
    page = open_page(viewport=DESKTOP)
    p = page.page
    page.goto("/accounts/sign-in/?" + urlencode({"method": "password", "next": next_path}))
    p.get_by_label("手机号码或用户名").fill(user.username)
    p.get_by_label("密码", exact=True).fill(PASSWORD)
    p.get_by_role("button", name="登录", exact=True).click()
    if user.kind == UserKind.STAFF:
        p.wait_for_url("**/accounts/second-factor/")
        expect(p.get_by_role("heading", name="动态口令验证", level=1)).to_be_visible()
        p.get_by_label("动态口令", exact=True).fill(next_code(secret))
        p.get_by_role("button", name="登录", exact=True).click()
    p.wait_for_url(page.base_url + next_path)
    return page


def open_tab(page, name: str) -> None:
    """Open one of the review worklists by its tab (待审查, 待审批, 特别程序中 …) and wait for it; from a case page
    through its breadcrumb back to the workbench first."""
    if page.page.locator(".breadcrumb").count():
        page.page.locator(".breadcrumb").get_by_role("link", name="审查与决定").click()
        page.page.wait_for_url("**/workbench/review/")
    page.page.locator("nav .tabs").get_by_role("link", name=name, exact=True).click()
    page.page.wait_for_url("**/workbench/review/?list=*")
    expect(page.page.locator("h1")).to_have_text(name)


def worklist_row(page, number: str):
    """The worklist's row of the case numbered `number`."""
    return page.page.get_by_role("row").filter(has=page.page.get_by_role("link", name=number, exact=True))


def fact(page, label: str) -> str:
    """The value shown for `label` in the case page's lists of facts (状态, 承诺办结日期 …), without any warning tag."""
    value = page.page.locator(f"xpath=//dt[normalize-space()='{label}']/following-sibling::dd[1]").first
    return value.inner_text().split()[0]


def shown_date(page, label: str) -> dt.date:
    return dt.date.fromisoformat(fact(page, label)[:10])
