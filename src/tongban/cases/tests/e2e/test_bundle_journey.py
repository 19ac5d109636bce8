"""新手爸爸陈志强 applies once for 新生儿出生一件事 in the browser: the start page lists the four
departments; the shared fields are asked once (his own details prefilled), then the two items' own fields; every
material once (出生医学证明 once for the two items that need it); check your answers; submit. The four departments
accept and decide their parts; the one progress page shows each part and, at the end, 已办结. axe finds nothing
serious or critical."""

from __future__ import annotations

import re

import pytest

from tongban.accounts.models import StaffRole, User
from tongban.cases import bundles
from tongban.cases.models import BundleApplication, BundleStatus, CaseStatus
from tongban.cases.tests.e2e.conftest import serious, signed_in_page
from tongban.cases.tests.test_bundles import DEPARTMENTS, children, decide, seed_newborn
from tongban.catalog.models import Bundle
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.models import Organisation
from tongban.core.tests.e2e.conftest import DESKTOP

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _next(p) -> None:
    p.get_by_role("button", name="继续", exact=True).click()
    p.wait_for_load_state()


def test_new_parents_apply_once_for_the_newborn_bundle_and_see_it_completed(open_page, live_server, tmp_path):
    seed_newborn()
    chen = User.objects.get(username="13805710004")
    bundle = Bundle.objects.get(code="newborn")
    groups = bundles.material_groups(bundles.bundle_parts(bundle))
    page = signed_in_page(open_page, live_server, chen, viewport=DESKTOP)
    p = page.page

    page.goto("/services/themes/")
    p.get_by_role("link", name="在线办理一件事").click()
    p.get_by_role("link", name="在线办理 新生儿出生一件事").click()
    assert p.locator("h1").inner_text() == "新生儿出生一件事"
    assert p.get_by_role("cell", name="桐庐县公安局").is_visible()
    assert serious(page.axe_violations()) == []
    p.get_by_role("button", name="在线办理").click()

    assert p.locator("h1").inner_text() == "共同信息"
    assert p.get_by_label("申请人姓名").input_value() == "陈志强"  # from his verified profile
    assert serious(page.axe_violations()) == []
    p.get_by_label("新生儿姓名").fill("陈小宝")
    p.get_by_label("男", exact=True).check()
    p.get_by_label("出生日期").fill("2026-03-01")
    p.get_by_label("父亲身份证号码").fill("33012219940611015X")
    p.get_by_label("母亲身份证号码").fill("3301221995110201")  # two digits short
    _next(p)
    assert p.get_by_role("link", name=re.compile("母亲身份证号码")).is_visible()  # the error summary
    p.get_by_label("母亲身份证号码").fill("330122199511020188")
    _next(p)

    assert p.locator("h1").inner_text() == "户口登记（出生）"
    p.get_by_label("随父", exact=True).check()
    p.get_by_label("落户地址").fill("桐庐县桐君街道梅林社区")
    _next(p)
    assert p.locator("h1").inner_text() == "社会保障卡申领"
    p.get_by_label("浙江农商银行", exact=True).check()
    p.get_by_label("窗口领取", exact=True).check()
    _next(p)

    assert p.locator("h1").inner_text() == "上传申请材料"
    assert serious(page.axe_violations()) == []
    assert p.get_by_text("用于：户口登记（出生）、城乡居民基本医疗保险参保登记").is_visible()  # 出生医学证明 once
    for number, group in enumerate(groups):
        path = tmp_path / f"{number}.pdf"
        path.write_bytes(PDF + str(number).encode())
        p.get_by_label(f"上传“{group.name}”").set_input_files(str(path))
        p.get_by_role("button", name=re.compile(rf"^上传\s*{re.escape(group.name)}$")).click()
        p.wait_for_load_state()
    _next(p)

    assert p.locator("h1").inner_text() == "核对申请信息"
    assert p.get_by_text("陈小宝").is_visible()
    assert serious(page.axe_violations()) == []
    p.get_by_role("button", name="确认并提交申请").click()
    p.wait_for_load_state()

    application = BundleApplication.objects.get(applicant=chen)
    assert application.status == BundleStatus.RECEIVED
    assert p.locator("h1").inner_text() == "新生儿出生一件事"
    assert p.get_by_text(application.number, exact=True).is_visible()
    assert p.get_by_text("0 / 4 个事项已办结").is_visible()
    assert serious(page.axe_violations()) == []

    # The four departments accept and decide their parts (pre-review and review as for any case).
    kids = children(application)
    for number, (name, organisation_name) in enumerate(DEPARTMENTS.items()):
        organisation = Organisation.objects.get(name=organisation_name)
        roles = (StaffRole.REVIEWER, StaffRole.APPROVER, StaffRole.WINDOW_CLERK, StaffRole.HEAD)
        worker = staff(f"journey_staff_{number}", *[(organisation, role) for role in roles])
        assert decide(kids[name], worker).status == CaseStatus.APPROVED

    page.goto(f"/cases/bundles/{application.public_id}/")
    assert p.locator(".key-facts").get_by_text("已办结", exact=True).is_visible()
    assert p.get_by_text("4 / 4 个事项已办结").is_visible()
    assert p.get_by_text("已办结，结果为准予").count() == 4
    assert serious(page.axe_violations()) == []
    page.goto("/messages/")
    assert p.get_by_text("一件事已办结").first.is_visible()
