"""The licence PDF (电子证照版式文件): a rendering of the sealed data, then a PAdES signature (ECDSA P-256).

`render_licence_pdf(licence)` lays out the title, the licence's fields, the holder (ID number in full: this is the
holder's own document), issuer and dates, the seal picture over the issuer's name, and a QR code with the
verification URL (identifier and a short digest of the sealed data). `sign_pdf(pdf, certificate)` adds a PAdES
B-B signature (ETSI.CAdES.detached) made by the organisation's PDF certificate through its Signer, embedding the
chain up to the platform ECDSA root, so pdfsig, Adobe and pyHanko can validate it without network access.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from xml.sax.saxutils import escape

import segno
from asn1crypto import x509 as asn1_x509
from asn1crypto.algos import SignedDigestAlgorithm
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from tongban.cases.pdf import chinese_date, ensure_font
from tongban.licences import selectors
from tongban.licences.models import Certificate, HolderIdType, Licence
from tongban.licences.signers import signer_for

T = TypeVar("T")
SIGNATURE_FIELD = "TongbanLicenceSignature"
VERIFY_PATH = "/licences/verify/{identifier}/"
SHORT_DIGEST_LENGTH = 16  # hex characters of the data's SM3 shown in the QR code and under it
_ECDSA_SIGNATURE_MAX = 72  # DER SEQUENCE{r, s} of P-256 is at most 72 bytes


def public_base_url() -> str:
    """The platform's public address for links printed on documents (TONGBAN_PUBLIC_URL, else the first trusted
    origin, else localhost)."""
    configured = settings.TONGBAN_PUBLIC_URL or next(iter(settings.CSRF_TRUSTED_ORIGINS or []), "")
    return (configured or "http://localhost:8000").rstrip("/")


def verification_url(licence: Licence) -> str:
    """The URL the QR code opens: the public verification page with the short digest of the sealed data.

    Fixed text, not reverse(): it is printed on paper and must keep working whatever the URL configuration becomes
    (tongban/urls.py mounts licences/urls.py at /licences/; a test checks the two agree).
    """
    path = VERIFY_PATH.format(identifier=licence.identifier)
    return f"{public_base_url()}{path}?d={licence.data_sm3[:SHORT_DIGEST_LENGTH]}"


# ---------------------------------------------------------------------------------------------------------------
# Layout


def _rows(licence: Licence) -> list[tuple[str, str]]:
    id_label = HolderIdType(licence.holder_id_type).label
    rows = [("持证主体", licence.holder_name), (str(id_label), licence.holder_id_number)]
    definitions = licence.licence_type.field_definitions or []
    for definition in definitions:
        value = licence.fields.get(definition["name"])
        if value not in (None, ""):
            rows.append((definition.get("label") or definition["name"], str(value)))
    until = chinese_date(licence.valid_until) if licence.valid_until else "长期"
    rows += [
        ("有效期限", f"{chinese_date(licence.valid_from)} 至 {until}"),
        ("颁证机构", licence.issuer.name),
        ("证照标识", licence.identifier),
    ]
    return rows


def _table(rows: list[tuple[str, str]], font: str) -> Table:
    style = ParagraphStyle("cell", fontName=font, fontSize=11, leading=16, wordWrap="CJK")
    cells = [[Paragraph(escape(label), style), Paragraph(escape(value), style)] for label, value in rows]
    table = Table(cells, colWidths=[34 * mm, 120 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#8A6D3B")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#FBF3E4")),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def _draw_heading(pdf: canvas.Canvas, licence: Licence, font: str, width: float, top: float) -> None:
    layout = licence.licence_type.layout or {}
    title = layout.get("title") or licence.licence_type.name
    style = ParagraphStyle("title", fontName=font, fontSize=24, leading=32, alignment=TA_CENTER)
    heading = Paragraph(escape(title), style)
    _, height = heading.wrap(width - 50 * mm, 40 * mm)
    heading.drawOn(pdf, 25 * mm, top - height)
    if layout.get("subtitle"):
        pdf.setFont(font, 12)
        pdf.drawCentredString(width / 2, top - height - 8 * mm, layout["subtitle"])


def render_licence_pdf(licence: Licence) -> bytes:
    """The unsigned PDF of a licence (one A4 page), reproducible for the same licence."""
    font = ensure_font()
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(f"{licence.licence_type.name} {licence.identifier}")
    pdf.setAuthor(licence.issuer.name)
    pdf.setSubject(licence.identifier)
    pdf.setCreator("Tongban")
    pdf.setStrokeColor(colors.HexColor("#8A6D3B"))
    pdf.setLineWidth(2)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    _draw_heading(pdf, licence, font, width, height - 28 * mm)
    table = _table(_rows(licence), font)
    _, table_height = table.wrap(154 * mm, 180 * mm)
    table_top = height - 62 * mm
    table.drawOn(pdf, 28 * mm, table_top - table_height)
    bottom = max(table_top - table_height - 20 * mm, 75 * mm)
    pdf.setFont(font, 12)
    pdf.drawRightString(width - 30 * mm, bottom, licence.issuer.name)
    pdf.drawRightString(width - 30 * mm, bottom - 8 * mm, chinese_date(licence.issued_on))
    seal_size = 40 * mm
    seal_picture = ImageReader(io.BytesIO(bytes(licence.seal.picture)))
    pdf.drawImage(seal_picture, width - 78 * mm, bottom - 24 * mm, seal_size, seal_size, mask="auto")
    qr_size = 32 * mm
    pdf.drawImage(ImageReader(io.BytesIO(_qr_png(verification_url(licence)))), 28 * mm, 22 * mm, qr_size, qr_size)
    pdf.setFont(font, 9)
    pdf.drawString(64 * mm, 40 * mm, "扫码核验本证照")
    pdf.drawString(64 * mm, 34 * mm, f"数据摘要（SM3）：{licence.data_sm3[:SHORT_DIGEST_LENGTH]}")
    pdf.drawString(64 * mm, 28 * mm, "本文件为电子证照版式文件，经颁证机构电子签名，可使用 PDF 阅读器验证签名。")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# PAdES


class _PlatformSigner(signers.Signer):
    """pyHanko's signer interface over a platform Signer: the private key stays behind the Signer (local or HSM)."""

    def __init__(self, certificate: Certificate):
        chain = selectors.certificate_chain(certificate)
        self._platform_signer = signer_for(certificate.key)
        super().__init__(
            signing_cert=asn1_x509.Certificate.load(bytes(certificate.der)),
            cert_registry=SimpleCertificateStore.from_certs(
                [asn1_x509.Certificate.load(bytes(link.der)) for link in chain[1:]]
            ),
            signature_mechanism=SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            embed_roots=True,
        )

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(_ECDSA_SIGNATURE_MAX)
        return self._platform_signer.sign_bytes(data)


def sign_pdf(pdf: bytes, certificate: Certificate, *, reason: str = "电子证照颁发") -> bytes:
    """The PDF with a PAdES B-B signature by `certificate` (an organisation's ECDSA PDF certificate) over the file."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        name=certificate.organisation.name if certificate.organisation_id else None,
    )
    signer = _PlatformSigner(certificate)  # reads the chain from the database here, in the caller's thread
    output = io.BytesIO()
    outside_event_loop(lambda: signers.sign_pdf(writer, metadata, signer=signer, output=output))
    return output.getvalue()


def outside_event_loop(work: Callable[[], T]) -> T:
    """Run pyHanko's synchronous API, which calls asyncio.run(): directly, or in a worker thread when this thread
    already runs an event loop (an async server, a test driving a browser), where asyncio.run() would refuse."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()
