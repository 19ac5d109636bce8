"""Bulk maintenance of the catalogue (批量维护): export items as JSON or Excel and import them back as drafts.

The JSON format is versioned (`{"format": "tongban.catalog/1", "items": [...]}`); one item is

    {"code": 实施编码, "basic_code": 基本编码, "exercise_level": "4", "version": 3, "status": "published",
     "elements": {<every guide element, model field name -> value>},
     "themes": ["birth", ...], "materials": [{...}], "fees": [{...}], "faqs": [{...}],
     "form": {"schema": {...}, "ui": {...}}, "process": {"template": "instant", "hash": "<sha>"} | null}

The Excel workbook holds the same data: sheet 事项 (one row per item, Chinese headers = the fields' verbose names,
choices as their Chinese labels, lists joined with "、", 是/否 for yes/no, the form as JSON text), and sheets
申请材料, 收费项目, 常见问题 whose rows name their item by 实施编码. Uploaded files (blank forms, samples) are not
part of the exchange: they stay with the version they were uploaded to and are copied by version_new_draft.
An empty form or process in the file leaves the draft's form or process as it is (it is not cleared).

Importing parses every row first and reports each bad row (sheet, row number, field, Chinese message). Nothing is
written from a file with errors unless `import_valid_rows` is set; then the items without errors are imported and
the report lists the others. Items are written as drafts through the lifecycle services (never published), plus one
summary audit row.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from tongban.accounts.access import staff_has_role
from tongban.accounts.models import StaffRole
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import (
    BasicItem,
    ExerciseLevel,
    Faq,
    FeeItem,
    ImplementationItem,
    ItemVersion,
    Material,
    ProcessDefinition,
    Theme,
    VersionStatus,
)
from tongban.catalog.validation import unknown_mapped_organisations
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.models import Organisation

FORMAT = "tongban.catalog/1"
JSON_SHEET = "items"
ITEM_SHEET = "事项"
MATERIAL_SHEET = "申请材料"
FEE_SHEET = "收费项目"
FAQ_SHEET = "常见问题"
MAX_ERRORS_PER_FILE = 1000  # a report longer than this helps nobody; the rest is summarised

# Columns of the 事项 sheet before the guide elements, and after them.
CODE_HEADER = "实施编码"
BASIC_CODE_HEADER = "基本编码"
LEVEL_HEADER = "行使层级"
VERSION_HEADER = "版本号"
STATUS_HEADER = "状态"
THEMES_HEADER = "主题"
FORM_SCHEMA_HEADER = "申请表 JSON Schema"
FORM_UI_HEADER = "申请表界面提示"
PROCESS_TEMPLATE_HEADER = "流程模板"
PROCESS_HASH_HEADER = "流程内容摘要"

_NOT_ELEMENTS = {
    "id",
    "item",
    "number",
    "status",
    "themes",
    "form_schema",
    "form_ui",
    "process",
    "result_sample",
    "author",
    "reviewer",
    "review_comment",
    "created_at",
    "updated_at",
    "submitted_at",
    "reviewed_at",
    "published_at",
}
_NOT_CHILD_FIELDS = {"id", "version", "blank_form", "sample"}
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
_TRUE = {"是", "true", "1", "yes", "y", "√"}
_FALSE = {"否", "false", "0", "no", "n", ""}


def _concrete_fields(model, excluded: set[str]) -> list[models.Field]:
    return [f for f in model._meta.get_fields() if f.concrete and not f.many_to_many and f.name not in excluded]


ELEMENT_FIELDS = _concrete_fields(ItemVersion, _NOT_ELEMENTS)
CHILD_FIELDS = {
    "materials": _concrete_fields(Material, _NOT_CHILD_FIELDS),
    "fees": _concrete_fields(FeeItem, _NOT_CHILD_FIELDS),
    "faqs": _concrete_fields(Faq, _NOT_CHILD_FIELDS),
}
CHILD_SHEETS = {"materials": MATERIAL_SHEET, "fees": FEE_SHEET, "faqs": FAQ_SHEET}


@dataclass(frozen=True)
class RowError:
    """One problem in the file: where (sheet and row number, as the user sees them), which field, and why."""

    sheet: str
    row: int
    field: str
    message: str
    whole_file: bool = False  # the file cannot be read as a whole (format, sheet, header): no row can be imported


@dataclass
class ImportReport:
    """What an import found and did. `imported` is False when nothing was written."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    skipped: int = 0
    imported: bool = False
    codes: list[str] = field(default_factory=list)

    @property
    def valid_items(self) -> int:
        return self.rows - self.skipped


