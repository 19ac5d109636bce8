"""Journey 4 in the browser: 钱老师 (catalogue editor at 卫生健康局) completes a draft, adds a material, picks a process
and submits; 周处长 (catalogue reviewer) returns it with a comment; she fixes it and resubmits; he approves and
publishes, and the guide is public. Every workbench page passes axe at WCAG 2.x AA."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tongban.accounts import services as account_services
from tongban.accounts.models import StaffRole, UserKind
from tongban.catalog import access, services
from tongban.catalog.models import ExerciseLevel, ItemType, VersionStatus
from tongban.catalog.tests.lifecycle_fixtures import COMPLETE_GUIDE, FORM_SCHEMA, FORM_UI
from tongban.core import services as core_services
from tongban.core.models import OrganisationKind
from tongban.core.tests.e2e.conftest import PHONE
from tongban.core.tests.identifiers import uscc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    for code, name in [("330000", "浙江省"), ("330100", "杭州市"), ("330122", "桐庐县")]:
        region = core_services.region_create(actor=None, code=code, name=name)
    health = core_services.organisation_create(
        actor=None,
        name="桐庐县卫生健康局",
        uscc=uscc("11330122704296301"),
        kind=OrganisationKind.DEPARTMENT,
        region=region,
    )
    hall = core_services.organisation_create(
        actor=None,
        name="桐庐县政务服务中心",
        uscc=uscc("11330122704296302"),
        kind=OrganisationKind.SERVICE_HALL,
        region=region,
    )
    qian = _staff("editor_qian", "钱老师", (health, StaffRole.CATALOGUE_EDITOR, False))
    zhou = _staff("catreviewer_zhou", "周处长", (hall, StaffRole.CATALOGUE_REVIEWER, True))
    basic = services.basic_item_create(
        actor=qian,
        source="33",
        item_type=ItemType.LICENSING,
        department_code="12",
        main_number="004",
        sub_number="000",
        name="公共场所卫生许可证核发",
        legal_basis="《公共场所卫生管理条例》第八条",
    )
    item = services.item_create(actor=qian, basic_item=basic, organisation=health, exercise_level=ExerciseLevel.COUNTY)
    guide = {**COMPLETE_GUIDE, "acceptance_conditions": ""}  # she still has to write the conditions
    version = services.version_create(actor=qian, item=item, **guide)
    services.version_set_form(actor=qian, version=version, schema=FORM_SCHEMA, ui=FORM_UI)
    return {"qian": qian, "zhou": zhou, "item": item, "version": version}


def _staff(username, name, *grants):
    user = account_services.user_create(
        actor=None, kind=UserKind.STAFF, username=username, display_name=name, password="Qiang-Mima-2026"
    )
    for organisation, role, subtree in grants:
        account_services.staff_role_grant(
            actor=None, user=user, organisation=organisation, role=role, covers_region_subtree=subtree
        )
    return user


def _signed_in_page(open_page, live_server, user, **options):
    """A browser signed in as `user` with the second factor passed (the session the dynamic-code page leaves)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["second_factor_verified"] = True
    session.save()
    page = open_page(**options)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}]
    )
    return page


def _accessible(page):
    assert page.axe_violations() == []
    assert not page.has_horizontal_scroll()


def test_editor_drafts_reviewer_returns_editor_fixes_reviewer_publishes(open_page, live_server, world):
    item, version = world["item"], world["version"]
    qian = _signed_in_page(open_page, live_server, world["qian"], viewport=PHONE)  # she works on a phone too
    p = qian.page

    # 我的事项 → the draft; what is missing is listed and shown on the field.
    qian.goto("/workbench/catalog/")
    assert p.get_by_role("heading", name="我的事项", level=1).is_visible()
    _accessible(qian)
    p.get_by_role("link", name="公共场所卫生许可证核发").click()
    p.get_by_role("link", name="继续编辑第 1 版").click()
    summary = p.locator(".error-summary")
    assert "请填写受理条件" in summary.inner_text() or "受理条件" in summary.inner_text()
    _accessible(qian)

    p.get_by_role("textbox", name="受理条件", exact=True).fill(
        "在本县从事公共场所经营，具有与经营项目相适应的场所和卫生设施。"
    )
    p.get_by_role("button", name="保存", exact=True).click()
    assert p.get_by_text("已保存。").is_visible()

    # A material, added on its own page.
    p.get_by_role("link", name="添加申请材料").click()
    _accessible(qian)
    p.get_by_label("材料名称").fill("公共场所卫生许可申请表")
    p.get_by_label("材料类型").select_option("original")
    p.get_by_label("材料形式").select_option("either")
    p.get_by_label("必要性").select_option("required")
    p.get_by_label("纸质份数").fill("1")
    p.get_by_label("来源渠道").select_option("applicant")
    p.get_by_label("受理标准").fill("内容完整，加盖公章")
    p.get_by_label("空白表格", exact=True).set_input_files(
        {"name": "申请表.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    )
    p.get_by_role("button", name="保存", exact=True).click()
    assert p.get_by_text("申请材料已保存。").is_visible()

    # The process: a shipped template, then its outline.
    p.get_by_role("link", name="选择或上传流程").click()
    p.get_by_label("一个部门办理", exact=False).check()
    _accessible(qian)
    p.get_by_role("button", name="保存流程").click()
    assert p.get_by_text("办理流程已保存。").is_visible()
    assert p.locator(".process-outline").is_visible()

    p.get_by_role("button", name="提交审核").click()
    assert p.get_by_text("已提交审核").is_visible()

    # 周处长 returns it with a comment.
    zhou = _signed_in_page(open_page, live_server, world["zhou"])
    z = zhou.page
    zhou.goto("/workbench/catalog/review/")
    _accessible(zhou)
    z.get_by_role("link", name="公共场所卫生许可证核发").click()
    assert z.get_by_role("heading", name="首次发布：全部内容").is_visible()
    _accessible(zhou)
    z.get_by_role("button", name="退回修改").click()
    assert "退回时请填写审核意见" in z.locator(".error-summary").inner_text()
    z.get_by_label("审核意见").fill("办理地点请写明楼层和窗口号")
    z.get_by_role("button", name="退回修改").click()
    assert z.get_by_text("已退回编辑人修改。").is_visible()

    # 钱老师 sees the comment, fixes the place and resubmits.
    qian.goto(f"/workbench/catalog/items/{item.pk}/versions/{version.pk}/")
    assert "办理地点请写明楼层和窗口号" in p.locator(".review-comment").inner_text()
    p.get_by_role("textbox", name="办理地点", exact=True).fill("桐庐县政务服务中心二楼 12 号卫生健康窗口")
    p.get_by_role("button", name="保存", exact=True).click()
    p.get_by_role("button", name="提交审核").click()
    assert p.get_by_text("已提交审核").is_visible()

    # 周处长 approves and publishes.
    zhou.goto(f"/workbench/catalog/review/{version.pk}/")
    z.get_by_role("button", name="审核通过").click()
    assert z.get_by_text("已审核通过，可以发布。").is_visible()
    z.get_by_role("button", name="发布").click()
    assert z.get_by_text("已发布，办事指南已对外公布。").is_visible()
    _accessible(zhou)

    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED
    assert version.place == "桐庐县政务服务中心二楼 12 号卫生健康窗口"
    assert access.access_published_item(item.code).published_version_id == version.pk
    response = zhou.goto(f"/services/items/{item.code}/")
    assert response.status == 200
    assert z.get_by_role("heading", name="公共场所卫生许可证核发", level=1).is_visible()
