"""The licence PDF: the layout carries the data, the seal picture and the QR code; the PAdES signature validates with
pdfsig (poppler) and pyHanko against the platform ECDSA root, covers the whole file, and any change is detected."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from tongban.licences import selectors
from tongban.licences.models import CertificatePurpose
from tongban.licences.pdf import VERIFY_PATH, render_licence_pdf, verification_url
from tongban.licences.tests.fixtures import foreign_signed_pdf
from tongban.licences.verification import pdf_report

pytestmark = pytest.mark.django_db

PDFSIG = shutil.which("pdfsig")
PDFTOTEXT = shutil.which("pdftotext")
needs_pdfsig = pytest.mark.skipif(PDFSIG is None, reason="pdfsig (poppler-utils) not installed")


def _pdf(licence) -> bytes:
    with licence.pdf.open("rb") as handle:
        return handle.read()


def _pdfsig(path) -> str:
    return subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, check=False).stdout


@needs_pdfsig
def test_pdfsig_says_the_signature_is_valid_and_covers_the_whole_document(issue, tmp_path):
    licence = issue()
    path = tmp_path / "licence.pdf"
    path.write_bytes(_pdf(licence))
    output = _pdfsig(path)
    assert "Signature Field Name: TongbanLicenceSignature" in output
    assert "Signer Certificate Common Name: 桐庐县市场监督管理局" in output
    assert "Signature Type: ETSI.CAdES.detached" in output
    assert "Total document signed" in output
    assert "Signature Validation: Signature is Valid." in output


@needs_pdfsig
def test_pdfsig_detects_a_changed_byte(issue, tmp_path):
    pdf = bytearray(_pdf(issue()))
    position = pdf.index(b"/Producer") if b"/Producer" in pdf else pdf.index(b"/Creator")
    pdf[position + 2] ^= 0x20  # inside the signed range
    path = tmp_path / "changed.pdf"
    path.write_bytes(bytes(pdf))
    output = _pdfsig(path)
    assert "Signature Validation: Signature is Valid." not in output
    assert "Digest Mismatch" in output or "Signature is Invalid" in output


def test_pyhanko_validates_against_the_platform_ecdsa_root(issue, keyed_amr):
    licence = issue()
    root = selectors.platform_ca(CertificatePurpose.ECDSA_CA)
    from asn1crypto import x509 as asn1_x509

    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(bytes(root.der))], allow_fetching=False)
    reader = PdfFileReader(io.BytesIO(_pdf(licence)))
    (signature,) = reader.embedded_signatures
    status = validate_pdf_signature(signature, context)
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    pdf_certificate = selectors.certificate_current(keyed_amr, CertificatePurpose.PDF)
    assert status.signing_cert.dump() == bytes(pdf_certificate.der)
    embedded = {cert.dump() for cert in signature.signed_data["certificates"]}
    assert bytes(root.der) in embedded and bytes(pdf_certificate.der) in embedded  # the chain travels with the file


def test_the_upload_check_accepts_the_library_file(issue):
    licence = issue()
    report = pdf_report(_pdf(licence))
    assert (report.signed, report.intact, report.covers_whole_file, report.platform_certificate) == (
        True,
        True,
        True,
        True,
    )
    assert (report.trusted, report.licence, report.problems, report.valid) == (True, licence, [], True)


def test_the_upload_check_catches_appended_and_changed_bytes(issue):
    pdf = _pdf(issue())
    appended = pdf_report(pdf + b"\n% appended after signing\n")
    assert (appended.intact, appended.covers_whole_file, appended.licence) == (True, False, None)
    assert appended.problems == ["coverage", "not_in_library"]
    changed = bytearray(pdf)
    changed[pdf.index(b"/Creator") + 2] ^= 0x20
    report = pdf_report(bytes(changed))
    assert report.valid is False and "signature" in report.problems and report.licence is None


def test_the_upload_check_refuses_other_files(issue):
    assert pdf_report(b"not a pdf").problems == ["not_pdf"]
    assert pdf_report(b"%PDF-1.7\n garbage").problems == ["not_pdf"]
    unsigned = pdf_report(render_licence_pdf(issue()))
    assert (unsigned.signed, unsigned.problems) == (False, ["unsigned"])


def test_a_pdf_signed_by_a_foreign_certificate_is_not_a_platform_licence(issue, tmp_path):
    report = pdf_report(foreign_signed_pdf(render_licence_pdf(issue()), tmp_path))
    assert (report.intact, report.covers_whole_file, report.platform_certificate, report.trusted) == (
        True,
        True,
        False,
        False,
    )
    assert report.problems == ["certificate", "not_in_library"]


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) not installed")
def test_the_page_shows_the_licence_data(issue, tmp_path):
    licence = issue()
    path = tmp_path / "licence.pdf"
    path.write_bytes(_pdf(licence))
    text = subprocess.run([PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=False).stdout
    compact = "".join(text.split())
    for expected in ("食品经营许可证", "王小明", licence.holder_id_number, "预包装食品销售", "桐庐县市场监督管理局"):
        assert "".join(expected.split()) in compact
    assert licence.identifier in compact
    assert licence.data_sm3[:16] in compact


def test_the_qr_code_opens_the_verification_page(issue, settings):
    settings.TONGBAN_PUBLIC_URL = "https://zwfw.example.gov.cn"
    licence = issue()
    path = reverse("licences:verify", args=[licence.identifier])
    assert path == VERIFY_PATH.format(identifier=licence.identifier)
    assert verification_url(licence) == f"https://zwfw.example.gov.cn{path}?d={licence.data_sm3[:16]}"


def test_rendering_is_reproducible(issue):
    licence = issue()
    assert render_licence_pdf(licence) == render_licence_pdf(licence)


def test_pyhanko_can_run_where_an_event_loop_is_running():
    """pyHanko's sync API calls asyncio.run(); under an async server or a browser-driving test that would fail."""
    import asyncio

    from tongban.licences.pdf import outside_event_loop

    async def caller():
        return outside_event_loop(lambda: asyncio.run(asyncio.sleep(0, result="signed")))

    assert asyncio.run(caller()) == "signed"
    assert outside_event_loop(lambda: "direct") == "direct"
