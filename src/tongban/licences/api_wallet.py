"""/api/v1/wallet/: 我的证照 and 用证授权 over JSON, for the signed-in person under their current identity (personal,
or the enterprise they switched to; an agent sees the enterprise's licences within scope and may not grant).

- GET /licences?tab=&page=: the wallet (tab all / valid / expired / revoked / superseded), 20 a page.
- GET /licences/{identifier}: one licence with every field, the holder's ID masked, and its grants.
- POST /licences/{identifier}/shares: grant a named organisation or anyone with a link (the link is in this answer
  only; just its SM3 digest is stored). 201.
- GET /licences/{identifier}/shares/{share_id}/views: who viewed the licence through the grant, when, from where.
- POST /licences/{identifier}/shares/{share_id}/revoke: withdraw the grant; it stops working at once.

Authentication: the session (unsafe methods carry the CSRF token). Errors use the platform's error body.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.security import django_auth

from tongban.core.pii import mask_id_number
from tongban.licences import access, selectors, wallet
from tongban.licences.models import Licence, LicenceShare, LicenceStatus, LicenceView
from tongban.licences.schemas import ErrorOut, FieldOut, NamedCodeOut

router = Router(tags=["我的证照"], auth=django_auth)
PER_PAGE = 20
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class WalletQuery(Schema):
    tab: str = "all"
    page: int = 1


class LicenceRowOut(Schema):
    identifier: str
    licence_type: NamedCodeOut
    status: str
    status_label: str
    issuer: str
    issued_on: dt.date
    valid_until: dt.date | None


class LicencePageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[LicenceRowOut]


class ShareOut(Schema):
    id: uuid.UUID
    kind: str
    organisation: str | None
    purpose: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    state: str
    view_count: int


class LicenceDetailOut(LicenceRowOut):
    holder_name: str
    holder_id_masked: str
    fields: list[FieldOut]
    valid_from: dt.date
    may_share: bool
    shares: list[ShareOut]


class ShareIn(Schema):
    kind: str
    organisation: int | None = None
    purpose: str
    days: int


class ShareCreatedOut(ShareOut):
    link: str = ""


class ViewOut(Schema):
    viewed_at: dt.datetime
    viewer: str
    part: str
    ip: str | None


def _row(licence: Licence, today: dt.date) -> dict:
    status = selectors.licence_status(licence, today)
    return {
        "identifier": licence.identifier,
        "licence_type": {"code": licence.licence_type.code, "name": licence.licence_type.name},
        "status": status,
        "status_label": str(LicenceStatus(status).label),
        "issuer": licence.issuer.name,
        "issued_on": licence.issued_on,
        "valid_until": licence.valid_until,
    }


def _share(share: LicenceShare, now: dt.datetime) -> dict:
    return {
        "id": share.public_id,
        "kind": share.kind,
        "organisation": share.organisation.name if share.organisation_id else None,
        "purpose": share.purpose,
        "created_at": share.created_at,
        "expires_at": share.expires_at,
        "revoked_at": share.revoked_at,
        "state": selectors.share_state(share, now)[0],
        "view_count": share.view_count,
    }


def _identity(request):
    return getattr(request, "acting_identity", None)


@router.get("/licences", response={200: LicencePageOut, **ERRORS}, summary="我的证照", url_name="wallet_licences")
def wallet_list(request, query: Query[WalletQuery]):
    """当前身份（个人，或切换后的企业；经办人限授权范围）的电子证照，按状态筛选，每页 20 个。"""
    today = timezone.localdate()
    tab = query.tab if query.tab in dict(selectors.WALLET_TABS) else "all"
    licences = (
        access.wallet_licences(request.auth, _identity(request))
        .filter(selectors.wallet_tab_filter(tab, today))
        .select_related("licence_type", "issuer")
        .order_by("-issued_on", "-id")
    )
    page = Paginator(licences, PER_PAGE).get_page(query.page)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": [_row(licence, today) for licence in page.object_list],
    }


@router.get("/licences/{identifier}", response={200: LicenceDetailOut, **ERRORS}, summary="证照详情")
def wallet_detail(request, identifier: str):
    """一个证照的全部照面信息（证件号码脱敏）和授权记录。"""
    identity = _identity(request)
    licence = access.licence_for_wallet(request.auth, identity, identifier)
    may_share = access.may_share(request.auth, identity)
    now = timezone.now()
    shares = list(licence.shares.select_related("organisation")) if may_share else []
    return {
        **_row(licence, timezone.localdate()),
        "holder_name": licence.holder_name,
        "holder_id_masked": mask_id_number(licence.holder_id_number),
        "fields": [
            {"name": name, "label": label, "value": value} for name, label, value in selectors.all_fields(licence)
        ],
        "valid_from": licence.valid_from,
        "may_share": may_share,
        "shares": [_share(share, now) for share in shares],
    }


@router.post(
    "/licences/{identifier}/shares", response={201: ShareCreatedOut, **ERRORS}, summary="授权他人查看（用证授权）"
)
def share_create(request, identifier: str, body: ShareIn):
    """授权指定机构，或任何持有链接的人，在 1 至 90 天内查看该证照。链接只在本次应答中返回。"""
    licence = access.licence_for_sharing(request.auth, _identity(request), identifier)
    grant = wallet.share_grant(
        actor=request.auth,
        licence=licence,
        kind=body.kind,
        purpose=body.purpose,
        days=body.days,
        organisation_id=body.organisation,
    )
    link = request.build_absolute_uri(reverse("licences:shared_link", args=[grant.token])) if grant.token else ""
    return Status(201, {**_share(grant.share, timezone.now()), "link": link})


@router.get(
    "/licences/{identifier}/shares/{share_id}/views", response={200: list[ViewOut], **ERRORS}, summary="用证记录"
)
def share_views(request, identifier: str, share_id: uuid.UUID):
    """通过该授权查看证照的记录（最近 200 条）：时间、查看人（机构工作人员或凭链接）、内容、IP 地址。"""
    licence = access.licence_for_sharing(request.auth, _identity(request), identifier)
    share = access.share_for_holder(licence, share_id)
    views = LicenceView.objects.filter(share=share).select_related("viewer").order_by("-viewed_at", "-id")[:200]
    return [
        {"viewed_at": view.viewed_at, "viewer": str(view.viewer or ""), "part": view.part, "ip": view.ip}
        for view in views
    ]


@router.post("/licences/{identifier}/shares/{share_id}/revoke", response={200: ShareOut, **ERRORS}, summary="撤销授权")
def share_revoke(request, identifier: str, share_id: uuid.UUID):
    """撤销授权，立即生效。"""
    licence = access.licence_for_sharing(request.auth, _identity(request), identifier)
    share = wallet.share_revoke(actor=request.auth, share=access.share_for_holder(licence, share_id))
    return _share(share, timezone.now())
