"""The public verification pages: by identifier (the QR code), by uploading the PDF, and the holder's data package."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tongban.core.pii import mask_id_number
from tongban.licences import services

pytestmark = pytest.mark.django_db


def _pdf(licence) -> bytes:
    with licence.pdf.open("rb") as handle:
        return handle.read()


def test_the_page_shows_a_valid_licence_with_the_id_masked(client, issue, person):
    licence = issue()
    response = client.get(reverse("licences:verify", args=[licence.identifier]) + f"?d={licence.data_sm3[:16]}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "核验通过：该证照真实有效。" in page
    assert mask_id_number(person.id_number) in page and person.id_number not in page
    assert '<dd data-status="valid">有效</dd>' in page
    assert '<dd data-check="signature">验证通过</dd>' in page
    assert "预包装食品销售（含冷藏冷冻食品）" in page
    assert "二维码中的数据摘要与证照库不一致" not in page
    assert "下载证照数据包" not in page  # only the holder sees the package link


def test_a_digest_that_does_not_match_is_pointed_out(client, issue):
    licence = issue()
    response = client.get(reverse("licences:verify", args=[licence.identifier]) + "?d=0000000000000000")
    assert "二维码中的数据摘要与证照库不一致" in response.content.decode()


def test_the_page_shows_a_revocation_at_once(client, issue):
    licence = issue()
    services.licence_revoke(actor=None, licence=licence, reason="许可被依法撤销")
    page = client.get(reverse("licences:verify", args=[licence.identifier])).content.decode()
    assert "当前状态为“已撤销”，不能作为有效证照使用" in page
    assert "许可被依法撤销" in page
    assert "核验通过：该证照真实有效。" not in page


def test_a_wrong_check_character_or_unknown_identifier_is_explained(client, issue):
    licence = issue()
    wrong = licence.identifier[:-1] + ("0" if licence.identifier[-1] != "0" else "1")
    response = client.get(reverse("licences:verify", args=[wrong]))
    assert response.status_code == 400
    assert "证照标识格式不正确或校验位错误" in response.content.decode()
    from tongban.licences.identifier import LicenceIdentifier

    unknown = str(LicenceIdentifier("JY", licence.issuer.uscc, "2026999999", 1))
    response = client.get(reverse("licences:verify", args=[unknown]))
    assert response.status_code == 404
    assert "电子证照库中没有该证照" in response.content.decode()


def _upload(client, content: bytes, name: str = "licence.pdf"):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(reverse("licences:verify_upload"), {"pdf": upload})


def test_uploading_the_library_pdf_verifies(client, issue):
    licence = issue()
    assert client.get(reverse("licences:verify_upload")).status_code == 200
    response = _upload(client, _pdf(licence))
    page = response.content.decode()
    assert response.status_code == 200
    assert "核验通过：文件与电子证照库中的证照一致，签名完整有效。" in page
    for check in ("intact", "coverage", "platform"):
        assert f'<dd data-check="{check}">是' in page
    assert licence.identifier in page
    assert '<dd data-status="valid">有效</dd>' in page


def test_uploading_a_revoked_licence_says_so(client, issue):
    licence = issue()
    services.licence_revoke(actor=None, licence=licence, reason="注销")
    page = _upload(client, _pdf(licence)).content.decode()
    assert "文件与电子证照库中的证照一致，但该证照当前状态为“已撤销”，不能作为有效证照使用。" in page
    assert '<dd data-status="revoked">已撤销</dd>' in page
    assert "核验通过" not in page


def test_uploading_an_altered_pdf_fails(client, issue):
    pdf = _pdf(issue())
    page = _upload(client, pdf + b"\n% appended after signing\n").content.decode()
    assert "核验未通过" in page
    assert "电子签名没有覆盖整个文件（签名后文件被追加或改动）" in page
    assert '<dd data-check="coverage">否</dd>' in page
    page = _upload(client, b"hello", name="note.txt").content.decode()
    assert "文件不是 PDF" in page


def test_uploading_nothing_asks_for_a_file(client, db):
    response = client.post(reverse("licences:verify_upload"), {})
    assert response.status_code == 400
    assert "这个字段是必填项。" in response.content.decode()


def test_the_holder_downloads_the_data_package(client, issue, person):
    licence = issue()
    client.force_login(person)
    page = client.get(reverse("licences:verify", args=[licence.identifier])).content.decode()
    assert "下载证照数据包" in page
    response = client.get(reverse("licences:package", args=[licence.identifier]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{licence.identifier}.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.read("licence.json") == bytes(licence.data)


def test_nobody_else_gets_the_data_package(client, issue):
    from tongban.accounts.models import User

    licence = issue()
    url = reverse("licences:package", args=[licence.identifier])
    assert client.get(url).status_code == 404
    client.force_login(User.objects.create_user(username="other", kind="person"))
    response = client.get(url)
    assert response.status_code == 404
    assert licence.holder_id_number not in response.content.decode()


def test_the_admin_shows_licences_read_only_with_the_id_masked(admin_client, issue, person):
    from tongban.core.models import AuditEntry

    licence = issue()
    assert admin_client.get(reverse("admin:licences_licence_add")).status_code == 403
    assert admin_client.get(reverse("admin:licences_licence_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:licences_licence_change", args=[licence.pk])).content.decode()
    assert mask_id_number(person.id_number) in page and person.id_number not in page
    response = admin_client.post(
        reverse("admin:licences_licencetype_change", args=[licence.licence_type.pk]),
        {
            "code": "JY",
            "name": "食品经营许可证（新版）",
            "issuer": licence.issuer.pk,
            "validity_years": "5",
            "field_definitions": "[]",
            "layout": "{}",
            "active": "on",
        },
    )
    assert response.status_code == 302
    licence.licence_type.refresh_from_db()
    assert licence.licence_type.name == "食品经营许可证（新版）"
    assert AuditEntry.objects.filter(object_type="licences.licencetype").count() == 1
