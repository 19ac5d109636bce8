"""The catalogue API: the public list and guide (published only, constant SQL), and the editors' write API (session,
CSRF, editors of the item only; a refused call changes nothing)."""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.accounts.models import StaffRole, User
from tongban.accounts.services import staff_role_grant, user_create
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import Faq, FeeItem, ImplementationItem, ItemVersion, VersionStatus
from tongban.catalog.schemas import ItemPageOut
from tongban.catalog.tests import test_search
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

# The search tests' catalogue (fixtures registered here under the same names)
place, author, catalogue = test_search.place, test_search.author, test_search.catalogue
organisation, publish = test_search.organisation, test_search.publish

LIST = "/api/v1/catalog/items"


def detail_url(code: str) -> str:
    return f"/api/v1/catalog/items/{code}"


# --- Public list ------------------------------------------------------------------------------------------------------


def test_list_searches_in_the_words_people_use(client, catalogue):
    response = client.get(LIST, {"q": "开饭店", "region": "330122"})
    assert response.status_code == 200
    body = response.json()
    food = catalogue["food"]
    assert body["items"][0] == {
        "code": food.code,
        "name": "食品经营许可证核发",
        "type": "01",
        "type_name": "行政许可",
        "organisation": "桐庐县市场监督管理局",
        "organisation_id": food.organisation_id,
        "region": "330122",
        "region_name": "桐庐县",
    }
    assert body["count"] == len(body["items"]) and body["page"] == 1
    assert "食品经营许可" in body["query_terms"]
    assert {"organisation", "item_type", "region"} <= set(body["facets"])
    assert ItemPageOut.model_validate(body)  # the documented schema holds for what the view answers directly


def test_list_filters_by_department_and_type_and_pages(client, catalogue):
    food = catalogue["food"]
    body = client.get(LIST, {"department": food.organisation_id, "type": "07"}).json()
    assert [item["code"] for item in body["items"]] == [catalogue["getihu"].code]
    first = client.get(LIST, {"page_size": 3}).json()
    assert (first["count"], first["pages"], len(first["items"])) == (8, 3, 3)


def test_list_region_follows_the_service_scope(client, catalogue, place):
    body = client.get(LIST, {"region": place["far"].code, "page_size": 100}).json()
    assert {item["code"] for item in body["items"]} == {catalogue["far_food"].code, catalogue["residence"].code}
    residence = next(item for item in body["items"] if item["code"] == catalogue["residence"].code)
    assert residence["region"] == "" and residence["region_name"] == "全国（跨省通办）"


def test_list_rejects_a_page_size_over_the_limit(client, catalogue):
    assert client.get(LIST, {"page_size": 500}).status_code == 400


def test_list_leaves_out_unpublished_items(client, catalogue, author, place):
    draft = publish(author, organisation("桐庐县测试局", place["county"]), "测试草稿事项", index=False)
    ImplementationItem.objects.filter(pk=draft.pk).update(published_version=None)
    assert client.get(LIST, {"q": "测试草稿事项"}).json()["count"] == 0


def test_list_runs_a_constant_number_of_queries(client, catalogue, django_assert_num_queries):
    for query in ("开饭店", "spjy"):
        with django_assert_num_queries(2):  # the synonym table (read fresh inside the test's transaction); search
            assert client.get(LIST, {"q": query, "region": "330122"}).status_code == 200


# --- Public guide -----------------------------------------------------------------------------------------------------


def test_guide_has_every_element_materials_fees_faqs_and_themes(client, catalogue):
    hukou = catalogue["hukou"]
    FeeItem.objects.create(version=hukou.published_version, name="工本费", standard="不收费", basis="财政部文件")
    response = client.get(detail_url(hukou.code))
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == hukou.code and body["name"] == "户口登记（出生）" and body["version"] == 1
    assert body["region"] == "330100" and body["region_name"] == "杭州市"
    assert body["elements"]["statutory_limit"] == 20 and body["elements"]["service_scope"] == "city"
    assert body["elements"]["acceptance_conditions"] == "材料齐全"
    assert [material["name"] for material in body["materials"]] == ["出生医学证明", "父母户口簿"]
    assert body["materials"][0]["necessity"] == "required" and body["materials"][0]["blank_form_url"] == ""
    assert body["fees"] == [{"name": "工本费", "standard": "不收费", "basis": "财政部文件", "reduction": ""}]
    assert body["faqs"] == [{"question": "新生儿落户要带什么？", "answer": "带出生医学证明。"}]
    assert body["themes"] == [{"code": "birth", "name": "生育收养", "audience": "person"}]
    assert body["process_outline"] is None


def test_guide_of_an_unpublished_or_unknown_item_is_404(client, catalogue):
    venue = catalogue["venue"]
    ImplementationItem.objects.filter(pk=venue.pk).update(published_version=None)
    for code in (venue.code, "nope"):
        response = client.get(detail_url(code))
        assert response.status_code == 404
        assert response.json()["code"] == CatalogError.ITEM_NOT_FOUND.code


