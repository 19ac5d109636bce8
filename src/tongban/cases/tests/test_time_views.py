"""Time pages (views_time.py): the panel on the workbench case page, start/end a special procedure, request and
decide an extension; success goes back to the case page, refusals show the error summary and change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tongban.accounts.models import StaffRole
from tongban.cases.models import Case, CaseStatus, Extension, ExtensionStatus, SpecialProcedure
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.test_special_procedures import LEGAL_BASIS, accepted_case, seeded_calendar  # noqa: F401
from tongban.cases.tests.test_workbench_views import signed_in
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core import calendar

pytestmark = pytest.mark.django_db


@pytest.fixture
def head(county):
    return staff("head_zhou", (county["amr"], StaffRole.HEAD))


def url(name: str, case: Case, *args) -> str:
    return reverse(f"cases-time:{name}", args=[case.number, *args])


def case_page(case: Case) -> str:
    return reverse("cases-review:case", args=[case.number])


def state(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    return (fresh.status, fresh.lock_version, fresh.promised_due, fresh.statutory_due, fresh.events.count())


def start_data(case: Case, **overrides) -> dict:
    expected_end = calendar.add_working_days(dt.date.today(), 5).date
    data = {
        "start-lock_version": case.lock_version,
        "start-kind": "inspection",
        "start-reason": "需要现场勘验",
        "start-legal_basis": LEGAL_BASIS,
        "start-expected_end": expected_end.isoformat(),
    }
    return data | overrides


@pytest.fixture
def case(food_item, applicants, crew):
    return accepted_case(food_item, applicants, crew)


def test_the_case_page_shows_the_panel_with_the_forms_the_user_may_use(case, crew, head):
    body = signed_in(crew["amr_clerk"]).get(case_page(case)).content.decode()
    assert "特别程序与延期" in body and "本办件没有特别程序。" in body
    assert url("special_start", case) in body and url("extension_request", case) in body
    assert "尚可延长 10 个工作日" in body
    head_body = signed_in(head).get(case_page(case)).content.decode()
    assert url("special_start", case) in head_body
    own_page = signed_in(crew["amr_clerk"]).get(url("page", case))
    assert own_page.status_code == 200 and url("special_start", case) in own_page.content.decode()


def test_start_and_end_a_special_procedure_through_the_panel(case, crew):
    clerk = signed_in(crew["amr_clerk"])
    response = clerk.post(url("special_start", case), start_data(case))
    assert (response.status_code, response["Location"]) == (303, case_page(case) + "#time-title")
    case.refresh_from_db()
    assert case.status == CaseStatus.SPECIAL_PROCEDURE
    body = clerk.get(case_page(case)).content.decode()
    assert "特别程序已开始，办理时限暂停计算" in body
    assert "进行中" in body and url("special_end", case) in body and url("special_start", case) not in body
    response = clerk.post(url("special_end", case), {"end-lock_version": case.lock_version, "end-result": "合格"})
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    assert SpecialProcedure.objects.get().result == "合格"


def test_a_stale_page_shows_the_conflict_and_changes_nothing(case, crew):
    clerk = signed_in(crew["amr_clerk"])
    before = state(case)
    response = clerk.post(url("special_start", case), start_data(case, **{"start-lock_version": case.lock_version - 1}))
    assert response.status_code == 409
    body = response.content.decode()
    assert "操作没有生效" in body and "该办件刚刚已被他人处理，页面已过时" in body
    assert state(case) == before and not SpecialProcedure.objects.exists()


def test_invalid_input_is_shown_beside_the_field(case, crew):
    response = signed_in(crew["amr_clerk"]).post(
        url("special_start", case), start_data(case, **{"start-legal_basis": "", "start-expected_end": "2020-01-01"})
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "请更正以下问题" in body and "法律依据：请填写启动特别程序的法律依据" in body
    assert not SpecialProcedure.objects.exists()
    response = signed_in(crew["amr_clerk"]).post(
        url("special_start", case), start_data(case, **{"start-expected_end": "2020-01-01"})
    )
    assert response.status_code == 400
    assert "请填写预计结束日期，且不能早于今天" in response.content.decode()
    assert not SpecialProcedure.objects.exists()


def test_someone_without_a_role_on_the_case_cannot_act(case, crew):
    before = state(case)
    response = signed_in(crew["civil_clerk"]).post(url("special_start", case), start_data(case))
    assert response.status_code == 404  # the case is not theirs to see
    assert state(case) == before and not SpecialProcedure.objects.exists()


def test_request_then_the_head_approves_through_the_panel(case, crew, head):
    clerk = signed_in(crew["amr_clerk"])
    response = clerk.post(
        url("extension_request", case),
        {"request-lock_version": case.lock_version, "request-days": "5", "request-reason": "需征求意见"},
    )
    assert response.status_code == 303
    extension = Extension.objects.get()
    clerk_body = clerk.get(case_page(case)).content.decode()
    assert "已有一份延期申请待机构负责人批准。" in clerk_body
    assert url("extension_decide", case, extension.pk) not in clerk_body
    before = state(case)
    refused = clerk.post(
        url("extension_decide", case, extension.pk),
        {"decide-lock_version": before[1], "decide-decision": "approve"},
    )
    assert refused.status_code == 403 and "只有办理机构的负责人可以批准延期" in refused.content.decode()
    assert state(case) == before
    boss = signed_in(head)
    head_body = boss.get(case_page(case)).content.decode()
    assert (
        url("extension_decide", case, extension.pk) in head_body
        and "申请延长 5 个工作日，理由：需征求意见" in head_body
    )
    response = boss.post(
        url("extension_decide", case, extension.pk),
        {"decide-lock_version": before[1], "decide-decision": "approve", "decide-note": "同意"},
    )
    assert (response.status_code, response["Location"]) == (303, case_page(case) + "#time-title")
    extension.refresh_from_db()
    case.refresh_from_db()
    assert (extension.status, case.extended_days) == (ExtensionStatus.APPROVED, 5)
    assert "已批准延期，法定办结日期已顺延" in boss.get(case_page(case)).content.decode()


def test_over_the_limit_is_refused_on_the_page(case, crew):
    response = signed_in(crew["amr_clerk"]).post(
        url("extension_request", case),
        {"request-lock_version": case.lock_version, "request-days": "12", "request-reason": "需征求意见"},
    )
    assert response.status_code == 409
    assert "延长后超过法定上限：本办件最多可延长 10 个工作日，已延长 0 个工作日" in response.content.decode()
    assert not Extension.objects.exists()


def test_pages_take_only_post_for_actions(case, crew):
    assert signed_in(crew["amr_clerk"]).get(url("special_start", case)).status_code == 405


# --- the API ----------------------------------------------------------------------------------------------------

API = "/api/v1/review/time"


def api_post(client, path: str, body: dict):
    return client.post(f"{API}{path}", body, content_type="application/json")


def test_api_start_and_end_a_special_procedure(case, crew):
    clerk = signed_in(crew["amr_clerk"])
    state_now = clerk.get(f"{API}/{case.number}").json()
    assert (state_now["status"], state_now["extension_limit"], state_now["special_procedures"]) == (3, 10, [])
    assert state_now["actions"] == ["start_special", "request_extension"]
    expected_end = calendar.add_working_days(dt.date.today(), 5).date.isoformat()
    body = {"kind": "testing", "reason": "送检", "legal_basis": LEGAL_BASIS, "expected_end": expected_end}
    response = api_post(clerk, f"/{case.number}/special", body | {"expected_version": state_now["lock_version"]})
    assert response.status_code == 200
    started = response.json()
    assert (started["status"], started["status_name"], started["actions"]) == (
        9,
        "特别程序中",
        ["end_special", "request_extension"],
    )
    [procedure] = started["special_procedures"]
    assert (procedure["kind_name"], procedure["ended_on"], procedure["paused_working_days"]) == ("检验检测", None, 0)
    stale = api_post(
        clerk, f"/{case.number}/special/end", {"result": "合格", "expected_version": state_now["lock_version"]}
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "cases.conflict")
    ended = api_post(
        clerk, f"/{case.number}/special/end", {"result": "合格", "expected_version": started["lock_version"]}
    )
    assert ended.status_code == 200
    assert (ended.json()["status"], ended.json()["special_procedures"][0]["result"]) == (8, "合格")


def test_api_extension_request_and_head_decision(case, crew, head):
    clerk, boss = signed_in(crew["amr_clerk"]), signed_in(head)
    version = case.lock_version
    asked = api_post(
        clerk, f"/{case.number}/extensions", {"days": 4, "reason": "需征求意见", "expected_version": version}
    )
    assert asked.status_code == 200
    [extension] = asked.json()["extensions"]
    assert (extension["status"], asked.json()["actions"]) == ("pending", ["start_special"])
    path = f"/{case.number}/extensions/{extension['id']}/decision"
    refused = api_post(clerk, path, {"approve": True, "expected_version": asked.json()["lock_version"]})
    assert (refused.status_code, refused.json()["code"]) == (403, "cases.extension_head_required")
    assert Extension.objects.get().status == ExtensionStatus.PENDING
    assert "decide_extension" in boss.get(f"{API}/{case.number}").json()["actions"]
    decided = api_post(boss, path, {"approve": True, "note": "同意", "expected_version": asked.json()["lock_version"]})
    assert decided.status_code == 200
    body = decided.json()
    assert (body["extended_days"], body["extensions"][0]["status"], body["extensions"][0]["new_due"]) == (
        4,
        "approved",
        body["statutory_due"],
    )


def test_api_refuses_outsiders_and_applicants_without_change(case, crew, applicants):
    before = state(case)
    body = {"days": 2, "reason": "理由", "expected_version": case.lock_version}
    outsider = api_post(signed_in(crew["civil_clerk"]), f"/{case.number}/extensions", body)
    assert (outsider.status_code, outsider.json()["code"]) == (404, "cases.case_not_found")
    person = Client()
    person.force_login(applicants["li"])
    denied = api_post(person, f"/{case.number}/extensions", body)
    assert denied.status_code == 403
    assert state(case) == before and not Extension.objects.exists()
