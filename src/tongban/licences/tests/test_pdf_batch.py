"""What the batch-issuing work keeps true (docs/performance.md, "Electronic licences — issuing"): the vector QR code is
segno's code of the verification URL and scans; the CMS template writes exactly what pyHanko writes, and without it
pyHanko signs as before; a rotated certificate signs the next licence; the prepared seal picture draws the same PDF;
licence_bench issues, renders and verifies in both modes, and fails when a fast path is broken."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import shutil
import subprocess

import pytest
import segno
from asn1crypto import parser
from django.core.management import call_command
from django.core.management.base import CommandError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from reportlab.lib.pagesizes import A4

from tongban.core.models import OutboxMessage
from tongban.licences import pdf, selectors, services
from tongban.licences.models import CertificatePurpose, Licence, RenderStatus
from tongban.licences.pdf import QR_BORDER, QR_BOX, QR_MASK, render_licence_pdf, verification_url

pytestmark = pytest.mark.django_db

PDFTOPPM = shutil.which("pdftoppm")
ZBARIMG = shutil.which("zbarimg")
DPI = 300


def _pdf(licence) -> bytes:
    with licence.pdf.open("rb") as handle:
        return handle.read()


def _page_image(pdf_bytes: bytes, tmp_path):
    from PIL import Image

    (tmp_path / "licence.pdf").write_bytes(pdf_bytes)
    command = [PDFTOPPM, "-r", str(DPI), "-gray", "-png", "-singlefile", "licence.pdf", "page"]
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
    return Image.open(tmp_path / "page.png").convert("L")


def _signature(pdf_bytes: bytes):
    (signature,) = PdfFileReader(io.BytesIO(pdf_bytes)).embedded_signatures
    return signature


# ---------------------------------------------------------------------------------------------------------------
# The QR code


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) not installed")
def test_the_qr_code_drawn_is_segnos_code_of_the_verification_url(issue, tmp_path):
    licence = issue()
    page = _page_image(_pdf(licence), tmp_path)
    matrix = segno.make_qr(verification_url(licence), error="m", mask=QR_MASK).matrix
    left, bottom, side = QR_BOX
    module = side / (len(matrix) + 2 * QR_BORDER)
    top = A4[1] - bottom - side  # points from the top of the page, as the raster counts

    def dark(row: int, column: int) -> bool:
        x = (left + (QR_BORDER + column + 0.5) * module) * DPI / 72
        y = (top + (QR_BORDER + row + 0.5) * module) * DPI / 72
        return page.getpixel((round(x), round(y))) < 128

    drawn = [[dark(row, column) for column in range(len(matrix))] for row in range(len(matrix))]
    assert drawn == [[bool(value) for value in row] for row in matrix]
    ring = [(-1, column) for column in range(-1, len(matrix) + 1)] + [(row, -1) for row in range(len(matrix))]
    assert not any(dark(row, column) for row, column in ring)  # the light border around it


@pytest.mark.skipif(PDFTOPPM is None or ZBARIMG is None, reason="pdftoppm or zbarimg (zbar-tools) not installed")
def test_the_qr_code_scans_to_the_verification_url(issue, tmp_path, settings):
    settings.TONGBAN_PUBLIC_URL = "https://zwfw.example.gov.cn"
    licence = issue()
    _page_image(_pdf(licence), tmp_path)
    scanned = subprocess.run([ZBARIMG, "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True)
    assert scanned.stdout.strip() == verification_url(licence)


# ---------------------------------------------------------------------------------------------------------------
# The PAdES signature


@pytest.fixture
def prepared(keyed_amr):
    certificate = selectors.certificate_current(keyed_amr, CertificatePurpose.PDF)
    return pdf._prepared_signer(certificate)


def test_the_cms_template_writes_what_pyhanko_writes(prepared, monkeypatch):
    signer = prepared.signer
    assert signer.template is not None
    value = signer._platform_signer.sign_bytes(b"any")  # one fixed signature value for both: ECDSA is randomised
    monkeypatch.setattr(signer._platform_signer, "sign_bytes", lambda data: value)
    digest = hashlib.sha256(b"a licence PDF's signed byte ranges").digest()
    settings = PdfCMSSignedAttributes(signing_time=dt.datetime.now(dt.UTC))

    ours = asyncio.run(signer.async_sign(digest, "sha256", use_pades=True, signed_attr_settings=settings))
    theirs = signers.Signer.async_sign(signer, digest, "sha256", use_pades=True, signed_attr_settings=settings)
    assert ours.dump() == asyncio.run(theirs).dump()


def test_requests_the_template_was_not_cut_for_go_to_pyhanko(prepared):
    template = prepared.signer.template
    now = PdfCMSSignedAttributes(signing_time=dt.datetime.now(dt.UTC))
    assert template.covers("sha256", use_pades=True, signed_attr_settings=now) is True
    assert template.covers("sha512", use_pades=True, signed_attr_settings=now) is False
    assert template.covers("sha256", use_pades=False, signed_attr_settings=now) is False
    assert template.covers("sha256", use_pades=True, signed_attr_settings=now, timestamper=object()) is False
    assert template.covers("sha256", use_pades=True, signed_attr_settings=None) is False


def test_without_a_template_pyhanko_signs_as_before(issue, keyed_amr, monkeypatch):
    monkeypatch.setattr(pdf._CmsTemplate, "checked", classmethod(lambda cls, signer: None))
    pdf._prepared_signer.clear()
    licence = issue()
    report = _signature(_pdf(licence))
    from tongban.licences.verification import pdf_report

    assert pdf_report(_pdf(licence)).valid is True
    pdf_certificate = selectors.certificate_current(keyed_amr, CertificatePurpose.PDF)
    assert report.signer_cert.dump() == bytes(pdf_certificate.der)
    assert pdf._prepared_signer.get(pdf_certificate).signer.template is None


def test_the_signature_fills_the_room_reserved_for_it(issue, prepared):
    signature = _signature(_pdf(issue()))
    contents = signature.sig_object.raw_get("/Contents")
    assert len(contents.original_bytes) * 2 == prepared.bytes_reserved  # hexadecimal in the file
    header, content = parser.parse(signature.pkcs7_content)[3:5]  # the CMS, without the zeros padding the room
    # The room is 1.5 × a reference signature's size (pyHanko's margin). A DER ECDSA signature varies by a few bytes
    # (leading zeros of r and s), so the one in this file may be slightly longer than the reference: a third of the
    # room must still be free.
    assert 2 * len(header + content) * 4 // 3 <= prepared.bytes_reserved


def test_a_rotated_certificate_signs_the_next_licence(issue, keyed_amr):
    before = _signature(_pdf(issue())).signer_cert.dump()
    services.organisation_keys_rotate(actor=None, organisation=keyed_amr, reason="密钥轮换演练")
    after = _signature(_pdf(issue())).signer_cert.dump()
    current = selectors.certificate_current(keyed_amr, CertificatePurpose.PDF)
    assert (after, after != before) == (bytes(current.der), True)


# ---------------------------------------------------------------------------------------------------------------
# The seal picture


def test_the_prepared_seal_picture_draws_the_same_pdf(issue):
    licence = issue()
    pdf._prepared_image.cache_clear()
    cold = render_licence_pdf(licence)
    assert render_licence_pdf(licence) == cold
    page = PdfFileReader(io.BytesIO(cold)).root["/Pages"]["/Kids"][0].get_object()
    xobjects = [item.get_object() for item in page["/Resources"]["/XObject"].values()]
    images = [xobject for xobject in xobjects if xobject["/Subtype"] == "/Image"]
    assert [(image["/Width"], image["/Height"], "/SMask" in image) for image in images] == [(480, 480, True)]


# ---------------------------------------------------------------------------------------------------------------
# The bench


def _bench_outcome():
    """The bench licences' render statuses and the render messages still pending."""
    statuses = sorted(Licence.objects.filter(licence_type__code="JYBENCH").values_list("render_status", flat=True))
    pending = OutboxMessage.objects.filter(topic=services.RENDER_TOPIC, status=OutboxMessage.Status.PENDING)
    return statuses, pending.count()


