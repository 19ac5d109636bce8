"""Anonymous progress lookup (办件查询): number plus query code or the applicant's ID number; status and timeline only,
no personal data; one answer for every failure; rate limited per client address (page and API)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tongban.accounts.tests.identity_fixtures import HAOWEIDAO, LI_ID
from tongban.cases import selectors, services
from tongban.cases.models import Case, CaseEvent
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import complete_draft, submitted_case

pytestmark = pytest.mark.django_db

FAILED = "没有找到该办件：请核对办件编号和查询密码（或申请人证件号码）"
# What must never appear in a lookup answer: names, ID numbers, phone, form answers.
PERSONAL = ("李建国", LI_ID, "13805710003", "李记小面馆", "迎春南路")


@pytest.fixture(autouse=True)
def _fresh_rate_limit(monkeypatch):
    # One fixed window: a test must not straddle a minute boundary and find its count reset.
    monkeypatch.setattr(selectors, "rate_window", lambda: 1)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def case(food_item, applicants, crew):
    case = submitted_case(applicants["li"], food_item)
    services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version, opinion="同意受理")
    case.refresh_from_db()
    return case


def assert_no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text


# --- The selector -----------------------------------------------------------------------------------------------------


def test_lookup_by_query_code_gives_status_and_timeline(case, django_assert_num_queries):
    with django_assert_num_queries(1):  # the case with its public timeline
        result = selectors.lookup(case.number, code=case.query_code)
    assert (result.number, result.status, result.status_name) == (case.number, 3, "已受理")
    assert (result.item_name, result.organisation_name) == ("食品经营许可", "桐庐县市场监督管理局")
    assert (result.received_at, result.acceptance_due, result.promised_due) == (
        case.received_at,
        case.acceptance_due,
        case.promised_due,
    )
    steps = [
        (event.pk, event.code, event.name, event.created_at, event.organisation_id, event.organisation.name)
        for event in selectors.public_timeline(case)
    ]
    assert [
        (event.pk, event.code, event.name, event.created_at, event.organisation_id, event.organisation.name)
        for event in result.timeline
    ] == steps
    assert [step[2] for step in steps] == ["接件", "予以受理"]
    assert all(event.opinion == "" for event in result.timeline)  # the anonymous answer carries no opinion


def test_lookup_leaves_out_steps_the_applicant_may_not_see_and_answers_a_case_without_any(case):
    CaseEvent.objects.filter(case=case, name="予以受理").update(public=False)
    assert [event.name for event in selectors.lookup(case.number, code=case.query_code).timeline] == ["接件"]
    CaseEvent.objects.filter(case=case).update(public=False)
    result = selectors.lookup(case.number, code=case.query_code)
    assert (result.number, result.timeline) == (case.number, [])


def test_a_draft_is_never_found(food_item, applicants):
    draft = complete_draft(applicants["li"], food_item)
    Case.objects.filter(pk=draft.pk).update(number="DRAFTNUMBER", query_code="123456")
    assert selectors.lookup("DRAFTNUMBER", code="123456") is None


def test_lookup_by_the_applicants_id_number_as_typed(case):
    assert selectors.lookup(case.number, id_number=LI_ID).number == case.number
    assert selectors.lookup(case.number, id_number=f" {LI_ID.lower()} ").number == case.number


def test_lookup_of_an_enterprise_case_by_its_credit_code(food_item, applicants):
    sun, firm = applicants["sun"], applicants["firm"]
    firm_case = submitted_case(sun, food_item, services.Applicant(account=firm, person=sun))
    assert selectors.lookup(firm_case.number, id_number=HAOWEIDAO).number == firm_case.number


def other_code(case) -> str:
    return "000000" if case.query_code != "000000" else "111111"


def test_a_wrong_proof_finds_nothing(case):
    proofs = [
        {"code": other_code(case)},
        {"code": case.query_code + "0"},
        {"code": ""},
        {"id_number": "330122199105200000"},
        {"id_number": ""},
        {},
    ]
    for proof in proofs:
        assert selectors.lookup(case.number, **proof) is None


def test_an_unknown_number_or_a_draft_finds_nothing(case, food_item, applicants):
    assert selectors.lookup("1" * 43, code=case.query_code) is None
    assert selectors.lookup("", code=case.query_code) is None
    draft = complete_draft(applicants["li"], food_item)
    assert draft.number is None and selectors.lookup(str(draft.public_id), id_number=LI_ID) is None


# --- The page ---------------------------------------------------------------------------------------------------------


def test_the_page_shows_progress_without_personal_data(client, case):
    assert client.get("/cases/lookup/").status_code == 200
    response = client.post("/cases/lookup/", {"number": case.number, "code": case.query_code})
    assert response.status_code == 200
    html = response.content.decode()
    assert case.number in html and "已受理" in html and "受理" in html and "桐庐县市场监督管理局" in html
    assert "同意受理" not in html  # opinions stay on the applicant's own page
    assert_no_personal_data(html)
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]


def test_every_failure_gives_the_same_single_message(client, case):
    wrong_code = other_code(case)
    answers = [
        client.post("/cases/lookup/", {"number": case.number, "code": wrong_code}),
        client.post("/cases/lookup/", {"number": "9" * 43, "code": case.query_code}),
        client.post("/cases/lookup/", {"number": case.number, "id_number": "330122199105200000"}),
    ]
    for response in answers:
        html = response.content.decode()
        assert response.status_code == 404
        assert html.count(FAILED) == 1
        assert "已受理" not in html
        assert_no_personal_data(html)


def test_the_page_asks_for_a_number_and_a_proof(client, case):
    response = client.post("/cases/lookup/", {"number": "", "code": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "请输入办件编号" in html and "请输入查询密码，或申请人证件号码" in html
    assert FAILED not in html


def test_the_page_is_rate_limited_per_client_address(client, case, settings):
    settings.TONGBAN_LOOKUP_PER_MINUTE = 2
    data = {"number": case.number, "code": case.query_code}
    assert client.post("/cases/lookup/", data, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert client.post("/cases/lookup/", data, REMOTE_ADDR="10.0.0.1").status_code == 200
    refused = client.post("/cases/lookup/", data, REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429
    assert "查询过于频繁" in refused.content.decode() and case.number not in refused.content.decode()
    assert client.post("/cases/lookup/", data, REMOTE_ADDR="10.0.0.2").status_code == 200


# --- The API ----------------------------------------------------------------------------------------------------------


def test_api_lookup_by_code(client, case):
    response = client.get("/api/v1/cases/lookup", {"number": case.number, "code": case.query_code})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "number",
        "status",
        "status_name",
        "item_name",
        "organisation",
        "received_at",
        "acceptance_due",
        "promised_due",
        "timeline",
    }
    assert (body["number"], body["status"], body["status_name"]) == (case.number, 3, "已受理")
    assert [(step["code"], step["name"], step["organisation"]) for step in body["timeline"]] == [
        (1, "接件", "桐庐县市场监督管理局"),
        (3, "予以受理", "桐庐县市场监督管理局"),
    ]
    assert set(body["timeline"][0]) == {"code", "name", "organisation", "time"}
    assert_no_personal_data(response.content.decode())


def test_api_lookup_by_id_number_and_the_single_failure(client, case):
    by_id = client.get("/api/v1/cases/lookup", {"number": case.number, "id_number": LI_ID})
    assert by_id.status_code == 200 and by_id.json()["number"] == case.number
    wrong_code = other_code(case)
    for query in ({"number": case.number, "code": wrong_code}, {"number": "9" * 43, "code": case.query_code}):
        response = client.get("/api/v1/cases/lookup", query)
        assert response.status_code == 404
        assert response.json()["code"] == "cases.lookup_failed"
        assert response.json()["message"] == FAILED


def test_api_lookup_is_rate_limited(client, case, settings):
    settings.TONGBAN_LOOKUP_PER_MINUTE = 1
    query = {"number": case.number, "code": case.query_code}
    assert client.get("/api/v1/cases/lookup", query).status_code == 200
    refused = client.get("/api/v1/cases/lookup", query)
    assert refused.status_code == 429
    assert refused.json()["code"] == "cases.lookup_too_many"
