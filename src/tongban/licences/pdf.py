"""The licence PDF (电子证照版式文件): a rendering of the sealed data, then a PAdES signature (ECDSA P-256).

`render_licence_pdf(licence)` lays out the title, the licence's fields, the holder (ID number in full: this is the
holder's own document), issuer and dates, the seal picture over the issuer's name, and a QR code with the
verification URL (identifier and a short digest of the sealed data). `sign_pdf(pdf, certificate)` adds a PAdES
B-B signature (ETSI.CAdES.detached) made by the organisation's PDF certificate through its Signer, embedding the
chain up to the platform ECDSA root, so pdfsig, Adobe and pyHanko can validate it without network access.

Licences are issued in batches (docs/performance.md, "Electronic licences — issuing"), so what is the same on every
licence is prepared once per process: the seal picture's compressed image (`_PreparedImage`), and per certificate
the pyHanko signer with its parsed chain and the space its signature needs (`_PreparedSigner`). The QR code is drawn
as vector modules, not as a PNG that reportlab would decode and compress again.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import functools
import hashlib
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar
from xml.sax.saxutils import escape

import segno
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from asn1crypto.algos import SignedDigestAlgorithm
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from tongban.cases.pdf import chinese_date, ensure_font
from tongban.licences import selectors
from tongban.licences.models import Certificate, HolderIdType, Licence
from tongban.licences.per_certificate import PerCertificate
from tongban.licences.signers import signer_for

T = TypeVar("T")
SIGNATURE_FIELD = "TongbanLicenceSignature"
VERIFY_PATH = "/licences/verify/{identifier}/"
SHORT_DIGEST_LENGTH = 16  # hex characters of the data's SM3 shown in the QR code and under it
QR_BORDER = 2  # light modules around the QR code, inside its printed square
QR_MASK = 0  # the QR code's mask pattern: fixed, see _draw_qr
QR_BOX = (28 * mm, 22 * mm, 32 * mm)  # where the QR code is printed: left, bottom, side (points)
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


def _draw_qr(pdf: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of `url` as vector modules in the square (x, y, size), with a QR_BORDER-module light margin.

    One filled path of the dark runs of each row, in a coordinate system of one unit per module: sharp at any zoom,
    and no image to encode (a PNG through drawImage costs a decode, a deflate and an ASCII85 pass per licence).
    The mask pattern is fixed (QR_MASK) instead of chosen by segno's penalty evaluation, which took three quarters of
    the QR code's time: any of the eight masks is a valid QR code (ISO/IEC 18004), the evaluation only avoids
    patterns that poor scanners may misread; docs/performance.md says how the codes were checked with a decoder.
    """
    matrix = segno.make_qr(url, error="m", mask=QR_MASK).matrix
    module = size / (len(matrix) + 2 * QR_BORDER)
    rectangles = [
        f"{start} {row} {length} 1 re" for row, modules in enumerate(matrix) for start, length in _dark_runs(modules)
    ]
    pdf.saveState()
    pdf.translate(x + QR_BORDER * module, y + size - QR_BORDER * module)
    pdf.scale(module, -module)  # rows downwards, as in the matrix
    pdf.setFillColor(colors.black)
    pdf.addLiteral("\n".join([*rectangles, "f"]))  # whole-number coordinates: no float formatting per module
    pdf.restoreState()


