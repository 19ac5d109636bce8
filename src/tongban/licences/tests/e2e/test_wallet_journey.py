"""In the browser: 王小明, whose 食品经营许可证 was issued, opens 我的证照 from his personal centre, shares the licence
by a link, someone without an account opens the link and sees it valid, 王小明 sees that view in the log and revokes
the grant after a confirmation, and the link then says it has been revoked. Each wallet page passes axe (no serious
or critical violations at WCAG 2.x AA)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tongban.cases.tests.e2e.conftest import serious, signed_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_holder_shares_a_licence_by_link_sees_the_view_and_revokes(open_page, live_server, issue, person):
    licence = issue()
    holder = signed_in_page(open_page, live_server, person)
    page = holder.page

    holder.goto(reverse("accounts:centre"))
    page.get_by_role("link", name="我的证照").click()
    assert page.get_by_role("heading", name="我的证照", level=1).is_visible()
    assert page.locator('[data-status="valid"]').first.inner_text() == "有效"
    assert serious(holder.axe_violations()) == []

    page.get_by_role("link", name="食品经营许可证").click()
    assert page.get_by_text(licence.identifier).first.is_visible()
    assert person.id_number not in page.content()  # the ID is masked even for the holder's own page
    assert serious(holder.axe_violations()) == []

    page.get_by_role("link", name="授权他人查看").click()
    page.get_by_role("button", name="确认授权").click()  # nothing filled in: the error summary lists each problem
    assert page.get_by_role("heading", name="请更正以下问题").is_visible()
    assert page.get_by_role("link", name="请选择授权方式").is_visible()
    assert serious(holder.axe_violations()) == []
    page.get_by_label("任何持有链接的人（生成一个有期限的查看链接）").check()
    page.get_by_label("用途").fill("银行开户")
    page.get_by_label("授权有效天数").fill("7")
    page.get_by_role("button", name="确认授权").click()
    link = page.get_by_label("查看链接").input_value()
    assert link.startswith(live_server.url + "/licences/s/")
    assert serious(holder.axe_violations()) == []

    visitor = open_page()
    visitor.page.goto(link)
    assert visitor.page.get_by_text("持证人 王小明 授权您查看此证照，用途：银行开户").is_visible()
    assert visitor.page.locator("[data-status]").inner_text() == "有效"
    assert serious(visitor.axe_violations()) == []

    page.reload()
    assert page.get_by_role("cell", name="凭链接访问").is_visible()
    assert page.get_by_role("cell", name="查看证照信息").is_visible()
    page.get_by_role("link", name="撤销授权").click()
    assert page.get_by_role("heading", name="撤销授权").is_visible()
    assert serious(holder.axe_violations()) == []
    page.get_by_role("button", name="确认撤销").click()
    assert page.get_by_text("已撤销授权，对方从现在起不能再查看该证照。").is_visible()
    assert page.locator("[data-share-state]").inner_text().startswith("已撤销")

    visitor.page.reload()
    assert visitor.page.get_by_text("持证人已撤销该授权，不能再查看此证照").is_visible()
    assert serious(visitor.axe_violations()) == []