@dataclass
class _ParsedItem:
    """An item as read from the file, with where it came from and what is wrong with it."""

    sheet: str
    row: int
    code: str = ""
    basic_code: str = ""
    exercise_level: str = ""
    elements: dict = field(default_factory=dict)
    themes: list[str] = field(default_factory=list)
    children: dict = field(default_factory=lambda: {"materials": [], "fees": [], "faqs": []})
    child_rows: dict = field(default_factory=lambda: {"materials": [], "fees": [], "faqs": []})
    form_schema: dict = field(default_factory=dict)
    form_ui: dict = field(default_factory=dict)
    process_template: str = ""
    process_hash: str = ""
    errors: list[RowError] = field(default_factory=list)
    # Resolved during validation
    basic_item: BasicItem | None = None
    item: ImplementationItem | None = None
    theme_objects: list[Theme] = field(default_factory=list)
    process: ProcessDefinition | None = None

    def error(self, field_label: str, message: str, *, sheet: str = "", row: int = 0) -> None:
        self.errors.append(RowError(sheet or self.sheet, row or self.row, field_label, message))


# ---------------------------------------------------------------------------------------------------------------
# Export


def export_version(item: ImplementationItem) -> ItemVersion | None:
    """The version an export carries: the published one, otherwise the latest."""
    if item.published_version_id:
        return item.published_version
    return item.versions.order_by("-number").first()


def _element_value(version: ItemVersion, model_field: models.Field):
    return getattr(version, model_field.attname)


def _child_record(child, fields: list[models.Field]) -> dict:
    return {f.name: getattr(child, f.attname) for f in fields}


def item_record(item: ImplementationItem, version: ItemVersion) -> dict:
    """One item in the exchange format (plain JSON values)."""
    process = version.process
    return {
        "code": item.code,
        "basic_code": item.basic_item.code,
        "exercise_level": item.exercise_level,
        "version": version.number,
        "status": version.status,
        "elements": {f.name: _element_value(version, f) for f in ELEMENT_FIELDS},
        "themes": [theme.code for theme in version.themes.all()],
        "materials": [_child_record(m, CHILD_FIELDS["materials"]) for m in version.materials.all()],
        "fees": [_child_record(f, CHILD_FIELDS["fees"]) for f in version.fees.all()],
        "faqs": [_child_record(q, CHILD_FIELDS["faqs"]) for q in version.faqs.all()],
        "form": {"schema": version.form_schema or {}, "ui": version.form_ui or {}},
        "process": {"template": process.template, "hash": process.content_hash} if process else None,
    }


def _records(items) -> list[dict]:
    items = (
        ImplementationItem.objects.filter(pk__in=[item.pk for item in items])
        .select_related("basic_item", "published_version__process")
        .prefetch_related(
            "published_version__themes",
            "published_version__materials",
            "published_version__fees",
            "published_version__faqs",
        )
        .order_by("code")
    )
    records = []
    for item in items:
        version = export_version(item)
        if version is not None:
            records.append(item_record(item, version))
    return records


def export_json(items) -> bytes:
    """The items (their published or latest version) as UTF-8 JSON in the tongban.catalog/1 format."""
    document = {"format": FORMAT, "items": _records(items)}
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def _label(model_field: models.Field) -> str:
    return str(model_field.verbose_name)


def _cell(model_field: models.Field, value):
    """A value as a person reads it in Excel: choice labels, 是/否, lists joined with 、, JSON as text."""
    if isinstance(model_field, models.BooleanField):
        return "是" if value else "否"
    if isinstance(model_field, models.JSONField):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "、".join(value)
        return json.dumps(value, ensure_ascii=False) if value not in (None, {}, []) else ""
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return value


def _item_headers() -> list[str]:
    return [
        CODE_HEADER,
        BASIC_CODE_HEADER,
        LEVEL_HEADER,
        VERSION_HEADER,
        STATUS_HEADER,
        *[_label(f) for f in ELEMENT_FIELDS],
        THEMES_HEADER,
        FORM_SCHEMA_HEADER,
        FORM_UI_HEADER,
        PROCESS_TEMPLATE_HEADER,
        PROCESS_HASH_HEADER,
    ]


