"""Application forms (申请表): a JSON Schema (Draft 2020-12) plus UI hints, checked when an editor saves them and used
again on the server to validate what an applicant submits.

UI hints (`form_ui`):
    {"pages": [{"title": "申请人信息", "fields": ["name", "birth_date"], "help": "…"}],
     "help": {"name": "与身份证上的姓名一致"},
     "prefill": {"name": "profile.real_name"}}

Field types an editor may use: string, number, integer, boolean, date (string with format "date"), and array of
enum strings (tick boxes). A string with `enum` is a choice (radio buttons); a string whose maxLength is over 200 is
shown as a text area. Field names are lower-case identifiers so that process conditions can name them.
Messages are Chinese and say what to do (GOV.UK style: "请填写姓名", "请输入正确的日期，例如 2026-03-01").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from tongban.catalog.errors import CatalogError
from tongban.core.errors import DomainError

# Where a field's value can be filled in from (the applicant's verified profile or the enterprise they act for).
# The labels are marked for translation here and translated where they are shown (gettext at call time).
PREFILL_SOURCES = {
    "profile.real_name": gettext_noop("实名姓名"),
    "profile.id_number": gettext_noop("公民身份号码"),
    "profile.phone": gettext_noop("手机号码"),
    "profile.gender": gettext_noop("性别"),
    "profile.birth_date": gettext_noop("出生日期"),
    "profile.address": gettext_noop("户籍地址"),
    "enterprise.name": gettext_noop("企业名称"),
    "enterprise.uscc": gettext_noop("统一社会信用代码"),
    "enterprise.legal_representative": gettext_noop("法定代表人"),
    "enterprise.address": gettext_noop("住所"),
}

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
TEXTAREA_MIN_LENGTH = 200
UI_KEYS = {"pages", "help", "prefill"}
SCALAR_TYPES = {"string", "number", "integer", "boolean"}
STRING_FORMATS = {"date"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

SCHEMA_KEY = "form_schema"
UI_KEY = "form_ui"


@dataclass(frozen=True)
class FormField:
    """One field as a page renders it."""

    name: str
    label: str
    kind: str  # text, textarea, number, integer, boolean, date, choice, choices
    required: bool
    help: str = ""
    choices: list[str] = field(default_factory=list)
    prefill: str = ""
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class FormPage:
    """One short page of an application form."""

    number: int
    title: str
    help: str
    fields: list[FormField]


# ---------------------------------------------------------------------------------------------------------------
# Checking an editor's form definition


def check_form(schema: Any, ui: Any) -> None:
    """Raise DomainError(INVALID_FORM_SCHEMA, fields={"form_schema"/"form_ui": [...]}) when the form is wrong."""
    problems = form_problems(schema, ui)
    if problems:
        first = next(iter(problems.values()))[0]
        raise DomainError(CatalogError.INVALID_FORM_SCHEMA, first, fields=problems)


def form_problems(schema: Any, ui: Any) -> dict[str, list[str]]:
    """Every problem of a form definition, keyed "form_schema" / "form_ui" (empty when the form is good)."""
    schema_problems = _schema_problems(schema)
    if schema_problems:
        return {SCHEMA_KEY: schema_problems}
    ui_problems = _ui_problems(schema, ui)
    return {UI_KEY: ui_problems} if ui_problems else {}


def _schema_problems(schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return [_("申请表定义必须是一个 JSON 对象")]
    if schema.get("$schema", SCHEMA_URI) != SCHEMA_URI:
        return [_("申请表定义须使用 JSON Schema 2020-12（$schema 应为 %(uri)s）") % {"uri": SCHEMA_URI}]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.path) or _("根")
        return [
            _("申请表定义不符合 JSON Schema 2020-12（位置：%(where)s）：%(detail)s")
            % {"where": where, "detail": error.message}
        ]
    if schema.get("type") != "object":
        return [_("申请表定义的 type 必须是 object")]
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return [_("申请表至少要有一个字段（properties）")]
    problems: list[str] = []
    for name, prop in properties.items():
        problems.extend(_property_problems(name, prop))
    for name in schema.get("required", []):
        if name not in properties:
            problems.append(_("必填字段“%(name)s”不在字段列表（properties）中") % {"name": name})
    return problems


def _property_problems(name: str, prop: Any) -> list[str]:
    if not FIELD_NAME.match(name):
        return [_("字段名“%(name)s”只能用小写字母、数字和下划线，并以字母开头") % {"name": name}]
    if not isinstance(prop, dict):
        return [_("字段“%(name)s”的定义必须是一个对象") % {"name": name}]
    problems = []
    if not str(prop.get("title", "")).strip():
        problems.append(_("字段“%(name)s”缺少名称（title），申请人看到的就是它") % {"name": name})
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("items")
        if not (isinstance(items, dict) and items.get("type") == "string" and items.get("enum")):
            problems.append(_("字段“%(name)s”是多选，items 必须是带 enum 选项的 string") % {"name": name})
    elif kind not in SCALAR_TYPES:
        problems.append(
            _("字段“%(name)s”的类型“%(kind)s”不支持，只能是 string、number、integer、boolean 或 array")
            % {"name": name, "kind": kind}
        )
    fmt = prop.get("format")
    if fmt is not None and (kind != "string" or fmt not in STRING_FORMATS):
        problems.append(
            _("字段“%(name)s”的格式“%(format)s”不支持，只支持 string 的 date（日期）") % {"name": name, "format": fmt}
        )
    return problems


def _ui_problems(schema: dict, ui: Any) -> list[str]:
    if not isinstance(ui, dict):
        return [_("界面提示必须是一个 JSON 对象")]
    problems = [
        _("界面提示中的“%(key)s”不认识，只能有 pages、help、prefill") % {"key": key} for key in ui if key not in UI_KEYS
    ]
    properties = schema["properties"]
    problems.extend(_pages_problems(properties, ui.get("pages")))
    help_texts = ui.get("help", {})
    if not isinstance(help_texts, dict):
        problems.append(_("help 必须是“字段名: 说明”的对象"))
    else:
        problems.extend(
            _("帮助说明中的字段“%(name)s”不在申请表中") % {"name": name}
            for name in help_texts
            if name not in properties
        )
    prefill = ui.get("prefill", {})
    if not isinstance(prefill, dict):
        problems.append(_("prefill 必须是“字段名: 来源”的对象"))
    else:
        problems.extend(_prefill_problems(properties, prefill))
    return problems


def _pages_problems(properties: dict, pages: Any) -> list[str]:
    if not isinstance(pages, list) or not pages:
        return [_("界面提示至少要有一页（pages）")]
    problems: list[str] = []
    placed: dict[str, int] = {}
    for number, page in enumerate(pages, start=1):
        if not isinstance(page, dict) or not str(page.get("title", "")).strip():
            problems.append(_("第 %(number)s 页缺少标题（title）") % {"number": number})
            continue
        title = page["title"]
        fields = page.get("fields")
        if not isinstance(fields, list) or not fields:
            problems.append(_("第 %(number)s 页“%(title)s”没有字段") % {"number": number, "title": title})
            continue
        for name in fields:
            if name not in properties:
                problems.append(
                    _("第 %(number)s 页“%(title)s”中的字段“%(name)s”不在申请表中")
                    % {"number": number, "title": title, "name": name}
                )
            elif name in placed:
                problems.append(
                    _("字段“%(name)s”同时出现在第 %(first)s 页和第 %(number)s 页，每个字段只能放在一页")
                    % {"name": name, "first": placed[name], "number": number}
                )
            else:
                placed[name] = number
    problems.extend(_("字段“%(name)s”没有放在任何一页上") % {"name": name} for name in properties if name not in placed)
    return problems


def _prefill_problems(properties: dict, prefill: dict) -> list[str]:
    problems = []
    for name, source in prefill.items():
        if name not in properties:
            problems.append(_("预填字段“%(name)s”不在申请表中") % {"name": name})
        elif source not in PREFILL_SOURCES:
            allowed = "、".join(PREFILL_SOURCES)
            message = _("字段“%(name)s”的预填来源“%(source)s”不认识，可用：%(allowed)s")
            problems.append(message % {"name": name, "source": source, "allowed": allowed})
    return problems


# ---------------------------------------------------------------------------------------------------------------
# Validating a submission


def _strict_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not _DATE.match(instance):
        return False
    try:
        dt.date.fromisoformat(instance)
    except ValueError:
        return False
    return True


_FORMATS = FormatChecker(formats=())
_FORMATS.checks("date")(_strict_date)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def validate_submission(
    schema: dict, data: Mapping[str, Any], *, ui: Mapping[str, Any] | None = None
) -> dict[str, list[str]]:
    """Chinese messages per field for what an applicant submitted (empty when it is all right).

    Empty values ("", None, []) count as not given, so a required field left blank reads "请填写…". The messages are
    in the order the applicant meets the fields: the form's pages (`ui["pages"][*]["fields"]`) when `ui` is given,
    else the schema's property order (which PostgreSQL's jsonb does not keep), then any other field.
    """
    given = {name: value for name, value in data.items() if not _empty(value)}
    properties = schema.get("properties", {})
    messages: dict[str, list[str]] = {}
    validator = Draft202012Validator(schema, format_checker=_FORMATS)
    for error in sorted(validator.iter_errors(given), key=lambda e: list(e.absolute_path)):
        for name, message in _messages_for(error, properties, given):
            if message not in messages.setdefault(name, []):
                messages[name].append(message)
    return {name: messages[name] for name in _field_order([*ui_field_order(ui), *properties], messages)}


def ui_field_order(ui: Mapping[str, Any] | None) -> list[str]:
    """The field names of the form's pages, page by page (a name placed twice counts once); [] without pages."""
    pages = ui.get("pages") if isinstance(ui, Mapping) else None
    if not isinstance(pages, list):
        return []
    names = [
        name
        for page in pages
        if isinstance(page, Mapping) and isinstance(page.get("fields"), list)
        for name in page["fields"]
        if isinstance(name, str)
    ]
    return list(dict.fromkeys(names))


