"""Lifecycle services: draft → submitted → approved/returned → published; new drafts; retiring; four eyes.

Every refusal is checked to change nothing: the rows, and the audit log, stay as they were.
"""

import threading

import pytest
from django.db import connection

from tongban.catalog import access, services
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import (
    Faq,
    FeeItem,
    ImplementationItem,
    ItemVersion,
    Material,
    SearchDocument,
    Theme,
    VersionStatus,
)
from tongban.catalog.tests.lifecycle_fixtures import *  # noqa: F403
from tongban.catalog.tests.lifecycle_fixtures import MATERIAL, complete_draft, process_definition, published
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry


def refused(expected, call, /, **kwargs) -> DomainError:
    """Call a service that must refuse with `code`, and check that it wrote nothing to the audit log."""
    audit_rows = AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.code is expected
    assert AuditEntry.objects.count() == audit_rows
    return caught.value


def fresh(version: ItemVersion) -> ItemVersion:
    return ItemVersion.objects.get(pk=version.pk)


def version_actions(version: ItemVersion) -> list[str]:
    rows = AuditEntry.objects.filter(object_type="catalog.itemversion", object_id=str(version.pk)).order_by("id")
    return list(rows.values_list("action", flat=True))


# ── The path to publication ────────────────────────────────────────────────────────────────────────────────────────


def test_draft_submit_approve_publish(item, people):
    editor, reviewer = people["editor"], people["reviewer"]
    version = complete_draft(item, editor)
    assert (version.number, version.status, version.author) == (1, VersionStatus.DRAFT, editor)
    assert version.name == "食品经营许可" and version.legal_basis == "《中华人民共和国食品安全法》第三十五条"

    services.version_submit(actor=editor, version=version)
    assert fresh(version).status == VersionStatus.SUBMITTED
    assert fresh(version).submitted_at is not None

    services.version_approve(actor=reviewer, version=version, comment="要素齐全")
    approved = fresh(version)
    assert (approved.status, approved.reviewer, approved.review_comment) == (
        VersionStatus.APPROVED,
        reviewer,
        "要素齐全",
    )

    result = services.version_publish(actor=reviewer, version=version)
    assert result.status == VersionStatus.PUBLISHED and result.published_at is not None
    item = ImplementationItem.objects.get(pk=item.pk)
    assert item.published_version_id == version.pk
    assert access.require_published_version(item) == fresh(version)
    assert SearchDocument.objects.get(item=item).version_id == version.pk

    assert version_actions(version) == [
        "item_version.create",
        "item_version.material_save",
        "item_version.process_set",
        "item_version.form_set",
        "item_version.submit",
        "item_version.approve",
        "item_version.publish",
    ]
    submit, approve = (
        AuditEntry.objects.get(object_id=str(version.pk), action=f"item_version.{verb}")
        for verb in ("submit", "approve")
    )
    assert (submit.before, submit.after, submit.actor) == ({"status": "draft"}, {"status": "submitted"}, editor)
    assert approve.before == {"status": "submitted"}
    assert approve.after == {"status": "approved", "comment": "要素齐全"}


def test_an_unpublished_item_cannot_be_applied_for(item, people):
    refused(CatalogError.NOT_PUBLISHED, access.require_published_version, item=item)
    version = complete_draft(item, people["editor"])
    services.version_submit(actor=people["editor"], version=version)
    services.version_approve(actor=people["reviewer"], version=version)
    item.refresh_from_db()
    refused(CatalogError.NOT_PUBLISHED, access.require_published_version, item=item)
    refused(CatalogError.ITEM_NOT_FOUND, access.access_published_item, code=item.code)


# ── Four eyes ──────────────────────────────────────────────────────────────────────────────────────────────────────


def test_the_author_cannot_approve_return_or_publish_their_own_version(item, people):
    both = people["both"]  # editor and reviewer of the same bureau
    version = complete_draft(item, both)
    services.version_submit(actor=both, version=version)
    refused(CatalogError.AUTHOR_CANNOT_REVIEW, services.version_approve, actor=both, version=version)
    refused(CatalogError.AUTHOR_CANNOT_REVIEW, services.version_return, actor=both, version=version, comment="退回")
    assert fresh(version).status == VersionStatus.SUBMITTED
    services.version_approve(actor=people["reviewer"], version=version)
    refused(CatalogError.AUTHOR_CANNOT_REVIEW, services.version_publish, actor=both, version=version)
    assert fresh(version).status == VersionStatus.APPROVED
    assert ImplementationItem.objects.get(pk=item.pk).published_version is None


