"""Import and export of catalogue items (transfer.py): round trips, the validation report, valid rows, permissions."""

from __future__ import annotations

import json

import pytest

from tongban.catalog import transfer
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import Faq, FeeItem, ImplementationItem, ItemVersion, Material, VersionStatus
from tongban.catalog.tests.transfer_fixtures import *  # noqa: F403 (fixtures and helpers)
from tongban.catalog.tests.transfer_fixtures import column, new_code, saved, state, workbook
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def written() -> tuple:
    """Everything an import could write: counts of items, versions, children and audit rows."""
    return (
        ImplementationItem.objects.count(),
        ItemVersion.objects.count(),
        Material.objects.count(),
        FeeItem.objects.count(),
        Faq.objects.count(),
        AuditEntry.objects.count(),
    )


def latest(item) -> ItemVersion:
    return item.versions.order_by("-number").first()


# ── Export ─────────────────────────────────────────────────────────────────────────────────────────────────────────


def test_json_export_is_the_documented_format_with_every_part(food):
    document = json.loads(transfer.export_json([food]))
    assert document["format"] == "tongban.catalog/1"
    [record] = document["items"]
    assert record["code"] == food.code
    assert record["basic_code"] == food.basic_item.code
    assert record["status"] == "published"
    assert record["elements"]["statutory_limit"] == 20
    assert record["elements"]["service_object"] == ["person", "enterprise"]
    assert [m["name"] for m in record["materials"]] == ["食品经营许可申请书", "营业执照"]
    assert record["fees"][0]["standard"] == "每证 10 元"
    assert record["faqs"][0]["question"] == "可以网上申请吗？"
    assert sorted(record["themes"]) == ["catering", "open-business"]
    assert record["form"]["schema"] == FORM_SCHEMA  # noqa: F405
    assert record["process"] == {"template": "", "hash": food.published_version.process.content_hash}


def test_export_takes_the_published_version_not_a_newer_draft(food, people):
    from tongban.catalog import services

    draft = services.version_new_draft(actor=people["editor"], item=food)
    services.version_update(actor=people["editor"], version=draft, name="食品经营许可（修订中）")
    [record] = json.loads(transfer.export_json([food]))["items"]
    assert record["version"] == 1
    assert record["elements"]["name"] == "食品经营许可"


def test_excel_export_has_chinese_headers_and_the_four_sheets(food):
    book = workbook(transfer.export_xlsx([food]))
    assert book.sheetnames == ["事项", "申请材料", "收费项目", "常见问题"]
    items = book["事项"]
    headers = [cell.value for cell in items[1]]
    for header in ("实施编码", "事项名称", "事项类型", "受理条件", "法定办结时限", "办件类型", "通办范围", "主题"):
        assert header in headers
    assert items.cell(2, column(items, "实施编码")).value == food.code
    assert items.cell(2, column(items, "事项类型")).value == "行政许可"
    assert items.cell(2, column(items, "是否收费")).value == "是"
    assert items.max_row == 2
    materials = book["申请材料"]
    assert [materials.cell(r, 1).value for r in (2, 3)] == [food.code, food.code]
    assert materials.cell(3, column(materials, "来源渠道")).value == "政府部门核发"


# ── Round trips ────────────────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("kind", ["json", "xlsx"])
def test_round_trip_into_the_same_item_makes_an_equal_draft(food, people, kind):
    exported = transfer.export_json([food]) if kind == "json" else transfer.export_xlsx([food])
    importer = transfer.import_json if kind == "json" else transfer.import_xlsx
    report = importer(actor=people["editor"], data=exported, organisation=food.organisation)
    assert report.errors == []
    assert (report.imported, report.created, report.updated, report.rows) == (True, 0, 1, 1)
    draft = latest(food)
    assert (draft.number, draft.status, draft.author) == (2, VersionStatus.DRAFT, people["editor"])
    assert state(draft) == state(food.published_version)
    food.refresh_from_db()
    assert food.published_version.number == 1  # an import never publishes


@pytest.mark.parametrize("kind", ["json", "xlsx"])
def test_round_trip_into_a_new_item_creates_it_with_an_equal_first_version(food, people, second_basic, kind):
    code = new_code(food.organisation, second_basic)
    if kind == "json":
        document = json.loads(transfer.export_json([food]))
        document["items"][0]["code"] = code
        data = json.dumps(document).encode()
    else:
        book = workbook(transfer.export_xlsx([food]))
        for sheet in book.worksheets:
            for row in range(2, sheet.max_row + 1):
                sheet.cell(row, 1).value = code
        data = saved(book)
    report = transfer.import_file(actor=people["editor"], data=data, organisation=food.organisation)
    assert (report.imported, report.created, report.updated, report.codes) == (True, 1, 0, [code])
    created = ImplementationItem.objects.get(code=code)
    assert (created.basic_item, created.organisation, created.published_version) == (
        second_basic,
        food.organisation,
        None,
    )
    version = latest(created)
    assert (version.number, version.status) == (1, VersionStatus.DRAFT)
    assert state(version) == state(food.published_version)


