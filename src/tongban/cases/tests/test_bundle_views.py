# ruff: noqa: F811 — the newborn fixture is imported from test_bundles and used as an argument
"""Bundle pages: the applicant's journey (start → shared fields → each item's own → materials once → check →
submit, idempotent) and the parent's progress page; another person gets 404; the staff list is scoped and reads the
same number of statements whatever its length."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tongban.accounts.models import StaffRole, User
from tongban.cases import bundles, services
from tongban.cases.models import BundleApplication, BundleStatus, Case, CaseStatus, StoredFile
from tongban.cases.tests.fixtures import stored_upload
from tongban.cases.tests.test_api import bearer
from tongban.cases.tests.test_bundles import DEPARTMENTS, OWN, SHARED, children, newborn, submitted  # noqa: F401
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.models import Organisation


def person(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_client(user: User) -> Client:
    client = person(user)
    session = client.session
    session["second_factor_verified"] = True
    session.save()
    return client


def test_a_person_applies_for_the_newborn_bundle_page_by_page(newborn):
    chen = newborn["chen"]
    client = person(chen)
    start = client.get("/cases/bundles/apply/newborn/")
    assert start.status_code == 200
    assert "桐庐县公安局" in start.content.decode() and "在线办理" in start.content.decode()
    response = client.post("/cases/bundles/apply/newborn/")
    assert response.status_code == 303
    application = BundleApplication.objects.get(applicant=chen)
    journey_url = response["Location"]
    assert journey_url == f"/cases/bundles/{application.public_id}/page/1/"

    first = client.get(journey_url).content.decode()
    assert "共同信息" in first and 'value="陈志强"' in first  # prefilled from the verified profile, asked once
    refused = client.post(journey_url, {"continue": "1"})
    assert refused.status_code == 400 and "请填写新生儿姓名" in refused.content.decode()
    response = client.post(journey_url, {**SHARED, "continue": "1"})
    assert response.status_code == 303
    step = 2
    while response["Location"].endswith(f"/page/{step}/"):
        page = client.get(response["Location"]).content.decode()
        title = re.search(r"<h1>(.*?)</h1>", page).group(1)
        assert "applicant_name" not in page  # shared fields are not asked again
        response = client.post(response["Location"], {**OWN[title], "continue": "1"})
        assert response.status_code == 303
        step += 1
    assert step == 4  # two items have fields of their own
    materials_url = response["Location"]
    assert materials_url.endswith("/materials/")
    page = client.get(materials_url).content.decode()
    slugs = re.findall(r'name="group" value="(group-\d+)"', page)
    assert len(set(slugs)) == 11  # twelve materials, 出生医学证明 asked once
    missing = client.post(materials_url, {"action": "continue"})
    assert missing.status_code == 400
    for slug in sorted(set(slugs)):
        upload = SimpleUploadedFile(f"{slug}.pdf", b"%PDF-1.4\n" + slug.encode(), content_type="application/pdf")
        done = client.post(materials_url, {"action": "upload", "group": slug, "file": upload})
        assert done.status_code == 303
    response = client.post(materials_url, {"action": "continue"})
    assert response["Location"].endswith("/check/")
    check = client.get(response["Location"]).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', check).group(1)
    form = {"application": str(application.public_id), "idempotency_key": key}
    submitted_response = client.post("/cases/bundles/submit/", form)
    assert submitted_response.status_code == 303
    assert submitted_response["Location"] == f"/cases/bundles/{application.public_id}/"
    again = client.post("/cases/bundles/submit/", form)
    assert again["Location"] == submitted_response["Location"]
    application.refresh_from_db()
    assert application.status == BundleStatus.RECEIVED
    assert Case.objects.filter(bundle_application=application).count() == 4
    assert StoredFile.objects.count() == 11

    progress = client.get(submitted_response["Location"]).content.decode()
    assert application.number in progress
    for name in ("出生医学证明签发", "户口登记（出生）", "城乡居民基本医疗保险参保登记", "社会保障卡申领"):
        assert name in progress
    assert "等待桐庐县公安局预审受理" in progress and "0 / 4 个事项已办结" in progress


def test_the_parent_page_shows_a_childs_supplement_request_and_another_person_gets_404(newborn):
    application = submitted(newborn)
    police = children(application)["户口登记（出生）"]
    services.case_request_supplement(
        actor=newborn["staff"]["桐庐县公安局"],
        case=police,
        expected_version=None,
        items=[{"material": None, "name": "父母结婚证", "problem": "照片不清晰"}],
    )
    page = person(newborn["chen"]).get(f"/cases/bundles/{application.public_id}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "照片不清晰" in body and f"/cases/mine/{police.public_id}/supplement/" in body
    zhou = User.objects.get(username="13805710005")
    assert person(zhou).get(f"/cases/bundles/{application.public_id}/").status_code == 404
    application.refresh_from_db()
    assert application.status == BundleStatus.RECEIVED


def test_the_staff_list_is_scoped_and_its_statements_constant(newborn, django_assert_num_queries):
    police_worker = newborn["staff"]["桐庐县公安局"]
    first = submitted(newborn, key="a")
    client = staff_client(police_worker)
    client.get("/workbench/bundles/")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        response = client.get("/workbench/bundles/")
    assert response.status_code == 200 and first.number in response.content.decode()
    submitted(newborn, key="b")
    with django_assert_num_queries(len(one)):
        response = client.get("/workbench/bundles/")
    assert response.content.decode().count("YJSNEWBORN") == 2
    police_case = children(first)["户口登记（出生）"]
    assert f"/workbench/cases/{police_case.number}/" in response.content.decode()
    health_case = children(first)["出生医学证明签发"]
    assert f"/workbench/cases/{health_case.number}/" not in response.content.decode()
    services.case_accept(actor=police_worker, case=police_case, expected_version=None)
    accepted = client.get("/workbench/bundles/").content.decode()
    assert f"/workbench/review/cases/{police_case.number}/" in accepted  # once accepted, the review workbench

    stranger = staff("bundle_stranger", (Organisation.objects.get(name="桐庐县民政局"), StaffRole.REVIEWER))
    body = staff_client(stranger).get("/workbench/bundles/").content.decode()
    assert "YJSNEWBORN" not in body and "暂无一件事申请" in body
    assert person(newborn["chen"]).get("/workbench/bundles/").status_code == 403


def test_a_draft_cannot_be_opened_by_another_person_and_the_index_lists_the_bundle(newborn):
    chen = newborn["chen"]
    applicant = services.Applicant(account=chen, person=chen)
    draft = bundles.bundle_draft_start(actor=chen, applicant=applicant, bundle=newborn["bundle"])
    zhou = User.objects.get(username="13805710005")
    assert person(zhou).get(f"/cases/bundles/{draft.public_id}/page/1/").status_code == 404
    assert person(zhou).post(f"/cases/bundles/{draft.public_id}/page/1/", SHARED).status_code == 404
    draft.refresh_from_db()
    assert draft.form_data[bundles.SHARED].get("newborn_name") is None
    index = Client().get("/cases/bundles/").content.decode()
    assert "新生儿出生一件事" in index and "/cases/bundles/apply/newborn/" in index
    assert 'href="/cases/bundles/"' in Client().get("/services/themes/").content.decode()  # the portal's way in
    assert Case.objects.filter(status=CaseStatus.RECEIVED).count() == 0


# ---------------------------------------------------------------------------------------------------------------
# The API (/api/v1/bundles)


def test_the_api_describes_the_bundle_and_applies_in_one_idempotent_call(newborn):
    chen = newborn["chen"]
    catalogue = Client().get("/api/v1/bundles/catalogue/newborn").json()
    assert catalogue["pages"][0]["key"] == "shared"
    assert len(catalogue["items"]) == 4 and len(catalogue["materials"]) == 11
    codes = {item["name"]: item["item"] for item in catalogue["items"]}
    materials = [
        {"group": group["key"], "upload": stored_upload(chen, b"%PDF-1.4\n" + group["key"].encode()).pk}
        for group in catalogue["materials"]
    ]
    payload = {
        "bundle": "newborn",
        "answers": {"shared": SHARED, "items": {codes[name]: answers for name, answers in OWN.items()}},
        "materials": materials,
    }
    headers = {**bearer(chen), "Idempotency-Key": "api-1"}
    first = Client().post("/api/v1/bundles", payload, content_type="application/json", headers=headers)
    assert first.status_code == 201
    body = first.json()
    assert body["status_name"] == "已接件" and len(body["cases"]) == 4
    assert {case["organisation"] for case in body["cases"]} == set(DEPARTMENTS.values())
    again = Client().post("/api/v1/bundles", payload, content_type="application/json", headers=headers)
    assert again.status_code == 200 and again.json()["number"] == body["number"]
    assert BundleApplication.objects.exclude(status=BundleStatus.DRAFT).count() == 1

    detail = Client().get(f"/api/v1/bundles/{body['public_id']}", headers=bearer(chen, token="t2"))
    assert detail.status_code == 200 and detail.json()["cases"][0]["next_step"].startswith("等待")
    zhou = User.objects.get(username="13805710005")
    hidden = Client().get(f"/api/v1/bundles/{body['public_id']}", headers=bearer(zhou, token="t3"))
    assert hidden.status_code == 404
    mine = Client().get("/api/v1/bundles/mine", headers=bearer(chen, token="t4")).json()
    assert [row["number"] for row in mine["items"]] == [body["number"]]


def test_the_api_refuses_a_wrong_application_and_saves_nothing(newborn):
    chen = newborn["chen"]
    payload = {"bundle": "newborn", "answers": {"shared": {"newborn_name": "陈小宝"}}, "materials": []}
    headers = {**bearer(chen), "Idempotency-Key": "api-bad"}
    refused = Client().post("/api/v1/bundles", payload, content_type="application/json", headers=headers)
    assert refused.status_code == 400
    assert BundleApplication.objects.count() == 0 and Case.objects.count() == 0
