"""The review workbench pages (views_review.py): worklists per role and organisation with pinned query counts, the
case page (outline, opinions, masked applicant, materials), the task actions through POST with conflict detection,
and the supervisors' overdue view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tongban.accounts.models import StaffRole
from tongban.cases import review, services
from tongban.cases.models import Case, CaseStatus, ReviewTask, TaskOutcome, TaskStatus
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import submitted_case
from tongban.cases.tests.test_workbench_views import signed_in
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"cases-review:{name}", args=args)


def action_url(task: ReviewTask, action: str) -> str:
    return url("task_action", task.case.number, task.pk, action)


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def deciders(county):
    return {
        "checker": staff("checker_lu", (county["amr"], StaffRole.REVIEWER)),
        "approver": staff("approver_fang", (county["amr"], StaffRole.APPROVER)),
        "head": staff("head_zhou", (county["amr"], StaffRole.HEAD)),
    }


def accepted(food_item, applicants, crew) -> Case:
    case = submitted_case(applicants["li"], food_item)
    return services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)


def open_task(case: Case) -> ReviewTask:
    return case.tasks.select_related("case").get(status=TaskStatus.OPEN)


def snapshot(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    tasks = tuple(fresh.tasks.order_by("pk").values_list("status", "assignee_id", "lock_version", "outcome"))
    return (fresh.status, fresh.lock_version, fresh.events.count(), tasks, AuditEntry.objects.count())


def put_on_list(case: Case, user, name: str) -> None:
    """Make the case's open task one of `user`'s tasks on the worklist `name` (claimed, so also 我的待办)."""
    task = open_task(case)
    review.task_claim(actor=user, task=task, expected_version=task.lock_version)
    today = dt.date.today()
    due = today - dt.timedelta(days=1) if name == "overdue" else today
    ReviewTask.objects.filter(pk=task.pk).update(due_on=due, decides=name == "to_approve")
    if name == "special":
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.SPECIAL_PROCEDURE)


def rows(response) -> list[str]:
    return [row.number for row in response.context["rows"]]


# ---------------------------------------------------------------------------------------------------------------
# Worklists


def test_worklists_show_the_tasks_of_the_users_roles_and_organisations(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants, crew)
    clerk = signed_in(crew["amr_clerk"])
    to_review = clerk.get(url("worklist"))
    assert to_review.status_code == 200
    assert rows(to_review) == [case.number]
    row = to_review.context["rows"][0]
    assert (row.step, row.organisation, row.applicant_name, row.item_name, row.assignee) == (
        "承办",
        "桐庐县市场监督管理局",
        "李建国",
        "食品经营许可",
        "",
    )
    assert row.promised_due == case.promised_due
    page = text(to_review)
    assert "待认领" in page
    # 待审批 is empty for a reviewer; the approver has nothing until the review steps are done.
    assert rows(clerk.get(url("worklist") + "?list=to_approve")) == []
    approver = signed_in(deciders["approver"])
    assert rows(approver.get(url("worklist") + "?list=to_review")) == []
    assert rows(approver.get(url("worklist") + "?list=to_approve")) == []
    # A reviewer of another department sees nothing of ours, in any list.
    civil = signed_in(crew["civil_clerk"])
    for name in ("to_review", "to_approve", "special", "due_soon", "overdue", "mine"):
        assert rows(civil.get(url("worklist") + f"?list={name}")) == [], name
    # 我的待办 after a claim.
    task = open_task(case)
    review.task_claim(actor=crew["amr_clerk"], task=task, expected_version=task.lock_version)
    assert rows(clerk.get(url("worklist") + "?list=mine")) == [case.number]
    assert rows(signed_in(crew["amr_clerk2"]).get(url("worklist") + "?list=mine")) == []


def test_warnings_are_words_as_well_as_colour(food_item, applicants, crew):
    soon, late, later = (accepted(food_item, applicants, crew) for _ in range(3))
    today = dt.date.today()
    ReviewTask.objects.filter(case=soon, status=TaskStatus.OPEN).update(due_on=today)
    ReviewTask.objects.filter(case=late, status=TaskStatus.OPEN).update(due_on=today - dt.timedelta(days=3))
    ReviewTask.objects.filter(case=later, status=TaskStatus.OPEN).update(due_on=today + dt.timedelta(days=30))
    clerk = signed_in(crew["amr_clerk"])
    everything = clerk.get(url("worklist"))
    assert rows(everything) == [late.number, soon.number, later.number]  # soonest deadline first
    assert [row.warning for row in everything.context["rows"]] == ["red", "yellow", ""]
    page = text(everything)
    assert '<strong class="tag warning-red">已超期</strong>' in page
    assert '<strong class="tag warning-yellow">即将超期</strong>' in page
    assert rows(clerk.get(url("worklist") + "?list=due_soon")) == [soon.number]
    assert rows(clerk.get(url("worklist") + "?list=overdue")) == [late.number]


def test_special_procedure_list_shows_cases_in_status_9(food_item, applicants, crew):
    paused, running = accepted(food_item, applicants, crew), accepted(food_item, applicants, crew)
    Case.objects.filter(pk=paused.pk).update(status=CaseStatus.SPECIAL_PROCEDURE)
    clerk = signed_in(crew["amr_clerk"])
    assert rows(clerk.get(url("worklist") + "?list=special")) == [paused.number]
    assert running.number in rows(clerk.get(url("worklist")))


def test_an_unknown_list_falls_back_to_to_review(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    response = signed_in(crew["amr_clerk"]).get(url("worklist") + "?list=nonsense")
    assert response.context["list_name"] == "to_review"
    assert rows(response) == [case.number]


def test_worklists_paginate_by_twenty(food_item, applicants, crew):
    cases = [accepted(food_item, applicants, crew) for _ in range(21)]
    clerk = signed_in(crew["amr_clerk"])
    first = clerk.get(url("worklist"))
    assert len(rows(first)) == 20
    assert "第 1 页，共 2 页" in text(first)
    second = clerk.get(url("worklist") + "?list=to_review&page=2")
    assert len(rows(second)) == 1
    assert {*rows(first), *rows(second)} == {case.number for case in cases}


def test_a_worklist_past_the_count_cap_says_more_than_and_pages_on(food_item, applicants, crew, monkeypatch):
    from tongban.cases import selectors_review, views_review

    monkeypatch.setattr(selectors_review, "COUNT_CAP", 4)
    monkeypatch.setattr(views_review, "PER_PAGE", 2)
    cases = [accepted(food_item, applicants, crew) for _ in range(7)]
    clerk = signed_in(crew["amr_clerk"])
    pages = [clerk.get(url("worklist") + f"?list=to_review&page={number}") for number in (1, 2, 3, 4, 9)]
    # within the first four tasks the count stops at five: "more than four", no last page, always a next one
    assert [page.context["page"].paginator.count for page in pages[:2]] == [5, 5]
    for number, page in enumerate(pages[:2], start=1):
        assert "超过 4 项" in text(page) and f"第 {number} 页</li>" in text(page) and 'rel="next"' in text(page)
    # a page past them counts every task, and the pages end
    assert "共 7 项" in text(pages[2]) and "第 3 页，共 4 页" in text(pages[2]) and 'rel="next"' in text(pages[2])
    assert "第 4 页，共 4 页" in text(pages[3]) and 'rel="next"' not in text(pages[3])
    assert rows(pages[4]) == rows(pages[3])
    shown = [number for page in pages[:4] for number in rows(page)]
    assert sorted(shown) == sorted(case.number for case in cases) and len(shown) == 7


def test_a_worklist_at_the_count_cap_shows_its_count(food_item, applicants, crew, monkeypatch):
    from tongban.cases import selectors_review

    monkeypatch.setattr(selectors_review, "COUNT_CAP", 3)
    for _ in range(3):
        accepted(food_item, applicants, crew)
    response = signed_in(crew["amr_clerk"]).get(url("worklist"))
    assert response.context["page"].paginator.capped is False
    assert "共 3 项" in text(response) and "超过" not in text(response)


@pytest.mark.parametrize("name", ["to_review", "to_approve", "special", "due_soon", "overdue", "mine"])
def test_worklist_query_count_does_not_grow_with_the_tasks(name, food_item, applicants, crew):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = crew["amr_clerk"]

    def prepare(case):
        put_on_list(case, user, name)

    prepare(accepted(food_item, applicants, crew))
    client = signed_in(user)
    client.get(url("worklist") + f"?list={name}")  # warm caches (sessions, translations, templates)
    with CaptureQueriesContext(connection) as one:
        response = client.get(url("worklist") + f"?list={name}")
    assert len(rows(response)) == 1
    for _ in range(9):
        prepare(accepted(food_item, applicants, crew))
    with CaptureQueriesContext(connection) as ten:
        response = client.get(url("worklist") + f"?list={name}")
    assert len(rows(response)) == 10
    assert len(ten) == len(one)
    # session, user, roles, count, page, the header's region and unread messages (the roles held at single
    # organisations need no query for their organisations).
    assert len(one) == 7


# ---------------------------------------------------------------------------------------------------------------
# The supervisors' view


def test_supervision_lists_every_overdue_task_in_the_region(food_item, applicants, crew, county, deciders):
    from tongban.accounts import services as account_services

    late, on_time = accepted(food_item, applicants, crew), accepted(food_item, applicants, crew)
    today = dt.date.today()
    ReviewTask.objects.filter(case=late, status=TaskStatus.OPEN).update(due_on=today - dt.timedelta(days=2))
    ReviewTask.objects.filter(case=on_time, status=TaskStatus.OPEN).update(due_on=today + dt.timedelta(days=9))
    inspector = staff("inspector_xu")
    account_services.staff_role_grant(
        actor=None, user=inspector, organisation=county["hall"], role=StaffRole.SUPERVISOR, covers_region_subtree=True
    )
    response = signed_in(inspector).get(url("supervision"))
    assert response.status_code == 200
    assert rows(response) == [late.number]
    page = text(response)
    assert "超期督办" in page and late.number in page
    assert rows(signed_in(deciders["head"]).get(url("supervision"))) == [late.number]
    # A reviewer oversees nothing: the view is empty, and the tab is not offered.
    clerk_view = signed_in(crew["amr_clerk"]).get(url("supervision"))
    assert rows(clerk_view) == []
    assert "没有超期的办理步骤" in text(clerk_view)
    assert 'href="/workbench/review/supervision/"' not in text(signed_in(crew["amr_clerk"]).get(url("worklist")))


# ---------------------------------------------------------------------------------------------------------------
# The case page


def test_case_page_shows_outline_position_opinions_and_masked_applicant(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants, crew)
    response = signed_in(crew["amr_clerk"]).get(url("case", case.number))
    assert response.status_code == 200
    page = text(response)
    states = {step["name"]: step["state"] for step in response.context["position"]}
    assert states == {"受理": "done", "承办": "current", "审核": "waiting", "审批": "waiting"}
    assert [task.step_name for task in response.context["opinions"]] == ["受理"]
    assert case.applicant_id_number not in page
    assert response.context["applicant"]["id_number"] in page  # masked
    assert "认领" in page and "提交办理意见" in page
    assert response.context["perms_review"] == {
        "is_handler": True,
        "is_head": False,
        "is_supervisor": False,
        "is_approver": False,
    }
    material = case.materials.filter(upload__isnull=False).first()
    file_url = url("file", case.number, material.pk)
    assert file_url in page
    opened = signed_in(crew["amr_clerk"]).get(file_url)
    assert opened.status_code == 200 and opened["Content-Type"] == "application/pdf"


def test_case_page_is_not_found_for_a_reviewer_of_another_department(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    civil = signed_in(crew["civil_clerk"])
    response = civil.get(url("case", case.number))
    assert response.status_code == 404
    material = case.materials.filter(upload__isnull=False).first()
    assert civil.get(url("file", case.number, material.pk)).status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# Actions


def test_claim_and_complete_through_the_page_move_the_case_along(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    clerk = signed_in(crew["amr_clerk"])
    prefix = f"task{task.pk}-claim"
    claimed = clerk.post(action_url(task, "claim"), {f"{prefix}-lock_version": task.lock_version})
    assert claimed.status_code == 303
    assert claimed["Location"] == url("case", case.number)
    task.refresh_from_db()
    assert task.assignee == crew["amr_clerk"]
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    assert "已认领“承办”" in text(clerk.get(claimed["Location"]))
    prefix = f"task{task.pk}-complete"
    done = clerk.post(
        action_url(task, "complete"),
        {f"{prefix}-lock_version": task.lock_version, f"{prefix}-outcome": "agree", f"{prefix}-opinion": "材料齐全"},
    )
    assert done.status_code == 303
    task.refresh_from_db()
    assert (task.status, task.outcome, task.opinion, task.handler) == (
        TaskStatus.DONE,
        TaskOutcome.AGREE,
        "材料齐全",
        crew["amr_clerk"],
    )
    assert open_task(case).step_name == "审核"
    page = signed_in(deciders["checker"]).get(url("case", case.number))
    assert [t.step_name for t in page.context["opinions"]] == ["受理", "承办"]
    assert "材料齐全" in text(page)


def test_a_stale_page_shows_the_conflict_and_changes_nothing(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    stale_version = task.lock_version
    review.task_claim(actor=crew["amr_clerk2"], task=task, expected_version=task.lock_version)
    before = snapshot(case)
    prefix = f"task{task.pk}-claim"
    response = signed_in(crew["amr_clerk"]).post(action_url(task, "claim"), {f"{prefix}-lock_version": stale_version})
    assert response.status_code == 409
    page = text(response)
    assert "操作没有生效" in page
    assert "该办件刚刚已被他人处理，页面已过时" in page
    assert snapshot(case) == before


def test_a_task_taken_by_a_colleague_says_so_and_changes_nothing(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    review.task_claim(actor=crew["amr_clerk2"], task=task, expected_version=task.lock_version)
    task.refresh_from_db()
    before = snapshot(case)
    prefix = f"task{task.pk}-complete"
    response = signed_in(crew["amr_clerk"]).post(
        action_url(task, "complete"),
        {f"{prefix}-lock_version": task.lock_version, f"{prefix}-outcome": "agree"},
    )
    assert response.status_code == 409
    assert "该步骤已由其他同事认领" in text(response)
    assert snapshot(case) == before


def test_a_closed_task_says_so_and_changes_nothing(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    review.task_complete(
        actor=crew["amr_clerk"], task=task, outcome="agree", opinion="", expected_version=task.lock_version
    )
    task.refresh_from_db()
    before = snapshot(case)
    prefix = f"task{task.pk}-claim"
    response = signed_in(crew["amr_clerk"]).post(
        action_url(task, "claim"), {f"{prefix}-lock_version": task.lock_version}
    )
    assert response.status_code == 409
    assert "该步骤已经办理完毕" in text(response)
    assert snapshot(case) == before


def test_a_negative_opinion_needs_reasons(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    before = snapshot(case)
    prefix = f"task{task.pk}-complete"
    response = signed_in(crew["amr_clerk"]).post(
        action_url(task, "complete"),
        {f"{prefix}-lock_version": task.lock_version, f"{prefix}-outcome": "disagree", f"{prefix}-opinion": " "},
    )
    assert response.status_code == 400
    page = text(response)
    assert "不同意或不予许可时，请写明理由" in page
    assert f'href="#id_{prefix}-opinion"' in page
    assert snapshot(case) == before
    missing = signed_in(crew["amr_clerk"]).post(action_url(task, "complete"), {f"{prefix}-lock_version": 0})
    assert missing.status_code == 400
    assert "请选择办理结论" in text(missing)
    assert snapshot(case) == before


def _through_review(case, crew, deciders) -> ReviewTask:
    for actor in (crew["amr_clerk"], deciders["checker"]):
        task = open_task(case)
        review.task_complete(actor=actor, task=task, outcome="agree", opinion="", expected_version=task.lock_version)
    return open_task(case)


def test_the_approver_denies_after_confirming(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants, crew)
    approve = _through_review(case, crew, deciders)
    approver = signed_in(deciders["approver"])
    page = approver.get(url("case", case.number))
    assert "准予许可" in text(page) and "不予许可" in text(page)
    prefix = f"task{approve.pk}-complete"
    data = {
        f"{prefix}-lock_version": approve.lock_version,
        f"{prefix}-outcome": "deny",
        f"{prefix}-opinion": "场所不符",
    }
    confirm = approver.post(action_url(approve, "complete"), data)
    assert confirm.status_code == 200
    assert "确认不予许可" in text(confirm)
    approve.refresh_from_db()
    assert approve.status == TaskStatus.OPEN
    done = approver.post(action_url(approve, "complete"), {**data, "confirmed": "1"})
    assert done.status_code == 303
    case.refresh_from_db()
    assert case.status == CaseStatus.DENIED
    after = approver.get(url("case", case.number))
    states = {step["name"]: step["state"] for step in after.context["position"]}
    assert states == {"受理": "done", "承办": "done", "审核": "done", "审批": "done"}


def test_a_grant_waiting_for_deferred_materials_shows_why(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants, crew)
    approve = _through_review(case, crew, deciders)
    before = snapshot(case)
    prefix = f"task{approve.pk}-complete"
    response = signed_in(deciders["approver"]).post(
        action_url(approve, "complete"), {f"{prefix}-lock_version": approve.lock_version, f"{prefix}-outcome": "grant"}
    )
    assert response.status_code == 409
    assert "容缺受理的材料尚未补齐" in text(response)
    assert snapshot(case) == before


def test_release_assign_and_reassign(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    clerk = signed_in(crew["amr_clerk"])
    review.task_claim(actor=crew["amr_clerk"], task=task, expected_version=task.lock_version)
    task.refresh_from_db()
    released = clerk.post(action_url(task, "release"), {f"task{task.pk}-release-lock_version": task.lock_version})
    assert released.status_code == 303
    task.refresh_from_db()
    assert task.assignee is None
    page = clerk.get(url("case", case.number))
    choices = dict(page.context["panels"][0].forms["assign"].fields["colleague"].choices)
    assert crew["amr_clerk2"].pk in choices and crew["amr_clerk"].pk not in choices
    prefix = f"task{task.pk}-assign"
    assigned = clerk.post(
        action_url(task, "assign"),
        {f"{prefix}-lock_version": task.lock_version, f"{prefix}-colleague": crew["amr_clerk2"].pk},
    )
    assert assigned.status_code == 303
    task.refresh_from_db()
    assert task.assignee == crew["amr_clerk2"]
    # A colleague of another department is not a choice: the form refuses, nothing changes.
    head = signed_in(deciders["head"])
    before = snapshot(case)
    prefix = f"task{task.pk}-reassign"
    refused = head.post(
        action_url(task, "reassign"),
        {f"{prefix}-lock_version": task.lock_version, f"{prefix}-colleague": crew["civil_clerk"].pk},
    )
    assert refused.status_code == 400
    assert snapshot(case) == before
    reassigned = head.post(
        action_url(task, "reassign"),
        {f"{prefix}-lock_version": task.lock_version, f"{prefix}-colleague": crew["amr_clerk"].pk},
    )
    assert reassigned.status_code == 303
    task.refresh_from_db()
    assert task.assignee == crew["amr_clerk"]
    assert head.get(url("case", case.number)).context["perms_review"]["is_head"] is True


# ---------------------------------------------------------------------------------------------------------------
# Parallel review (并联审批): each department sees its own step; the outline shows both as current


def test_parallel_review_each_department_sees_its_own_step(county, crew, applicants):
    from tongban.cases.tests.fixtures import publish_food_item

    item = publish_food_item(
        county["amr"],
        crew["editor"],
        crew["catreviewer"],
        process="parallel",
        process_departments={"协办部门": county["civil"].uscc},
    )
    case = accepted(item, applicants, crew)
    lead = case.tasks.get(status=TaskStatus.OPEN, organisation=county["amr"])
    joint = case.tasks.get(status=TaskStatus.OPEN, organisation=county["civil"])
    amr, civil = signed_in(crew["amr_clerk"]), signed_in(crew["civil_clerk"])
    assert [row.id for row in amr.get(url("worklist")).context["rows"]] == [lead.pk]
    assert [row.id for row in civil.get(url("worklist")).context["rows"]] == [joint.pk]
    page = civil.get(url("case", case.number))
    assert page.status_code == 200
    assert [panel.task.pk for panel in page.context["panels"]] == [joint.pk]
    current = [step["name"] for step in page.context["position"] if step["state"] == "current"]
    assert current == ["牵头部门审查", "协办部门审查"]
    # The civil bureau gives its opinion; the join waits for the lead department.
    prefix = f"task{joint.pk}-complete"
    done = civil.post(
        action_url(joint, "complete"),
        {f"{prefix}-lock_version": joint.lock_version, f"{prefix}-outcome": "agree", f"{prefix}-opinion": "同意"},
    )
    assert done.status_code == 303
    assert list(case.tasks.filter(status=TaskStatus.OPEN).values_list("pk", flat=True)) == [lead.pk]
    # The civil clerk may still open the case (their finished step) but has nothing to act on.
    after = civil.get(url("case", case.number))
    assert after.status_code == 200 and after.context["panels"] == []
    assert rows(civil.get(url("worklist"))) == []