def test_import_writes_one_summary_audit_row_besides_the_services_rows(food, people):
    before = AuditEntry.objects.count()
    transfer.import_json(actor=people["editor"], data=transfer.export_json([food]), organisation=food.organisation)
    summary = AuditEntry.objects.get(action="catalog.import")
    assert summary.actor == people["editor"]
    assert summary.after["created"] == 0 and summary.after["updated"] == 1 and summary.after["codes"] == [food.code]
    actions = set(AuditEntry.objects.filter(pk__gt=before).values_list("action", flat=True))
    assert {"item_version.new_draft", "item_version.update", "item_version.children_replace"} <= actions


def test_importing_twice_writes_into_the_same_draft(food, people):
    data = transfer.export_json([food])
    transfer.import_json(actor=people["editor"], data=data, organisation=food.organisation)
    transfer.import_json(actor=people["editor"], data=data, organisation=food.organisation)
    assert food.versions.count() == 2
    assert latest(food).materials.count() == 2


# ── The validation report ──────────────────────────────────────────────────────────────────────────────────────────


def two_item_workbook(food, second_basic) -> tuple:
    """An export with the food licence (row 2) and a copy as a new item (row 3), ready to spoil."""
    book = workbook(transfer.export_xlsx([food]))
    code = new_code(food.organisation, second_basic)
    for sheet in book.worksheets:
        for row in range(2, sheet.max_row + 1):
            sheet.append([code if index == 0 else cell.value for index, cell in enumerate(sheet[row])])
    return book, code


def test_one_bad_row_imports_nothing_and_names_sheet_row_and_field(food, people, second_basic):
    book, code = two_item_workbook(food, second_basic)
    items = book["事项"]
    items.cell(3, column(items, "事项类型")).value = "行政许可证"
    before = written()
    report = transfer.import_xlsx(actor=people["editor"], data=saved(book), organisation=food.organisation)
    assert report.imported is False
    assert (report.created, report.updated, report.rows, report.skipped) == (0, 0, 2, 1)
    [error] = report.errors
    assert (error.sheet, error.row, error.field) == ("事项", 3, "事项类型")
    assert "行政许可证" in error.message and "不是可选的值" in error.message
    assert written() == before
    assert not ImplementationItem.objects.filter(code=code).exists()


def test_import_valid_rows_imports_the_good_items_and_reports_the_rest(food, people, second_basic):
    book, code = two_item_workbook(food, second_basic)
    items = book["事项"]
    items.cell(3, column(items, "受理条件")).value = None
    report = transfer.import_xlsx(
        actor=people["editor"], data=saved(book), organisation=food.organisation, import_valid_rows=True
    )
    assert (report.imported, report.created, report.updated, report.skipped) == (True, 0, 1, 1)
    assert report.codes == [food.code]
    assert [(e.sheet, e.row, e.field) for e in report.errors] == [("事项", 3, "受理条件")]
    assert report.errors[0].message == "缺少必填要素“受理条件”"
    assert not ImplementationItem.objects.filter(code=code).exists()
    assert latest(food).number == 2
    assert AuditEntry.objects.get(action="catalog.import").after["skipped"] == 1


def test_children_rows_are_reported_on_their_own_sheet(food, people, second_basic):
    book, _code = two_item_workbook(food, second_basic)
    materials = book["申请材料"]
    materials.cell(4, column(materials, "必要性")).value = "可有可无"
    materials.append(["11330122704296302X4330700999000"] + [None] * (materials.max_column - 1))
    fees = book["收费项目"]
    fees.cell(3, column(fees, "收费标准")).value = None
    report = transfer.import_xlsx(actor=people["editor"], data=saved(book), organisation=food.organisation)
    found = [(e.sheet, e.row, e.field) for e in report.errors]
    assert ("申请材料", 4, "必要性") in found
    assert ("申请材料", 6, "实施编码") in found  # a material of an item the 事项 sheet does not have
    assert ("收费项目", 3, "收费标准") in found
    assert report.imported is False


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"themes": ["no-such-theme"]}, "主题", "主题“no-such-theme”不存在"),
        ({"code": "123"}, "实施编码", "实施编码“123”不正确"),
        ({"process": {"template": "", "hash": "f" * 64}}, "流程内容摘要", "不存在"),
        ({"form": {"schema": {"type": "string"}, "ui": {}}}, "申请表 JSON Schema", "object"),
    ],
)
def test_json_problems_name_the_item_and_the_field(food, people, change, field, words):
    document = json.loads(transfer.export_json([food]))
    document["items"][0].update(change)
    before = written()
    report = transfer.import_json(
        actor=people["editor"], data=json.dumps(document).encode(), organisation=food.organisation
    )
    assert [(e.sheet, e.row, e.field) for e in report.errors] == [("items", 1, field)]
    assert words in report.errors[0].message
    assert written() == before