def test_an_editor_who_changed_the_version_cannot_review_it_either(item, people):
    version = complete_draft(item, people["editor"])
    services.version_update(actor=people["both"], version=version, hours="工作日 8:30-17:00")
    services.version_submit(actor=people["editor"], version=version)
    refused(CatalogError.AUTHOR_CANNOT_REVIEW, services.version_approve, actor=people["both"], version=version)
    assert not access.may_review(people["both"], version)
    assert access.may_review(people["reviewer"], version)


@pytest.mark.parametrize("who", ["editor", "civil_reviewer", "clerk"])
def test_only_reviewers_covering_the_item_review(item, people, who):
    version = complete_draft(item, people["editor"])
    services.version_submit(actor=people["editor"], version=version)
    refused(CatalogError.REVIEWER_REQUIRED, services.version_approve, actor=people[who], version=version)
    refused(CatalogError.REVIEWER_REQUIRED, services.version_return, actor=people[who], version=version, comment="x")
    assert fresh(version).status == VersionStatus.SUBMITTED


@pytest.mark.parametrize("who", ["reviewer", "civil_editor", "clerk"])
def test_only_editors_of_the_organisation_draft_and_submit(item, people, who):
    refused(CatalogError.EDITOR_REQUIRED, services.version_create, actor=people[who], item=item, hours="x")
    assert not item.versions.exists()
    version = complete_draft(item, people["editor"])
    refused(CatalogError.EDITOR_REQUIRED, services.version_update, actor=people[who], version=version, hours="x")
    refused(CatalogError.EDITOR_REQUIRED, services.material_save, actor=people[who], version=version, **MATERIAL)
    refused(CatalogError.EDITOR_REQUIRED, services.version_submit, actor=people[who], version=version)
    assert fresh(version).status == VersionStatus.DRAFT
    assert fresh(version).hours == "工作日 9:00-12:00，13:30-17:00"
    assert version.materials.count() == 1


# ── Returning, editing, resubmitting ───────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("comment", ["", "   "])
def test_returning_needs_a_comment(item, people, comment):
    version = complete_draft(item, people["editor"])
    services.version_submit(actor=people["editor"], version=version)
    error = refused(
        CatalogError.COMMENT_REQUIRED,
        services.version_return,
        actor=people["reviewer"],
        version=version,
        comment=comment,
    )
    assert error.fields == {"comment": ["退回修改时必须填写审核意见"]}
    assert fresh(version).status == VersionStatus.SUBMITTED


def test_a_returned_version_is_edited_and_resubmitted(item, people):
    editor, reviewer = people["editor"], people["reviewer"]
    version = complete_draft(item, editor)
    services.version_submit(actor=editor, version=version)
    services.version_return(actor=reviewer, version=version, comment="  请写明咨询电话的区号  ")
    returned = fresh(version)
    assert (returned.status, returned.review_comment) == (VersionStatus.RETURNED, "请写明咨询电话的区号")
    entry = AuditEntry.objects.get(action="item_version.return")
    assert entry.after == {"status": "returned", "comment": "请写明咨询电话的区号"}

    services.version_update(actor=editor, version=version, consultation="（0571）64612345")
    services.version_submit(actor=editor, version=version)
    services.version_approve(actor=reviewer, version=version)
    services.version_publish(actor=reviewer, version=version)
    assert fresh(version).status == VersionStatus.PUBLISHED
    assert fresh(version).consultation == "（0571）64612345"


