"""/api/v1/cases/: apply, follow and look up cases (办件) over JSON.

- POST /uploads: store a material file for the caller (multipart "file"); name its id when applying.
- POST "": create and submit a case in one call; the Idempotency-Key header makes a retry return the first case
  (201 the first time, 200 with the same body after).
- GET /mine, GET /{number}: the caller's cases (or, with `enterprise`, an enterprise's within their authorisation).
- GET /lookup: anonymous progress lookup by number plus query code or the applicant's ID number; status and public
  timeline only, no personal data; rate limited per client address.
- GET /worklist: a pre-review clerk's lists (待预审 / 待补正 / 即将超期).

Authentication: the signed-in session (same origin; unsafe methods carry the CSRF token) or a person's bearer token
holding the "cases" scope. Errors use the platform's error body (core.errors).
"""

from __future__ import annotations

from ninja import File, Header, Query, Router, Status
from ninja.files import UploadedFile
from oauth2_provider.models import AccessToken

from tongban.accounts.api_auth import TokenAuth
from tongban.accounts.enterprises import ActingIdentity, acting_identity_for
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import User
from tongban.cases import access, selectors, services
from tongban.cases.errors import CaseError
from tongban.cases.list_queries import CaseRow, DocumentRow, SqlPaginator
from tongban.cases.models import Case, CaseDocument, CaseEvent, CaseStatus, DocumentKind
from tongban.cases.schemas import (
    CaseCreatedOut,
    CaseCreateIn,
    CaseDetailOut,
    CasePageOut,
    ErrorOut,
    LookupOut,
    LookupQuery,
    UploadOut,
    WorklistPageOut,
)
from tongban.cases.selectors_review import WorklistPaginator
from tongban.cases.uploads import upload_store
from tongban.cases.views_progress import ID_SLOT, NUMBER_SLOT, UUID_SLOT, url_template
from tongban.catalog.access import access_item_to_apply
from tongban.core.errors import DomainError
from tongban.core.middleware import client_ip

router = Router(tags=["办件"])

PER_PAGE = 20
IDEMPOTENCY_KEY_MAX = 64
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class CasesAuth(TokenAuth):
    """A person's bearer token with the "cases" scope, or else the signed-in session (CSRF-checked on writes)."""

    def __init__(self):
        super().__init__("cases", person=True)

    def __call__(self, request):
        if request.headers.get(self.header):
            return super().__call__(request)
        return _session_person(request)


def _session_person(request) -> User:
    from ninja.utils import check_csrf

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise DomainError(CaseError.SIGN_IN_REQUIRED)
    if check_csrf(request) is not None:
        raise DomainError(CaseError.CSRF_FAILED)
    return user


cases_auth = CasesAuth()


def _caller(request) -> User:
    """The person (or clerk) the call is made by, whether through a token or the session."""
    auth = request.auth
    return auth.user if isinstance(auth, AccessToken) else auth


def _identity(request, enterprise: int | None) -> ActingIdentity | None:
    """Whom the caller acts for: the enterprise named in the call (checked now), else the session's identity."""
    if enterprise is not None:
        identity = acting_identity_for(_caller(request), enterprise)
        if identity is None:
            raise DomainError(AccountsError.ACTING_NOT_ALLOWED)
        return identity
    if isinstance(request.auth, AccessToken):
        return None  # a token speaks for the person; an enterprise is always named explicitly
    return getattr(request, "acting_identity", None)


class _Urls:
    """The addresses an answer links to, reversed once per answer and filled per case (lists are hot, issue 5)."""

    def __init__(self):
        self.api_url = url_template("api-v1:case_detail", NUMBER_SLOT)
        self.page_url = url_template("cases:detail", UUID_SLOT)
        self.document_url = url_template("cases:document", UUID_SLOT, ID_SLOT)
        self.kind_names = selectors.choice_labels(DocumentKind)

    def links(self, case: Case | CaseRow) -> dict:
        return {
            "api": self.api_url.format(case.number) if case.number else "",
            "page": self.page_url.format(case.public_id),
        }

    def document(self, case: Case | CaseRow, document: CaseDocument | DocumentRow) -> dict:
        return {
            "id": document.pk,
            "kind": document.kind,
            "kind_name": self.kind_names.get(document.kind, document.kind),
            "number": document.number,
            "issued_at": document.issued_at,
            "ready": document.status == CaseDocument.RenderStatus.READY,
            "download": self.document_url.format(case.public_id, document.pk),
        }