def test_unknown_basic_code_and_bad_element_values(food, people):
    document = json.loads(transfer.export_json([food]))
    record = document["items"][0]
    record["code"] = food.organisation.uscc + "4" + "330799999000"
    record["elements"]["statutory_limit"] = "二十"
    record["elements"]["charges"] = "也许"
    report = transfer.import_json(
        actor=people["editor"], data=json.dumps(document).encode(), organisation=food.organisation
    )
    messages = {e.field: e.message for e in report.errors}
    assert messages["基本编码"] == "基本编码“330799999000”不在基本目录中"
    assert messages["法定办结时限"] == "“二十”不是整数"
    assert messages["是否收费"] == "应填写“是”或“否”"


def test_a_rule_only_the_services_check_is_reported_on_the_material_row(food, people):
    document = json.loads(transfer.export_json([food]))
    document["items"][0]["materials"][1]["source_licence_type"] = ""  # government source needs a licence type
    report = transfer.import_json(
        actor=people["editor"], data=json.dumps(document).encode(), organisation=food.organisation
    )
    assert report.imported is False
    assert [(e.sheet, e.row, e.field) for e in report.errors] == [("items[1].materials", 2, "来源渠道")]
    assert food.versions.count() == 1


def test_wrong_format_and_unreadable_files_are_whole_file_errors(food, people):
    report = transfer.import_json(
        actor=people["editor"], data=b'{"format": "other/9", "items": []}', organisation=food.organisation
    )
    assert report.errors[0].whole_file and report.errors[0].field == "format"
    report = transfer.import_xlsx(actor=people["editor"], data=b"PK\x03\x04 not a zip", organisation=food.organisation)
    assert report.errors[0].message == "不是有效的 Excel（.xlsx）文件"
    with pytest.raises(DomainError) as refused:
        transfer.import_file(actor=people["editor"], data=b"name,code\n", organisation=food.organisation)
    assert refused.value.code == CatalogError.INVALID_IMPORT


def test_an_item_waiting_for_review_is_not_overwritten(food, people):
    from tongban.catalog import services

    draft = services.version_new_draft(actor=people["editor"], item=food)
    services.version_submit(actor=people["editor"], version=draft)
    report = transfer.import_json(
        actor=people["editor"], data=transfer.export_json([food]), organisation=food.organisation
    )
    assert report.errors[0].field == "实施编码" and "待审核" in report.errors[0].message
    assert food.versions.count() == 2


# ── Permissions ────────────────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("who", ["civil_editor", "reviewer", "clerk"])
def test_only_an_editor_of_the_organisation_may_import(food, people, who):
    data = transfer.export_json([food])
    before = written()
    with pytest.raises(DomainError) as refused:
        transfer.import_json(actor=people[who], data=data, organisation=food.organisation, import_valid_rows=True)
    assert refused.value.code == CatalogError.EDITOR_REQUIRED
    assert written() == before


def test_items_of_another_organisation_are_refused_row_by_row(food, people, county):
    data = transfer.export_json([food])
    before = written()
    report = transfer.import_json(
        actor=people["civil_editor"], data=data, organisation=county["civil"], import_valid_rows=True
    )
    assert report.imported is False
    [error] = report.errors
    assert error.field == "实施编码" and "不属于桐庐县民政局" in error.message
    assert written() == before


# ── Commands ───────────────────────────────────────────────────────────────────────────────────────────────────────


def test_commands_export_and_import_round_trip(food, people, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "catalog.xlsx"
    call_command("catalog_export", str(path), organisation=[food.organisation.uscc])
    call_command("catalog_import", str(path), organisation=food.organisation.uscc, actor="editor")
    assert state(latest(food)) == state(food.published_version)
    assert latest(food).number == 2


def test_import_command_refuses_a_non_editor_and_reports_errors(food, people, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "catalog.json"
    path.write_bytes(transfer.export_json([food]))
    before = written()
    with pytest.raises(CommandError, match="您不是该事项所属机构的事项编辑"):
        call_command("catalog_import", str(path), organisation=food.organisation.uscc, actor="clerk")
    document = json.loads(path.read_bytes())
    document["items"][0]["themes"] = ["nowhere"]
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SystemExit) as failed:
        call_command("catalog_import", str(path), organisation=food.organisation.uscc, actor="editor")
    assert failed.value.code == 1
    assert written() == before


def test_text_that_looks_like_a_formula_stays_text_in_excel(food, people, second_basic):
    from tongban.catalog import services
    from tongban.catalog.tests.lifecycle_fixtures import COMPLETE_GUIDE

    other = services.item_create(
        actor=people["editor"], basic_item=second_basic, organisation=food.organisation, exercise_level="4"
    )
    guide = {**COMPLETE_GUIDE, "consultation": '=HYPERLINK("http://x","y")'}
    services.version_create(actor=people["editor"], item=other, **guide)
    data = transfer.export_xlsx([other])
    sheet = workbook(data)["事项"]
    cell = sheet.cell(2, column(sheet, "咨询方式"))
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x","y")'
    report = transfer.import_xlsx(actor=people["editor"], data=data, organisation=food.organisation)
    assert report.imported and latest(other).consultation == '=HYPERLINK("http://x","y")'