def test_an_incomplete_draft_cannot_be_submitted(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    error = refused(CatalogError.INVALID_GUIDE, services.version_submit, actor=people["editor"], version=version)
    assert error.fields["acceptance_conditions"] == ["请填写受理条件"]
    assert error.fields["materials"] == ["请至少填写一项申请材料"]
    assert error.fields["process"] == ["请上传或选择办理流程定义"]
    assert fresh(version).status == VersionStatus.DRAFT


@pytest.mark.parametrize("status", [VersionStatus.SUBMITTED, VersionStatus.APPROVED, VersionStatus.PUBLISHED])
def test_only_drafts_and_returned_versions_are_edited(item, people, status):
    editor = people["editor"]
    version = complete_draft(item, editor)
    services.version_submit(actor=editor, version=version)
    if status != VersionStatus.SUBMITTED:
        services.version_approve(actor=people["reviewer"], version=version)
    if status == VersionStatus.PUBLISHED:
        services.version_publish(actor=people["reviewer"], version=version)
    material = version.materials.get()
    refused(CatalogError.WRONG_STATUS, services.version_update, actor=editor, version=version, hours="全天")
    refused(CatalogError.WRONG_STATUS, services.material_save, actor=editor, version=version, **MATERIAL)
    refused(CatalogError.WRONG_STATUS, services.material_delete, actor=editor, material=material)
    refused(CatalogError.WRONG_STATUS, services.version_set_themes, actor=editor, version=version, themes=[])
    refused(CatalogError.WRONG_STATUS, services.version_set_process, actor=editor, version=version, process=None)
    refused(CatalogError.WRONG_STATUS, services.version_submit, actor=editor, version=version)
    assert fresh(version).status == status
    assert fresh(version).hours == "工作日 9:00-12:00，13:30-17:00"
    assert version.materials.count() == 1 and fresh(version).process_id is not None


def test_a_draft_cannot_be_approved_or_published(item, people):
    version = complete_draft(item, people["editor"])
    refused(CatalogError.WRONG_STATUS, services.version_approve, actor=people["reviewer"], version=version)
    refused(CatalogError.WRONG_STATUS, services.version_publish, actor=people["reviewer"], version=version)
    assert fresh(version).status == VersionStatus.DRAFT


def test_publishing_twice_is_refused(item, people):
    version = published(item, people["editor"], people["reviewer"])
    refused(CatalogError.WRONG_STATUS, services.version_publish, actor=people["reviewer"], version=version)
    refused(CatalogError.WRONG_STATUS, services.version_publish, actor=people["reviewer2"], version=version)
    assert fresh(version).status == VersionStatus.PUBLISHED


def test_bad_elements_are_refused_and_change_nothing(item, people):
    version = complete_draft(item, people["editor"])
    error = refused(
        CatalogError.INVALID_GUIDE, services.version_update, actor=people["editor"], version=version, colour="红"
    )
    assert error.fields == {"colour": ["不是可编辑的办事指南要素"]}
    error = refused(
        CatalogError.INVALID_GUIDE,
        services.version_update,
        actor=people["editor"],
        version=version,
        hours="全天",
        case_type="sometimes",
    )
    assert list(error.fields) == ["case_type"]
    error = refused(
        CatalogError.INVALID_GUIDE, services.version_update, actor=people["editor"], version=version, online_depth=5
    )
    assert error.fields == {"online_depth": ["网上办理深度应为 1-4 级"]}
    assert version.hours == "工作日 9:00-12:00，13:30-17:00"  # the caller's object too
    assert fresh(version).hours == "工作日 9:00-12:00，13:30-17:00"
    assert fresh(version).case_type == "promised"


def test_the_first_version_is_made_once(item, people):
    complete_draft(item, people["editor"])
    refused(CatalogError.WRONG_STATUS, services.version_create, actor=people["editor"], item=item)
    assert item.versions.count() == 1


# ── New versions of a published item ──────────────────────────────────────────────────────────────────────────────


def _rich_published(item, people) -> ItemVersion:
    editor = people["editor"]
    version = complete_draft(item, editor, charges=True, charge_basis="浙价费〔2020〕1号")
    services.fee_save(actor=editor, version=version, name="工本费", standard="10元/证", basis="浙价费〔2020〕1号")
    services.faq_save(actor=editor, version=version, question="可以网上申请吗？", answer="可以。")
    theme = Theme.objects.create(code="kaidian", name="开店", audience=Theme.Audience.ENTERPRISE)
    services.version_set_themes(actor=editor, version=version, themes=[theme])
    return published(item, editor, people["reviewer"], version)


def test_a_new_draft_copies_the_published_version_with_its_children(item, people):
    v1 = _rich_published(item, people)
    v2 = services.version_new_draft(actor=people["editor2"], item=item)
    assert (v2.number, v2.status, v2.author) == (2, VersionStatus.DRAFT, people["editor2"])
    for name in services.GUIDE_ELEMENTS:
        assert getattr(v2, name) == getattr(v1, name), name
    assert (v2.form_schema, v2.form_ui, v2.process_id) == (v1.form_schema, v1.form_ui, v1.process_id)
    assert list(v2.materials.values_list("name", "acceptance_standard")) == list(
        v1.materials.values_list("name", "acceptance_standard")
    )
    assert list(v2.fees.values_list("name", "standard")) == [("工本费", "10元/证")]
    assert list(v2.faqs.values_list("question", flat=True)) == ["可以网上申请吗？"]
    assert list(v2.themes.values_list("code", flat=True)) == ["kaidian"]
    # Copies, not shared rows: editing the draft leaves the published guide alone.
    services.material_save(actor=people["editor2"], version=v2, material=v2.materials.get(), name="申请书（新版）")
    assert v1.materials.get().name == "食品经营许可申请书"
    assert Material.objects.count() == 2 and FeeItem.objects.count() == 2 and Faq.objects.count() == 2


def test_publishing_a_new_version_supersedes_the_old_one_which_is_kept(item, people):
    v1 = published(item, people["editor"], people["reviewer"])
    v2 = services.version_new_draft(actor=people["editor"], item=item)
    services.version_update(actor=people["editor"], version=v2, promised_limit=3)
    assert ImplementationItem.objects.get(pk=item.pk).published_version_id == v1.pk  # until v2 is published
    services.version_submit(actor=people["editor"], version=v2)
    services.version_approve(actor=people["reviewer"], version=v2)
    services.version_publish(actor=people["reviewer"], version=v2)

    item = ImplementationItem.objects.get(pk=item.pk)
    assert item.published_version_id == v2.pk
    old = fresh(v1)  # a case made under v1 keeps it: the row stays, its guide unchanged
    assert (old.status, old.promised_limit, old.materials.count()) == (VersionStatus.SUPERSEDED, 5, 1)
    assert access.require_published_version(item).promised_limit == 3
    assert list(item.versions.order_by("number").values_list("status", flat=True)) == ["superseded", "published"]
    publish = AuditEntry.objects.filter(action="item_version.publish").order_by("id").last()
    assert publish.before == {"status": "approved", "superseded": v1.pk}


def test_one_open_version_at_a_time(item, people):
    published(item, people["editor"], people["reviewer"])
    v2 = services.version_new_draft(actor=people["editor"], item=item)
    refused(CatalogError.DRAFT_EXISTS, services.version_new_draft, actor=people["editor2"], item=item)
    services.version_submit(actor=people["editor"], version=v2)
    refused(CatalogError.DRAFT_EXISTS, services.version_new_draft, actor=people["editor2"], item=item)
    assert item.versions.count() == 2


def _two_approved_versions(item, people):
    """v2 and v3 both approved (as two reviews racing would leave them): built from v1 through the ORM."""
    v1 = published(item, people["editor"], people["reviewer"])
    copies = []
    for number in (2, 3):
        v1_values = {name: getattr(v1, name) for name in services.GUIDE_ELEMENTS}
        copies.append(
            ItemVersion.objects.create(
                item=item, number=number, status=VersionStatus.APPROVED, author=people["editor"], **v1_values
            )
        )
    return v1, *copies


def test_racing_publications_leave_exactly_one_published_version(item, people):
    _v1, v2, v3 = _two_approved_versions(item, people)
    stale_v2 = ItemVersion.objects.get(pk=v2.pk)  # both reviewers loaded their pages before either published
    stale_v3 = ItemVersion.objects.get(pk=v3.pk)
    services.version_publish(actor=people["reviewer"], version=stale_v3)
    refused(CatalogError.WRONG_STATUS, services.version_publish, actor=people["reviewer2"], version=stale_v2)
    statuses = dict(item.versions.values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "approved", 3: "published"}
    assert ImplementationItem.objects.get(pk=item.pk).published_version_id == v3.pk


def test_racing_publications_in_order_still_leave_one_published(item, people):
    _v1, v2, v3 = _two_approved_versions(item, people)
    stale_v2, stale_v3 = ItemVersion.objects.get(pk=v2.pk), ItemVersion.objects.get(pk=v3.pk)
    services.version_publish(actor=people["reviewer"], version=stale_v2)
    services.version_publish(actor=people["reviewer2"], version=stale_v3)
    assert item.versions.filter(status=VersionStatus.PUBLISHED).count() == 1
    assert dict(item.versions.values_list("number", "status")) == {1: "superseded", 2: "superseded", 3: "published"}
    assert ImplementationItem.objects.get(pk=item.pk).published_version_id == v3.pk


@pytest.mark.django_db(transaction=True)
def test_threads_publishing_two_versions_at_once_leave_exactly_one_published(item, people):
    _v1, v2, v3 = _two_approved_versions(item, people)
    barrier, outcomes = threading.Barrier(2), {}

    def publish(version, reviewer):
        try:
            barrier.wait()
            services.version_publish(actor=reviewer, version=version)
            outcomes[version.number] = "published"
        except DomainError as error:
            outcomes[version.number] = error.code
        finally:
            connection.close()

    workers = [
        threading.Thread(target=publish, args=(v2, people["reviewer"])),
        threading.Thread(target=publish, args=(v3, people["reviewer2"])),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # Whichever came first, v3 (the newer) ends up published; v2 was either superseded or refused as older.
    assert outcomes[3] == "published"
    assert outcomes[2] in ("published", CatalogError.WRONG_STATUS)
    assert item.versions.filter(status=VersionStatus.PUBLISHED).count() == 1
    assert ImplementationItem.objects.get(pk=item.pk).published_version_id == v3.pk
    expected_v2 = "superseded" if outcomes[2] == "published" else "approved"
    assert dict(item.versions.values_list("number", "status")) == {1: "superseded", 2: expected_v2, 3: "published"}


def test_the_same_version_published_by_two_reviewers_at_once(item, people):
    version = complete_draft(item, people["editor"])
    services.version_submit(actor=people["editor"], version=version)
    services.version_approve(actor=people["reviewer"], version=version)
    first, second = ItemVersion.objects.get(pk=version.pk), ItemVersion.objects.get(pk=version.pk)
    services.version_publish(actor=people["reviewer"], version=first)
    refused(CatalogError.WRONG_STATUS, services.version_publish, actor=people["reviewer2"], version=second)
    assert AuditEntry.objects.filter(action="item_version.publish").count() == 1


# ── Retiring ───────────────────────────────────────────────────────────────────────────────────────────────────────


def test_retiring_keeps_history_and_stops_applications(item, people):
    version = published(item, people["editor"], people["reviewer"])
    refused(CatalogError.REASON_REQUIRED, services.item_retire, actor=people["reviewer"], item=item, reason=" ")
    refused(CatalogError.REVIEWER_REQUIRED, services.item_retire, actor=people["editor"], item=item, reason="撤销")
    refused(CatalogError.REVIEWER_REQUIRED, services.item_retire, actor=people["civil_reviewer"], item=item, reason="x")
    assert fresh(version).status == VersionStatus.PUBLISHED

    services.item_retire(actor=people["reviewer"], item=item, reason="法律修订，该事项取消")
    item = ImplementationItem.objects.get(pk=item.pk)
    assert item.published_version is None
    assert fresh(version).status == VersionStatus.RETIRED
    assert fresh(version).materials.count() == 1
    refused(CatalogError.NOT_PUBLISHED, access.require_published_version, item=item)
    assert not SearchDocument.objects.filter(item=item).exists()
    entry = AuditEntry.objects.get(action="item.retire")
    assert entry.after == {"status": "retired", "published_version": None, "reason": "法律修订，该事项取消"}
    refused(CatalogError.NOT_PUBLISHED, services.item_retire, actor=people["reviewer"], item=item, reason="再次")


def test_a_retired_item_can_be_published_again_as_a_new_version(item, people):
    published(item, people["editor"], people["reviewer"])
    services.item_retire(actor=people["reviewer"], item=item, reason="暂停")
    v2 = services.version_new_draft(actor=people["editor"], item=item)
    assert v2.number == 2
    published(item, people["editor"], people["reviewer"], v2)
    assert dict(item.versions.values_list("number", "status")) == {1: "retired", 2: "published"}


# ── Items, children ────────────────────────────────────────────────────────────────────────────────────────────────


def test_items_get_their_codes(item, county):
    assert item.basic_item.code == "330107001000"
    assert item.code == county["amr"].uscc + "4" + "330107001000"


def test_basic_items_and_items_need_catalogue_staff_and_unique_codes(item, people, county):
    args = {"source": "33", "item_type": "01", "department_code": "07", "main_number": "001", "sub_number": "000"}
    args["name"] = "重复"
    refused(CatalogError.EDITOR_REQUIRED, services.basic_item_create, actor=people["clerk"], **args)
    error = refused(CatalogError.INVALID_CODE, services.basic_item_create, actor=people["editor"], **args)
    assert error.message == "基本编码 330107001000 已存在"
    refused(
        CatalogError.EDITOR_REQUIRED,
        services.item_create,
        actor=people["civil_editor"],
        basic_item=item.basic_item,
        organisation=county["amr"],
        exercise_level="4",
    )
    refused(
        CatalogError.INVALID_CODE,
        services.item_create,
        actor=people["editor"],
        basic_item=item.basic_item,
        organisation=county["amr"],
        exercise_level="4",
    )
    assert ImplementationItem.objects.count() == 1


def test_material_from_the_government_names_where_it_comes_from(item, people):
    version = complete_draft(item, people["editor"])
    licence = {**MATERIAL, "name": "营业执照", "source": "government"}
    error = refused(
        CatalogError.INVALID_GUIDE, services.material_save, actor=people["editor"], version=version, **licence
    )
    assert error.fields == {"source": ["来源为政府部门核发时，应填写来源证照类型代码或来源基础库字段"]}
    services.material_save(actor=people["editor"], version=version, source_licence_type="yyzz", **licence)
    assert list(version.materials.values_list("name", flat=True)) == ["食品经营许可申请书", "营业执照"]


def test_children_of_another_version_are_not_changed_through_this_one(item, people):
    v1 = published(item, people["editor"], people["reviewer"])
    v2 = services.version_new_draft(actor=people["editor"], item=item)
    refused(
        CatalogError.VERSION_NOT_FOUND,
        services.material_save,
        actor=people["editor"],
        version=v2,
        material=v1.materials.get(),
        name="改",
    )
    assert v1.materials.get().name == "食品经营许可申请书"


def test_replacing_children_names_each_bad_row(item, people):
    version = complete_draft(item, people["editor"])
    bad = {**MATERIAL, "source": "government"}
    error = refused(
        CatalogError.INVALID_GUIDE,
        services.version_replace_children,
        actor=people["editor"],
        version=version,
        materials=[MATERIAL, bad],
        fees=[{"name": "工本费", "standard": "", "basis": "x", "colour": 1}],
        faqs=[],
    )
    assert set(error.fields) == {"materials.1.source", "fees.0.standard", "fees.0.colour"}
    assert list(version.materials.values_list("name", flat=True)) == ["食品经营许可申请书"]

    services.version_replace_children(
        actor=people["editor"],
        version=version,
        materials=[MATERIAL, {**MATERIAL, "name": "身份证明"}],
        fees=[],
        faqs=[{"question": "要多久？", "answer": "5 个工作日。"}],
    )
    assert list(version.materials.values_list("name", "order")) == [("食品经营许可申请书", 1), ("身份证明", 2)]
    assert list(version.faqs.values_list("question", flat=True)) == ["要多久？"]


def test_process_and_form_are_set_on_drafts(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    process = process_definition("p2")
    services.version_set_process(actor=people["editor"], version=version, process=process)
    assert fresh(version).process == process
    error = refused(
        CatalogError.INVALID_FORM_SCHEMA,
        services.version_set_form,
        actor=people["editor"],
        version=version,
        schema={"type": "array"},
        ui={},
    )
    assert error.fields
    assert fresh(version).form_schema == {}
