"""Reads on cases, always scoped to what the actor may see (cases/access.py): 我的办件, a case's detail with its public
timeline, the anonymous progress lookup (查询), and the clerks' worklists.

The lists are hot (DESIGN rule 9): each runs a fixed number of SQL statements whatever the page size, on the indexes
declared on Case (applicant + created_at; organisation + status + acceptance_due). Tests pin the counts.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Choices
from django.utils import timezone
from django.utils.translation import get_language

from tongban.accounts.enterprises import ActingIdentity
from tongban.accounts.models import User
from tongban.cases import access, list_queries
from tongban.cases.models import (
    FINAL_STATUSES,
    WITHDRAWABLE_STATUSES,
    Case,
    CaseDocument,
    CaseEvent,
    CaseMaterial,
    CaseStatus,
    SupplementRequest,
)
from tongban.core.calendar import add_working_days
from tongban.core.db.values import aware_datetime
from tongban.core.models import Organisation
from tongban.core.pii import blind_index

# ---------------------------------------------------------------------------------------------------------------
# Status labels

# {(choices class, language): {value: label}}, filled on first use: a list row then costs one dict lookup instead of
# Model.get_FOO_display(), which rebuilds the choices dict and resolves every lazy label each time.
_labels: dict[tuple[type, str], dict] = {}


def choice_labels(choices: type[Choices]) -> dict:
    """A choices class's labels in the active language, by value."""
    key = (choices, get_language() or "")
    labels = _labels.get(key)
    if labels is None:
        labels = _labels[key] = {value: str(label) for value, label in choices.choices}
    return labels


def status_name(status: int) -> str:
    """A case status's label in the active language (the code itself, as text, for a code the platform lacks)."""
    return choice_labels(CaseStatus).get(status, str(status))


# ---------------------------------------------------------------------------------------------------------------
# 我的办件

# Tabs of 我的办件 and the statuses each shows ("all" shows everything).
TAB_STATUSES: dict[str, tuple[int, ...] | None] = {
    "all": None,
    "draft": (CaseStatus.DRAFT,),
    "active": tuple(s for s in CaseStatus.values if s != CaseStatus.DRAFT and s not in FINAL_STATUSES),
    "done": tuple(FINAL_STATUSES),
}


def my_cases(user: User, identity: ActingIdentity | None, tab: str = "all") -> list_queries.SqlList:
    """The current identity's cases for 我的办件 (drafts included), newest first, with the current step and the
    documents; `tab` is one of TAB_STATUSES (anything else means "all"). Read with list_queries' SQL."""
    return list_queries.applicant_list(access.applicant_scope(user, identity), TAB_STATUSES.get(tab))


# ---------------------------------------------------------------------------------------------------------------
# A case's detail


@dataclass(frozen=True)
class CaseDetail:
    """What the applicant sees of one case: its public timeline, documents, materials and any supplement request."""

    case: Case
    timeline: list[CaseEvent]
    documents: list[CaseDocument]
    materials: list[CaseMaterial]
    open_supplement: SupplementRequest | None

    @property
    def may_withdraw(self) -> bool:
        return self.case.status in WITHDRAWABLE_STATUSES

    @property
    def awaiting_supplement(self) -> bool:
        return self.case.status == CaseStatus.SUPPLEMENT and self.open_supplement is not None


def public_timeline(case: Case) -> list[CaseEvent]:
    """The steps the applicant (and an anonymous lookup) may see, oldest first, with their organisations."""
    return list(
        CaseEvent.objects.filter(case=case, public=True)
        .select_related("organisation")
        .only("pk", "case_id", "code", "name", "opinion", "created_at", "organisation__name")
        .order_by("created_at", "pk")
    )


def case_detail(case: Case) -> CaseDetail:
    """The detail of a case already loaded for the applicant through access.access_case_for_applicant."""
    documents = list(CaseDocument.objects.filter(case=case).select_related("organisation").order_by("issued_at", "pk"))
    materials = list(
        CaseMaterial.objects.filter(case=case)
        .select_related("material", "upload")
        .order_by("material__order", "added_at", "pk")
    )
    return CaseDetail(
        case=case,
        timeline=public_timeline(case),
        documents=documents,
        materials=materials,
        open_supplement=open_supplement(case),
    )


def open_supplement(case: Case) -> SupplementRequest | None:
    """The supplement request the applicant has still to answer, if the case waits for one."""
    if case.status != CaseStatus.SUPPLEMENT:
        return None
    return SupplementRequest.objects.filter(case=case, returned_at__isnull=True).order_by("-requested_at").first()


def supplement_materials(request: SupplementRequest) -> list[CaseMaterial]:
    """The materials added in answer to the request so far (the applicant may still remove them)."""
    return list(request.materials.select_related("material", "upload").order_by("added_at", "pk"))


def case_document(case: Case, document_id: int) -> CaseDocument | None:
    """One document of a case already loaded for its viewer (None when the id is not the case's)."""
    return CaseDocument.objects.filter(case=case, pk=document_id).first()


# ---------------------------------------------------------------------------------------------------------------
# Anonymous progress lookup (办件查询): status and timeline only, never personal data


@dataclass(frozen=True)
class LookupResult:
    """What anyone holding a case number and its query code (or the applicant's ID number) may learn."""

    number: str
    status: int
    status_name: str
    item_name: str
    organisation_name: str
    received_at: dt.datetime | None
    acceptance_due: dt.date | None
    promised_due: dt.date | None
    timeline: list[CaseEvent]


# Compared against when the number matches no case, so a miss costs the same as a wrong code.
_DUMMY_SECRET = "0" * 64

