# ruff: noqa: F811 — fixtures imported from cases.tests.fixtures are used as arguments
"""Issue 6's journey in the browser, every step through the real pages and every person signed in for real (people
by password, staff by password and the authenticator's code):

1. 李建国 opens the guide of 食品经营许可 (reviewed in parallel by the market regulation bureau and, as 协办部门, the
   health bureau), 在线办理, fills the short pages, uploads every material, checks his answers and submits.
2. 孙 (the bureau's pre-review clerk) accepts it in /workbench/cases/: 受理通知书.
3. 秦 (market regulation) and 金 (health) each see their own department's step in 待审查 at the same time; 金 claims
   and agrees; the approver's 待审批 stays empty while the join waits for 秦.
4. 秦 claims his step and starts 现场勘验 on the time panel (reason, legal basis, expected end): 特别程序中. The
   inspection takes three working days; when he ends it the page shows the working days paused and the promised and
   statutory dates moved by exactly those days; then he agrees.
5. 赵 (the approver) finds the case in 待审批 and grants it (准予许可) with an opinion.
6. 李建国's 我的办件 shows 办结（通过）, the 准予许可决定书 and the timeline; 我的消息 has the news.

axe finds nothing serious or critical on every review worklist tab and on the review case page at each step.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tongban.accounts.models import StaffRole
from tongban.cases.models import Case, CaseStatus, SpecialProcedure, TaskStatus
from tongban.cases.tests.e2e.conftest import serious
from tongban.cases.tests.e2e.review_steps import (
    bind_authenticator,
    expect,
    fact,
    open_tab,
    shown_date,
    sign_in,
    with_password,
    worklist_row,
)
from tongban.cases.tests.e2e.test_apply_journey import _upload
from tongban.cases.tests.fixtures import (  # noqa: F401 — fixtures
    PDF_BYTES,
    applicants,
    county,
    crew,
    publish_food_item,
)
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core import services as core_services
from tongban.core.calendar import add_working_days, working_days_between
from tongban.core.models import OrganisationKind
from tongban.core.tests.identifiers import uscc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REVIEW = "/workbench/review/"
TABS = ("待审查", "待审批", "特别程序中", "即将超期", "已超期", "我的待办")
MATERIALS = {
    "食品经营许可申请书": ("申请书.pdf", PDF_BYTES + b"application"),
    "营业执照复印件": ("营业执照.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64),
    "经营场所平面图": ("平面图.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64),
    "食品安全管理制度文本": ("管理制度.pdf", PDF_BYTES + b"rules"),
}
INSPECTION_WORKING_DAYS = 3  # how long the on-site inspection takes


@pytest.fixture
def parallel_item(county, crew):
    """食品经营许可 of the market regulation bureau on the parallel template, the health bureau as 协办部门."""
    health = core_services.organisation_create(
        actor=None,
        name="桐庐县卫生健康局",
        uscc=uscc("11330122704296307"),
        kind=OrganisationKind.DEPARTMENT,
        region=county["amr"].region,
    )
    item = publish_food_item(
        county["amr"],
        crew["editor"],
        crew["catreviewer"],
        process="parallel",
        process_departments={"协办部门": health.uscc},
    )
    return item, health


def _accessible(page) -> None:
    assert serious(page.axe_violations()) == []


def _visit_every_tab(page) -> None:
    for tab in TABS:
        open_tab(page, tab)
        _accessible(page)


def _apply(page, tmp_path) -> str:
    """Step 1: from the guide to the confirmation; returns the case number shown."""
    p = page.page
    expect(p.locator("h1")).to_have_text("食品经营许可")
    p.get_by_role("link", name="在线办理", exact=True).click()
    p.get_by_role("button", name="开始申请").click()
    p.wait_for_url("**/page/1/")
    p.get_by_label("店铺名称").fill("李记小面馆")
    p.get_by_label("经营场所").fill("桐庐县桐君街道迎春南路 18 号")
    p.get_by_label("经营面积（平方米）").fill("45")
    p.get_by_role("button", name="继续", exact=True).click()
    p.wait_for_url("**/page/2/")
    p.get_by_label("热食类食品制售").check()
    p.get_by_role("button", name="继续", exact=True).click()
    p.wait_for_url("**/page/3/")
    assert p.get_by_label("联系电话").input_value() == "13805710003"
    p.get_by_role("button", name="继续", exact=True).click()
    p.wait_for_url("**/materials/")
    for material, (name, content) in MATERIALS.items():
        path = tmp_path / name
        path.write_bytes(content)
        _upload(p, material, str(path))
        expect(p.get_by_text(f"已上传“{name}”（{material}）。")).to_be_visible()
    p.get_by_role("button", name="继续", exact=True).click()
    p.wait_for_url("**/check/")
    expect(p.locator("h1")).to_have_text("核对申请信息")
    for name, _content in MATERIALS.values():
        expect(p.get_by_text(name, exact=True)).to_be_visible()
    p.get_by_role("button", name="确认并提交申请").click()
    p.wait_for_url("**/cases/apply/done/**")
    expect(p.locator("h1")).to_have_text("申请已提交")
    return p.locator(".confirmation-panel strong").inner_text()


def _claim(page, step: str) -> None:
    page.page.get_by_role("button", name=f"认领 {step}").click()
    expect(page.page.get_by_text(f"已认领“{step}”")).to_be_visible()


def _agree(page, step: str, opinion: str) -> None:
    """Give 同意 with `opinion` on the claimed `step` of the case page."""
    p = page.page
    p.get_by_label("同意", exact=True).check()
    p.get_by_role("textbox", name="办理意见").fill(opinion)
    p.get_by_role("button", name="提交办理意见").click()
    expect(p.get_by_text(f"已办理“{step}”，办件已转到下一步")).to_be_visible()


def test_a_person_applies_two_departments_review_in_parallel_an_inspection_pauses_the_clock_and_the_grant_is_seen(
    open_page, live_server, parallel_item, county, crew, applicants, tmp_path
):
    item, health = parallel_item
    amr = county["amr"]
    clerk, qin = crew["amr_clerk"], crew["amr_clerk2"]
    jin = staff("reviewer_jin", (health, StaffRole.REVIEWER))
    zhao = staff("approver_zhao", (amr, StaffRole.APPROVER))
    secrets = {user.pk: bind_authenticator(user) for user in (clerk, qin, jin, zhao)}
    li = with_password(applicants["li"])

    # 1. 李建国 applies online from the guide.
    person = sign_in(open_page, li, f"/services/items/{item.code}/")
    number = _apply(person, tmp_path)
    case = Case.objects.get(number=number)
    assert case.submitted_by == li and case.status == CaseStatus.RECEIVED
    assert case.materials.filter(provision="upload").count() == len(MATERIALS)

    # 2. The bureau's clerk accepts it.
    bureau = sign_in(open_page, clerk, "/workbench/cases/", secrets[clerk.pk])
    b = bureau.page
    expect(b.locator("h1")).to_have_text("待预审")
    b.get_by_role("link", name=number).click()
    b.get_by_label("受理意见（可选）").fill("材料齐全，符合法定形式")
    b.get_by_role("button", name="受理", exact=True).click()
    expect(b.get_by_text("已受理，受理通知书已出具")).to_be_visible()
    expect(b.locator(".key-facts").get_by_text("已受理")).to_be_visible()

    # 3. Both departments see their own step at the same time; the approver has nothing yet.
    market = sign_in(open_page, qin, REVIEW, secrets[qin.pk])
    health_desk = sign_in(open_page, jin, REVIEW, secrets[jin.pk])
    approver = sign_in(open_page, zhao, REVIEW, secrets[zhao.pk])
    for page, step, organisation in (
        (market, "牵头部门审查", "桐庐县市场监督管理局"),
        (health_desk, "协办部门审查", "桐庐县卫生健康局"),
    ):
        expect(page.page.locator("h1")).to_have_text("待审查")
        row = worklist_row(page, number)
        expect(row.get_by_text(step)).to_be_visible()
        expect(row.get_by_text(organisation)).to_be_visible()
        expect(row.get_by_text("待认领")).to_be_visible()
        expect(page.page.get_by_text("共 1 项")).to_be_visible()
        _accessible(page)
    open_tab(approver, "待审批")
    expect(approver.page.get_by_text("没有待办的办理步骤。")).to_be_visible()
    _visit_every_tab(market)

    h = health_desk.page
    worklist_row(health_desk, number).get_by_role("link", name=number).click()
    expect(h.locator("h1")).to_have_text("食品经营许可")
    expect(h.get_by_role("listitem").filter(has_text="协办部门审查").get_by_text("当前步骤")).to_be_visible()
    _accessible(health_desk)
    _claim(health_desk, "协办部门审查")
    _agree(health_desk, "协办部门审查", "从业人员健康管理制度齐全，同意")
    expect(h.get_by_text("您在该办件上没有待办的步骤。")).to_be_visible()
    _accessible(health_desk)
    assert list(case.tasks.filter(status=TaskStatus.OPEN).values_list("step_name", flat=True)) == ["牵头部门审查"]
    approver.page.reload()
    expect(approver.page.get_by_text("没有待办的办理步骤。")).to_be_visible()  # the join waits for the market bureau

    # 4. 秦 claims his step and starts an on-site inspection: the clock pauses.
    m = market.page
    open_tab(market, "待审查")
    m.get_by_role("link", name=number).click()
    expect(m.get_by_role("cell", name="从业人员健康管理制度齐全，同意")).to_be_visible()  # 金's opinion, for everyone
    _accessible(market)
    _claim(market, "牵头部门审查")
    m.locator("summary", has_text="启动特别程序").click()
    _accessible(market)
    today = timezone.localdate()
    expected_end = today + dt.timedelta(days=10)
    m.get_by_label("现场勘验").check()
    m.get_by_label("原因").fill("需现场核查经营场所布局与平面图是否一致")
    m.get_by_label("法律依据").fill("《中华人民共和国行政许可法》第四十五条")
    m.get_by_label("预计结束日期").fill(expected_end.isoformat())
    m.get_by_role("button", name="启动特别程序").click()
    expect(m.get_by_text("特别程序已开始，办理时限暂停计算，特别程序告知书已出具。")).to_be_visible()
    assert fact(market, "状态") == "特别程序中"
    expect(m.get_by_text(f"自 {today.isoformat()} 起特别程序中，所需时间不计入办理时限")).to_be_visible()
    inspection = m.get_by_role("row").filter(has=m.get_by_role("cell", name="现场勘验", exact=True))
    expect(inspection.get_by_role("cell", name="进行中")).to_be_visible()
    _accessible(market)
    open_tab(market, "特别程序中")
    expect(worklist_row(market, number).get_by_text("牵头部门审查")).to_be_visible()
    _accessible(market)

    # The inspection takes three working days: its start (and the case's pause) move back, as if it began then.
    started = today
    while working_days_between(started, today).days < INSPECTION_WORKING_DAYS:
        started -= dt.timedelta(days=1)
    SpecialProcedure.objects.filter(case=case).update(started_on=started)
    Case.objects.filter(pk=case.pk).update(paused_since=started)
    paused = working_days_between(started, today).days

    worklist_row(market, number).get_by_role("link", name=number).click()
    promised, statutory = shown_date(market, "承诺办结日期"), shown_date(market, "法定办结日期")
    assert promised == Case.objects.get(pk=case.pk).promised_due
    m.get_by_label("结果").fill("现场勘验合格，布局与平面图一致")
    m.get_by_role("button", name="结束特别程序并恢复计时").click()
    expect(m.get_by_text("特别程序已结束，承诺办结日期和法定办结日期已按暂停的工作日顺延。")).to_be_visible()
    assert fact(market, "状态") == "办理中"
    cells = inspection.get_by_role("cell")
    expect(cells.nth(3)).to_have_text(today.isoformat())  # 结束日期
    expect(cells.nth(4)).to_have_text(str(paused))  # 暂停的工作日
    assert shown_date(market, "承诺办结日期") == add_working_days(promised, paused).date
    assert shown_date(market, "法定办结日期") == add_working_days(statutory, paused).date
    _accessible(market)
    _agree(market, "牵头部门审查", "经营场所、设备布局符合要求，同意")
    assert list(case.tasks.filter(status=TaskStatus.OPEN).values_list("step_name", flat=True)) == ["审批"]

    # 5. The approver finds the case in 待审批 and grants it.
    a = approver.page
    approver.page.reload()
    row = worklist_row(approver, number)
    expect(row.get_by_text("审批", exact=True).first).to_be_visible()
    _accessible(approver)
    row.get_by_role("link", name=number).click()
    expect(a.get_by_role("cell", name="经营场所、设备布局符合要求，同意")).to_be_visible()
    _accessible(approver)
    a.get_by_label("准予许可").check()
    a.get_by_role("textbox", name="审批意见").fill("符合《食品经营许可和备案管理办法》规定的条件，准予许可")
    a.get_by_role("button", name="提交决定").click()
    expect(a.get_by_text("已作出决定，办件已办结，申请人将收到通知。")).to_be_visible()
    assert fact(approver, "状态") == "办结（通过）"
    _accessible(approver)
    _visit_every_tab(approver)

    # 6. 李建国 sees the completed case, its decision document and the timeline.
    p = person.page
    person.goto("/cases/mine/")
    entry = p.locator(".record-list li").filter(has_text=number)
    expect(entry.locator(".tag")).to_have_text("办结（通过）")
    expect(entry.get_by_role("link", name=re.compile("^准予许可决定书"))).to_be_visible()
    _accessible(person)
    entry.get_by_role("link", name="食品经营许可").click()
    assert fact(person, "状态") == "办结（通过）"
    documents = p.locator("section[aria-labelledby='documents-title']")
    for kind in ("办件回执", "受理通知书", "特别程序告知书", "准予许可决定书"):
        expect(documents.get_by_role("link", name=kind, exact=True)).to_be_visible()
    timeline = p.locator("section[aria-labelledby='timeline-title'] li h3").all_inner_texts()
    for step in ("接件", "予以受理", "特别程序开始", "特别程序结束", "准予许可"):
        assert step in timeline
    _accessible(person)
    person.goto("/messages/")
    expect(p.get_by_text("申请已办结（准予）").first).to_be_visible()
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.decided_by == zhao
