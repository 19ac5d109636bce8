# ruff: noqa: F811 — the deciders fixture is imported from the workbench tests
"""The review API (/api/v1/review/, cases/api_review.py): worklists, a task, and claim / release / assign /
reassign / complete with expected_version, errors in the platform's one body."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tongban.accounts.models import StaffRole
from tongban.cases import access, review
from tongban.cases.errors import CaseError
from tongban.cases.models import CaseStatus, ReviewTask
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.test_review_workbench import (
    accepted,
    deciders,  # noqa: F401 — a fixture
    open_task,
    put_on_list,
    signed_in,
    snapshot,
)
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.errors import DomainError

pytestmark = pytest.mark.django_db

API = "/api/v1/review"


def post(client: Client, path: str, body: dict):
    return client.post(f"{API}{path}", body, content_type="application/json")


def test_worklist_lists_the_callers_tasks_without_id_numbers(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    response = signed_in(crew["amr_clerk"]).get(f"{API}/tasks")
    assert response.status_code == 200
    body = response.json()
    assert (body["worklist"], body["count"], body["count_capped"], body["page"], body["pages"]) == (
        "to_review",
        1,
        False,
        1,
        1,
    )
    [row] = body["items"]
    assert row == {
        "id": task.pk,
        "number": case.number,
        "item_name": "食品经营许可",
        "applicant_name": "李建国",
        "step": "承办",
        "decides": False,
        "organisation": "桐庐县市场监督管理局",
        "assignee": "",
        "due_on": task.due_on.isoformat(),
        "due_provisional": task.due_provisional,
        "warning": row["warning"],
        "promised_due": case.promised_due.isoformat(),
        "case_status": CaseStatus.ACCEPTED,
        "case_status_name": "已受理",
        "lock_version": task.lock_version,
    }
    assert case.applicant_id_number not in response.content.decode()
    assert signed_in(crew["civil_clerk"]).get(f"{API}/tasks").json()["count"] == 0


def test_a_worklist_past_the_count_cap_says_so(food_item, applicants, crew, monkeypatch):
    from tongban.cases import api_review, selectors_review

    monkeypatch.setattr(selectors_review, "COUNT_CAP", 3)
    monkeypatch.setattr(api_review, "PER_PAGE", 2)
    for _ in range(5):
        accepted(food_item, applicants, crew)
    client = signed_in(crew["amr_clerk"])
    first = client.get(f"{API}/tasks").json()
    assert (first["count"], first["count_capped"], first["page"], first["pages"], len(first["items"])) == (
        3,
        True,
        1,
        2,
        2,
    )
    last = client.get(f"{API}/tasks?page=3").json()
    assert (last["count"], last["count_capped"], last["page"], last["pages"], len(last["items"])) == (5, False, 3, 3, 1)


def test_an_unknown_worklist_is_400(food_item, crew):
    response = signed_in(crew["amr_clerk"]).get(f"{API}/tasks?list=everything")
    assert response.status_code == 400
    assert response.json()["code"] == "cases.review_worklist_unknown"
    assert "to_review（待审查）" in response.json()["message"]


@pytest.mark.parametrize("name", ["to_review", "to_approve", "special", "due_soon", "overdue", "mine"])
def test_worklist_query_count_is_the_same_for_one_and_ten_tasks(name, food_item, applicants, crew):
    user = crew["amr_clerk"]

    def prepare(case):
        put_on_list(case, user, name)

    prepare(accepted(food_item, applicants, crew))
    client = signed_in(user)
    client.get(f"{API}/tasks?list={name}")
    with CaptureQueriesContext(connection) as one:
        assert client.get(f"{API}/tasks?list={name}").json()["count"] == 1
    for _ in range(9):
        prepare(accepted(food_item, applicants, crew))
    with CaptureQueriesContext(connection) as ten:
        assert len(client.get(f"{API}/tasks?list={name}").json()["items"]) == 10
    assert len(ten) == len(one)
    # session, user, the page with its count (one statement); the roles for the lists other than 我的待办 (held at
    # single organisations: no query for their organisations).
    assert len(one) == (3 if name == "mine" else 4)


def test_claim_and_complete_move_the_case_along(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    clerk = signed_in(crew["amr_clerk"])
    detail = clerk.get(f"{API}/tasks/{task.pk}").json()
    assert detail["actions"] == ["claim", "assign", "complete"]
    assert detail["outcomes"] == ["agree", "disagree"]
    claimed = post(clerk, f"/tasks/{task.pk}/claim", {"expected_version": detail["lock_version"]})
    assert claimed.status_code == 200
    body = claimed.json()
    assert (body["assignee_id"], body["lock_version"]) == (crew["amr_clerk"].pk, detail["lock_version"] + 1)
    assert body["actions"] == ["release", "assign", "complete"]
    assert body["case"]["status"] == CaseStatus.IN_REVIEW
    done = post(
        clerk,
        f"/tasks/{task.pk}/complete",
        {"expected_version": body["lock_version"], "outcome": "agree", "opinion": "材料齐全"},
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["outcome"], done.json()["handler"]) == ("done", "agree", "reviewer_sun")
    assert done.json()["actions"] == []
    assert open_task(case).step_name == "审核"


def test_an_action_answers_with_the_names_a_fresh_read_gives(food_item, applicants, crew, county):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    clerk = signed_in(crew["amr_clerk"])
    detail = clerk.get(f"{API}/tasks/{task.pk}").json()["case"]
    claimed = post(clerk, f"/tasks/{task.pk}/claim", {"expected_version": task.lock_version}).json()
    expected = (food_item.published_version.name, "桐庐县市场监督管理局")
    assert (claimed["case"]["item_name"], claimed["case"]["organisation"]) == expected
    assert (detail["item_name"], detail["organisation"]) == expected
    # A step in another organisation's lane: the case's organisation is not the task's.
    other = open_task(accepted(food_item, applicants, crew))
    ReviewTask.objects.filter(pk=other.pk).update(organisation=county["civil"])
    answer = post(signed_in(crew["civil_clerk"]), f"/tasks/{other.pk}/claim", {"expected_version": other.lock_version})
    assert answer.status_code == 200
    assert (answer.json()["organisation"], answer.json()["case"]["organisation"]) == (
        county["civil"].name,
        "桐庐县市场监督管理局",
    )


def _fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


def test_a_task_is_read_with_its_organisation_and_region_as_the_orm_reads_them(food_item, applicants, crew):
    task = open_task(accepted(food_item, applicants, crew))
    with CaptureQueriesContext(connection) as queries:
        read = access.access_task_for_staff(crew["amr_clerk"], task.pk)
    orm = ReviewTask.objects.select_related("organisation__region").get(pk=task.pk)
    assert _fields(read) == _fields(orm)
    assert _fields(read.organisation) == _fields(orm.organisation)
    assert _fields(read.organisation.region) == _fields(orm.organisation.region)
    assert len([sql for sql in queries.captured_queries if "cases_reviewtask" in sql["sql"]]) == 1
    for missing in (task.pk + 1000, 2**70):  # out of the id column's range: not found, as the ORM says since 5.0
        with pytest.raises(DomainError) as caught:
            access.access_task_for_staff(crew["amr_clerk"], missing)
        assert caught.value.code == CaseError.TASK_NOT_FOUND


def test_the_approver_grants_and_the_case_is_decided(food_item, applicants, crew, deciders):
    version = food_item.published_version
    version.__class__.objects.filter(pk=version.pk).update(allows_deferred_approval=True)
    case = accepted(food_item, applicants, crew)
    for actor in (crew["amr_clerk"], deciders["checker"]):
        task = open_task(case)
        review.task_complete(actor=actor, task=task, outcome="agree", opinion="", expected_version=task.lock_version)
    approve = open_task(case)
    approver = signed_in(deciders["approver"])
    tasks = approver.get(f"{API}/tasks?list=to_approve").json()
    assert [row["id"] for row in tasks["items"]] == [approve.pk]
    assert approver.get(f"{API}/tasks/{approve.pk}").json()["outcomes"] == ["grant", "deny"]
    wrong = post(
        approver, f"/tasks/{approve.pk}/complete", {"expected_version": approve.lock_version, "outcome": "agree"}
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "cases.outcome_invalid"
    granted = post(
        approver, f"/tasks/{approve.pk}/complete", {"expected_version": approve.lock_version, "outcome": "grant"}
    )
    assert granted.status_code == 200
    assert granted.json()["case"]["status"] == CaseStatus.APPROVED_DEFERRED


def test_a_stale_version_is_409_and_changes_nothing(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    stale = task.lock_version
    review.task_claim(actor=crew["amr_clerk2"], task=task, expected_version=task.lock_version)
    before = snapshot(case)
    response = post(signed_in(crew["amr_clerk"]), f"/tasks/{task.pk}/claim", {"expected_version": stale})
    assert response.status_code == 409
    assert response.json()["code"] == "cases.conflict"
    assert response.json()["message"].startswith("该办件刚刚已被他人处理")
    assert snapshot(case) == before
    task.refresh_from_db()
    taken = post(
        signed_in(crew["amr_clerk"]),
        f"/tasks/{task.pk}/complete",
        {"expected_version": task.lock_version, "outcome": "agree"},
    )
    assert taken.status_code == 409 and taken.json()["code"] == "cases.task_taken"
    assert snapshot(case) == before


def test_a_negative_opinion_needs_reasons(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    before = snapshot(case)
    response = post(
        signed_in(crew["amr_clerk"]),
        f"/tasks/{task.pk}/complete",
        {"expected_version": task.lock_version, "outcome": "disagree", "opinion": "  "},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "cases.opinion_required"
    assert response.json()["fields"] == {"opinion": ["不同意或不予许可时，请写明理由"]}
    assert snapshot(case) == before
    missing = post(signed_in(crew["amr_clerk"]), f"/tasks/{task.pk}/claim", {})
    assert missing.status_code == 400 and "expected_version" in missing.json()["fields"]


def test_assign_and_reassign(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    clerk = signed_in(crew["amr_clerk"])
    assigned = post(
        clerk, f"/tasks/{task.pk}/assign", {"expected_version": task.lock_version, "colleague": crew["amr_clerk2"].pk}
    )
    assert assigned.status_code == 200 and assigned.json()["assignee_id"] == crew["amr_clerk2"].pk
    version = assigned.json()["lock_version"]
    before = snapshot(case)
    stranger = post(
        signed_in(deciders["head"]),
        f"/tasks/{task.pk}/reassign",
        {"expected_version": version, "colleague": crew["civil_clerk"].pk},
    )
    assert stranger.status_code == 400 and stranger.json()["code"] == "cases.assignee_not_eligible"
    not_head = post(
        clerk, f"/tasks/{task.pk}/reassign", {"expected_version": version, "colleague": crew["amr_clerk"].pk}
    )
    assert not_head.status_code == 403 and not_head.json()["code"] == "cases.not_task_role"
    assert snapshot(case) == before
    reassigned = post(
        signed_in(deciders["head"]),
        f"/tasks/{task.pk}/reassign",
        {"expected_version": version, "colleague": crew["amr_clerk"].pk},
    )
    assert reassigned.status_code == 200 and reassigned.json()["assignee_id"] == crew["amr_clerk"].pk


def test_session_writes_check_csrf(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(crew["amr_clerk"])
    session = browser.session
    session["second_factor_verified"] = True
    session.save()
    before = snapshot(case)
    refused = browser.post(f"{API}/tasks/{task.pk}/claim", {"expected_version": 0}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "cases.csrf_failed"
    assert snapshot(case) == before


def test_staff_without_the_second_factor_are_refused(food_item, applicants, crew):
    accepted(food_item, applicants, crew)
    client = Client()
    client.force_login(crew["amr_clerk"])
    response = client.get(f"{API}/tasks")
    assert response.status_code == 403
    assert response.json()["code"] == "accounts.second_factor_required"


def test_a_supervisor_sees_the_region_and_may_reassign(food_item, applicants, crew, county):
    from tongban.accounts import services as account_services

    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    inspector = staff("inspector_xu")
    account_services.staff_role_grant(
        actor=None, user=inspector, organisation=county["hall"], role=StaffRole.SUPERVISOR, covers_region_subtree=True
    )
    detail = signed_in(inspector).get(f"{API}/tasks/{task.pk}").json()
    assert detail["actions"] == ["reassign"]
    ReviewTask.objects.filter(pk=task.pk).update(due_on=dt.date.today() - dt.timedelta(days=1))
    overdue = signed_in(inspector).get(f"{API}/tasks?list=overdue").json()
    assert [row["id"] for row in overdue["items"]] == [task.pk]