def _field_order(order: list[str], messages: dict) -> list[str]:
    """Messages in the order the fields appear, so the error summary reads top to bottom; unknown names last."""
    known = [name for name in dict.fromkeys(order) if name in messages]
    return known + [name for name in messages if name not in known]


def _messages_for(error, properties: dict, given: dict) -> list[tuple[str, str]]:
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [(name, _required_message(name, properties.get(name, {}))) for name in missing]
    if error.validator == "additionalProperties":
        extra = [name for name in error.instance if name not in properties]
        return [(name, _("申请表中没有这一项")) for name in extra]
    path = list(error.absolute_path)
    if not path:
        return [("__all__", _("提交的申请表内容有误"))]
    name = str(path[0])
    return [(name, _field_message(error, properties.get(name, {})))]


def _title(prop: dict) -> str:
    return str(prop.get("title", "")) or _("此项")


def _required_message(name: str, prop: dict) -> str:
    title = _title(prop)
    if prop.get("type") in {"boolean", "array"} or "enum" in prop:
        return _("请选择%(title)s") % {"title": title}
    return _("请填写%(title)s") % {"title": title}


def _field_message(error, prop: dict) -> str:
    title = _title(prop)
    rule = error.validator
    value = error.validator_value
    if rule == "type":
        return _type_message(title, prop)
    if rule == "format":
        return _("请输入正确的日期，例如 2026-03-01")
    if rule in {"enum", "const"}:
        return _("请从给定的选项中选择%(title)s") % {"title": title}
    if rule == "minimum":
        return _("%(title)s不能小于 %(value)s") % {"title": title, "value": value}
    if rule == "exclusiveMinimum":
        return _("%(title)s必须大于 %(value)s") % {"title": title, "value": value}
    if rule == "maximum":
        return _("%(title)s不能大于 %(value)s") % {"title": title, "value": value}
    if rule == "exclusiveMaximum":
        return _("%(title)s必须小于 %(value)s") % {"title": title, "value": value}
    if rule == "minLength":
        if value <= 1:
            return _("请填写%(title)s") % {"title": title}
        return _("%(title)s至少要填写 %(value)s 个字") % {"title": title, "value": value}
    if rule == "maxLength":
        return _("%(title)s不能超过 %(value)s 个字") % {"title": title, "value": value}
    if rule == "pattern":
        hint = prop.get("x-format-hint", "")
        if hint:
            return _("%(title)s的格式不正确，%(hint)s") % {"title": title, "hint": hint}
        return _("%(title)s的格式不正确") % {"title": title}
    if rule == "minItems":
        return _("%(title)s请至少选择 %(value)s 项") % {"title": title, "value": value}
    if rule == "maxItems":
        return _("%(title)s最多只能选择 %(value)s 项") % {"title": title, "value": value}
    if rule == "uniqueItems":
        return _("%(title)s中有重复的选项") % {"title": title}
    return _("%(title)s填写有误，请检查") % {"title": title}


