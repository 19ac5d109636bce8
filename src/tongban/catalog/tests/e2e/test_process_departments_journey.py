"""In the browser: 钱老师 picks the parallel template, is told the 协办部门 lane names no organisation, chooses one
and saves; the process page passes axe at WCAG 2.x AA before and after."""

from __future__ import annotations

import pytest

from tongban.catalog.models import ItemVersion
from tongban.catalog.tests.e2e.test_catalogue_journeys import _accessible, _signed_in_page, world  # noqa: F401
from tongban.core.models import Organisation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_editor_chooses_the_organisation_of_the_joint_lane(open_page, live_server, world):  # noqa: F811
    version = world["version"]
    hall = Organisation.objects.get(name="桐庐县政务服务中心")
    qian = _signed_in_page(open_page, live_server, world["qian"])
    p = qian.page
    qian.goto(f"/workbench/catalog/items/{version.item_id}/versions/{version.pk}/")
    p.get_by_role("link", name="选择或上传流程").click()
    p.get_by_label("多部门并联审批", exact=False).check()
    p.get_by_role("button", name="保存流程").click()
    assert p.get_by_text("办理流程已保存。").is_visible()
    assert p.get_by_text("泳道“审查（协办部门）”的部门“协办部门”对应不到机构", exact=False).first.is_visible()

    p.get_by_role("link", name="选择或上传流程").click()
    assert p.get_by_role("heading", name="各泳道的办理机构").is_visible()
    _accessible(qian)
    p.get_by_label("泳道“审查（协办部门）”的办理机构").select_option(label="桐庐县政务服务中心")
    p.get_by_role("button", name="保存办理机构").click()
    assert p.get_by_text("各泳道的办理机构已保存。").is_visible()
    assert not p.get_by_text("对应不到机构", exact=False).count()
    assert ItemVersion.objects.get(pk=version.pk).process_departments == {"协办部门": hall.uscc}
    p.get_by_role("link", name="选择或上传流程").click()
    _accessible(qian)