def test_guide_runs_a_constant_number_of_queries(client, catalogue, django_assert_num_queries):
    food = catalogue["food"]
    Faq.objects.create(version=food.published_version, question="再问一个？", answer="好。")
    with django_assert_num_queries(5):  # item (+org, region, basic item, version), materials, fees, faqs, themes
        first = client.get(detail_url(food.code))
    with django_assert_num_queries(1):  # then the item; the rest is cached per published version and language
        again = client.get(detail_url(food.code))
    assert again.json() == first.json() and first.json()["faqs"][-1]["question"] == "再问一个？"


# --- Staff write API --------------------------------------------------------------------------------------------------


@pytest.fixture
def editor(catalogue):
    user = user_create(actor=None, kind="staff", username="api_editor", display_name="事项编辑")
    staff_role_grant(
        actor=None, user=user, organisation=catalogue["food"].organisation, role=StaffRole.CATALOGUE_EDITOR
    )
    return user


@pytest.fixture
def outsider(catalogue):
    user = user_create(actor=None, kind="staff", username="api_outsider", display_name="别的部门编辑")
    staff_role_grant(
        actor=None, user=user, organisation=catalogue["venue"].organisation, role=StaffRole.CATALOGUE_EDITOR
    )
    return user


def signed_in(user: User, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def test_editor_starts_a_draft_changes_it_and_submits_it(catalogue, editor):
    food = catalogue["food"]
    client = signed_in(editor)
    response = client.post(f"/api/v1/catalog/staff/items/{food.pk}/drafts", {}, content_type="application/json")
    assert response.status_code == 201
    draft = response.json()
    assert (draft["number"], draft["status"], draft["item_code"]) == (2, "draft", food.code)
    url = f"/api/v1/catalog/staff/versions/{draft['id']}"
    response = client.patch(url, {"elements": {"promised_limit": 5}}, content_type="application/json")
    assert response.status_code == 200 and response.json()["elements"]["promised_limit"] == 5
    assert ItemVersion.objects.get(pk=draft["id"]).promised_limit == 5
    assert AuditEntry.objects.filter(action="item_version.update", actor=editor).count() == 1
    response = client.post(f"{url}/submit")
    version = ItemVersion.objects.get(pk=draft["id"])
    if response.status_code == 200:
        assert version.status == VersionStatus.SUBMITTED
    else:  # the generated guide lacks elements the lifecycle requires: the refusal names them and changes nothing
        assert response.status_code == 400 and response.json()["fields"]
        assert version.status == VersionStatus.DRAFT


def test_update_with_an_unknown_element_is_refused_and_changes_nothing(catalogue, editor):
    food = catalogue["food"]
    client = signed_in(editor)
    draft = client.post(f"/api/v1/catalog/staff/items/{food.pk}/drafts", {}, content_type="application/json").json()
    response = client.patch(
        f"/api/v1/catalog/staff/versions/{draft['id']}",
        {"elements": {"promised_limit": 3, "no_such_element": "x"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert ItemVersion.objects.get(pk=draft["id"]).promised_limit == 10


def test_an_editor_of_another_organisation_is_refused_and_nothing_changes(catalogue, editor, outsider):
    food = catalogue["food"]
    versions_before = ItemVersion.objects.count()
    response = signed_in(outsider).post(
        f"/api/v1/catalog/staff/items/{food.pk}/drafts", {}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == CatalogError.EDITOR_REQUIRED.code
    assert ItemVersion.objects.count() == versions_before
    published = food.published_version
    response = signed_in(outsider).patch(
        f"/api/v1/catalog/staff/versions/{published.pk}",
        {"elements": {"promised_limit": 1}},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert ItemVersion.objects.get(pk=published.pk).promised_limit == 10


def test_a_person_and_an_anonymous_caller_are_refused(catalogue):
    food = catalogue["food"]
    url = f"/api/v1/catalog/staff/items/{food.pk}/drafts"
    versions_before = ItemVersion.objects.count()
    assert Client().post(url, {}, content_type="application/json").status_code == 401
    person = user_create(actor=None, kind="person", username="api_person", display_name="张三")
    assert signed_in(person).post(url, {}, content_type="application/json").status_code == 403
    assert ItemVersion.objects.count() == versions_before


def test_a_published_version_cannot_be_changed_through_the_api(catalogue, editor):
    published = catalogue["food"].published_version
    response = signed_in(editor).patch(
        f"/api/v1/catalog/staff/versions/{published.pk}",
        {"elements": {"promised_limit": 1}},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert ItemVersion.objects.get(pk=published.pk).promised_limit == 10


def test_the_session_api_checks_csrf(catalogue, editor):
    food = catalogue["food"]
    client = signed_in(editor, enforce_csrf_checks=True)
    response = client.post(f"/api/v1/catalog/staff/items/{food.pk}/drafts", {}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not ItemVersion.objects.filter(item=food, number=2).exists()


def test_guide_of_a_city_wide_item_names_the_city_with_one_more_query(client, catalogue, django_assert_num_queries):
    with django_assert_num_queries(6):
        body = client.get(detail_url(catalogue["hukou"].code)).json()
    assert (body["region"], body["region_name"]) == ("330100", "杭州市")