# The lookup is anonymous and hot (issue 5: p95 ≤ 15 ms at 16 clients), so the case and its public timeline are read
# in ONE statement written out here: compiling the ORM's two queries cost the request more than running them. A case
# without a public step comes back as one row whose step columns are NULL. Case numbers are unique.
_LOOKUP_SQL = """
SELECT c.number, c.status, c.query_code, c.applicant_id_index, c.received_at, c.acceptance_due, c.promised_due,
       v.name, o.name, e.id, e.code, e.name, e.created_at, e.organisation_id, eo.name
FROM cases_case c
JOIN catalog_itemversion v ON v.id = c.version_id
JOIN core_organisation o ON o.id = c.organisation_id
LEFT JOIN cases_caseevent e ON e.case_id = c.id AND e.public = %s
LEFT JOIN core_organisation eo ON eo.id = e.organisation_id
WHERE c.number = %s AND c.status <> %s
ORDER BY e.created_at, e.id
"""


@dataclass(frozen=True)
class _Found:
    """The case a lookup names, as read by _LOOKUP_SQL, before the asker has proved they may see it."""

    number: str
    status: int
    stored_code: str  # the query code as stored (encrypted): decrypted only when a code is to be compared
    id_index: str
    received_at: dt.datetime | None
    acceptance_due: dt.date | None
    promised_due: dt.date | None
    item_name: str
    organisation_name: str
    timeline: list[CaseEvent]


def _step(row) -> CaseEvent:
    """A public timeline step from a row of _LOOKUP_SQL: what the timeline shows of it, no opinion and no actor."""
    event_id, code, name, created_at, organisation_id, organisation_name = row[9:]
    event = CaseEvent(pk=event_id, code=code, name=name, created_at=aware_datetime(created_at), public=True)
    if organisation_id is not None:
        event.organisation = Organisation(pk=organisation_id, name=organisation_name)
    return event


def _lookup_case(number: str) -> _Found | None:
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL, [True, number, CaseStatus.DRAFT])
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    return _Found(
        number=first[0],
        status=first[1],
        stored_code=first[2] or "",
        id_index=first[3] or "",
        received_at=aware_datetime(first[4]),
        acceptance_due=first[5],
        promised_due=first[6],
        item_name=first[7],
        organisation_name=first[8],
        timeline=[_step(row) for row in rows if row[9] is not None],
    )


def _proof_matches(case: _Found | None, code: str, id_number: str) -> bool:
    """Constant-time comparison of the query code, or of the ID number's blind index, with the case's."""
    if code:
        expected, given = (_query_code(case) if case else _DUMMY_SECRET), code.strip()
    else:
        expected = case.id_index if case else _DUMMY_SECRET
        given = blind_index("id_number", id_number)
    matched = hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
    return matched and case is not None and bool(expected)


def _query_code(case: _Found) -> str:
    return Case._meta.get_field("query_code").decrypt(case.stored_code) if case.stored_code else ""


def lookup(number: str, *, code: str = "", id_number: str = "") -> LookupResult | None:
    """The status and public timeline of a case, if `code` (or `id_number`) proves the asker knows it; else None.

    None is the one answer for an unknown number, a wrong code and a wrong ID number alike. One SQL statement.
    """
    number, code, id_number = (number or "").strip(), (code or "").strip(), (id_number or "").strip()
    if not number or not (code or id_number):
        return None
    case = _lookup_case(number[:43])
    if not _proof_matches(case, code, id_number):
        return None
    return LookupResult(
        number=case.number,
        status=case.status,
        status_name=status_name(case.status),
        item_name=case.item_name,
        organisation_name=case.organisation_name,
        received_at=case.received_at,
        acceptance_due=case.acceptance_due,
        promised_due=case.promised_due,
        timeline=case.timeline,
    )


def rate_window() -> int:
    """The number of the current one-minute window of the lookup rate limit."""
    return int(timezone.now().timestamp() // 60)


def lookup_allowed(client_ip: str | None) -> bool:
    """Count one lookup from this client address in the current minute; False once over the per-minute limit.

    A fixed one-minute window in the shared cache (Redis in production), so every worker counts together.
    """
    key = f"cases:lookup:{client_ip or 'unknown'}:{rate_window()}"
    try:
        count = cache.incr(key)  # one round trip to the cache for every lookup but an address's first in a minute
    except ValueError:  # no count yet in this minute
        count = 1 if cache.add(key, 1, timeout=120) else cache.incr(key)  # else another worker just started it
    return count <= settings.TONGBAN_LOOKUP_PER_MINUTE


# ---------------------------------------------------------------------------------------------------------------
# Clerks' worklists (待预审 / 待补正 / 即将超期)

# A received case is "due soon" when its acceptance deadline is within this many working days (or already past).
DUE_SOON_WORKING_DAYS = 2
WORKLISTS = ("pre_review", "supplement", "due_soon")


def worklist(user: User, name: str, today: dt.date | None = None) -> list_queries.SqlList:
    """One of the clerk's worklists for the organisations they pre-review, soonest deadline first.

    pre_review: received, waiting for accept / refuse / supplement. supplement: waiting for the applicant's
    supplement. due_soon: received with the acceptance deadline within DUE_SOON_WORKING_DAYS working days.
    """
    organisations = access.pre_review_organisation_ids(user)
    if name == "supplement":
        return list_queries.worklist(organisations, CaseStatus.SUPPLEMENT)
    if name == "due_soon":
        horizon = add_working_days(today or timezone.localdate(), DUE_SOON_WORKING_DAYS).date
        return list_queries.worklist(organisations, CaseStatus.RECEIVED, due_by=horizon)
    return list_queries.worklist(organisations, CaseStatus.RECEIVED)
