# ruff: noqa: F811 — the deciders fixture is imported from the workbench tests
"""Who may not act in the review workbench and its API, and proof that a denied call changed nothing: a reviewer of
another department, an approver acting on a step not yet at approval, an applicant calling staff endpoints, and
someone not signed in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tongban.cases.models import Case, ReviewTask
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.test_review_workbench import accepted, deciders, open_task, signed_in, snapshot  # noqa: F401

pytestmark = pytest.mark.django_db

API = "/api/v1/review"
ACTIONS = ("claim", "release", "assign", "reassign", "complete")


def page_calls(case: Case, task: ReviewTask, colleague_id: int) -> list[tuple[str, str, dict]]:
    """Every workbench page for the case and task: (method, url, data)."""
    number = case.number
    material = case.materials.filter(upload__isnull=False).first()
    document = case.documents.first()
    calls = [
        ("get", reverse("cases-review:case", args=[number]), {}),
        ("get", reverse("cases-review:file", args=[number, material.pk]), {}),
        ("get", reverse("cases-review:document", args=[number, document.pk]), {}),
    ]
    for action in ACTIONS:
        prefix = f"task{task.pk}-{action}"
        data = {
            f"{prefix}-lock_version": task.lock_version,
            f"{prefix}-colleague": colleague_id,
            f"{prefix}-outcome": "agree",
            f"{prefix}-opinion": "同意",
        }
        calls.append(("post", reverse("cases-review:task_action", args=[number, task.pk, action]), data))
    return calls


def api_calls(task: ReviewTask, colleague_id: int) -> list[tuple[str, str, dict]]:
    body = {"expected_version": task.lock_version, "colleague": colleague_id, "outcome": "agree", "opinion": "同意"}
    return [("get", f"{API}/tasks/{task.pk}", {})] + [
        ("post", f"{API}/tasks/{task.pk}/{action}", body) for action in ACTIONS
    ]


def call(client: Client, method: str, path: str, data: dict, *, api: bool):
    if method == "get":
        return client.get(path)
    if api:
        return client.post(path, data, content_type="application/json")
    return client.post(path, data)


def test_a_reviewer_of_another_department_gets_404_everywhere_and_changes_nothing(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    before = snapshot(case)
    civil = signed_in(crew["civil_clerk"])
    for method, path, data in page_calls(case, task, crew["civil_clerk"].pk):
        assert call(civil, method, path, data, api=False).status_code == 404, path
    for method, path, data in api_calls(task, crew["civil_clerk"].pk):
        response = call(civil, method, path, data, api=True)
        assert (response.status_code, response.json()["code"]) == (404, "cases.task_not_found"), path
    assert signed_in(crew["civil_clerk"]).get(f"{API}/tasks").json()["count"] == 0
    assert snapshot(case) == before


def test_an_approver_cannot_act_on_a_step_not_yet_at_approval(food_item, applicants, crew, deciders):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)  # 承办, a reviewer's step: there is no approval task yet
    before = snapshot(case)
    approver = signed_in(deciders["approver"])
    for method, path, data in page_calls(case, task, deciders["approver"].pk):
        assert call(approver, method, path, data, api=False).status_code == 404, path
    for method, path, data in api_calls(task, deciders["approver"].pk):
        response = call(approver, method, path, data, api=True)
        assert (response.status_code, response.json()["code"]) == (404, "cases.task_not_found"), path
    assert approver.get(f"{API}/tasks?list=to_approve").json()["count"] == 0
    assert snapshot(case) == before


def test_a_reviewer_cannot_decide_through_someone_elses_case_url(food_item, applicants, crew, deciders):
    """A task id under another case's number is not found, even for someone who may see both."""
    first, second = accepted(food_item, applicants, crew), accepted(food_item, applicants, crew)
    task = open_task(second)
    before = snapshot(second)
    prefix = f"task{task.pk}-claim"
    path = reverse("cases-review:task_action", args=[first.number, task.pk, "claim"])
    response = signed_in(crew["amr_clerk"]).post(path, {f"{prefix}-lock_version": task.lock_version})
    assert response.status_code == 404
    assert snapshot(second) == before


def test_an_applicant_calling_staff_endpoints_is_refused_and_changes_nothing(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    before = snapshot(case)
    person = Client()
    person.force_login(applicants["li"])
    for method, path, data in page_calls(case, task, applicants["li"].pk):
        assert call(person, method, path, data, api=False).status_code == 403, path
    for path in (reverse("cases-review:worklist"), reverse("cases-review:supervision")):
        assert person.get(path).status_code == 403
    for method, path, data in [("get", f"{API}/tasks", {}), *api_calls(task, applicants["li"].pk)]:
        response = call(person, method, path, data, api=True)
        assert (response.status_code, response.json()["code"]) == (403, "accounts.role_required"), path
    assert snapshot(case) == before


def test_someone_not_signed_in_is_sent_to_sign_in(food_item, applicants, crew):
    case = accepted(food_item, applicants, crew)
    task = open_task(case)
    before = snapshot(case)
    anonymous = Client()
    for method, path, data in page_calls(case, task, crew["amr_clerk"].pk):
        response = call(anonymous, method, path, data, api=False)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("accounts:sign_in")), path
    for method, path, data in [("get", f"{API}/tasks", {}), *api_calls(task, crew["amr_clerk"].pk)]:
        response = call(anonymous, method, path, data, api=True)
        assert (response.status_code, response.json()["code"]) == (401, "cases.sign_in_required"), path
    assert snapshot(case) == before