def _head(case: Case) -> dict:
    """What every answer about a case starts with: number, status, item and organisation."""
    return _head_of(case.number, case.status, case.item.code, case.version.name, case.organisation.name)


def _row_head(row: CaseRow) -> dict:
    """_head of a list's row."""
    return _head_of(row.number, row.status, row.item_code, row.item_name, row.organisation_name)


def _head_of(number: str | None, status: int, item: str, item_name: str, organisation: str) -> dict:
    return {
        "number": number,
        "status": status,
        "status_name": selectors.status_name(status),
        "item": item,
        "item_name": item_name,
        "organisation": organisation,
    }


def _page(current, items: list[dict]) -> dict:
    return {
        "items": items,
        "count": current.paginator.count,
        "page": current.number,
        "pages": current.paginator.num_pages,
    }


def _summary(case: Case | CaseRow, head: dict, documents: list, current_step: str, urls: _Urls) -> dict:
    return head | {
        "public_id": str(case.public_id),
        "current_step": current_step or "",
        "created_at": case.created_at,
        "received_at": case.received_at,
        "acceptance_due": case.acceptance_due,
        "promised_due": case.promised_due,
        "statutory_due": case.statutory_due,
        "documents": [urls.document(case, document) for document in documents],
        "links": urls.links(case),
    }


def _event(event: CaseEvent, *, with_opinion: bool) -> dict:
    row = {
        "code": event.code,
        "name": event.display_name,
        "organisation": event.organisation.name if event.organisation_id else "",
        "time": event.created_at,
    }
    return row | {"opinion": event.opinion} if with_opinion else row


def _created(case: Case) -> dict:
    return _head(case) | {
        "query_code": case.query_code,
        "public_id": str(case.public_id),
        "received_at": case.received_at,
        "acceptance_due": case.acceptance_due,
        "links": _Urls().links(case),
    }


