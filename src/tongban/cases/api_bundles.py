"""/api/v1/bundles/: apply for a bundle (一件事) and follow it over JSON.

- GET /catalogue/{code}: a published bundle: its items and departments, the pages of fields (shared ones once) and
  the material groups (each document once, named by its group key).
- POST "": apply in one call (Idempotency-Key header: a retry returns the first application, 200 instead of 201).
- GET /mine: the caller's bundle applications; GET /{public_id}: one, with each child case's progress.

Authentication as /api/v1/cases/ (the session or a person's bearer token with the "cases" scope).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.paginator import Paginator
from ninja import Header, Router, Schema, Status

from tongban.cases import bundles
from tongban.cases import selectors_bundles as selectors
from tongban.cases.api import ERRORS, PER_PAGE, _caller, _idempotency_key, _identity, cases_auth
from tongban.cases.models import BundleApplication
from tongban.cases.selectors_bundles import ChildRow
from tongban.cases.services import Applicant

router = Router(tags=["一件事"])


class FieldOut(Schema):
    name: str
    label: str
    kind: str
    required: bool
    choices: list[str]


class PageOut(Schema):
    key: str  # "shared" or the item's code
    title: str
    fields: list[FieldOut]


class GroupOut(Schema):
    key: str
    name: str
    necessity: str
    items: list[str]


class PartOut(Schema):
    item: str
    name: str
    organisation: str


class BundleOut(Schema):
    code: str
    name: str
    description: str
    min_real_name_level: int
    items: list[PartOut]
    pages: list[PageOut]
    materials: list[GroupOut]


class MaterialIn(Schema):
    group: str
    provision: str = "upload"
    upload: int | None = None


class AnswersIn(Schema):
    shared: dict = {}
    items: dict[str, dict] = {}


class BundleApplyIn(Schema):
    bundle: str
    enterprise: int | None = None
    answers: AnswersIn
    materials: list[MaterialIn] = []


class ChildOut(Schema):
    number: str
    item: str
    item_name: str
    organisation: str
    status: int
    status_name: str
    next_step: str
    page: str
    supplement: str


class ApplicationOut(Schema):
    public_id: str
    number: str
    bundle: str
    bundle_name: str
    status: int
    status_name: str
    received_at: dt.datetime | None
    closed_at: dt.datetime | None
    page: str
    cases: list[ChildOut] = []


class ApplicationPageOut(Schema):
    items: list[ApplicationOut]
    count: int
    page: int
    pages: int


def _child(row: ChildRow) -> dict:
    case = row.case
    return {
        "number": case.number,
        "item": case.item.code,
        "item_name": case.version.name,
        "organisation": case.organisation.name,
        "status": case.status,
        "status_name": case.get_status_display(),
        "next_step": row.next_step,
        "page": row.detail_url,
        "supplement": row.supplement_url,
    }


def _application(application: BundleApplication, rows: list[ChildRow] | None = None) -> dict:
    return {
        "public_id": str(application.public_id),
        "number": application.number or "",
        "bundle": application.bundle.code,
        "bundle_name": application.bundle.name,
        "status": application.status,
        "status_name": application.get_status_display(),
        "received_at": application.received_at,
        "closed_at": application.closed_at,
        "page": bundles.parent_link(application.public_id),
        "cases": [_child(row) for row in rows or []],
    }


@router.get("/catalogue/{code}", response={200: BundleOut, 404: ERRORS[404]}, summary="一件事的申请表和材料")
def bundle_catalogue(request, code: str):
    """一件事包含的事项、需要填写的字段（共用字段只填一次）和材料（同一份材料只交一次，按材料组提交）。"""
    bundle = bundles.access_published_bundle(code)
    parts = bundles.bundle_parts(bundle)
    return {
        "code": bundle.code,
        "name": bundle.name,
        "description": bundle.description,
        "min_real_name_level": bundles.min_real_name_level(parts),
        "items": [
            {"item": p.item.code, "name": p.version.name, "organisation": p.item.organisation.name} for p in parts
        ],
        "pages": [
            {
                "key": bundles.SHARED if page.part is None else page.part.item.code,
                "title": page.page.title,
                "fields": [
                    {"name": f.name, "label": f.label, "kind": f.kind, "required": f.required, "choices": f.choices}
                    for f in page.page.fields
                ],
            }
            for page in bundles.bundle_pages(bundle, parts)
        ],
        "materials": [
            {"key": g.key, "name": g.name, "necessity": g.necessity, "items": g.item_names}
            for g in bundles.material_groups(parts)
        ],
    }


@router.post("", auth=cases_auth, response={200: ApplicationOut, 201: ApplicationOut, **ERRORS}, summary="申请一件事")
def bundle_apply(request, payload: BundleApplyIn, idempotency_key: str = Header("", alias="Idempotency-Key")):
    """一次提交一件事：共用字段放在 answers.shared，各事项自己的字段放在 answers.items[事项编码]；材料按材料组提交。
    必须带 Idempotency-Key 请求头：同一个键重试时返回第一次的申请（200）。"""
    key = _idempotency_key(idempotency_key)
    person = _caller(request)
    identity = _identity(request, payload.enterprise)
    applicant = Applicant(account=identity.enterprise if identity else person, person=person)
    application, created = bundles.bundle_submit_new(
        actor=person,
        applicant=applicant,
        bundle=bundles.access_published_bundle(payload.bundle),
        answers={bundles.SHARED: payload.answers.shared, bundles.ITEMS: payload.answers.items},
        materials=[row.dict() for row in payload.materials],
        idempotency_key=key,
    )
    return Status(201 if created else 200, _application(application, selectors.bundle_progress(application)))


@router.get("/mine", auth=cases_auth, response={200: ApplicationPageOut, **ERRORS}, summary="我的一件事申请")
def bundle_mine(request, page: int = 1, enterprise: int | None = None):
    """当前身份的一件事申请（含草稿），新的在前。"""
    applications = selectors.applicant_bundles(_caller(request), _identity(request, enterprise))
    current = Paginator(applications.select_related("bundle").order_by("-created_at", "-pk"), PER_PAGE).get_page(page)
    return {
        "items": [_application(application) for application in current.object_list],
        "count": current.paginator.count,
        "page": current.number,
        "pages": current.paginator.num_pages,
    }


@router.get("/{public_id}", auth=cases_auth, response={200: ApplicationOut, **ERRORS}, summary="一件事办理进度")
def bundle_detail(request, public_id: uuid.UUID, enterprise: int | None = None):
    """一件事申请及其各事项办件的状态、下一步、补正入口。"""
    application = selectors.access_bundle_for_applicant(_caller(request), _identity(request, enterprise), public_id)
    return _application(application, selectors.bundle_progress(application))
