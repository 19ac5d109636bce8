"""Application forms: the editor's definition is checked, a submission gets the Chinese messages citizens see."""

from __future__ import annotations

import copy

import pytest

from tongban.catalog.errors import CatalogError
from tongban.catalog.forms_schema import (
    PREFILL_SOURCES,
    FormField,
    check_form,
    coerce_submission,
    form_pages,
    form_problems,
    validate_submission,
)
from tongban.catalog.models import ItemVersion
from tongban.catalog.tests.lifecycle_fixtures import *  # noqa: F403
from tongban.catalog.tests.lifecycle_fixtures import complete_draft
from tongban.core.errors import DomainError

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "姓名", "minLength": 1, "maxLength": 50},
        "birth_date": {"type": "string", "format": "date", "title": "出生日期"},
        "gender": {"type": "string", "title": "性别", "enum": ["男", "女"]},
        "phone": {
            "type": "string",
            "title": "手机号码",
            "pattern": "^1[3-9]\\d{9}$",
            "x-format-hint": "如 13800000000",
        },
        "area": {"type": "number", "title": "经营面积", "minimum": 1, "maximum": 10000},
        "employees": {"type": "integer", "title": "从业人数", "minimum": 1},
        "has_licence": {"type": "boolean", "title": "是否已有营业执照"},
        "business_type": {
            "type": "array",
            "title": "经营项目",
            "items": {"type": "string", "enum": ["预包装食品销售", "散装食品销售", "热食类食品制售"]},
            "minItems": 1,
            "uniqueItems": True,
        },
        "remarks": {"type": "string", "title": "备注", "maxLength": 1000},
    },
    "required": ["name", "birth_date", "gender", "phone", "area", "business_type"],
}

UI = {
    "pages": [
        {"title": "申请人信息", "fields": ["name", "birth_date", "gender", "phone"], "help": "请按身份证填写"},
        {"title": "经营情况", "fields": ["area", "employees", "has_licence", "business_type", "remarks"]},
    ],
    "help": {"area": "单位：平方米"},
    "prefill": {"name": "profile.real_name", "phone": "profile.phone"},
}


def problems_of(schema=None, ui=None):
    return form_problems(SCHEMA if schema is None else schema, UI if ui is None else ui)


def test_a_good_form_passes():
    check_form(SCHEMA, UI)  # does not raise
    assert problems_of() == {}


def test_a_field_missing_from_the_pages_is_named():
    ui = copy.deepcopy(UI)
    ui["pages"][1]["fields"].remove("remarks")
    assert problems_of(ui=ui) == {"form_ui": ["字段“remarks”没有放在任何一页上"]}
    with pytest.raises(DomainError) as raised:
        check_form(SCHEMA, ui)
    assert raised.value.code is CatalogError.INVALID_FORM_SCHEMA
    assert raised.value.fields == {"form_ui": ["字段“remarks”没有放在任何一页上"]}


def test_a_page_naming_an_unknown_field_or_repeating_one_is_refused():
    ui = copy.deepcopy(UI)
    ui["pages"][0]["fields"].append("salary")
    ui["pages"][1]["fields"].append("name")
    assert problems_of(ui=ui) == {
        "form_ui": [
            "第 1 页“申请人信息”中的字段“salary”不在申请表中",
            "字段“name”同时出现在第 1 页和第 2 页，每个字段只能放在一页",
        ]
    }


def test_an_unknown_prefill_source_is_refused():
    ui = copy.deepcopy(UI)
    ui["prefill"]["name"] = "registry.secret"
    [message] = problems_of(ui=ui)["form_ui"]
    assert message.startswith("字段“name”的预填来源“registry.secret”不认识")
    assert "profile.real_name" in PREFILL_SOURCES


