"""/api/v1/cases/: uploads, idempotent create, 我的办件, detail by number, worklists; session and bearer-token auth;
the OpenAPI document renders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from tongban.accounts.models import User
from tongban.accounts.tests import oidc_fixtures
from tongban.cases import selectors, services
from tongban.cases.models import Case, CaseStatus, Upload
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import GOOD_ANSWERS, PDF_BYTES, stored_upload, submitted_case
from tongban.catalog import services as catalog_services
from tongban.catalog.access import access_item_to_apply, case_version_name
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import ImplementationItem, ItemVersion, VersionStatus
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases"


def bearer(user, scope: str = "cases", token: str = "person-cases-token") -> dict:  # noqa: S107 - a test token
    """Headers carrying a person's access token issued to a department system, with `scope`."""
    AccessToken.objects.create(
        user=user,
        application=Application.objects.filter(client_id="hukou").first() or oidc_fixtures.hukou_client(),
        token=token,
        scope=scope,
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    return {"authorization": f"Bearer {token}"}


def materials_for(person, item) -> list[dict]:
    """Every required material uploaded by `person`, the deferrable one 容缺."""
    rows = []
    for material in item.published_version.materials.all():
        if material.necessity == "required":
            upload = stored_upload(person, content=PDF_BYTES + material.name.encode())
            rows.append({"material": material.pk, "upload": upload.pk, "provision": "upload"})
        elif material.necessity == "deferrable":
            rows.append({"material": material.pk, "provision": "deferred"})
    return rows


def application(person, service_item, **extra) -> dict:
    materials = materials_for(person, service_item)
    return {"item": service_item.code, "answers": GOOD_ANSWERS, "materials": materials, **extra}


def ask_for_supplement(case: Case, clerk):
    """The clerk asks for the item's first material again (未签字); returns that material."""
    material = case.version.materials.order_by("order").first()
    services.case_request_supplement(
        actor=clerk,
        case=case,
        expected_version=case.lock_version,
        items=[{"material": material.pk, "problem": "未签字"}],
    )
    return material


def submitted() -> int:
    return Case.objects.exclude(status=CaseStatus.DRAFT).count()


# --- OpenAPI ----------------------------------------------------------------------------------------------------------


def test_openapi_document_renders_with_the_cases_operations(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/cases",
        "/api/v1/cases/uploads",
        "/api/v1/cases/mine",
        "/api/v1/cases/lookup",
        "/api/v1/cases/worklist",
        "/api/v1/cases/{number}",
    } <= set(paths)
    create = paths["/api/v1/cases"]["post"]
    assert {"200", "201", "400", "401", "403"} <= set(create["responses"])
    assert any(parameter["name"] == "Idempotency-Key" for parameter in create["parameters"])
    assert "security" not in paths["/api/v1/cases/lookup"]["get"]


# --- Uploads ----------------------------------------------------------------------------------------------------------


def test_upload_stores_a_file_for_the_caller(client, applicants):
    li = applicants["li"]
    client.force_login(li)
    response = client.post(f"{CASES}/uploads", {"file": SimpleUploadedFile("../../申请书.pdf", PDF_BYTES)})
    assert response.status_code == 201
    upload = Upload.objects.get(uploaded_by=li)
    assert response.json() == {
        "id": upload.pk,
        "name": upload.original_name,
        "size": len(PDF_BYTES),
        "content_type": "application/pdf",
        "sha256": upload.file.sha256,
    }
    assert "/" not in upload.original_name


def test_upload_refuses_a_disguised_file(client, applicants):
    client.force_login(applicants["li"])
    response = client.post(f"{CASES}/uploads", {"file": SimpleUploadedFile("photo.png", b"MZ\x90\x00exe")})
    assert response.status_code == 400
    assert response.json()["code"] == "cases.file_type"
    assert not Upload.objects.exists()


def test_upload_with_a_bearer_token(client, applicants):
    response = client.post(
        f"{CASES}/uploads", {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)}, headers=bearer(applicants["li"])
    )
    assert response.status_code == 201 and Upload.objects.get().uploaded_by == applicants["li"]


