"""API shapes of the catalogue (/api/v1/catalog/): the public list and guide, and the staff write API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class ItemFilter(Schema):
    q: str = Field("", max_length=100, description="搜索词：事项名称、群众说法（如“开饭店”）、拼音首字母（如 spjy）")
    region: str = Field("", description="所在地区划代码：只列在该地可办的事项（按通办范围）")
    department: int | None = Field(None, description="实施主体（机构 id，见 /api/v1/core/organisations）")
    type: str = Field("", description="事项类型代码：01 行政许可 … 20 公共服务")
    audience: str = Field("", description="服务对象：person 或 enterprise")
    theme: str = Field("", description="主题代码")
    page: int = Field(1, ge=1, le=1000)
    page_size: int = Field(20, ge=1, le=100)


class ItemListOut(Schema):
    code: str = Field(description="实施编码")
    name: str
    type: str = Field(description="事项类型代码")
    type_name: str
    organisation: str = Field(description="实施主体名称")
    organisation_id: int
    region: str = Field(description="可办范围的区划代码；空表示跨省通办")
    region_name: str


class FacetOut(Schema):
    value: str
    label: str
    count: int


class ItemPageOut(Schema):
    items: list[ItemListOut]
    count: int
    page: int
    pages: int
    query_terms: list[str]
    facets: dict[str, list[FacetOut]]


class MaterialOut(Schema):
    name: str
    material_type: str
    material_form: str
    necessity: str
    paper_copies: int
    paper_size: str
    source: str
    source_licence_type: str
    source_registry_field: str
    blank_form_url: str
    sample_url: str
    acceptance_standard: str
    notes: str
    legal_basis: str


class FeeOut(Schema):
    name: str
    standard: str
    basis: str
    reduction: str


class FaqOut(Schema):
    question: str
    answer: str


class ThemeOut(Schema):
    code: str
    name: str
    audience: str


class ItemDetailOut(Schema):
    code: str
    basic_code: str
    version: int
    published_at: dt.datetime | None
    name: str
    type: str
    type_name: str
    organisation: str
    organisation_id: int
    organisation_uscc: str
    exercise_level: str
    region: str
    region_name: str
    elements: dict[str, Any] = Field(description="办事指南要素（字段名同 ItemVersion）")
    materials: list[MaterialOut]
    fees: list[FeeOut]
    faqs: list[FaqOut]
    themes: list[ThemeOut]
    process_outline: dict[str, Any] | None


class DraftIn(Schema):
    elements: dict[str, Any] = Field(default_factory=dict, description="第一版的指南要素；已有版本时忽略，复制现行版本")


class ElementsIn(Schema):
    elements: dict[str, Any] = Field(description="要修改的指南要素（字段名同 ItemVersion）")


class VersionOut(Schema):
    id: int
    item_code: str
    number: int
    status: str
    status_name: str
    name: str
    elements: dict[str, Any]
