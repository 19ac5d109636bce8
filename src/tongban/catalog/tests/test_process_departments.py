"""流程泳道对应部门 (process_departments) and 允许容缺通过 (allows_deferred_approval): every lane department of the
process must resolve to an organisation before a version is submitted or published; both fields are edited on the
workbench, listed in the version diff and carried by the JSON/Excel exchange."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tongban.catalog import bpmn, services, transfer
from tongban.catalog.diff import version_diff
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import ItemVersion, VersionStatus
from tongban.catalog.tests.lifecycle_fixtures import *  # noqa: F403 — fixtures county, people, item
from tongban.catalog.tests.lifecycle_fixtures import COMPLETE_GUIDE, complete_draft, published
from tongban.catalog.validation import lane_problems, version_problems
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, Organisation
from tongban.core.tests.identifiers import uscc

pytestmark = pytest.mark.django_db

UNRESOLVED = (
    "泳道“审查（协办部门）”的部门“协办部门”对应不到机构：请在流程页为它选择机构，"
    "或确认本区划有简称或名称为“协办部门”的启用机构"
)


def parallel_draft(item, editor, **overrides) -> ItemVersion:
    """A complete draft whose process is the shipped parallel template (lanes 牵头部门 and 协办部门)."""
    version = complete_draft(item, editor, **overrides)
    process = bpmn.process_from_template(actor=editor, key="parallel")
    return services.version_set_process(actor=editor, version=version, process=process)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["second_factor_verified"] = True
    session.save()
    return client


def process_url(version: ItemVersion) -> str:
    return reverse("catalog_workbench:version_process", args=[version.item_id, version.pk])


def snapshot(version: ItemVersion) -> tuple:
    version.refresh_from_db()
    return version.status, version.process_departments, version.published_at, AuditEntry.objects.count()


# ---------------------------------------------------------------------------------------------------------------
# Validation


def test_an_unmapped_joint_lane_is_a_problem_naming_the_lane(item, people):
    version = parallel_draft(item, people["editor"])
    assert version_problems(version) == {"process_departments": [UNRESOLVED]}


def test_a_mapping_resolves_the_lane(item, people, county):
    version = parallel_draft(item, people["editor"], process_departments={"协办部门": county["civil"].uscc})
    assert version_problems(version) == {}


def test_an_organisation_of_the_region_with_the_departments_name_resolves_it(item, people, county):
    Organisation.objects.filter(pk=county["civil"].pk).update(short_name="协办部门")
    assert version_problems(parallel_draft(item, people["editor"])) == {}


def test_a_mapping_to_an_unknown_organisation_is_refused_when_saved(item, people):
    version = parallel_draft(item, people["editor"])
    stranger = uscc("11330122704296399")
    with pytest.raises(DomainError) as refused:
        services.version_update(actor=people["editor"], version=version, process_departments={"协办部门": stranger})
    assert refused.value.code is CatalogError.INVALID_GUIDE
    assert refused.value.fields == {
        "process_departments": [f"泳道部门“协办部门”对应的机构（统一社会信用代码 {stranger}）不存在或已停用"]
    }
    version.refresh_from_db()
    assert version.process_departments == {}


def test_a_mapping_that_is_not_an_object_is_refused(item, people):
    version = parallel_draft(item, people["editor"])
    with pytest.raises(DomainError) as refused:
        services.version_update(actor=people["editor"], version=version, process_departments=["协办部门"])
    assert refused.value.fields == {
        "process_departments": ["流程泳道对应部门应为“部门名称 → 机构统一社会信用代码”的对应表"]
    }


def test_a_mapping_for_a_department_no_lane_names_is_a_leftover(item, people, county):
    version = parallel_draft(
        item, people["editor"], process_departments={"协办部门": county["civil"].uscc, "规划部门": county["civil"].uscc}
    )
    assert version_problems(version) == {"process_departments": ["流程中没有部门为“规划部门”的泳道，请删除这项对应"]}


def test_submit_is_refused_and_nothing_changes(item, people):
    version = parallel_draft(item, people["editor"])
    before = snapshot(version)
    with pytest.raises(DomainError) as refused:
        services.version_submit(actor=people["editor"], version=version)
    assert refused.value.code is CatalogError.INVALID_GUIDE
    assert refused.value.fields == {"process_departments": [UNRESOLVED]}
    assert snapshot(version) == before
    assert before[0] == VersionStatus.DRAFT


def test_publish_is_refused_when_the_mapped_organisation_was_deactivated_after_approval(item, people, county):
    version = parallel_draft(item, people["editor"], process_departments={"协办部门": county["civil"].uscc})
    services.version_submit(actor=people["editor"], version=version)
    services.version_approve(actor=people["reviewer"], version=version)
    Organisation.objects.filter(pk=county["civil"].pk).update(active=False)
    before = snapshot(version)
    with pytest.raises(DomainError) as refused:
        services.version_publish(actor=people["reviewer"], version=version)
    assert refused.value.code is CatalogError.INVALID_GUIDE
    assert refused.value.fields == {"process_departments": [UNRESOLVED]}
    assert snapshot(version) == before
    assert before[0] == VersionStatus.APPROVED
    item.refresh_from_db()
    assert item.published_version_id is None
    Organisation.objects.filter(pk=county["civil"].pk).update(active=True)
    assert lane_problems(version) == {}
    assert services.version_publish(actor=people["reviewer"], version=version).status == VersionStatus.PUBLISHED


def test_templates_of_one_department_need_no_mapping(item, people):
    for key in ("instant", "single_department", "inspection"):
        version = complete_draft(item, people["editor"])
        services.version_set_process(
            actor=people["editor"], version=version, process=bpmn.process_from_template(actor=None, key=key)
        )
        assert version_problems(version) == {}, key
        version.delete()


# ---------------------------------------------------------------------------------------------------------------
# Workbench pages


def test_the_process_page_offers_the_regions_organisations_for_the_joint_lane(item, people, county):
    version = parallel_draft(item, people["editor"])
    html = signed_in(people["editor"]).get(process_url(version)).content.decode()
    assert "各泳道的办理机构" in html
    assert "泳道“审查（协办部门）”的办理机构" in html
    assert "泳道“审查（牵头部门）”" not in html  # the competent organisation itself
    assert f'<option value="{county["civil"].uscc}">桐庐县民政局</option>' in html
    assert UNRESOLVED in html


def test_choosing_the_joint_organisation_saves_the_mapping(item, people, county):
    version = parallel_draft(item, people["editor"])
    response = signed_in(people["editor"]).post(
        process_url(version), {"action": "departments", "department_0": county["civil"].uscc}
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.process_departments == {"协办部门": county["civil"].uscc}
    assert version.process.template == "parallel"  # the process itself is untouched
    entry = AuditEntry.objects.filter(action="item_version.update").latest("pk")
    assert entry.after == {"process_departments": {"协办部门": county["civil"].uscc}}
    html = signed_in(people["editor"]).get(process_url(version)).content.decode()
    assert f'<option value="{county["civil"].uscc}" selected>桐庐县民政局</option>' in html
    assert UNRESOLVED not in html


def test_a_choice_outside_the_list_is_refused_and_nothing_changes(item, people):
    version = parallel_draft(item, people["editor"])
    before = snapshot(version)
    response = signed_in(people["editor"]).post(
        process_url(version), {"action": "departments", "department_0": uscc("11330122704296399")}
    )
    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode()
    assert snapshot(version) == before


def test_another_organisations_editor_cannot_set_the_mapping(item, people, county):
    version = parallel_draft(item, people["editor"])
    before = snapshot(version)
    response = signed_in(people["civil_editor"]).post(
        process_url(version), {"action": "departments", "department_0": county["civil"].uscc}
    )
    assert response.status_code in (403, 404)
    assert snapshot(version) == before


def test_the_deferred_approval_checkbox_is_on_the_limits_section(item, people):
    version = complete_draft(item, people["editor"])
    client = signed_in(people["editor"])
    edit_url = reverse("catalog_workbench:version_edit", args=[item.pk, version.pk])
    html = client.get(edit_url).content.decode()
    assert 'name="allows_deferred_approval"' in html
    form = {
        **COMPLETE_GUIDE,
        "name": "食品经营许可",
        "item_type": "01",
        "organisation_nature": "法定机关",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "allows_deferred_approval": "on",
    }
    response = client.post(edit_url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    version.refresh_from_db()
    assert version.allows_deferred_approval is True


def test_the_reviewer_sees_the_mapping_of_a_first_publication(item, people, county):
    version = parallel_draft(item, people["editor"], process_departments={"协办部门": county["civil"].uscc})
    services.version_submit(actor=people["editor"], version=version)
    html = signed_in(people["reviewer"]).get(reverse("catalog_workbench:review_detail", args=[version.pk]))
    text = html.content.decode()
    assert "流程泳道对应部门" in text
    assert "协办部门：桐庐县民政局" in text


# ---------------------------------------------------------------------------------------------------------------
# Diff and exchange


def test_the_diff_lists_both_fields_with_organisation_names(item, people, county):
    editor = people["editor"]
    first = parallel_draft(item, editor, process_departments={"协办部门": county["amr"].uscc})
    published(item, editor, people["reviewer"], first)
    v2 = services.version_new_draft(actor=editor, item=item)
    v2 = services.version_update(
        actor=editor,
        version=v2,
        process_departments={"协办部门": county["civil"].uscc},
        allows_deferred_approval=True,
    )
    changes = {change.field: change for change in version_diff(item.versions.get(number=1), v2)}
    mapping = changes["process_departments"]
    assert (mapping.label, mapping.before, mapping.after) == (
        "流程泳道对应部门",
        "协办部门：桐庐县市场监督管理局",
        "协办部门：桐庐县民政局",
    )
    assert (changes["allows_deferred_approval"].label, changes["allows_deferred_approval"].after) == (
        "允许容缺通过",
        "是",
    )


@pytest.mark.parametrize("kind", ["json", "xlsx"])
def test_both_fields_round_trip_through_the_exchange(item, people, county, kind):
    editor = people["editor"]
    mapping = {"协办部门": county["civil"].uscc}
    version = parallel_draft(item, editor, process_departments=mapping, allows_deferred_approval=True)
    published(item, editor, people["reviewer"], version)
    item.refresh_from_db()
    exported = transfer.export_json([item]) if kind == "json" else transfer.export_xlsx([item])
    importer = transfer.import_json if kind == "json" else transfer.import_xlsx
    report = importer(actor=editor, data=exported, organisation=item.organisation)
    assert (report.errors, report.updated) == ([], 1)
    draft = item.versions.get(number=2)
    assert (draft.process_departments, draft.allows_deferred_approval) == (mapping, True)


def _import_with_mapping(item, people, county, mapping) -> transfer.ImportReport:
    """Publish the item with a valid mapping, export it, put `mapping` in the file and import it back."""
    editor = people["editor"]
    version = parallel_draft(item, editor, process_departments={"协办部门": county["civil"].uscc})
    published(item, editor, people["reviewer"], version)
    item.refresh_from_db()
    document = json.loads(transfer.export_json([item]))
    document["items"][0]["elements"]["process_departments"] = mapping
    return transfer.import_json(actor=editor, data=json.dumps(document).encode(), organisation=item.organisation)


def test_an_import_naming_an_unknown_organisation_is_reported_and_nothing_is_written(item, people, county):
    stranger = uscc("11330122704296399")
    report = _import_with_mapping(item, people, county, {"协办部门": stranger})
    assert report.imported is False
    assert [(e.field, e.message) for e in report.errors] == [
        ("流程泳道对应部门", f"泳道部门“协办部门”对应的机构（统一社会信用代码 {stranger}）不存在或已停用")
    ]
    assert ItemVersion.objects.count() == 1


def test_an_import_with_a_mapping_that_is_not_an_object_is_reported(item, people, county):
    report = _import_with_mapping(item, people, county, {"协办部门": 42})
    assert report.imported is False
    assert [(e.field, e.message) for e in report.errors] == [
        ("流程泳道对应部门", '应为“部门名称 → 统一社会信用代码”的 JSON 对象，如 {"协办部门": "11330122…"}')
    ]
    assert ItemVersion.objects.count() == 1
