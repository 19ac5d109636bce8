"""API routes of the catalogue (/api/v1/catalog/): the public list and guide, and a small staff write API.

Public and read-only: GET /items (search, filters, facets, pages) and GET /items/{code} (every guide element of the
published version; 404 when the item is not published). Staff: session-authenticated (CSRF-checked) editor actions
that call the lifecycle services — start a draft, change elements, submit for review; the services audit them and
refuse whoever is not an editor of the item.
"""

from __future__ import annotations

import json

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models.fields.files import FieldFile
from django.http import HttpResponse
from ninja import Query, Router, Status
from ninja.security import django_auth

from tongban.catalog import access, portal, search, services
from tongban.catalog.models import ImplementationItem, ItemType, ItemVersion, ProcessDefinition, VersionStatus
from tongban.catalog.schemas import (
    DraftIn,
    ElementsIn,
    ItemDetailOut,
    ItemFilter,
    ItemPageOut,
    VersionOut,
)
from tongban.core.models import Region

router = Router(tags=["事项目录"])


def _type_name(code: str) -> str:
    return search.item_type_label(code)


def _plain(value):
    if isinstance(value, FieldFile):
        return value.url if value else ""
    return value


def _elements(version: ItemVersion) -> dict:
    return {name: _plain(getattr(version, name)) for name in services.GUIDE_ELEMENTS}


# --- Public -----------------------------------------------------------------------------------------------------------


@router.get("/items", response=ItemPageOut, summary="事项列表与搜索")
def list_items(request, filters: Query[ItemFilter]):
    """已公布的事项：q 为搜索词（群众说法、拼音首字母、错别字均可），按相关度和使用次数排序；可按地区、部门、类型筛选。

    facets 给出按部门、类型、地区的计数（各自不受本维度筛选的影响）。
    """
    body = search.cached(
        "api",
        _page_body,
        q=filters.q,
        region_code=filters.region.strip()[:12] if filters.region.strip().isdigit() else "",
        organisation_id=filters.department,
        item_type=filters.type if filters.type in ItemType.values else "",
        audience=filters.audience if filters.audience in ("person", "enterprise") else "",
        theme=filters.theme[:50],
        page=filters.page,
        per_page=filters.page_size,
    )
    # The body is built from typed search results and kept encoded (search.cached): answered directly, without a
    # second validation pass, on a hit without even decoding it; the schema still documents the shape and the tests
    # hold the two together.
    return HttpResponse(body, content_type="application/json")


def _page_body(results: search.SearchResults) -> bytes:
    """The list's JSON body (ItemPageOut) for one page of search results."""
    body = {
        "items": [
            {
                "code": hit.code,
                "name": hit.name,
                "type": hit.item_type,
                "type_name": hit.item_type_label,
                "organisation": hit.organisation_name,
                "organisation_id": hit.organisation_id,
                "region": hit.region_code,
                "region_name": hit.region_name,
            }
            for hit in results.items
        ],
        "count": results.total,
        "page": results.page,
        "pages": results.pages,
        "query_terms": results.query_terms,
        "facets": {name: [vars(value) for value in values] for name, values in results.facets.items()},
    }
    return json.dumps(body, ensure_ascii=False, cls=DjangoJSONEncoder).encode("utf-8")


@router.get("/items/{code}", response=ItemDetailOut, summary="事项办事指南")
def get_item(request, code: str):
    """现行（已公布）版本的全部办事指南要素、申请材料、收费、常见问题、主题和流程概要；未公布的事项返回 404。"""
    item = access.access_published_item(code[:31])
    key = "api:" + portal.guide_cache_key(item.published_version)
    detail = cache.get(key)
    if detail is None:  # built once per published version and language, like the guide page
        detail = _detail(item)
        cache.set(key, detail, portal.GUIDE_CACHE_SECONDS)
    return detail


def _detail(item: ImplementationItem) -> dict:
    version = item.published_version
    organisation = item.organisation
    region_code = search.scope_region_code(version, organisation)
    outline = None
    if version.process_id:
        outline = ProcessDefinition.objects.filter(pk=version.process_id).values_list("outline", flat=True).first()
    return {
        "code": item.code,
        "basic_code": item.basic_item.code,
        "version": version.number,
        "published_at": version.published_at,
        "name": version.name,
        "type": version.item_type,
        "type_name": _type_name(version.item_type),
        "organisation": organisation.name,
        "organisation_id": organisation.pk,
        "organisation_uscc": organisation.uscc,
        "exercise_level": item.exercise_level,
        "region": region_code,
        "region_name": _region_name(region_code, organisation),
        "elements": _elements(version),
        "materials": [
            {
                **{name: getattr(material, name) for name in _MATERIAL_FIELDS},
                "blank_form_url": _plain(material.blank_form),
                "sample_url": _plain(material.sample),
            }
            for material in version.materials.all()
        ],
        "fees": list(version.fees.values("name", "standard", "basis", "reduction")),
        "faqs": list(version.faqs.values("question", "answer")),
        "themes": list(version.themes.values("code", "name", "audience")),
        "process_outline": outline,
    }


_MATERIAL_FIELDS = (
    "name",
    "material_type",
    "material_form",
    "necessity",
    "paper_copies",
    "paper_size",
    "source",
    "source_licence_type",
    "source_registry_field",
    "acceptance_standard",
    "notes",
    "legal_basis",
)


def _region_name(region_code: str, organisation) -> str:
    """The name of the area where the item is valid: the organisation's own region, or one query for the one above."""
    if not region_code:
        return str(search._facet_label("region", "", ""))
    if organisation.region.code == region_code:
        return organisation.region.name
    return Region.objects.filter(code=region_code).values_list("name", flat=True).first() or region_code


# --- Staff (editors) --------------------------------------------------------------------------------------------------


def _version_out(version: ItemVersion) -> dict:
    return {
        "id": version.pk,
        "item_code": version.item.code,
        "number": version.number,
        "status": version.status,
        "status_name": str(VersionStatus(version.status).label),
        "name": version.name,
        "elements": _elements(version),
    }


@router.post("/staff/items/{item_id}/drafts", response={201: VersionOut}, auth=django_auth, summary="新建草稿版本")
def create_draft(request, item_id: int, payload: DraftIn):
    """事项编辑：没有任何版本时以 elements 新建第一版；否则复制现行（或最新）版本为新草稿。"""
    item = access.access_item_for_editor(request.user, item_id)
    if item.versions.exists():
        version = services.version_new_draft(actor=request.user, item=item)
    else:
        version = services.version_create(actor=request.user, item=item, **payload.elements)
    return Status(201, _version_out(version))


@router.get("/staff/versions/{version_id}", response=VersionOut, auth=django_auth, summary="查看版本")
def get_version(request, version_id: int):
    return _version_out(access.access_version_for_editor(request.user, version_id))


@router.patch("/staff/versions/{version_id}", response=VersionOut, auth=django_auth, summary="修改草稿要素")
def update_version(request, version_id: int, payload: ElementsIn):
    """只能修改草稿或已退回的版本；字段名同 ItemVersion，未知字段或取值有误时返回 400 并列出字段。"""
    version = access.access_version_for_editor(request.user, version_id)
    return _version_out(services.version_update(actor=request.user, version=version, **payload.elements))


@router.post("/staff/versions/{version_id}/submit", response=VersionOut, auth=django_auth, summary="提交审核")
def submit_version(request, version_id: int):
    """提交前校验全部必填要素；不完整时返回 400 并按字段列出问题。"""
    version = access.access_version_for_editor(request.user, version_id)
    return _version_out(services.version_submit(actor=request.user, version=version))