def _item_row(record: dict) -> list:
    process = record["process"] or {}
    level_field = ImplementationItem._meta.get_field("exercise_level")
    status_field = ItemVersion._meta.get_field("status")
    form = record["form"]
    return [
        record["code"],
        record["basic_code"],
        _cell(level_field, record["exercise_level"]),
        record["version"],
        _cell(status_field, record["status"]),
        *[_cell(f, record["elements"][f.name]) for f in ELEMENT_FIELDS],
        "、".join(record["themes"]),
        json.dumps(form["schema"], ensure_ascii=False) if form["schema"] else "",
        json.dumps(form["ui"], ensure_ascii=False) if form["ui"] else "",
        process.get("template", ""),
        process.get("hash", ""),
    ]


def export_xlsx(items) -> bytes:
    """The items as an Excel workbook: 事项, 申请材料, 收费项目, 常见问题 (see the module docstring)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    with translation.override("zh-hans"):
        records = _records(items)
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = ITEM_SHEET
        sheet.append(_item_headers())
        for record in records:
            sheet.append(_item_row(record))
        for kind, sheet_name in CHILD_SHEETS.items():
            child_sheet = workbook.create_sheet(sheet_name)
            fields = CHILD_FIELDS[kind]
            child_sheet.append([CODE_HEADER, *[_label(f) for f in fields]])
            for record in records:
                for child in record[kind]:
                    child_sheet.append([record["code"], *[_cell(f, child[f.name]) for f in fields]])
        for each in workbook.worksheets:
            for cell in each[1]:
                cell.font = Font(bold=True)
            _text_not_formulas(each)
            each.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_not_formulas(sheet) -> None:
    """Text that starts with "=" stays text: openpyxl would store it as a formula that Excel runs when opened."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


# ---------------------------------------------------------------------------------------------------------------
# Parsing values


class _BadValue(ValueError):
    """A cell that cannot be read as its field's type (the message is Chinese, for the report)."""


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _choice(model_field: models.Field, value) -> str:
    text = _text(value)
    if text == "":
        return ""
    choices = dict(model_field.flatchoices)
    if text in choices:
        return text
    by_label = {str(label): key for key, label in choices.items()}
    if text in by_label:
        return by_label[text]
    allowed = "、".join(f"{key}（{label}）" for key, label in choices.items())
    raise _BadValue(_("“%(value)s”不是可选的值，可选：%(allowed)s") % {"value": text, "allowed": allowed})


def _integer(value) -> int | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, bool):
        raise _BadValue(_("应为整数"))
    try:
        number = int(float(_text(value))) if not isinstance(value, int) else value
    except ValueError as exc:
        raise _BadValue(_("“%(value)s”不是整数") % {"value": _text(value)}) from exc
    if isinstance(value, float) and not value.is_integer():
        raise _BadValue(_("“%(value)s”不是整数") % {"value": value})
    if number < 0:
        raise _BadValue(_("不能为负数"))
    return number


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _BadValue(_("应填写“是”或“否”"))


def _string_list(value) -> list[str]:
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise _BadValue(_("应为文字列表"))
        return [v.strip() for v in value if v.strip()]
    return [part for part in _LIST_SEPARATORS.split(_text(value)) if part]


def _json_object(value) -> dict:
    if isinstance(value, dict):
        return value
    text = _text(value)
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise _BadValue(_("不是有效的 JSON")) from exc
    if not isinstance(parsed, dict):
        raise _BadValue(_("应为 JSON 对象"))
    return parsed


def _mapping(value) -> dict:
    """A {name: code} element such as 流程泳道对应部门 (a JSON object; JSON text in Excel)."""
    mapping = _json_object(value)
    if not all(isinstance(key, str) and isinstance(code, str) for key, code in mapping.items()):
        raise _BadValue(_('应为“部门名称 → 统一社会信用代码”的 JSON 对象，如 {"协办部门": "11330122…"}'))
    return {key.strip(): code.strip() for key, code in mapping.items()}