# --- Create (idempotent) ----------------------------------------------------------------------------------------------


def test_create_returns_201_then_200_with_the_same_body(client, food_item, applicants):
    li = applicants["li"]
    headers = {**bearer(li), "Idempotency-Key": "order-2026-0001"}
    payload = application(li, food_item)
    first = client.post(CASES, payload, content_type="application/json", headers=headers)
    assert first.status_code == 201
    body = first.json()
    case = Case.objects.get(number=body["number"])
    assert body == {
        "number": case.number,
        "query_code": case.query_code,
        "public_id": str(case.public_id),
        "status": 1,
        "status_name": "已接件",
        "item": food_item.code,
        "item_name": "食品经营许可",
        "organisation": "桐庐县市场监督管理局",
        "received_at": body["received_at"],
        "acceptance_due": case.acceptance_due.isoformat(),
        "links": {"api": f"{CASES}/{case.number}", "page": f"/cases/mine/{case.public_id}/"},
    }
    assert (case.applicant, case.submitted_by, case.idempotency_key) == (li, li, "order-2026-0001")

    replay = client.post(CASES, payload, content_type="application/json", headers=headers)
    assert replay.status_code == 200 and replay.json() == body
    assert submitted() == 1 and Case.objects.count() == 1


def test_create_with_the_session_checks_csrf(food_item, applicants):
    li = applicants["li"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(li)
    headers = {"Idempotency-Key": "k1"}
    refused = browser.post(CASES, application(li, food_item), content_type="application/json", headers=headers)
    assert refused.status_code == 403 and refused.json()["code"] == "cases.csrf_failed"
    assert not Case.objects.exists()
    browser.get("/cases/lookup/")  # any page with a form sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        CASES,
        application(li, food_item),
        content_type="application/json",
        headers={**headers, "X-CSRFToken": token},
    )
    assert accepted.status_code == 201 and submitted() == 1