def test_licence_bench_pipeline_issues_renders_and_verifies(keyed_amr, capsys):
    call_command("licence_bench", count=3, workers=0, verify=2)
    output = capsys.readouterr().out
    assert "3 licences, 0 worker processes, mode pipeline" in output
    assert "  pipeline " not in output  # one timed phase: the batch line only
    assert "  batch " in output
    assert "verified 2 licences: 2 good, 0 bad" in output
    # The 3 of the batch and the warm-up licence, all rendered; no message left behind.
    assert _bench_outcome() == ([RenderStatus.DONE] * 4, 0)


def test_licence_bench_phases_issues_then_renders_and_verifies(keyed_amr, capsys):
    call_command("licence_bench", count=3, workers=0, verify=2, mode="phases")
    output = capsys.readouterr().out
    assert "3 licences, 0 worker processes, mode phases" in output
    assert "  issue " in output
    assert "  render " in output
    assert "  batch " in output
    assert "verified 2 licences: 2 good, 0 bad" in output
    assert _bench_outcome() == ([RenderStatus.DONE] * 3, 0)


@pytest.mark.parametrize("mode", ["pipeline", "phases"])
def test_licence_bench_fails_when_the_fast_path_breaks_the_signature(prepared, monkeypatch, capsys, mode):
    # A template that passed its check, then signs over another document's digest: a plausible bug.
    template_digest = pdf._CmsTemplate.signed_attributes
    monkeypatch.setattr(
        pdf._CmsTemplate, "signed_attributes", lambda self, digest: template_digest(self, bytes(len(digest)))
    )
    with pytest.raises(CommandError, match="核验失败 2 张"):
        call_command("licence_bench", count=2, workers=0, verify=2, mode=mode)
    assert "0 good, 2 bad" in capsys.readouterr().out