def _field_value(model_field: models.Field, value):
    """Read one cell or JSON value as `model_field` stores it; raise _BadValue with a Chinese message."""
    if model_field.choices:
        return _choice(model_field, value)
    if isinstance(model_field, models.BooleanField):
        return _boolean(value)
    if isinstance(model_field, models.IntegerField):
        return _integer(value)
    if isinstance(model_field, models.JSONField):
        return _mapping(value) if model_field.default is dict else _string_list(value)
    text = _text(value)
    max_length = getattr(model_field, "max_length", None)
    if max_length and len(text) > max_length:
        raise _BadValue(_("不能超过 %(max)s 个字") % {"max": max_length})
    return text


def _required(model_field: models.Field) -> bool:
    return not model_field.blank and not model_field.has_default()


def _read_fields(fields, values: dict, report_error, *, key) -> dict:
    """Read every field of a record; missing required elements and bad values go to `report_error(label, message)`."""
    out = {}
    for model_field in fields:
        label = _label(model_field)
        raw = values.get(key(model_field))
        try:
            value = _field_value(model_field, raw)
        except _BadValue as exc:
            report_error(label, str(exc))
            continue
        if value in (None, "") and _required(model_field):
            report_error(label, _("缺少必填要素“%(label)s”") % {"label": label})
            continue
        if value is None or (value == "" and model_field.has_default() and not model_field.blank):
            continue  # keep the model's default
        out[model_field.name] = value
    return out


# ---------------------------------------------------------------------------------------------------------------
# Reading the two formats into _ParsedItem objects


def _parse_item(sheet: str, row: int, values: dict, *, key) -> _ParsedItem:
    parsed = _ParsedItem(sheet=sheet, row=row)
    parsed.code = _text(values.get(key(CODE_HEADER)))
    if not parsed.code:
        parsed.error(CODE_HEADER, _("缺少实施编码"))
    parsed.elements = _read_fields(ELEMENT_FIELDS, values, parsed.error, key=key)
    try:
        parsed.themes = _string_list(values.get(key(THEMES_HEADER)) or [])
    except _BadValue as exc:
        parsed.error(THEMES_HEADER, str(exc))
    for header, attribute in ((FORM_SCHEMA_HEADER, "form_schema"), (FORM_UI_HEADER, "form_ui")):
        try:
            setattr(parsed, attribute, _json_object(values.get(key(header))))
        except _BadValue as exc:
            parsed.error(header, str(exc))
    parsed.process_template = _text(values.get(key(PROCESS_TEMPLATE_HEADER)))
    parsed.process_hash = _text(values.get(key(PROCESS_HASH_HEADER)))
    return parsed


def _parse_child(parsed: _ParsedItem, kind: str, sheet: str, row: int, values: dict, *, key) -> None:
    def report(label, message):
        parsed.error(label, message, sheet=sheet, row=row)

    record = _read_fields(CHILD_FIELDS[kind], values, report, key=key)
    parsed.children[kind].append(record)
    parsed.child_rows[kind].append((sheet, row))


def _json_item_values(record: dict) -> dict:
    """A JSON item flattened to the same keys the Excel reader uses (field names and the sheet's headers)."""
    form = record.get("form") or {}
    process = record.get("process") or {}
    elements = record.get("elements") or {}
    if not isinstance(elements, dict) or not isinstance(form, dict) or not isinstance(process, dict):
        raise _BadValue(_("事项的 elements、form、process 应为 JSON 对象"))
    return {
        **elements,
        CODE_HEADER: record.get("code"),
        THEMES_HEADER: record.get("themes") or [],
        FORM_SCHEMA_HEADER: form.get("schema") or {},
        FORM_UI_HEADER: form.get("ui") or {},
        PROCESS_TEMPLATE_HEADER: process.get("template", ""),
        PROCESS_HASH_HEADER: process.get("hash", ""),
    }


def _json_key(thing) -> str:
    return thing.name if isinstance(thing, models.Field) else thing


def _parse_json(data: bytes) -> tuple[list[_ParsedItem], list[RowError]]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return [], [RowError(JSON_SHEET, 0, _("文件"), _("不是有效的 UTF-8 JSON 文件"), True)]
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        message = _('文件格式应为 %(format)s（顶层 {"format": "%(format)s", "items": [...]}）') % {"format": FORMAT}
        return [], [RowError(JSON_SHEET, 0, "format", message, True)]
    records = document.get("items")
    if not isinstance(records, list):
        return [], [RowError(JSON_SHEET, 0, "items", _("items 应为列表"), True)]
    parsed_items = []
    for index, record in enumerate(records, start=1):
        parsed_items.append(_parse_json_item(index, record))
    return parsed_items, []