def _type_message(title: str, prop: dict) -> str:
    kind = prop.get("type")
    if kind == "integer":
        return _("%(title)s请输入整数") % {"title": title}
    if kind == "number":
        return _("%(title)s请输入数字") % {"title": title}
    if kind == "boolean":
        return _("请选择%(title)s") % {"title": title}
    if kind == "array":
        return _("请从给定的选项中选择%(title)s") % {"title": title}
    return _("%(title)s请输入文字") % {"title": title}


def coerce_submission(schema: dict, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values from an HTML form post (strings; lists for multi-choice): numbers parsed where they can be,
    "true"/"on"/"是" as True, "false"/"否" as False. A value that does not parse is kept as typed so that
    validate_submission names it ("请输入数字")."""
    properties = schema.get("properties", {})
    data: dict[str, Any] = {}
    for name, prop in properties.items():
        if name not in raw:
            continue
        data[name] = _coerce(prop, raw[name])
    return data


def _coerce(prop: dict, value: Any) -> Any:
    kind = prop.get("type")
    if kind == "array":
        return [v for v in (value if isinstance(value, list) else [value]) if v != ""]
    if isinstance(value, list):
        value = value[-1] if value else ""
    if not isinstance(value, str):
        return value
    value = value.strip()
    if value == "":
        return ""
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    if kind == "number" and re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
        return float(value) if "." in value else int(value)
    if kind == "boolean":
        return {"true": True, "on": True, "是": True, "false": False, "否": False}.get(value.lower(), value)
    return value


# ---------------------------------------------------------------------------------------------------------------
# Rendering


def form_pages(schema: dict, ui: dict) -> list[FormPage]:
    """The pages of a (checked) form with each field's label, widget kind, help, choices and prefill source."""
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    help_texts = ui.get("help", {})
    prefill = ui.get("prefill", {})
    pages = []
    for number, page in enumerate(ui.get("pages", []), start=1):
        fields = [
            _form_field(name, properties[name], name in required, help_texts.get(name, ""), prefill.get(name, ""))
            for name in page.get("fields", [])
            if name in properties
        ]
        pages.append(FormPage(number=number, title=page.get("title", ""), help=page.get("help", ""), fields=fields))
    return pages


def _form_field(name: str, prop: dict, required: bool, help_text: str, prefill: str) -> FormField:
    kind, choices = _kind(prop)
    return FormField(
        name=name,
        label=_title(prop),
        kind=kind,
        required=required,
        help=help_text or str(prop.get("description", "")),
        choices=choices,
        prefill=prefill,
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
        max_length=prop.get("maxLength"),
    )


def _kind(prop: dict) -> tuple[str, list[str]]:
    kind = prop.get("type")
    if kind == "array":
        return "choices", [str(choice) for choice in prop.get("items", {}).get("enum", [])]
    if "enum" in prop:
        return "choice", [str(choice) for choice in prop["enum"]]
    if kind == "string" and prop.get("format") == "date":
        return "date", []
    if kind == "string":
        return ("textarea" if (prop.get("maxLength") or 0) > TEXTAREA_MIN_LENGTH else "text"), []
    return kind, []
