"""The catalogue workbench pages: each action's exact outcome, who may reach which page, and that a refused POST
changes nothing."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tongban.accounts import services as account_services
from tongban.accounts.models import UserKind
from tongban.catalog import bpmn, services
from tongban.catalog.forms_workbench import sniff_kind
from tongban.catalog.models import ImplementationItem, ItemVersion, Material, VersionStatus
from tongban.catalog.tests.lifecycle_fixtures import *  # noqa: F403 — fixtures county, people, item
from tongban.catalog.tests.lifecycle_fixtures import (
    COMPLETE_GUIDE,
    FORM_SCHEMA,
    FORM_UI,
    MATERIAL,
    civil_item_create,
    complete_draft,
    published,
)
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["second_factor_verified"] = True  # as views_staff sets it after the dynamic code
    session.save()
    return client


def url(name: str, *args) -> str:
    return reverse(f"catalog_workbench:{name}", args=args)


def state() -> list:
    """Everything a workbench action could change, to prove a refused one changed nothing."""
    return [
        list(ItemVersion.objects.order_by("pk").values_list("pk", "status", "name", "review_comment", "process_id")),
        list(Material.objects.order_by("pk").values_list("pk", "name", "blank_form")),
        list(ImplementationItem.objects.order_by("pk").values_list("pk", "published_version_id")),
        AuditEntry.objects.count(),
    ]


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# Who may come in


def test_a_visitor_is_sent_to_sign_in(item):
    response = Client().get(url("my_items"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign_in") + "?next=")


def test_a_person_is_refused_the_workbench(county):
    person = account_services.user_create(
        actor=None, kind=UserKind.PERSON, username="p1", display_name="张三", password="Tongban@2026"
    )
    client = Client()
    client.force_login(person)
    assert client.get(url("my_items")).status_code == 403


def test_staff_without_the_second_factor_are_refused(people):
    client = Client()
    client.force_login(people["editor"])
    assert client.get(url("my_items")).status_code == 403


def test_an_editor_of_another_organisation_cannot_open_or_change_the_item(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    client = signed_in(people["civil_editor"])
    assert client.get(url("item_detail", item.pk)).status_code == 403
    assert client.get(url("version_edit", item.pk, version.pk)).status_code == 403
    before = state()
    response = client.post(url("version_edit", item.pk, version.pk), {**COMPLETE_GUIDE, "name": "改名"})
    assert response.status_code == 403
    assert client.post(url("material_add", item.pk, version.pk), MATERIAL).status_code == 403
    assert client.post(url("version_submit", item.pk, version.pk)).status_code == 403
    assert state() == before


def test_a_version_under_another_items_url_is_not_found(item, people, county):
    version = services.version_create(actor=people["editor"], item=item)
    other = services.item_create(
        actor=people["editor"], basic_item=item.basic_item, organisation=county["amr"], exercise_level="5"
    )
    client = signed_in(people["editor"])
    assert client.get(url("version_edit", other.pk, version.pk)).status_code == 404


def test_an_editor_is_not_a_reviewer(item, people):
    version = complete_draft(item, people["editor"])
    services.version_submit(actor=people["editor"], version=version)
    client = signed_in(people["editor2"])
    before = state()
    assert client.get(url("review_detail", version.pk)).status_code == 403
    assert client.post(url("review_decide", version.pk), {"decision": "approve"}).status_code == 403
    assert state() == before


# ---------------------------------------------------------------------------------------------------------------
# 我的事项 and creating an item


def test_my_items_lists_the_editors_items_with_the_latest_status(item, people, county):
    services.version_create(actor=people["editor"], item=item)
    response = signed_in(people["editor"]).get(url("my_items"))
    assert response.status_code == 200
    html = response.content.decode()
    assert item.code in html
    assert "第 1 版 · 草稿" in html
    assert "未公布" in html
    assert item.code not in signed_in(people["civil_editor"]).get(url("my_items")).content.decode()


def test_create_an_item_makes_its_first_draft(item, people, county):
    client = signed_in(people["editor"])
    page = client.get(url("item_create")).content.decode()
    assert "桐庐县市场监督管理局" in page
    assert "桐庐县民政局" not in page  # not an organisation she covers
    response = client.post(
        url("item_create"),
        {"basic_item": item.basic_item.pk, "organisation": county["amr"].pk, "exercise_level": "5"},
    )
    created = ImplementationItem.objects.exclude(pk=item.pk).get()
    version = created.versions.get()
    assert response.status_code == 302
    assert response["Location"] == url("version_edit", created.pk, version.pk)
    assert (created.exercise_level, version.number, version.status, version.name) == ("5", 1, "draft", "食品经营许可")


def test_create_refuses_an_organisation_the_editor_does_not_cover(item, people, county):
    before = state()
    response = signed_in(people["editor"]).post(
        url("item_create"),
        {"basic_item": item.basic_item.pk, "organisation": county["civil"].pk, "exercise_level": "4"},
    )
    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode()
    assert state() == before


# ---------------------------------------------------------------------------------------------------------------
# The guide editor


def _guide_post(**changes) -> dict:
    data = {
        **COMPLETE_GUIDE,
        "name": "食品经营许可",
        "item_type": "01",
        "organisation_nature": "法定机关",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "statutory_limit_note": "",
        "promised_limit_note": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not False}


def test_the_editor_shows_what_is_missing_per_field_and_in_a_summary(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    response = signed_in(people["editor"]).get(url("version_edit", item.pk, version.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "提交审核前还需完善以下内容" in html
    assert 'href="#id_acceptance_conditions"' in html
    assert 'href="#materials"' in html
    for title in ("基本信息", "受理条件", "申请材料", "办理流程", "办理时限", "收费标准", "设定依据", "地点时间"):
        assert f">{title}</h2>" in html


def test_saving_the_guide_updates_the_version(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    client = signed_in(people["editor"])
    response = client.post(url("version_edit", item.pk, version.pk), _guide_post(place="县政务服务中心一楼"))
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.place == "县政务服务中心一楼"
    assert version.statutory_limit == 20
    assert version.service_object == ["person", "enterprise"]
    assert "已保存。" in client.get(response["Location"]).content.decode()


def test_a_bad_value_is_shown_on_its_field_and_nothing_is_saved(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    before = state()
    response = signed_in(people["editor"]).post(
        url("version_edit", item.pk, version.pk), _guide_post(statutory_limit="二十", place="新地点")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "请更正以下问题" in html
    assert 'href="#id_statutory_limit"' in html
    assert "新地点" in html  # the typed value is kept
    assert state() == before


def test_submit_refused_with_every_missing_element(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    before = state()
    response = signed_in(people["editor"]).post(url("version_submit", item.pk, version.pk))
    assert response.status_code == 400
    assert "未能提交审核：请完善以下内容" in response.content.decode()
    assert state() == before


def test_submit_a_complete_draft(item, people):
    version = complete_draft(item, people["editor"])
    client = signed_in(people["editor"])
    response = client.post(url("version_submit", item.pk, version.pk))
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED
    page = client.get(response["Location"]).content.decode()
    assert "已提交审核" in page
    # submitted: the editor can no longer change it
    before = state()
    assert client.post(url("version_edit", item.pk, version.pk), _guide_post(name="改")).status_code == 409
    assert state() == before


# ---------------------------------------------------------------------------------------------------------------
# Materials, fees, FAQs


def test_add_a_material_with_a_blank_form_stored_under_its_real_type(item, people, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    version = services.version_create(actor=people["editor"], item=item)
    upload = SimpleUploadedFile("申请书.docx", PDF, content_type="application/msword")  # a PDF whatever the name
    response = signed_in(people["editor"]).post(
        url("material_add", item.pk, version.pk), {**MATERIAL, "order": 1, "blank_form": upload}
    )
    assert response.status_code == 302
    assert response["Location"] == url("version_edit", item.pk, version.pk) + "#materials"
    material = version.materials.get()
    assert material.name == "食品经营许可申请书"
    assert material.blank_form.name.startswith("catalog/forms/") and material.blank_form.name.endswith(".pdf")


def test_an_upload_that_is_not_an_allowed_type_is_refused(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    before = state()
    upload = SimpleUploadedFile("表格.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = signed_in(people["editor"]).post(
        url("material_add", item.pk, version.pk), {**MATERIAL, "order": 1, "blank_form": upload}
    )
    assert response.status_code == 400
    assert "该文件的内容不是这些格式" in response.content.decode()
    assert state() == before


def test_an_upload_over_ten_megabytes_is_refused(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    response = signed_in(people["editor"]).post(
        url("material_add", item.pk, version.pk), {**MATERIAL, "order": 1, "sample": upload}
    )
    assert response.status_code == 400
    assert "文件不能超过 10 MB" in response.content.decode()
    assert not version.materials.exists()


def test_sniffing_recognises_office_and_image_files():
    assert sniff_kind(SimpleUploadedFile("a", docx_bytes())) == "docx"
    assert sniff_kind(SimpleUploadedFile("a", PNG)) == "png"
    assert sniff_kind(SimpleUploadedFile("a", b"\xff\xd8\xff\xe0JFIF")) == "jpg"
    assert sniff_kind(SimpleUploadedFile("a", b"PK\x03\x04not a zip")) == ""
    assert sniff_kind(SimpleUploadedFile("a", b"<html>")) == ""


def test_edit_and_delete_a_material_after_confirming(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    material = services.material_save(actor=people["editor"], version=version, **MATERIAL)
    client = signed_in(people["editor"])
    response = client.post(
        url("material_edit", item.pk, version.pk, material.pk), {**MATERIAL, "order": 1, "name": "申请书（新）"}
    )
    assert response.status_code == 302
    material.refresh_from_db()
    assert material.name == "申请书（新）"
    # without ticking the confirmation nothing is deleted
    response = client.post(url("material_delete", item.pk, version.pk, material.pk), {})
    assert response.status_code == 400
    assert Material.objects.filter(pk=material.pk).exists()
    response = client.post(url("material_delete", item.pk, version.pk, material.pk), {"confirm": "on"})
    assert response.status_code == 302
    assert not Material.objects.filter(pk=material.pk).exists()


def test_add_a_fee_and_a_faq(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    client = signed_in(people["editor"])
    fee = {"order": 1, "name": "工本费", "standard": "10 元/证", "basis": "浙价费〔2020〕1号", "reduction": ""}
    assert client.post(url("fee_add", item.pk, version.pk), fee).status_code == 302
    faq = {"order": 1, "question": "需要本人到场吗？", "answer": "不需要，可网上办理。"}
    assert client.post(url("faq_add", item.pk, version.pk), faq).status_code == 302
    assert list(version.fees.values_list("name", "standard")) == [("工本费", "10 元/证")]
    assert list(version.faqs.values_list("question", flat=True)) == ["需要本人到场吗？"]


# ---------------------------------------------------------------------------------------------------------------
# Application form and process


def test_the_form_schema_preview_shows_the_pages_and_does_not_save(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    client = signed_in(people["editor"])
    data = {"schema": json.dumps(FORM_SCHEMA), "ui": json.dumps(FORM_UI), "preview": "1"}
    response = client.post(url("version_form", item.pk, version.pk), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "第 1 页：经营信息" in html and "店铺名称" in html
    version.refresh_from_db()
    assert version.form_schema == {}
    partial = client.post(url("version_form_preview", item.pk, version.pk), data, HTTP_HX_REQUEST="true")
    assert "第 1 页：经营信息" in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_the_form_schema_is_saved_and_bad_json_is_refused(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    client = signed_in(people["editor"])
    response = client.post(url("version_form", item.pk, version.pk), {"schema": "{bad", "ui": ""})
    assert response.status_code == 400
    assert "不是有效的 JSON" in response.content.decode()
    response = client.post(
        url("version_form", item.pk, version.pk), {"schema": json.dumps(FORM_SCHEMA), "ui": json.dumps(FORM_UI)}
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.form_schema == FORM_SCHEMA and version.form_ui == FORM_UI


def test_choose_a_process_template_and_see_its_outline(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    client = signed_in(people["editor"])
    response = client.post(url("version_process", item.pk, version.pk), {"source": "template", "template": "parallel"})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.process.template == "parallel"
    html = client.get(url("version_process", item.pk, version.pk)).content.decode()
    assert "并联办理" in html
    assert "分支 2" in html
    assert '<figure class="process-diagram"><svg' in html  # drawn from the template's BPMNDI coordinates


def test_an_uploaded_bpmn_file_with_a_bad_document_is_refused(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    before = state()
    upload = SimpleUploadedFile("p.bpmn", b"<html/>", content_type="text/xml")
    response = signed_in(people["editor"]).post(
        url("version_process", item.pk, version.pk), {"source": "upload", "bpmn_file": upload}
    )
    assert response.status_code == 400
    assert "这不是 BPMN 2.0 文件" in response.content.decode()
    assert state() == before


def test_an_uploaded_template_file_is_stored(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    xml = bpmn.TEMPLATES["single_department"].path.read_bytes()
    upload = SimpleUploadedFile("p.bpmn", xml, content_type="text/xml")
    response = signed_in(people["editor"]).post(
        url("version_process", item.pk, version.pk), {"source": "upload", "bpmn_file": upload}
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.process is not None


# ---------------------------------------------------------------------------------------------------------------
# Review


def _submitted(item, people) -> ItemVersion:
    version = complete_draft(item, people["editor"])
    return services.version_submit(actor=people["editor"], version=version)


def test_the_queue_lists_what_the_reviewer_may_decide(item, people):
    version = _submitted(item, people)
    html = signed_in(people["reviewer"]).get(url("review_queue")).content.decode()
    assert url("review_detail", version.pk) in html
    assert (
        url("review_detail", version.pk)
        not in signed_in(people["civil_reviewer"]).get(url("review_queue")).content.decode()
    )


def test_return_needs_a_comment(item, people):
    version = _submitted(item, people)
    client = signed_in(people["reviewer"])
    before = state()
    response = client.post(url("review_decide", version.pk), {"decision": "return", "comment": "  "})
    assert response.status_code == 400
    assert "退回时请填写审核意见" in response.content.decode()
    assert state() == before
    response = client.post(url("review_decide", version.pk), {"decision": "return", "comment": "受理条件请写全"})
    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.status, version.review_comment, version.reviewer) == (
        "returned",
        "受理条件请写全",
        people["reviewer"],
    )
    editor_page = signed_in(people["editor"]).get(url("version_edit", item.pk, version.pk)).content.decode()
    assert "审核意见（已退回）" in editor_page and "受理条件请写全" in editor_page


def test_approve_then_publish(item, people):
    version = _submitted(item, people)
    client = signed_in(people["reviewer"])
    response = client.post(url("review_decide", version.pk), {"decision": "approve", "comment": ""})
    assert response.status_code == 302
    assert "已审核通过，可以发布。" in client.get(response["Location"]).content.decode()
    response = client.post(url("review_decide", version.pk), {"decision": "publish"})
    assert response.status_code == 302
    item.refresh_from_db()
    version.refresh_from_db()
    assert item.published_version_id == version.pk and version.status == "published"
    assert "已发布，办事指南已对外公布。" in client.get(response["Location"]).content.decode()


def test_the_author_cannot_decide_her_own_version(item, people):
    version = complete_draft(item, people["both"])
    services.version_submit(actor=people["both"], version=version)
    client = signed_in(people["both"])
    page = client.get(url("review_detail", version.pk)).content.decode()
    assert "您编辑过该版本，不能审核" in page
    before = state()
    assert client.post(url("review_decide", version.pk), {"decision": "approve"}).status_code == 403
    assert state() == before


def test_the_review_page_shows_the_diff_against_the_published_version(item, people):
    published(item, people["editor"], people["reviewer"])
    draft = services.version_new_draft(actor=people["editor"], item=item)
    services.version_update(actor=people["editor"], version=draft, promised_limit=3)
    services.version_submit(actor=people["editor"], version=draft)
    html = signed_in(people["reviewer"]).get(url("review_detail", draft.pk)).content.decode()
    assert "与现行第 1 版相比的修改" in html
    assert "承诺办结时限" in html
    assert "<del>5</del>" in html and "<ins>3</ins>" in html


def test_new_draft_from_the_published_version(item, people):
    published(item, people["editor"], people["reviewer"])
    client = signed_in(people["editor"])
    response = client.post(url("version_new_draft", item.pk))
    draft = item.versions.get(number=2)
    assert response.status_code == 302
    assert response["Location"] == url("version_edit", item.pk, draft.pk)
    assert draft.status == "draft" and list(draft.materials.values_list("name", flat=True)) == [MATERIAL["name"]]


def test_retire_needs_a_reason_and_confirmation(item, people):
    version = published(item, people["editor"], people["reviewer"])
    client = signed_in(people["reviewer"])
    before = state()
    assert client.post(url("item_retire", version.pk), {"reason": "已取消", "confirm": ""}).status_code == 400
    assert client.post(url("item_retire", version.pk), {"reason": "", "confirm": "on"}).status_code == 400
    assert state() == before
    assert (
        signed_in(people["editor"]).post(url("item_retire", version.pk), {"reason": "x", "confirm": "on"}).status_code
        == 403
    )
    assert state() == before
    response = client.post(url("item_retire", version.pk), {"reason": "上级取消该事项", "confirm": "on"})
    assert response.status_code == 302
    item.refresh_from_db()
    version.refresh_from_db()
    assert item.published_version_id is None and version.status == "retired"


# ---------------------------------------------------------------------------------------------------------------
# 已发布事项: the reviewer's list of published items, with 取消


def _civil_published(county, people):
    """高龄津贴发放 of the civil affairs bureau, published by its own editor and reviewer."""
    civil = civil_item_create(county, people)
    version = complete_draft(
        civil, people["civil_editor"], name="高龄津贴发放", item_type="05", legal_basis="《浙江省高龄津贴发放办法》"
    )
    return published(civil, people["civil_editor"], people["civil_reviewer"], version=version)


def _listed(page: str) -> list[str]:
    return re.findall(r'<td><a href="/services/items/[^/]+/">([^<]+)</a></td>', page)


def test_published_items_lists_what_the_reviewer_covers_searchable_by_name_or_code(item, people, county):
    food = published(item, people["editor"], people["reviewer"])
    civil = _civil_published(county, people)
    client = signed_in(people["reviewer"])
    page = client.get(url("published_items")).content.decode()
    assert _listed(page) == [food.name]
    assert "共 1 个已发布事项" in page
    assert f'href="{url("item_retire", food.pk)}?back=published"' in page
    assert _listed(client.get(url("published_items"), {"q": "经营"}).content.decode()) == [food.name]
    assert _listed(client.get(url("published_items"), {"q": item.code[-8:]}).content.decode()) == [food.name]
    empty = client.get(url("published_items"), {"q": "高龄"}).content.decode()
    assert _listed(empty) == [] and "没有名称或编码包含“高龄”的已发布事项。" in empty
    assert _listed(signed_in(people["civil_reviewer"]).get(url("published_items")).content.decode()) == [civil.name]


def test_published_items_leave_out_drafts_and_retired_items_and_page_by_twenty(item, people, county, monkeypatch):
    from tongban.catalog import views_workbench

    food = published(item, people["editor"], people["reviewer"])
    civil = _civil_published(county, people)
    both = signed_in(people["both"])
    monkeypatch.setattr(views_workbench, "PUBLISHED_PER_PAGE", 1)
    # "both" reviews the market regulation bureau only; a grant over the civil bureau shows its item too.
    account_services.staff_role_grant(
        actor=None, user=people["both"], organisation=county["civil"], role="catalogue_reviewer"
    )
    first, second = both.get(url("published_items")).content.decode(), both.get(url("published_items"), {"page": 2})
    assert (_listed(first), _listed(second.content.decode())) == ([food.name], [civil.name])
    assert "第 1 页，共 2 页" in first
    services.item_retire(actor=people["reviewer"], item=item, reason="合并到其他事项")
    assert _listed(both.get(url("published_items")).content.decode()) == [civil.name]


def test_published_items_run_a_constant_number_of_queries(item, people, county, django_assert_num_queries):
    published(item, people["editor"], people["reviewer"])
    client = signed_in(people["reviewer"])
    client.get(url("published_items"))
    # session, user, roles, the reviewer check, count, one page (items with organisation, region, basic item and
    # version), and the shell's two (region, unread notifications): the same for any number of items
    with django_assert_num_queries(8):
        client.get(url("published_items"))
    _civil_published(county, people)
    with django_assert_num_queries(8):
        client.get(url("published_items"), {"q": "许可"})


def test_published_items_are_refused_to_editors(item, people):
    published(item, people["editor"], people["reviewer"])
    assert signed_in(people["editor"]).get(url("published_items")).status_code == 403
    assert signed_in(people["clerk"]).get(url("published_items")).status_code == 403


def test_retire_from_the_published_list_returns_to_it(item, people, county):
    version = published(item, people["editor"], people["reviewer"])
    civil = _civil_published(county, people)
    retire = url("item_retire", version.pk) + "?back=published"
    client = signed_in(people["reviewer"])
    page = client.get(retire).content.decode()
    assert page.count(f'href="{url("published_items")}"') == 2  # 返回 and 不取消，返回
    before = state()
    assert client.post(retire, {"reason": "上级取消该事项", "confirm": ""}).status_code == 400
    assert client.post(retire, {"reason": " ", "confirm": "on"}).status_code == 400
    for outsider in ("editor", "civil_reviewer", "civil_editor"):
        response = signed_in(people[outsider]).post(retire, {"reason": "x", "confirm": "on"})
        assert response.status_code == 403, outsider
    assert (
        signed_in(people["reviewer"])
        .post(url("item_retire", civil.pk) + "?back=published", {"reason": "x", "confirm": "on"})
        .status_code
        == 403
    )
    assert state() == before
    response = client.post(retire, {"reason": "上级取消该事项", "confirm": "on"})
    assert (response.status_code, response["Location"]) == (302, url("published_items"))
    item.refresh_from_db()
    version.refresh_from_db()
    assert item.published_version_id is None and version.status == "retired"
    entry = AuditEntry.objects.filter(action="item.retire").get()
    assert (entry.actor_id, entry.after["reason"]) == (people["reviewer"].pk, "上级取消该事项")
    assert "事项已取消" in client.get(response["Location"]).content.decode()
    civil.refresh_from_db()
    assert civil.status == "published"
