"""Case documents are sealed (issue 7, point 2): once the organisation has an electronic seal and a PDF-signing
certificate, 受理通知书 / 不予受理通知书 / 补正材料通知书 and the decisions carry the seal picture and a PAdES
signature that pdfsig and pyHanko accept; before that they are produced unsigned and the document record says so.
The receipt (办件回执) stays unsigned."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from asn1crypto import x509 as asn1_x509
from django.core.files.storage import default_storage
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from tongban.cases import document_files, services
from tongban.cases.models import CaseDocument, DocumentKind
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import submitted_case
from tongban.licences import selectors
from tongban.licences import services as licence_services
from tongban.licences.models import CertificatePurpose

pytestmark = pytest.mark.django_db
PDFSIG = shutil.which("pdfsig")
PDFTOTEXT = shutil.which("pdftotext")
needs_pdfsig = pytest.mark.skipif(PDFSIG is None, reason="pdfsig (poppler-utils) not installed")


@pytest.fixture
def keyed(county):
    """The market regulation bureau with its certificates and seal."""
    licence_services.ca_ensure()
    licence_services.organisation_keys_issue(actor=None, organisation=county["amr"])
    licence_services.seal_make(actor=None, organisation=county["amr"])
    return county["amr"]


def _accept(case, crew) -> CaseDocument:
    services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)
    return CaseDocument.objects.get(case=case, kind=DocumentKind.ACCEPTANCE)


def _refuse(case, crew) -> CaseDocument:
    services.case_refuse(
        actor=crew["amr_clerk"], case=case, expected_version=case.lock_version, reasons="不属于本机关职权范围"
    )
    return CaseDocument.objects.get(case=case, kind=DocumentKind.REFUSAL)


def _content(document: CaseDocument) -> bytes:
    document = document_files.document_render(document.pk)
    with default_storage.open(document.file.name, "rb") as handle:
        return handle.read()


def _pdfsig(tmp_path, content: bytes) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(content)
    return subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, check=False).stdout


@needs_pdfsig
@pytest.mark.parametrize("make", [_accept, _refuse])
def test_a_notice_is_signed_with_the_organisations_certificate(keyed, food_item, applicants, crew, tmp_path, make):
    document = make(submitted_case(applicants["li"], food_item), crew)
    content = _content(document)
    document.refresh_from_db()
    certificate = selectors.certificate_current(keyed, CertificatePurpose.PDF)
    assert document.data[document_files.SIGNATURE_KEY] == {
        "signed": True,
        "certificate": certificate.serial_number,
        "seal": selectors.seal_current(keyed).es_id,
    }
    output = _pdfsig(tmp_path, content)
    assert "Signer Certificate Common Name: 桐庐县市场监督管理局" in output
    assert "Signature Type: ETSI.CAdES.detached" in output
    assert "Total document signed" in output
    assert "Signature Validation: Signature is Valid." in output
    root = selectors.platform_ca(CertificatePurpose.ECDSA_CA)
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(bytes(root.der))], allow_fetching=False)
    signature = PdfFileReader(io.BytesIO(content)).embedded_signatures[-1]
    assert str(signature.sig_object["/Reason"]) == DocumentKind(document.kind).label
    status = validate_pdf_signature(signature, context)
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    if PDFTOTEXT:  # the seal picture replaces the "（印章）" placeholder
        text = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", "-", "-"], input=content, capture_output=True).stdout
        assert "（印章）" not in text.decode() and document.number in text.decode()


@needs_pdfsig
def test_a_changed_byte_in_a_sealed_notice_is_detected(keyed, food_item, applicants, crew, tmp_path):
    content = bytearray(_content(_accept(submitted_case(applicants["li"], food_item), crew)))
    position = content.index(b"/Producer")  # inside the signed range, away from the signature value
    content[position + 1] ^= 0x20
    output = _pdfsig(tmp_path, bytes(content))
    assert "Signature Validation: Signature is Valid." not in output


def test_without_a_certificate_the_notice_is_unsigned_and_says_so(food_item, applicants, crew):
    document = _accept(submitted_case(applicants["li"], food_item), crew)
    content = _content(document)
    document.refresh_from_db()
    assert document.status == CaseDocument.RenderStatus.READY
    assert document.data[document_files.SIGNATURE_KEY] == {
        "signed": False,
        "note": "出具机构尚未取得电子印章和签名证书，本文书未加盖电子签章",
    }
    assert PdfFileReader(io.BytesIO(content)).embedded_signatures == []
    if PDFTOTEXT:
        text = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", "-", "-"], input=content, capture_output=True).stdout
        assert "（印章）" in text.decode()


def test_the_receipt_stays_unsigned(keyed, food_item, applicants):
    receipt = submitted_case(applicants["li"], food_item).documents.get(kind=DocumentKind.RECEIPT)
    content = _content(receipt)
    receipt.refresh_from_db()
    assert document_files.SIGNATURE_KEY not in receipt.data
    assert PdfFileReader(io.BytesIO(content)).embedded_signatures == []
