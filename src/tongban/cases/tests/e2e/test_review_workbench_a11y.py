# ruff: noqa: F811 — fixtures imported from cases.tests.fixtures are used as arguments
"""The review workbench in the browser: 孙 finds the accepted case in 待审查, opens it, claims the step and gives his
opinion; the case moves to 审核. axe finds nothing serious or critical on the worklists, the supervision view, the case
page (with its open task forms) and the page after an error."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.accounts import services as account_services
from tongban.accounts.models import StaffRole
from tongban.cases import services
from tongban.cases.models import ReviewTask, TaskStatus
from tongban.cases.tests.e2e.conftest import serious, signed_in_page
from tongban.cases.tests.fixtures import (  # noqa: F401 — fixtures
    applicants,
    county,
    crew,
    food_item,
    submitted_case,
)
from tongban.catalog.tests.lifecycle_fixtures import staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_review_worklists_and_case_page_are_accessible(open_page, live_server, food_item, county, crew, applicants):
    case = submitted_case(applicants["li"], food_item)
    case = services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)
    late = submitted_case(applicants["li"], food_item)
    late = services.case_accept(actor=crew["amr_clerk"], case=late, expected_version=late.lock_version)
    ReviewTask.objects.filter(case=late, status=TaskStatus.OPEN).update(due_on=dt.date.today() - dt.timedelta(days=1))

    reviewer = signed_in_page(open_page, live_server, crew["amr_clerk"])
    r = reviewer.page
    reviewer.goto("/workbench/review/")
    assert r.locator("h1").inner_text() == "待审查"
    assert r.get_by_text("已超期", exact=True).first.is_visible()
    assert serious(reviewer.axe_violations()) == []
    for tab in ("待审批", "已超期", "我的待办"):
        r.locator("nav .tabs").get_by_role("link", name=tab).click()
        assert r.locator("h1").inner_text() == tab
        assert serious(reviewer.axe_violations()) == []

    reviewer.goto("/workbench/review/")
    r.get_by_role("link", name=case.number).click()
    assert r.locator("h1").inner_text() == "食品经营许可"
    assert serious(reviewer.axe_violations()) == []
    r.get_by_role("button", name="认领 承办").click()
    assert r.get_by_text("已认领“承办”").is_visible()
    assert serious(reviewer.axe_violations()) == []
    # A negative opinion without reasons: the error summary and the inline error, nothing changes.
    r.get_by_label("不同意").check()
    r.get_by_role("button", name="提交办理意见").click()
    assert r.locator(".error-summary").get_by_text("不同意或不予许可时，请写明理由").is_visible()
    assert serious(reviewer.axe_violations()) == []
    r.get_by_label("同意", exact=True).check()
    r.get_by_role("textbox", name="办理意见").fill("材料齐全，符合条件")
    r.get_by_role("button", name="提交办理意见").click()
    assert r.get_by_text("已办理“承办”，办件已转到下一步").is_visible()
    assert r.get_by_text("材料齐全，符合条件").first.is_visible()
    assert case.tasks.get(status=TaskStatus.OPEN).step_name == "审核"

    inspector = staff("inspector_xu")
    account_services.staff_role_grant(
        actor=None, user=inspector, organisation=county["hall"], role=StaffRole.SUPERVISOR, covers_region_subtree=True
    )
    supervisor = signed_in_page(open_page, live_server, inspector)
    supervisor.goto("/workbench/review/supervision/")
    assert supervisor.page.locator("h1").inner_text() == "超期督办"
    assert supervisor.page.get_by_role("link", name=late.number).is_visible()
    assert serious(supervisor.axe_violations()) == []
    supervisor.page.get_by_role("link", name=late.number).click()
    assert serious(supervisor.axe_violations()) == []