def _idempotency_key(value: str) -> str:
    key = (value or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise DomainError(CaseError.IDEMPOTENCY_KEY)
    return key


# --- Applying ---------------------------------------------------------------------------------------------------------


@router.post(
    "/uploads",
    auth=cases_auth,
    response={201: UploadOut, **ERRORS, 503: ErrorOut},
    summary="上传申请材料文件",
    url_name="case_upload",
)
def upload_create(request, file: File[UploadedFile]):
    """上传一个材料文件（PDF、JPG、PNG 或 OFD，按内容识别类型；大小有上限）。申请时在 materials 中用返回的 id。"""
    upload = upload_store(actor=_caller(request), file=file)
    stored = upload.file
    return Status(
        201,
        {
            "id": upload.pk,
            "name": upload.original_name,
            "size": stored.size,
            "content_type": stored.content_type,
            "sha256": stored.sha256,
        },
    )


@router.post(
    "",
    auth=cases_auth,
    response={200: CaseCreatedOut, 201: CaseCreatedOut, **ERRORS},
    summary="提交申请（幂等）",
    url_name="case_create",
)
def case_create(request, payload: CaseCreateIn, idempotency_key: str = Header("", alias="Idempotency-Key")):
    """填写申请表、提供材料并提交，一次完成。必须带 Idempotency-Key 请求头：同一个键重试时返回第一次创建的办件（200），
    不会重复立案。以企业身份申请时在 enterprise 中给出企业账号 id。"""
    key = _idempotency_key(idempotency_key)
    person = _caller(request)
    replayed = services.case_id_for_idempotency_key(person, key)
    if replayed is not None:  # before any other check: a replay after the item was retired still gets its case
        return Status(200, _created(_for_response(replayed)))
    identity = _identity(request, payload.enterprise)
    item = access_item_to_apply(payload.item.strip())
    case, created = services.case_submit_new(
        actor=person,
        applicant=access.current_applicant(person, identity),
        item=item,
        answers=payload.answers,
        materials=[row.dict() for row in payload.materials],
        idempotency_key=key,
        replay_checked=True,
    )
    # A new case comes back with its item, version and organisation attached; a concurrent duplicate's is read.
    return Status(201, _created(case)) if created else Status(200, _created(_for_response(case.pk)))


def _for_response(case_id: int) -> Case:
    return Case.objects.select_related("item", "version", "organisation").get(pk=case_id)


# --- Following ----------------------------------------------------------------------------------------------------


@router.get("/mine", auth=cases_auth, response={200: CasePageOut, **ERRORS}, summary="我的办件", url_name="case_mine")
def case_mine(request, page: int = 1, tab: str = "all", enterprise: int | None = None):
    """当前身份的办件（含草稿），新的在前；tab 可为 all、draft（草稿）、active（办理中）、done（已办结）。"""
    cases = selectors.my_cases(_caller(request), _identity(request, enterprise), tab)
    current = SqlPaginator(cases, PER_PAGE).get_page(page)
    urls = _Urls()
    return _page(
        current,
        [_summary(row, _row_head(row), row.documents, row.current_step, urls) for row in current.object_list],
    )


@router.get(
    "/lookup",
    response={200: LookupOut, 404: ErrorOut, 429: ErrorOut},
    summary="办件进度查询（免登录）",
    url_name="case_lookup",
)
def case_lookup(request, query: Query[LookupQuery]):
    """凭办件编号加查询密码（或申请人证件号码）查询办理状态和办理过程，不返回任何个人信息。每个地址每分钟限查若干次。"""
    if not selectors.lookup_allowed(client_ip(request)):
        raise DomainError(CaseError.LOOKUP_TOO_MANY)
    result = selectors.lookup(query.number, code=query.code, id_number=query.id_number)
    if result is None:
        raise DomainError(CaseError.LOOKUP_FAILED)
    return {
        "number": result.number,
        "status": result.status,
        "status_name": result.status_name,
        "item_name": result.item_name,
        "organisation": result.organisation_name,
        "received_at": result.received_at,
        "acceptance_due": result.acceptance_due,
        "promised_due": result.promised_due,
        "timeline": [_event(event, with_opinion=False) for event in result.timeline],
    }


@router.get(
    "/worklist",
    auth=cases_auth,
    response={200: WorklistPageOut, **ERRORS},
    summary="预审工作清单",
    url_name="case_worklist",
)
def case_worklist(request, list: str = "pre_review", page: int = 1):
    """本人负责预审的机构的办件：pre_review 待预审、supplement 待补正、due_soon 即将超期（受理期限在 2 个工作日内）。"""
    if list not in selectors.WORKLISTS:
        raise DomainError(CaseError.WORKLIST_UNKNOWN)
    current = WorklistPaginator(selectors.worklist(_caller(request), list), PER_PAGE).get_page(page)
    return _page(current, [_worklist_row(case) for case in current.object_list]) | {
        "worklist": list,
        "count": current.paginator.shown_count,
        "count_capped": current.paginator.capped,
    }


def _worklist_row(case: CaseRow) -> dict:
    return _row_head(case) | {
        "applicant_name": case.applicant_name,
        "channel": case.channel,
        "received_at": case.received_at,
        "acceptance_due": case.acceptance_due,
        "supervision_flag": case.supervision_flag,
        "lock_version": case.lock_version,
    }


@router.get(
    "/{number}",
    auth=cases_auth,
    response={200: CaseDetailOut, **ERRORS},
    summary="办件详情",
    url_name="case_detail",
)
def case_detail(request, number: str, enterprise: int | None = None):
    """当前身份的一个办件：状态、期限、办理过程（公开环节）、文书和待补正的内容。"""
    case = _applicant_case_by_number(request, number, enterprise)
    detail = selectors.case_detail(case)
    current_step = detail.timeline[-1].name if detail.timeline else ""
    supplement = detail.open_supplement.items if detail.open_supplement else []
    return _summary(case, _head(case), detail.documents, current_step, _Urls()) | {
        "applicant_name": case.applicant_name,
        "channel": case.channel,
        "accepted_on": case.accepted_on,
        "acceptance_deemed": case.acceptance_deemed,
        "timeline": [_event(event, with_opinion=True) for event in detail.timeline],
        "supplement": supplement,
    }


def _applicant_case_by_number(request, number: str, enterprise: int | None) -> Case:
    cases = access.applicant_cases(_caller(request), _identity(request, enterprise))
    case = (
        cases.filter(number=number[:43])
        .exclude(status=CaseStatus.DRAFT)
        .select_related("item", "version", "organisation")
        .first()
    )
    if case is None:
        raise DomainError(CaseError.CASE_NOT_FOUND)
    return case