@pytest.mark.parametrize("key", [None, "", "x" * 65])
def test_create_requires_an_idempotency_key(client, food_item, applicants, key):
    li = applicants["li"]
    headers = bearer(li) | ({} if key is None else {"Idempotency-Key": key})
    response = client.post(CASES, application(li, food_item), content_type="application/json", headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "cases.idempotency_key"
    assert not Case.objects.exists()


def test_create_with_an_invalid_form_or_missing_material_saves_nothing(client, food_item, applicants):
    li = applicants["li"]
    headers = {**bearer(li), "Idempotency-Key": "bad"}
    invalid = application(li, food_item, answers={**GOOD_ANSWERS, "area": 0})
    response = client.post(CASES, invalid, content_type="application/json", headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "cases.invalid_form"
    assert "area" in response.json()["fields"]
    short = application(li, food_item)
    short["materials"] = short["materials"][1:]
    response = client.post(CASES, short, content_type="application/json", headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "cases.materials_missing"
    assert not Case.objects.exists()


def test_create_refuses_someone_elses_upload(client, food_item, applicants):
    li, sun = applicants["li"], applicants["sun"]
    payload = application(li, food_item)
    payload["materials"][0]["upload"] = stored_upload(sun, content=b"%PDF-1.4 sun's").pk
    headers = {**bearer(li), "Idempotency-Key": "steal"}
    response = client.post(CASES, payload, content_type="application/json", headers=headers)
    assert response.status_code == 404 and response.json()["code"] == "cases.upload_not_found"
    assert not Case.objects.exists()


def test_create_for_an_enterprise_within_and_outside_the_agents_scope(client, food_item, applicants):
    wu, li, firm = applicants["wu"], applicants["li"], applicants["firm"]
    headers = {**bearer(wu), "Idempotency-Key": "firm-1"}
    response = client.post(
        CASES, application(wu, food_item, enterprise=firm.pk), content_type="application/json", headers=headers
    )
    assert response.status_code == 201
    case = Case.objects.get()
    assert (case.applicant, case.submitted_by, case.applicant_kind) == (firm, wu, "enterprise")

    outsider = {**bearer(li, token="li-token"), "Idempotency-Key": "firm-2"}
    response = client.post(
        CASES, application(li, food_item, enterprise=firm.pk), content_type="application/json", headers=outsider
    )
    assert response.status_code == 403 and response.json()["code"] == "accounts.acting_not_allowed"
    assert Case.objects.count() == 1


def test_a_replay_after_the_item_was_retired_still_returns_the_case(client, food_item, applicants, crew):
    li = applicants["li"]
    headers = {**bearer(li), "Idempotency-Key": "order-2026-0002"}
    payload = application(li, food_item)
    first = client.post(CASES, payload, content_type="application/json", headers=headers)
    catalog_services.item_retire(actor=crew["catreviewer"], item=food_item, reason="职能调整")
    replay = client.post(CASES, payload, content_type="application/json", headers=headers)
    assert (first.status_code, replay.status_code) == (201, 200) and replay.json() == first.json()
    fresh = client.post(CASES, payload, content_type="application/json", headers={**headers, "Idempotency-Key": "new"})
    assert fresh.status_code == 404 and submitted() == 1


def test_create_for_an_unpublished_item_is_404(client, food_item, applicants):
    li = applicants["li"]
    payload = application(li, food_item, item="1" * 31)
    headers = {**bearer(li), "Idempotency-Key": "nope"}
    response = client.post(CASES, payload, content_type="application/json", headers=headers)
    assert response.status_code == 404 and response.json()["code"] == "catalog.item_not_found"


def test_the_item_applied_for_comes_with_its_organisation_in_one_query_and_its_version_from_the_process_copy(
    food_item, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the first time: the item with its organisation, then the version
        item = access_item_to_apply(food_item.code)
    with django_assert_num_queries(1):
        again = access_item_to_apply(food_item.code)
        assert (again.organisation.name, again.published_version.name) == ("桐庐县市场监督管理局", "食品经营许可")
    assert again.published_version.pk == item.published_version.pk == food_item.published_version_id
    # The written-out read builds the item and its organisation as the ORM does, field for field.
    orm = ImplementationItem.objects.select_related("organisation").get(pk=food_item.pk)
    assert _fields(again) == _fields(orm) and _fields(again.organisation) == _fields(orm.organisation)
    # Each call gets its own object: what one request sets on it is never seen by the next.
    item.published_version.name = "改过的名称"
    assert access_item_to_apply(food_item.code).published_version.name == "食品经营许可"


def _fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


def test_the_process_copy_never_outlives_the_items_row(food_item):
    """Another process publishing or retiring (seen here as plain updates, which send no signal) moves the item's
    published_version_id; the item's fresh row decides, whatever this process kept."""
    kept = access_item_to_apply(food_item.code).published_version
    newer = ItemVersion.objects.get(pk=kept.pk)
    newer.pk, newer.number, newer.name = None, kept.number + 1, "食品经营许可（新版）"
    newer.save()
    access_item_to_apply(food_item.code)  # keep the old version again (the save above cleared this process's copy)
    ItemVersion.objects.filter(pk=kept.pk).update(status=VersionStatus.SUPERSEDED)
    ImplementationItem.objects.filter(pk=food_item.pk).update(published_version=newer)
    assert access_item_to_apply(food_item.code).published_version.name == "食品经营许可（新版）"
    ItemVersion.objects.filter(pk=newer.pk).update(status=VersionStatus.RETIRED)
    ImplementationItem.objects.filter(pk=food_item.pk).update(published_version=None)
    with pytest.raises(DomainError) as caught:
        access_item_to_apply(food_item.code)
    assert caught.value.code == CatalogError.ITEM_NOT_FOUND


def test_a_cases_version_name_is_read_once_per_process(food_item, django_assert_num_queries):
    version_id = food_item.published_version_id
    access_item_to_apply(food_item.code)  # (the name is kept apart from the published version's copy)
    with django_assert_num_queries(1):
        assert case_version_name(version_id) == "食品经营许可"
    with django_assert_num_queries(0):
        assert case_version_name(version_id) == "食品经营许可"
    version = ItemVersion.objects.get(pk=version_id)
    version.save()  # a save in this process clears what it kept (the test suite reuses ids)
    with django_assert_num_queries(1):
        assert case_version_name(version_id) == "食品经营许可"


def test_the_replay_probe_gives_the_id_of_the_submitted_case_only(food_item, applicants):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    Case.objects.filter(pk=case.pk).update(idempotency_key="k-1")
    assert services.case_id_for_idempotency_key(li, "k-1") == case.pk
    assert services.case_id_for_idempotency_key(li, "k-2") is None
    assert services.case_id_for_idempotency_key(applicants["sun"], "k-1") is None  # another person's key


# --- Auth -------------------------------------------------------------------------------------------------------------


def test_without_sign_in_or_token_the_answer_is_401(client):
    response = client.get(f"{CASES}/mine")
    assert response.status_code == 401 and response.json()["code"] == "cases.sign_in_required"


def test_a_token_without_the_cases_scope_is_403_and_audited(client, food_item, applicants):
    li = applicants["li"]
    headers = {**bearer(li, scope="openid profile"), "Idempotency-Key": "k"}
    response = client.post(CASES, application(li, food_item), content_type="application/json", headers=headers)
    assert response.status_code == 403 and response.json()["code"] == "accounts.api_scope_missing"
    assert not Case.objects.exists()
    assert AuditEntry.objects.get(action="api.POST /api/v1/cases").after["outcome"] == "denied: scope"


def test_a_machine_token_is_refused(client, applicants):
    AccessToken.objects.create(
        application=oidc_fixtures.machine_client(),
        token="machine",
        scope="cases",
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    response = client.get(f"{CASES}/mine", headers={"authorization": "Bearer machine"})
    assert response.status_code == 403 and response.json()["code"] == "accounts.api_scope_missing"


# --- 我的办件 and detail ----------------------------------------------------------------------------------------------


def test_mine_lists_the_callers_cases(client, food_item, applicants):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    submitted_case(applicants["sun"], food_item)
    response = client.get(f"{CASES}/mine", headers=bearer(li))
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"]) == (1, 1, 1)
    row = body["items"][0]
    assert (row["number"], row["status_name"], row["current_step"]) == (case.number, "已接件", "接件")
    assert row["acceptance_due"] == case.acceptance_due.isoformat()
    assert row["links"]["page"] == f"/cases/mine/{case.public_id}/"


def test_mine_for_an_enterprise_needs_the_right_to_act(client, food_item, applicants):
    sun, firm, li = applicants["sun"], applicants["firm"], applicants["li"]
    case = submitted_case(sun, food_item, services.Applicant(account=firm, person=sun))
    response = client.get(f"{CASES}/mine", {"enterprise": firm.pk}, headers=bearer(sun))
    assert [row["number"] for row in response.json()["items"]] == [case.number]
    assert client.get(f"{CASES}/mine", headers={"authorization": "Bearer person-cases-token"}).json()["count"] == 0
    refused = client.get(f"{CASES}/mine", {"enterprise": firm.pk}, headers=bearer(li, token="li"))
    assert refused.status_code == 403


def test_detail_by_number_for_the_applicant_only(client, food_item, applicants, crew):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    material = ask_for_supplement(case, crew["amr_clerk"])
    response = client.get(f"{CASES}/{case.number}", headers=bearer(li))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["status_name"], body["applicant_name"]) == (6, "待补正", "李建国")
    assert [step["name"] for step in body["timeline"]] == ["接件", "补正开始"]
    assert body["timeline"][1]["opinion"] == "食品经营许可申请书：未签字"
    assert body["supplement"] == [{"material": material.pk, "name": "食品经营许可申请书", "problem": "未签字"}]
    assert [(document["kind"], document["ready"]) for document in body["documents"]] == [
        ("receipt", False),  # rendered after commit, or on the first download
        ("supplement", False),
    ]
    receipt = body["documents"][0]
    assert receipt["download"] == f"/cases/mine/{case.public_id}/documents/{receipt['id']}/"

    client.force_login(applicants["sun"])
    stranger = client.get(f"{CASES}/{case.number}")
    assert stranger.status_code == 404 and stranger.json()["code"] == "cases.case_not_found"


# --- Worklists --------------------------------------------------------------------------------------------------------


def test_worklists_for_the_competent_organisations_clerk(client, food_item, applicants, crew):
    li = applicants["li"]
    waiting = submitted_case(li, food_item)
    asked = submitted_case(li, food_item)
    ask_for_supplement(asked, crew["amr_clerk"])
    client.force_login(crew["amr_clerk"])
    pre_review = client.get(f"{CASES}/worklist", {"list": "pre_review"}).json()
    assert (pre_review["worklist"], [row["number"] for row in pre_review["items"]]) == ("pre_review", [waiting.number])
    assert pre_review["items"][0]["lock_version"] == waiting.lock_version
    supplement = client.get(f"{CASES}/worklist", {"list": "supplement"}).json()
    assert [row["number"] for row in supplement["items"]] == [asked.number]
    due_soon = client.get(f"{CASES}/worklist", {"list": "due_soon"}).json()
    assert due_soon["count"] == 0  # received today: five working days to go
    bad = client.get(f"{CASES}/worklist", {"list": "everything"})
    assert bad.status_code == 400 and bad.json()["code"] == "cases.worklist_unknown"

    client.force_login(crew["civil_clerk"])
    assert client.get(f"{CASES}/worklist").json()["count"] == 0
    client.force_login(li)
    assert client.get(f"{CASES}/worklist").json()["count"] == 0


def test_worklist_count_stops_past_the_cap(client, food_item, applicants, crew, monkeypatch):
    from tongban.cases import api, selectors_review

    monkeypatch.setattr(api, "PER_PAGE", 2)
    monkeypatch.setattr(selectors_review, "COUNT_CAP", 3)
    cases = [submitted_case(applicants["li"], food_item) for _ in range(5)]
    client.force_login(crew["amr_clerk"])
    first = client.get(f"{CASES}/worklist").json()
    assert (first["count"], first["count_capped"], first["page"], first["pages"]) == (3, True, 1, 2)
    assert [row["number"] for row in first["items"]] == [cases[0].number, cases[1].number]
    last = client.get(f"{CASES}/worklist", {"page": 3}).json()
    assert (last["count"], last["count_capped"], last["page"], last["pages"]) == (5, False, 3, 3)
    assert [row["number"] for row in last["items"]] == [cases[4].number]


def test_due_soon_lists_cases_due_within_two_working_days_or_overdue(food_item, applicants, crew):
    case = submitted_case(applicants["li"], food_item)
    Case.objects.filter(pk=case.pk).update(acceptance_due=dt.date(2026, 3, 6))  # a Friday
    clerk = crew["amr_clerk"]

    def due_soon(today):
        return [row.pk for row in selectors.worklist(clerk, "due_soon", today=today)]

    assert due_soon(dt.date(2026, 3, 3)) == []  # Tuesday: two working days reach Thursday
    assert due_soon(dt.date(2026, 3, 4)) == [case.pk]  # Wednesday: Friday is two working days away
    assert due_soon(dt.date(2026, 3, 9)) == [case.pk]  # overdue (the deemed-acceptance job has not run yet)


def test_worklist_runs_a_constant_number_of_queries(food_item, applicants, crew, django_assert_num_queries):
    li = applicants["li"]
    submitted_case(li, food_item)

    def clerk():  # as each request loads the user afresh (role assignments are cached on the user object)
        return User.objects.get(pk=crew["amr_clerk"].pk)

    fresh = clerk()
    with django_assert_num_queries(2):  # the clerk's roles (which name the organisations), the cases
        rows = list(selectors.worklist(fresh, "pre_review"))
    assert len(rows) == 1
    for _ in range(3):
        submitted_case(li, food_item)
    fresh = clerk()
    with django_assert_num_queries(2):
        rows = list(selectors.worklist(fresh, "pre_review"))
        assert {(row.item_name, row.organisation_name, row.item_code) for row in rows} == {
            ("食品经营许可", "桐庐县市场监督管理局", food_item.code)
        }
    assert len(rows) == 4
