"""Request and response bodies of the cases API (/api/v1/cases/)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import BaseModel


class AnswerOut(BaseModel):
    """An answer the view builds as dicts, validated by plain pydantic.

    ninja's Schema reads every field through its DjangoGetter (made for model objects); for the hot lists' answers
    (issue 5: 20 rows of 15 fields with nested documents) that cost about 0.7 ms of CPU per request, against a tenth
    of that for pydantic's own dict validation. Use it only where the view hands over dicts.
    """


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}
    request_id: str = ""


class UploadOut(Schema):
    """A file stored for the caller, to be named as a material's `upload` when applying."""

    id: int
    name: str
    size: int
    content_type: str
    sha256: str


class MaterialIn(Schema):
    material: int = Field(..., description="申请材料 id（事项指南中的材料）")
    provision: Literal["upload", "licence", "registry", "deferred", "paper"] = Field(
        "upload", description="提供方式：upload 上传、deferred 容缺后补等"
    )
    upload: int | None = Field(None, description="provision 为 upload 时，先调用上传接口得到的文件 id")
    reference: str = Field("", max_length=200, description="电子证照标识或共享数据项")


class CaseCreateIn(Schema):
    item: str = Field(..., min_length=1, max_length=31, description="事项实施编码（31 位）")
    answers: dict = Field(default_factory=dict, description="申请表内容，按事项申请表的 JSON Schema")
    materials: list[MaterialIn] = Field(default_factory=list)
    enterprise: int | None = Field(None, description="以企业身份申请时，企业账号 id（须为其法定代表人或授权经办人）")


class LinksOut(AnswerOut):
    api: str = Field(..., description="本办件的接口地址")
    page: str = Field(..., description="我的办件中的办件页面")


class CaseCreatedOut(Schema):
    """The submitted case as the applicant is told at once: number, query code, status and acceptance deadline."""

    number: str
    query_code: str
    public_id: str
    status: int
    status_name: str
    item: str
    item_name: str
    organisation: str
    received_at: dt.datetime | None
    acceptance_due: dt.date | None
    links: LinksOut


class DocumentOut(AnswerOut):
    id: int
    kind: str
    kind_name: str
    number: str
    issued_at: dt.datetime
    ready: bool
    download: str


class TimelineEventOut(Schema):
    code: int
    name: str
    organisation: str
    time: dt.datetime
    opinion: str


class CaseSummaryOut(AnswerOut):
    public_id: str
    number: str | None
    status: int
    status_name: str
    item: str
    item_name: str
    organisation: str
    current_step: str
    created_at: dt.datetime
    received_at: dt.datetime | None
    acceptance_due: dt.date | None
    promised_due: dt.date | None
    statutory_due: dt.date | None
    documents: list[DocumentOut]
    links: LinksOut


class CasePageOut(AnswerOut):
    items: list[CaseSummaryOut]
    count: int
    page: int
    pages: int


class SupplementItemOut(Schema):
    material: int | None
    name: str
    problem: str


class CaseDetailOut(CaseSummaryOut):
    applicant_name: str
    channel: str
    accepted_on: dt.date | None
    acceptance_deemed: bool
    timeline: list[TimelineEventOut]
    supplement: list[SupplementItemOut]


class LookupTimelineOut(Schema):
    """A step as an anonymous lookup shows it: what, which organisation, when; no names, no opinions."""

    code: int
    name: str
    organisation: str
    time: dt.datetime


class LookupOut(Schema):
    number: str
    status: int
    status_name: str
    item_name: str
    organisation: str
    received_at: dt.datetime | None
    acceptance_due: dt.date | None
    promised_due: dt.date | None
    timeline: list[LookupTimelineOut]


class LookupQuery(Schema):
    number: str = Field(..., max_length=64, description="办件编号")
    code: str = Field("", max_length=16, description="查询密码（6 位数字）")
    id_number: str = Field("", max_length=32, description="或：申请人证件号码（身份证号或统一社会信用代码）")


class WorklistRowOut(AnswerOut):
    number: str
    status: int
    status_name: str
    item: str
    item_name: str
    organisation: str
    applicant_name: str
    channel: str
    received_at: dt.datetime | None
    acceptance_due: dt.date | None
    supervision_flag: bool
    lock_version: int


class WorklistPageOut(AnswerOut):
    worklist: str
    items: list[WorklistRowOut]
    count: int = Field(..., description="办件数；count_capped 为 true 时只计到 1000")
    count_capped: bool = Field(
        ..., description="多于 1000 件：count 为 1000，pages 为至少的页数；请求 1000 件之后的页时按实际数量计"
    )
    page: int
    pages: int
