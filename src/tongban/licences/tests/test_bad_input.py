"""Bad input gets a clear Chinese answer, never a 500, and changes nothing (issue 7, "Bad input"): a forged or altered
PDF uploaded on the verification page, a data package with one changed byte, an unknown identifier, a wrong check
character, a revoked organisation certificate. (An expired share link: test_wallet_shares.py.)"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tongban.core.models import AuditEntry
from tongban.licences.identifier import LicenceIdentifier
from tongban.licences.models import Certificate, CertificatePurpose, CredentialStatus, Licence
from tongban.licences.pdf import render_licence_pdf
from tongban.licences.tests.fixtures import foreign_signed_pdf
from tongban.licences.verification import licence_package

pytestmark = pytest.mark.django_db


def _pdf(licence) -> bytes:
    with licence.pdf.open("rb") as handle:
        return handle.read()


def _upload(client, content: bytes, name: str = "licence.pdf"):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(reverse("licences:verify_upload"), {"pdf": upload})


def _state() -> tuple:
    return (
        list(Licence.objects.order_by("pk").values_list("pk", "status", "data_sm3", "revoked_at", "pdf_sha256")),
        AuditEntry.objects.count(),
    )


# ---------------------------------------------------------------------------------------------------------------
# Uploaded PDFs


def test_a_forged_pdf_is_named_as_not_from_the_platform(client, issue, tmp_path):
    forged = foreign_signed_pdf(render_licence_pdf(issue()), tmp_path)
    before = _state()
    response = _upload(client, forged)
    page = response.content.decode()
    assert response.status_code == 200
    assert "核验未通过" in page and "签名证书不是本平台颁发的" in page
    assert "电子证照库中没有与该文件完全一致的证照" in page
    assert _state() == before


def test_a_pdf_with_one_changed_byte_fails(client, issue):
    pdf = bytearray(_pdf(issue()))
    pdf[pdf.index(b"/Creator") + 2] ^= 0x20  # inside the signed range
    before = _state()
    response = _upload(client, bytes(pdf))
    page = response.content.decode()
    assert response.status_code == 200 and "核验未通过" in page
    assert "签名值验证失败" in page or "电子证照库中没有与该文件完全一致的证照" in page
    assert _state() == before


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n" + bytes(range(256)) * 4,  # a header and garbage
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
        b"",
    ],
)
def test_a_broken_pdf_is_answered_in_words(client, issue, content):
    issue()
    before = _state()
    response = _upload(client, content)
    assert response.status_code in (200, 400)
    page = response.content.decode()
    answers = ("文件不是 PDF", "PDF 没有电子签名", "所提交的是空文件。", "这个字段是必填项。")
    assert any(text in page for text in answers)
    assert _state() == before


def test_a_pdf_whose_signature_value_was_replaced_fails(client, issue):
    pdf = bytearray(_pdf(issue()))
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    pdf[start + 200 : start + 208] = b"00000000"  # inside the CMS blob: the signature no longer parses or verifies
    response = _upload(client, bytes(pdf))
    assert response.status_code == 200 and "核验未通过" in response.content.decode()


# ---------------------------------------------------------------------------------------------------------------
# Identifiers


def test_identifiers_that_are_not_licences_are_answered_in_words(client, issue):
    licence = issue()
    wrong_check = licence.identifier[:-1] + ("0" if licence.identifier[-1] != "0" else "1")
    unknown = str(LicenceIdentifier("JY", licence.issuer.uscc, "2026999999", 1))
    before = _state()
    cases = [
        (wrong_check, 400, "证照标识格式不正确或校验位错误"),
        (unknown, 404, "电子证照库中没有该证照"),
        ("1.2.156.3005.2.JY", 400, "证照标识格式不正确或校验位错误"),
        ("%27%20OR%201=1--", 400, "证照标识格式不正确或校验位错误"),
        ("A" * 300, 400, "证照标识格式不正确或校验位错误"),
    ]
    for identifier, status, message in cases:
        api = client.get(f"/api/v1/licences/{identifier}/verification")
        assert (api.status_code, api.json()["message"]) == (status, message), identifier
        page = client.get(f"/licences/verify/{identifier}/")
        assert page.status_code == status and message in page.content.decode(), identifier
        package = client.get(f"/licences/verify/{identifier}/package/")
        assert package.status_code in (400, 404), identifier
    assert _state() == before


def test_a_lower_case_identifier_with_spaces_still_verifies(client, issue):
    licence = issue()
    response = client.get(f"/api/v1/licences/{licence.identifier.lower()}/verification")
    assert (response.status_code, response.json()["identifier"]) == (200, licence.identifier)


# ---------------------------------------------------------------------------------------------------------------
# Data packages


def test_a_package_with_one_changed_byte_fails_the_command(issue, tmp_path, capsys):
    blob = bytearray(licence_package(issue()))
    blob[blob.index(b'"holder"') + 12] ^= 0x01  # a byte of the licence data inside the stored ZIP entry
    path = tmp_path / "changed.zip"
    path.write_bytes(bytes(blob))
    before = _state()
    with pytest.raises(SystemExit) as exit_status:
        call_command("licence_verify", str(path))
    assert exit_status.value.code == 1
    out = capsys.readouterr().out
    assert "证照数据已被改动（摘要不一致）" in out or "签章数据格式不正确" in out
    assert _state() == before


def test_a_file_that_is_not_a_package_is_answered_in_words(tmp_path, capsys, db):
    path = tmp_path / "nonsense.zip"
    path.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(SystemExit) as exit_status:
        call_command("licence_verify", str(path))
    assert exit_status.value.code == 1
    assert "签章数据格式不正确" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------------------------
# A revoked organisation certificate


def test_a_revoked_seal_certificate_fails_verification(client, issue, keyed_amr):
    licence = issue()
    Certificate.objects.filter(organisation=keyed_amr, purpose=CertificatePurpose.SEAL).update(
        status=CredentialStatus.REVOKED
    )
    before = _state()
    body = client.get(f"/api/v1/licences/{licence.identifier}/verification").json()
    assert (body["valid"], body["seal"]["signature_valid"], body["seal"]["chain_valid"]) == (False, True, False)
    assert "certificate_revoked" in body["seal"]["problems"]
    page = client.get(reverse("licences:verify", args=[licence.identifier])).content.decode()
    assert "核验未通过" in page and "签章证书已被吊销" in page
    assert _state() == before


def test_a_pdf_signed_with_a_revoked_certificate_fails_the_upload(client, issue, keyed_amr):
    pdf = _pdf(issue())
    Certificate.objects.filter(organisation=keyed_amr, purpose=CertificatePurpose.PDF).update(
        status=CredentialStatus.REVOKED
    )
    before = _state()
    page = _upload(client, pdf).content.decode()
    assert "核验未通过" in page and "签章证书已被吊销" in page
    assert _state() == before
