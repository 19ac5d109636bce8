"""A case document's PDF file: rendering it into storage once, and serving it to whoever may see the case.

`document_render` is what the outbox handler (cases/outbox_handlers.py) runs after the document is issued.
`document_response` serves the PDF to the progress and workbench pages, which load the case (and so the document)
through cases/access.py first: this module does not authorise.
"""

from __future__ import annotations

import hashlib
import logging
import re
from urllib.parse import quote

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext

from tongban.cases.errors import CaseError
from tongban.cases.models import CaseDocument, DocumentKind
from tongban.cases.pdf import render_document_pdf
from tongban.core.errors import DomainError
from tongban.licences import selectors as licence_selectors
from tongban.licences.models import CertificatePurpose
from tongban.licences.pdf import sign_pdf

logger = logging.getLogger(__name__)

RenderStatus = CaseDocument.RenderStatus


def storage_name(digest: str) -> str:
    """A generated, content-addressed name: nothing from the applicant or the document number reaches the path."""
    return f"cases/documents/{digest[:2]}/{digest}.pdf"


def _stored_digest(name: str) -> str:
    try:
        with default_storage.open(name, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return ""


def _store(content: bytes) -> tuple[str, str]:
    """Save the PDF under its content address; an existing file is reused only if it really holds these bytes (a
    process killed mid-write can leave a truncated file behind)."""
    digest = hashlib.sha256(content).hexdigest()
    name = storage_name(digest)
    existing = _stored_digest(name)
    if existing == digest:
        return name, digest
    if existing:
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(content)), digest


# The receipt (办件回执) is the platform's acknowledgement of a submission, not a decision of the organisation:
# every other numbered document (受理/不予受理/补正 notices, decisions …) carries the organisation's seal.
UNSEALED_KINDS = frozenset({DocumentKind.RECEIPT})
SIGNATURE_KEY = "pdf_signature"  # what document.data records about the PDF's electronic signature


def sealed_pdf(document: CaseDocument) -> tuple[bytes, dict]:
    """The document's PDF, with the seal picture and a PAdES signature by the organisation's ECDSA PDF certificate
    when it has a seal and a certificate (licences/pdf.py sign_pdf, as licences are signed); unsigned otherwise.
    Returns the bytes and what the document record says about the signature."""
    if document.kind in UNSEALED_KINDS:
        return render_document_pdf(document), {}
    organisation, moment = document.organisation, document.issued_at
    certificate = licence_selectors.certificate_at(organisation, CertificatePurpose.PDF, moment)
    certificate = certificate or licence_selectors.certificate_current(organisation, CertificatePurpose.PDF)
    seal = licence_selectors.seal_at(organisation, moment) or licence_selectors.seal_current(organisation)
    if certificate is None or seal is None:
        note = gettext("出具机构尚未取得电子印章和签名证书，本文书未加盖电子签章")
        return render_document_pdf(document), {"signed": False, "note": note}
    pdf = render_document_pdf(document, seal_png=bytes(seal.picture))
    signed = sign_pdf(pdf, certificate, reason=str(DocumentKind(document.kind).label))
    return signed, {"signed": True, "certificate": certificate.serial_number, "seal": seal.es_id}


def document_render(document_id: int, *, force: bool = False) -> CaseDocument:
    """Render the document's PDF into storage and mark it ready; a ready document is returned as it is.

    Idempotent. The PDF is rendered and stored outside any transaction, so no database lock is held while it is
    drawn (on SQLite a write lock stops every other writer). Two renders racing each other (the outbox handler and a
    first download) store their files and the row is updated once (the first to finish wins). An unsigned PDF is
    byte-for-byte reproducible; a sealed one differs in its signature only (signing time), never in its text.
    `force` re-renders a ready document whose file went missing, from the same fixed data.
    """
    document = CaseDocument.objects.select_related("case", "organisation__region__parent").get(pk=document_id)
    if document.status == RenderStatus.READY and not force:
        return document
    content, signature = sealed_pdf(document)
    name, digest = _store(content)
    with transaction.atomic():
        current = CaseDocument.objects.select_for_update().get(pk=document_id)
        if current.status == RenderStatus.READY and not force:  # the other render won: same bytes, same name
            return current
        current.file.name = name
        current.sha256 = digest
        current.status = RenderStatus.READY
        current.rendered_at = timezone.now()
        fields = ["file", "sha256", "status", "rendered_at"]
        if signature:
            current.data = {**current.data, SIGNATURE_KEY: signature}
            fields.append("data")
        current.save(update_fields=fields)
    return current


def document_mark_failed(document_id: int) -> None:
    """Show the document as 生成失败 while the outbox keeps retrying (a later success makes it ready)."""
    CaseDocument.objects.filter(pk=document_id).exclude(status=RenderStatus.READY).update(status=RenderStatus.FAILED)


def _ascii_filename(document: CaseDocument) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "", f"{document.kind}-{document.case.number or document.pk}")
    return f"{stem[:80] or 'document'}.pdf"


def _chinese_filename(document: CaseDocument) -> str:
    label = DocumentKind(document.kind).label
    cleaned = re.sub(r'[\x00-\x1f\x7f"\\/:*?<>|;]+', "", f"{label}（{document.number}）").strip(" .")
    return f"{cleaned[:80]}.pdf"


def content_disposition(document: CaseDocument) -> str:
    """attachment with an ASCII fallback name for old clients and the Chinese name as filename* (RFC 6266)."""
    return (
        f'attachment; filename="{_ascii_filename(document)}"; '
        f"filename*=UTF-8''{quote(_chinese_filename(document), safe='')}"
    )


def _open(document: CaseDocument):
    if document.status != RenderStatus.READY:
        # Rendered on the first download if the outbox has not done it yet (broker down, worker busy), so the
        # receipt can be downloaded right after submission.
        document = document_render(document.pk)
    try:
        return document.file.storage.open(document.file.name, "rb")
    except FileNotFoundError:
        document = document_render(document.pk, force=True)
        return document.file.storage.open(document.file.name, "rb")


def document_response(document: CaseDocument) -> FileResponse:
    """The document's PDF as a download, for a document the caller has already authorised (via the case).

    A document still 生成中 (or 生成失败) is rendered synchronously on this first download, so the receipt is
    available right after submission even while the broker is down. If rendering fails here too, the person gets the
    Chinese DOCUMENT_UNAVAILABLE page (503) and can try again; the outbox keeps retrying meanwhile.
    """
    try:
        handle = _open(document)
    except Exception as exc:  # a font or storage failure: a readable page, not a 500
        logger.exception("case document %s could not be rendered on download", document.pk)
        raise DomainError(CaseError.DOCUMENT_UNAVAILABLE) from exc
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(document)
    # The receipt carries the query code: keep it out of shared caches and the browser's disk cache.
    patch_cache_control(response, private=True, no_store=True)
    return response