def test_a_schema_failing_the_meta_schema_is_refused():
    schema = copy.deepcopy(SCHEMA)
    schema["properties"]["area"]["minimum"] = "一"
    [message] = problems_of(schema=schema)["form_schema"]
    assert message.startswith("申请表定义不符合 JSON Schema 2020-12（位置：properties/area/minimum）")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"type": "object", "title": "地址"},
            "字段“remarks”的类型“object”不支持，只能是 string、number、integer、boolean 或 array",
        ),
        ({"type": "string"}, "字段“remarks”缺少名称（title），申请人看到的就是它"),
        (
            {"type": "string", "title": "备注", "format": "email"},
            "字段“remarks”的格式“email”不支持，只支持 string 的 date（日期）",
        ),
        (
            {"type": "array", "title": "备注", "items": {"type": "string"}},
            "字段“remarks”是多选，items 必须是带 enum 选项的 string",
        ),
    ],
)
def test_unsupported_field_definitions(change, message):
    schema = copy.deepcopy(SCHEMA)
    schema["properties"]["remarks"] = change
    assert problems_of(schema=schema) == {"form_schema": [message]}


def test_other_schema_dialects_and_shapes_are_refused():
    assert problems_of(schema={**SCHEMA, "$schema": "http://json-schema.org/draft-07/schema#"}) == {
        "form_schema": [
            "申请表定义须使用 JSON Schema 2020-12（$schema 应为 https://json-schema.org/draft/2020-12/schema）"
        ]
    }
    assert problems_of(schema={**SCHEMA, "properties": {}}) == {"form_schema": ["申请表至少要有一个字段（properties）"]}
    assert problems_of(schema={**SCHEMA, "required": ["name", "nickname"]}) == {
        "form_schema": ["必填字段“nickname”不在字段列表（properties）中"]
    }
    assert problems_of(schema=[]) == {"form_schema": ["申请表定义必须是一个 JSON 对象"]}


def test_field_names_must_be_usable_in_process_conditions():
    schema = copy.deepcopy(SCHEMA)
    schema["properties"]["Full Name"] = {"type": "string", "title": "全名"}
    assert problems_of(schema=schema) == {
        "form_schema": ["字段名“Full Name”只能用小写字母、数字和下划线，并以字母开头"]
    }


GOOD = {
    "name": "张三",
    "birth_date": "1990-05-01",
    "gender": "男",
    "phone": "13800000000",
    "area": 80.5,
    "employees": 3,
    "has_licence": True,
    "business_type": ["预包装食品销售"],
}


def test_a_good_submission_has_no_messages():
    assert validate_submission(SCHEMA, GOOD) == {}


def test_missing_answers_say_what_to_do():
    assert validate_submission(SCHEMA, {"name": "", "business_type": []}) == {
        "name": ["请填写姓名"],
        "birth_date": ["请填写出生日期"],
        "gender": ["请选择性别"],
        "phone": ["请填写手机号码"],
        "area": ["请填写经营面积"],
        "business_type": ["请选择经营项目"],
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_date", "2026-02-30", "请输入正确的日期，例如 2026-03-01"),
        ("birth_date", "20260301", "请输入正确的日期，例如 2026-03-01"),
        ("gender", "未知", "请从给定的选项中选择性别"),
        ("phone", "12345", "手机号码的格式不正确，如 13800000000"),
        ("area", 0, "经营面积不能小于 1"),
        ("area", 20000, "经营面积不能大于 10000"),
        ("area", "八十", "经营面积请输入数字"),
        ("employees", 2.5, "从业人数请输入整数"),
        ("name", "张" * 51, "姓名不能超过 50 个字"),
        ("business_type", ["卷烟零售"], "请从给定的选项中选择经营项目"),
        ("business_type", ["散装食品销售", "散装食品销售"], "经营项目中有重复的选项"),
    ],
)
def test_wrong_answers_get_a_specific_message(field, value, message):
    assert validate_submission(SCHEMA, {**GOOD, field: value}) == {field: [message]}


def test_messages_follow_the_order_of_the_fields():
    errors = validate_submission(SCHEMA, {**GOOD, "phone": "1", "name": ""})
    assert list(errors) == ["name", "phone"]