def _parse_json_item(index: int, record) -> _ParsedItem:
    if not isinstance(record, dict):
        parsed = _ParsedItem(sheet=JSON_SHEET, row=index)
        parsed.error(_("事项"), _("应为 JSON 对象"))
        return parsed
    try:
        values = _json_item_values(record)
    except _BadValue as exc:
        parsed = _ParsedItem(sheet=JSON_SHEET, row=index, code=_text(record.get("code")))
        parsed.error(_("事项"), str(exc))
        return parsed
    parsed = _parse_item(JSON_SHEET, index, values, key=_json_key)
    for kind in CHILD_FIELDS:
        children = record.get(kind) or []
        sheet = f"{JSON_SHEET}[{index}].{kind}"
        if not isinstance(children, list):
            parsed.error(kind, _("应为列表"))
            continue
        for child_index, child in enumerate(children, start=1):
            if not isinstance(child, dict):
                parsed.error(kind, _("应为 JSON 对象"), sheet=sheet, row=child_index)
                continue
            _parse_child(parsed, kind, sheet, child_index, child, key=_json_key)
    return parsed


def _sheet_rows(sheet) -> tuple[list[str], list[tuple[int, dict]]]:
    """Headers and (row number, {header: value}) for each non-empty row after the header row."""
    rows = sheet.iter_rows(values_only=True)
    header_row = next(rows, None) or ()
    headers = [_text(h) for h in header_row]
    out = []
    for number, values in enumerate(rows, start=2):
        if all(_text(v) == "" for v in values):
            continue
        out.append((number, {h: v for h, v in zip(headers, values, strict=False) if h}))
    return headers, out


def _excel_key(thing) -> str:
    return _label(thing) if isinstance(thing, models.Field) else thing


def _missing_headers(sheet_name: str, headers: list[str], expected: list[str]) -> list[RowError]:
    return [
        RowError(sheet_name, 1, header, _("缺少列“%(header)s”") % {"header": header}, True)
        for header in expected
        if header not in headers
    ]