def _dark_runs(modules: bytes) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a QR matrix row."""
    runs, start = [], None
    for column, dark in enumerate(modules):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            runs.append((start, column - start))
            start = None
    if start is not None:
        runs.append((start, len(modules) - start))
    return runs


class _PreparedImage:
    """A PNG (the seal picture) as a PDF image XObject, decoded and compressed once per process.

    reportlab's drawImage decodes the PNG, digests its pixels, deflates and ASCII85-encodes them for every document:
    for the 480 px seal that was most of a licence's rendering time. Here it is done once; each document registers a
    shallow copy (reportlab remembers on an object which document it was registered in) and draws it with doForm,
    as drawImage does.
    """

    def __init__(self, png: bytes):
        self.name = f"Img{hashlib.sha256(png).hexdigest()[:32]}"
        self.xobject = pdfdoc.PDFImageXObject(self.name, ImageReader(io.BytesIO(png)), mask="auto")
        self.soft_mask = self.xobject.__dict__.pop("_smask", None)  # the alpha channel, its own XObject

    def draw(self, pdf: canvas.Canvas, x: float, y: float, width: float, height: float) -> None:
        document = pdf._doc
        if not document.hasForm(self.name):
            image = copy.copy(self.xobject)
            if self.soft_mask is not None:
                soft_mask = copy.copy(self.soft_mask)
                image.smask = document.Reference(soft_mask, document.getXObjectName(soft_mask.name))
            document.addForm(self.name, image)
        pdf.saveState()
        pdf.translate(x, y)
        pdf.scale(width, height)
        pdf.doForm(self.name)
        pdf.restoreState()
        pdf._currentPageHasImages = 1  # as drawImage sets it: the page's resources then list the image procsets


@functools.lru_cache(maxsize=32)
def _prepared_image(png: bytes) -> _PreparedImage:
    """The prepared image of a PNG, kept for the process (a handful of seals are current at a time)."""
    return _PreparedImage(png)


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
    _prepared_image(bytes(licence.seal.picture)).draw(pdf, width - 78 * mm, bottom - 24 * mm, seal_size, seal_size)
    _draw_qr(pdf, verification_url(licence), *QR_BOX)
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
    """pyHanko's signer interface over a platform Signer: the private key stays behind the Signer (local or HSM).

    Once prepared (`_PreparedSigner.make`), it fills a checked template of its CMS container instead of letting
    pyHanko build the container afresh for every PDF (see `_CmsTemplate`); anything the template does not cover goes
    to pyHanko as before.
    """

    def __init__(self, certificate: Certificate):
        chain = selectors.certificate_chain(certificate)
        self._platform_signer = signer_for(certificate.key)
        self.template: _CmsTemplate | None = None
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

    async def async_sign(self, data_digest: bytes, digest_algorithm: str, dry_run: bool = False, **options):
        template = self.template
        if dry_run or template is None or not template.covers(digest_algorithm, **options):
            return await super().async_sign(data_digest, digest_algorithm, dry_run=dry_run, **options)
        attributes = template.signed_attributes(data_digest)
        signature = await self.async_sign_raw(_der(_SET, attributes), digest_algorithm)
        return cms.ContentInfo.load(template.container(attributes, signature))

    def reference(self, data_digest: bytes, signing_time: dt.datetime) -> bytes:
        """pyHanko's own container for a PAdES signature of `data_digest` (dry run: the signature is zeros)."""
        attributes = PdfCMSSignedAttributes(signing_time=signing_time)
        made = super().async_sign(data_digest, "sha256", dry_run=True, use_pades=True, signed_attr_settings=attributes)
        return outside_event_loop(lambda: asyncio.run(made)).dump()


# DER tags of the CMS pieces the template writes (X.690): SEQUENCE, SET, OCTET STRING, [0] constructed.
_SEQUENCE, _SET, _OCTET_STRING, _CONTEXT_0 = 0x30, 0x31, 0x04, 0xA0
# Two probes (digest, time): the template must reproduce pyHanko's container for both before it is used.
_TEMPLATE_DIGESTS = (
    hashlib.sha256(b"tongban cms template 1").digest(),
    hashlib.sha256(b"tongban cms template 2").digest(),
)
_TEMPLATE_TIMES = (
    dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
    dt.datetime(2039, 12, 30, 22, 58, 59, tzinfo=dt.UTC),
)