def test_coerce_an_html_form_post():
    raw = {"name": " 张三 ", "area": "80.5", "employees": "3", "has_licence": "on", "business_type": ["预包装食品销售"]}
    assert coerce_submission(SCHEMA, {**raw, "unknown": "x"}) == {
        "name": "张三",
        "area": 80.5,
        "employees": 3,
        "has_licence": True,
        "business_type": ["预包装食品销售"],
    }
    assert coerce_submission(SCHEMA, {"area": "八十"}) == {"area": "八十"}


def test_form_pages_for_rendering():
    first, second = form_pages(SCHEMA, UI)
    assert (first.number, first.title, first.help) == (1, "申请人信息", "请按身份证填写")
    assert [f.name for f in first.fields] == ["name", "birth_date", "gender", "phone"]
    assert first.fields[0] == FormField(
        name="name", label="姓名", kind="text", required=True, prefill="profile.real_name", max_length=50
    )
    assert first.fields[1].kind == "date"
    assert (first.fields[2].kind, first.fields[2].choices) == ("choice", ["男", "女"])
    kinds = {f.name: f.kind for f in second.fields}
    assert kinds == {
        "area": "number",
        "employees": "integer",
        "has_licence": "boolean",
        "business_type": "choices",
        "remarks": "textarea",
    }
    area = second.fields[0]
    assert (area.help, area.required, area.minimum, area.maximum) == ("单位：平方米", True, 1, 10000)
    assert second.fields[2].required is False


def test_messages_follow_the_pages_when_the_ui_is_given():
    ui = {"pages": [{"title": "联系", "fields": ["phone", "gender"]}, {"title": "本人", "fields": ["name", "area"]}]}
    errors = validate_submission(SCHEMA, {**GOOD, "phone": "1", "name": "", "gender": "", "area": 0}, ui=ui)
    assert list(errors) == ["phone", "gender", "name", "area"]


def test_fields_not_on_any_page_follow_in_property_order():
    ui = {"pages": [{"title": "经营", "fields": ["area"]}]}
    errors = validate_submission(SCHEMA, {**GOOD, "phone": "1", "name": "", "area": 0}, ui=ui)
    assert list(errors) == ["area", "name", "phone"]


@pytest.mark.parametrize("ui", [None, {}, {"pages": "x"}, {"pages": [{"fields": None}, "x", {"fields": [3]}]}])
def test_without_usable_pages_messages_follow_the_properties(ui):
    errors = validate_submission(SCHEMA, {**GOOD, "phone": "1", "name": ""}, ui=ui)
    assert list(errors) == ["name", "phone"]


STORED_SCHEMA = {
    "type": "object",
    "properties": {
        "applicant_name": {"type": "string", "title": "申请人姓名", "minLength": 1},
        "birth_date": {"type": "string", "format": "date", "title": "出生日期"},
        "phone": {"type": "string", "title": "手机号码", "pattern": "^1[3-9]\\d{9}$"},
    },
    "required": ["applicant_name", "birth_date", "phone"],
}
STORED_UI = {"pages": [{"title": "申请人", "fields": ["applicant_name", "birth_date", "phone"]}]}


@pytest.mark.django_db
def test_a_stored_form_reports_in_page_order_on_either_database(item, people):
    """PostgreSQL's jsonb gives the properties back shortest key first (phone, birth_date, applicant_name); the page
    list keeps the order the editor chose, so the messages follow it on both databases."""
    version = complete_draft(item, people["editor"])
    ItemVersion.objects.filter(pk=version.pk).update(form_schema=STORED_SCHEMA, form_ui=STORED_UI)
    version.refresh_from_db()
    errors = validate_submission(version.form_schema, {"phone": "1"}, ui=version.form_ui)
    assert errors == {
        "applicant_name": ["请填写申请人姓名"],
        "birth_date": ["请填写出生日期"],
        "phone": ["手机号码的格式不正确"],
    }
    assert list(errors) == ["applicant_name", "birth_date", "phone"]