def _parse_xlsx(data: bytes) -> tuple[list[_ParsedItem], list[RowError]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a file that is not a workbook
        return [], [RowError(ITEM_SHEET, 0, _("文件"), _("不是有效的 Excel（.xlsx）文件"), True)]
    if ITEM_SHEET not in workbook.sheetnames:
        return [], [RowError(ITEM_SHEET, 0, _("工作表"), _("缺少工作表“事项”"), True)]
    headers, rows = _sheet_rows(workbook[ITEM_SHEET])
    file_errors = _missing_headers(
        ITEM_SHEET, headers, [CODE_HEADER, *[_label(f) for f in ELEMENT_FIELDS if _required(f)]]
    )
    if file_errors:
        return [], file_errors
    parsed_items = [_parse_item(ITEM_SHEET, number, values, key=_excel_key) for number, values in rows]
    by_code: dict[str, _ParsedItem] = {}
    for parsed in parsed_items:
        by_code.setdefault(parsed.code, parsed)
    for kind, sheet_name in CHILD_SHEETS.items():
        if sheet_name not in workbook.sheetnames:
            continue
        child_headers, child_rows = _sheet_rows(workbook[sheet_name])
        expected = [CODE_HEADER, *[_label(f) for f in CHILD_FIELDS[kind] if _required(f)]]
        missing = _missing_headers(sheet_name, child_headers, expected)
        if missing:
            file_errors.extend(missing)
            continue
        for number, values in child_rows:
            code = _text(values.get(CODE_HEADER))
            owner = by_code.get(code) if code else None
            if owner is None:
                message = _("所属事项“%(code)s”不在“事项”表中") % {"code": code} if code else _("缺少实施编码")
                file_errors.append(RowError(sheet_name, number, CODE_HEADER, message))
                continue
            _parse_child(owner, kind, sheet_name, number, values, key=_excel_key)
    workbook.close()
    return parsed_items, file_errors


# ---------------------------------------------------------------------------------------------------------------
# Validation against the database


def _validate(parsed_items: list[_ParsedItem], organisation) -> None:
    """Resolve codes, themes, processes and forms; record what is wrong on each parsed item."""
    from tongban.catalog import forms_schema
    from tongban.catalog.codes import validate_implementation_code

    codes = [p.code for p in parsed_items if p.code]
    existing = {item.code: item for item in ImplementationItem.objects.filter(code__in=codes)}
    basic_codes = {code[19:] for code in codes if len(code) == 31}
    basic_items = {b.code: b for b in BasicItem.objects.filter(code__in=basic_codes)}
    themes = {t.code: t for t in Theme.objects.all()}
    hashes = [p.process_hash for p in parsed_items if p.process_hash]
    processes = {p.content_hash: p for p in ProcessDefinition.objects.filter(content_hash__in=hashes)}
    usccs = {code for p in parsed_items for code in (p.elements.get("process_departments") or {}).values()}
    organisations = set(Organisation.objects.filter(uscc__in=usccs, active=True).values_list("uscc", flat=True))
    seen: set[str] = set()
    for parsed in parsed_items:
        if parsed.code in seen:
            parsed.error(CODE_HEADER, _("实施编码“%(code)s”在文件中重复出现") % {"code": parsed.code})
        seen.add(parsed.code)
        if parsed.code:
            _validate_code(parsed, organisation, existing, basic_items, validate_implementation_code)
        _validate_themes(parsed, themes)
        _validate_process(parsed, processes)
        _validate_departments(parsed, organisations)
        _validate_form(parsed, forms_schema.check_form)


def _validate_code(parsed: _ParsedItem, organisation, existing, basic_items, validate_implementation_code) -> None:
    try:
        validate_implementation_code(parsed.code)
    except DomainError as exc:
        parsed.error(CODE_HEADER, _("实施编码“%(code)s”不正确：%(why)s") % {"code": parsed.code, "why": exc.message})
        return
    if parsed.code[:18] != organisation.uscc:
        message = _("实施编码“%(code)s”不属于%(organisation)s（统一社会信用代码 %(uscc)s）")
        parsed.error(
            CODE_HEADER, message % {"code": parsed.code, "organisation": organisation, "uscc": organisation.uscc}
        )
        return
    parsed.exercise_level = parsed.code[18]
    if parsed.exercise_level not in ExerciseLevel.values:
        parsed.error(LEVEL_HEADER, _("实施编码中的行使层级“%(level)s”不正确") % {"level": parsed.exercise_level})
        return
    parsed.basic_code = parsed.code[19:]
    parsed.basic_item = basic_items.get(parsed.basic_code)
    if parsed.basic_item is None:
        parsed.error(BASIC_CODE_HEADER, _("基本编码“%(code)s”不在基本目录中") % {"code": parsed.basic_code})
    parsed.item = existing.get(parsed.code)
    if parsed.item is not None:
        _validate_existing(parsed)


def _validate_existing(parsed: _ParsedItem) -> None:
    latest = parsed.item.versions.order_by("-number").first()
    if latest is not None and latest.status in (VersionStatus.SUBMITTED, VersionStatus.APPROVED):
        message = _("该事项的第 %(number)s 版%(status)s，请审核完成后再导入") % {
            "number": latest.number,
            "status": latest.get_status_display(),
        }
        parsed.error(CODE_HEADER, message)


def _validate_themes(parsed: _ParsedItem, themes: dict) -> None:
    parsed.theme_objects = []
    for code in parsed.themes:
        theme = themes.get(code) or next((t for t in themes.values() if t.name == code), None)
        if theme is None:
            parsed.error(THEMES_HEADER, _("主题“%(code)s”不存在") % {"code": code})
        else:
            parsed.theme_objects.append(theme)


def _validate_process(parsed: _ParsedItem, processes: dict) -> None:
    if parsed.process_hash:
        parsed.process = processes.get(parsed.process_hash)
        if parsed.process is not None:
            return
        if not parsed.process_template:
            parsed.error(PROCESS_HASH_HEADER, _("流程定义“%(hash)s”不存在") % {"hash": parsed.process_hash[:12]})
            return
    if not parsed.process_template:
        return
    from tongban.catalog.bpmn import TEMPLATES as templates  # only needed when a file names a template

    if parsed.process_template not in templates:
        allowed = "、".join(templates)
        message = _("流程模板“%(key)s”不存在，可选：%(allowed)s") % {"key": parsed.process_template, "allowed": allowed}
        parsed.error(PROCESS_TEMPLATE_HEADER, message)


def _validate_departments(parsed: _ParsedItem, organisations: set[str]) -> None:
    """Each lane department must name an active organisation by its USCC (whether every lane of the process is
    covered is checked when the draft is submitted, as in the workbench)."""
    label = _label(ItemVersion._meta.get_field("process_departments"))
    for message in unknown_mapped_organisations(parsed.elements.get("process_departments") or {}, organisations):
        parsed.error(label, message)


def _validate_form(parsed: _ParsedItem, check_form) -> None:
    if not parsed.form_schema and not parsed.form_ui:
        return
    try:
        check_form(parsed.form_schema, parsed.form_ui)
    except DomainError as exc:
        details = getattr(exc, "fields", None) or {}
        why = "；".join(f"{k}：{'，'.join(map(str, v))}" for k, v in details.items()) if details else exc.message
        parsed.error(FORM_SCHEMA_HEADER, why)


# ---------------------------------------------------------------------------------------------------------------
# Import


def require_import_rights(actor, organisation) -> None:
    """Only a catalogue editor of the organisation may import its items (raises EDITOR_REQUIRED)."""
    if not staff_has_role(actor, StaffRole.CATALOGUE_EDITOR, organisation):
        raise DomainError(CatalogError.EDITOR_REQUIRED)


def import_json(*, actor, data: bytes, organisation, import_valid_rows: bool = False) -> ImportReport:
    """Import a tongban.catalog/1 JSON file for `organisation` (see the module docstring)."""
    return _import(actor=actor, data=data, organisation=organisation, import_valid_rows=import_valid_rows, kind="json")


def import_xlsx(*, actor, data: bytes, organisation, import_valid_rows: bool = False) -> ImportReport:
    """Import an Excel workbook in the export's layout for `organisation` (see the module docstring)."""
    return _import(actor=actor, data=data, organisation=organisation, import_valid_rows=import_valid_rows, kind="xlsx")


def check_file(*, actor, data: bytes, organisation, kind: str) -> ImportReport:
    """Parse and validate without writing anything: the report an import would start from."""
    require_import_rights(actor, organisation)
    report, _parsed = _check(data, organisation, kind)
    return report


def _check(data: bytes, organisation, kind: str) -> tuple[ImportReport, list[_ParsedItem]]:
    with translation.override("zh-hans"):
        parsed_items, file_errors = (_parse_json if kind == "json" else _parse_xlsx)(data)
        _validate(parsed_items, organisation)
    errors = list(file_errors)
    for parsed in parsed_items:
        errors.extend(parsed.errors)
    errors.sort(key=_error_order)
    report = ImportReport(rows=len(parsed_items), errors=errors[:MAX_ERRORS_PER_FILE])
    report.skipped = sum(1 for parsed in parsed_items if parsed.errors)
    if any(error.whole_file for error in errors):
        report.skipped = report.rows
    return report, parsed_items


_SHEET_ORDER = {JSON_SHEET: 0, ITEM_SHEET: 0, MATERIAL_SHEET: 1, FEE_SHEET: 2, FAQ_SHEET: 3}


def _error_order(error: RowError):
    return (_SHEET_ORDER.get(error.sheet, 0), error.sheet, error.row)


class _Refused(Exception):
    """Raised inside the import's transaction to roll every write back (the file has errors)."""


def _import(*, actor, data: bytes, organisation, import_valid_rows: bool, kind: str) -> ImportReport:
    require_import_rights(actor, organisation)
    report, parsed_items = _check(data, organisation, kind)
    if any(error.whole_file for error in report.errors):
        return report
    try:
        _write(
            actor=actor,
            organisation=organisation,
            parsed_items=parsed_items,
            report=report,
            kind=kind,
            import_valid_rows=import_valid_rows,
        )
    except _Refused:
        report.created = report.updated = 0
        report.codes = []
        report.imported = False
    report.errors.sort(key=_error_order)
    return report


@transaction.atomic
def _write(*, actor, organisation, parsed_items, report: ImportReport, kind: str, import_valid_rows: bool) -> None:
    """Write every item without parse errors, each in its own savepoint so that the services' own checks (the same
    ones the workbench applies) are reported per row too; then keep the lot, or roll it all back when the file has
    errors and the user has not chosen to import the valid rows."""
    for parsed in parsed_items:
        if parsed.errors:
            continue
        try:
            with transaction.atomic():
                created = _write_item(actor, organisation, parsed)
        except DomainError as exc:
            report.errors.extend(_service_errors(parsed, exc))
            report.skipped += 1
            continue
        report.created += int(created)
        report.updated += int(not created)
        report.codes.append(parsed.code)
    if (report.errors and not import_valid_rows) or not report.codes:
        raise _Refused
    report.imported = True
    audit.record(
        actor=actor,
        action="catalog.import",
        obj=organisation,
        after={
            "format": kind,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "skipped": report.skipped,
            "codes": report.codes,
        },
    )


def _service_errors(parsed: _ParsedItem, exc: DomainError) -> list[RowError]:
    """A service's refusal as report rows: "materials.2.name" points at that material's row, an element at the item."""
    if not exc.fields:
        return [RowError(parsed.sheet, parsed.row, CODE_HEADER, exc.message)]
    errors = []
    for key, messages in exc.fields.items():
        sheet, row, label = _locate(parsed, key)
        errors.extend(RowError(sheet, row, label, str(message)) for message in messages)
    return errors


def _locate(parsed: _ParsedItem, key: str) -> tuple[str, int, str]:
    parts = key.split(".")
    if len(parts) == 3 and parts[0] in CHILD_FIELDS and parts[1].isdigit():
        kind, index, name = parts[0], int(parts[1]), parts[2]
        rows = parsed.child_rows[kind]
        if index < len(rows):
            sheet, row = rows[index]
            return sheet, row, _field_label(CHILD_FIELDS[kind], name)
    return parsed.sheet, parsed.row, _field_label(ELEMENT_FIELDS, key)


def _field_label(fields, name: str) -> str:
    return next((_label(f) for f in fields if f.name == name), name)


def _write_item(actor, organisation, parsed: _ParsedItem) -> bool:
    """Write one item as a draft; True when the item itself is new."""
    from tongban.catalog import bpmn, services

    created = parsed.item is None
    if created:
        item = services.item_create(
            actor=actor, basic_item=parsed.basic_item, organisation=organisation, exercise_level=parsed.exercise_level
        )
        version = services.version_create(actor=actor, item=item, **parsed.elements)
    else:
        version = _editable_draft(actor, parsed.item)
        version = services.version_update(actor=actor, version=version, **parsed.elements)
    services.version_set_themes(actor=actor, version=version, themes=parsed.theme_objects)
    services.version_replace_children(
        actor=actor,
        version=version,
        materials=parsed.children["materials"],
        fees=parsed.children["fees"],
        faqs=parsed.children["faqs"],
    )
    form_given = bool(parsed.form_schema or parsed.form_ui)
    if form_given and (version.form_schema, version.form_ui) != (parsed.form_schema, parsed.form_ui):
        services.version_set_form(actor=actor, version=version, schema=parsed.form_schema, ui=parsed.form_ui)
    process = parsed.process
    if process is None and parsed.process_template:
        process = bpmn.process_from_template(actor=actor, key=parsed.process_template)
    if process is not None and version.process_id != process.pk:
        services.version_set_process(actor=actor, version=version, process=process)
    return created


def _editable_draft(actor, item: ImplementationItem) -> ItemVersion:
    """The item's draft or returned version to write into, or a new draft copied from the published/latest one."""
    from tongban.catalog import services

    latest = item.versions.order_by("-number").first()
    if latest is not None and latest.status in (VersionStatus.DRAFT, VersionStatus.RETURNED):
        return latest
    return services.version_new_draft(actor=actor, item=item)


# ---------------------------------------------------------------------------------------------------------------
# What the pages and commands need


def sniff_kind(data: bytes) -> str:
    """ "xlsx" for a zip container, "json" for a JSON object, "" for anything else (the name is not trusted)."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "json"
    return ""


def import_file(*, actor, data: bytes, organisation, import_valid_rows: bool = False) -> ImportReport:
    """Import a file of either format, chosen by its content; an unrecognised file raises INVALID_IMPORT."""
    kind = sniff_kind(data)
    if kind == "json":
        return import_json(actor=actor, data=data, organisation=organisation, import_valid_rows=import_valid_rows)
    if kind == "xlsx":
        return import_xlsx(actor=actor, data=data, organisation=organisation, import_valid_rows=import_valid_rows)
    raise DomainError(CatalogError.INVALID_IMPORT, _("只能导入 JSON（.json）或 Excel（.xlsx）文件"))