def _der(tag: int, content: bytes) -> bytes:
    """A DER element: tag, definite length, content."""
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    size = (length.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + length.to_bytes(size, "big") + content


@dataclass(frozen=True)
class _CmsTemplate:
    """A certificate's PAdES CMS container with the two parts that change per PDF left open.

    For one certificate pyHanko's container (ContentInfo → SignedData → one SignerInfo) differs between PDFs only
    in the messageDigest attribute (the file's SHA-256) and the ECDSA signature over the signed attributes (PAdES
    puts no signing time in the CMS: it is the signature dictionary's /M). Building it with asn1crypto took three
    quarters of the signing time. The template is cut from pyHanko's own output and used only after reproducing two
    pyHanko containers (different digests and times) byte for byte (`checked`); otherwise pyHanko builds every one.
    """

    attributes: bytes  # the signed attributes' content (inside the SET), with a placeholder digest
    digest_at: int  # where the 32-byte messageDigest value sits in `attributes`
    signer_info_head: bytes  # version, sid (issuer and serial), digestAlgorithm
    signature_algorithm: bytes
    signed_data_head: bytes  # version, digestAlgorithms, encapContentInfo, [0] certificates
    content_type: bytes  # the signedData OID

    def covers(self, digest_algorithm: str, **options) -> bool:
        """Whether a signing request is the one the template was cut for: a PAdES SHA-256 PDF signature with no
        time-stamp, nothing encapsulated and no signed attribute other than the ones pyHanko always adds."""
        settings = options.get("signed_attr_settings")
        return (
            digest_algorithm == "sha256"
            and options.get("use_pades") is True
            and options.get("timestamper") is None
            and options.get("is_pdf_sig", True) is True
            and options.get("encap_content_info") is None
            and settings is not None
            and settings == PdfCMSSignedAttributes(signing_time=settings.signing_time)
            and set(options) <= {"use_pades", "timestamper", "signed_attr_settings", "is_pdf_sig", "encap_content_info"}
        )

    def signed_attributes(self, digest: bytes) -> bytes:
        if len(digest) != hashlib.sha256().digest_size:
            raise ValueError("a SHA-256 digest is 32 bytes")
        return self.attributes[: self.digest_at] + digest + self.attributes[self.digest_at + len(digest) :]

    def container(self, attributes: bytes, signature: bytes) -> bytes:
        """The DER ContentInfo around the signed attributes' content and the signature value."""
        signer_info = _der(
            _SEQUENCE,
            self.signer_info_head
            + _der(_CONTEXT_0, attributes)  # [0] IMPLICIT SET OF Attribute
            + self.signature_algorithm
            + _der(_OCTET_STRING, signature),
        )
        signed_data = _der(_SEQUENCE, self.signed_data_head + _der(_SET, signer_info))
        return _der(_SEQUENCE, self.content_type + _der(_CONTEXT_0, signed_data))

    @classmethod
    def cut(cls, reference: bytes, digest: bytes) -> _CmsTemplate | None:
        """The template from one of pyHanko's containers (made for `digest`), if it has the expected shape."""
        content_info = cms.ContentInfo.load(reference)
        signed_data = content_info["content"]
        if len(signed_data["signer_infos"]) != 1 or signed_data["crls"].native is not None:
            return None
        signer_info = signed_data["signer_infos"][0]
        if signer_info["unsigned_attrs"].native is not None:
            return None
        attributes = signer_info["signed_attrs"].contents
        if attributes.count(digest) != 1:
            return None
        head = ("version", "digest_algorithms", "encap_content_info", "certificates")
        return cls(
            attributes=attributes,
            digest_at=attributes.index(digest),
            signer_info_head=b"".join(signer_info[name].dump() for name in ("version", "sid", "digest_algorithm")),
            signature_algorithm=signer_info["signature_algorithm"].dump(),
            signed_data_head=b"".join(signed_data[name].dump() for name in head),
            content_type=content_info["content_type"].dump(),
        )

    @classmethod
    def checked(cls, signer: _PlatformSigner) -> _CmsTemplate | None:
        """A template that reproduces pyHanko's containers for two different digests and times, else None."""
        references = [
            signer.reference(digest, at) for digest, at in zip(_TEMPLATE_DIGESTS, _TEMPLATE_TIMES, strict=True)
        ]
        template = cls.cut(references[0], _TEMPLATE_DIGESTS[0])
        if template is None:
            return None
        placeholder = bytes(_ECDSA_SIGNATURE_MAX)  # what the dry run put where the signature goes
        for digest, reference in zip(_TEMPLATE_DIGESTS, references, strict=True):
            if template.container(template.signed_attributes(digest), placeholder) != reference:
                return None
        return template


@dataclass(frozen=True)
class _PreparedSigner:
    """A certificate's pyHanko signer and the room its signature takes in the PDF, made once per process.

    A certificate and its chain never change (rotation makes new ones), so the chain is read and parsed once, the
    CMS template is cut once, and pyHanko's size estimate — a whole dry-run CMS signature, a third of the signing
    time when done per file — is made once: the container's size is fixed by the certificates and the signed
    attributes (the dry run signs with the longest ECDSA value), and the estimate keeps pyHanko's own 50 % margin, so
    the file is laid out as before. The signer's name for the signature dictionary is kept too.
    """

    signer: _PlatformSigner
    bytes_reserved: int
    name: str | None

    @classmethod
    def make(cls, certificate: Certificate) -> _PreparedSigner:
        signer = _PlatformSigner(certificate)  # reads the chain from the database here, in the caller's thread
        hex_length = len(signer.reference(bytes(32), dt.datetime.now(dt.UTC))) * 2  # /Contents is hexadecimal
        signer.template = _CmsTemplate.checked(signer)
        name = certificate.organisation.name if certificate.organisation_id else None
        return cls(signer=signer, bytes_reserved=hex_length + 2 * (hex_length // 4), name=name)


_prepared_signer: PerCertificate[_PreparedSigner] = PerCertificate(_PreparedSigner.make)


def sign_pdf(pdf: bytes, certificate: Certificate, *, reason: str = "电子证照颁发") -> bytes:
    """The PDF with a PAdES B-B signature by `certificate` (an organisation's ECDSA PDF certificate) over the file."""
    prepared = _prepared_signer(certificate)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        name=prepared.name,
    )
    output = io.BytesIO()
    outside_event_loop(
        lambda: signers.sign_pdf(
            writer, metadata, signer=prepared.signer, output=output, bytes_reserved=prepared.bytes_reserved
        )
    )
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
