"""Case documents (办件文书): numbering and issuing; the PDF is rendered after commit by the outbox handler.

A document's content is fixed in `data` when it is issued, inside the transaction that made the decision, so the
notice always says what was decided even if the case changes later. Rendering (cases/pdf.py) runs after commit
through the outbox topic below; the document shows 生成中 until then.

Numbers read like real notices: "<organisation short name><kind>〔<year>〕<serial>号", the serial counting per
organisation, kind and year.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tongban.cases.models import Case, CaseDocument, DocumentKind, SupplementRequest
from tongban.core import outbox
from tongban.core.db.writes import insert
from tongban.core.models import Organisation, RegionLevel
from tongban.core.numbering import next_serial

RENDER_TOPIC = "cases.render_document"

# The word each kind of document carries in its number (e.g. 桐庐县市场监管局受字〔2026〕00012号).
NUMBER_WORD = {
    DocumentKind.RECEIPT: "接",
    DocumentKind.ACCEPTANCE: "受",
    DocumentKind.REFUSAL: "不受",
    DocumentKind.SUPPLEMENT: "补",
    DocumentKind.SPECIAL: "特",  # 特别程序告知书 (cases/special.py)
    DocumentKind.EXTENSION: "延",  # 延长办理期限告知书 (cases/extensions.py)
    DocumentKind.GRANT: "许",
    DocumentKind.DENIAL: "不许",
    DocumentKind.DELIVERY: "送",
    DocumentKind.REVOCATION: "撤",
}


def document_number(organisation: Organisation, kind: str, year: int) -> str:
    """The next number for this organisation, kind and year, taken in the caller's transaction."""
    serial = next_serial(f"doc:{organisation.pk}:{kind}", dt.date(year, 1, 1))
    name = organisation.short_name or organisation.name
    return f"{name}{NUMBER_WORD[kind]}字〔{year}〕{serial:05d}号"


def document_issue(
    *,
    case: Case,
    kind: str,
    data: dict,
    organisation: Organisation | None = None,
    supplement: SupplementRequest | None = None,
) -> CaseDocument:
    """Issue a numbered document for the case now; schedule its PDF for after commit."""
    organisation = organisation or case.organisation
    issued_at = timezone.now()
    document = insert(
        CaseDocument(
            case=case,
            kind=kind,
            number=document_number(organisation, kind, timezone.localdate(issued_at).year),
            organisation=organisation,
            issued_at=issued_at,
            data={**data, "case_number": case.number, "organisation": organisation.name},
            supplement=supplement,
        )
    )
    outbox.enqueue(RENDER_TOPIC, {"document": document.pk})
    return document


def _government_region(organisation: Organisation):
    """The county-or-higher region whose people's government is at the organisation's level.

    A township's own acts are reviewed by the county government above it, so town and village regions walk up.
    """
    region = organisation.region
    while region is not None and region.level > RegionLevel.COUNTY:
        region = region.parent
    return region


def reconsideration_body(organisation: Organisation) -> str:
    """The administrative reconsideration body for a department's act: the people's government at the same level
    (行政复议法 2023 第二十四条), e.g. 桐庐县人民政府; a city's district carries the city's name
    (杭州市西湖区人民政府)."""
    region = _government_region(organisation)
    if region is None:
        return "有管辖权的行政复议机关"
    name = region.name
    if region.level == RegionLevel.COUNTY and name.endswith("区") and region.parent is not None:
        name = f"{region.parent.name}{name}"
    return f"{name}人民政府"
