"""Issuing and revoking licences: numbering, canonical data, the SM2 seal signature (checked by openssl), audit,
the PDF through the outbox, rotation, and the refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tongban.core import crypto
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, OutboxMessage
from tongban.licences import selectors, services
from tongban.licences.errors import LicenceError
from tongban.licences.identifier import parse_identifier
from tongban.licences.licence_data import canonical_json
from tongban.licences.models import Licence, LicenceStatus, RenderStatus
from tongban.licences.signature_format import signature_check, signature_load
from tongban.licences.tests.fixtures import FOOD_FIELDS, needs_openssl, openssl
from tongban.licences.verification import licence_seal_report

pytestmark = pytest.mark.django_db

ISSUED_ON = dt.date(2026, 3, 9)


def test_issue_numbers_the_licence_per_type_and_issuer(issue, keyed_amr):
    first, second = issue(issued_on=ISSUED_ON), issue(issued_on=ISSUED_ON)
    assert (first.serial, second.serial) == ("2026000001", "2026000002")
    body = f"1.2.156.3005.2.JY.{keyed_amr.uscc}.2026000001.001"
    assert first.identifier.startswith(body + ".") and len(first.identifier) == len(body) + 2
    assert parse_identifier(first.identifier) is not None
    assert issue(issued_on=dt.date(2027, 1, 4)).serial == "2027000001"  # a new year starts again


def test_issue_records_the_licence(issue, keyed_amr, person):
    licence = issue(issued_on=ISSUED_ON)
    assert licence.status == LicenceStatus.VALID
    assert (licence.holder, licence.holder_name, licence.holder_id_type) == (person, "王小明", "resident_id")
    assert licence.holder_id_number == person.id_number
    assert (licence.valid_from, licence.valid_until) == (ISSUED_ON, dt.date(2031, 3, 8))
    assert licence.region_code == "330122"
    assert licence.issuer == keyed_amr
    assert licence.seal == selectors.seal_current(keyed_amr)
    assert Licence.objects.filter(holder_id_index=licence.holder_id_index).get() == licence


def test_the_sealed_data_is_canonical_json(issue, keyed_amr, person):
    licence = issue(issued_on=ISSUED_ON)
    data = bytes(licence.data)
    document = json.loads(data)
    assert data == canonical_json(document)
    assert b" " not in data.replace("预包装食品销售（含冷藏冷冻食品）".encode(), b"").replace(
        "桐庐县城南街道迎春南路 1 号".encode(), b""
    )
    assert "王小明".encode() in data  # UTF-8, not \\u escapes
    assert list(document) == sorted(document)
    assert document == {
        "format": "tongban-licence/1",
        "identifier": licence.identifier,
        "licenceType": {"code": "JY", "name": "食品经营许可证"},
        "serial": "2026000001",
        "version": 1,
        "holder": {"name": "王小明", "idType": "resident_id", "idNumber": person.id_number},
        "issuer": {"name": "桐庐县市场监督管理局", "code": keyed_amr.uscc},
        "issueDate": "2026-03-09",
        "validFrom": "2026-03-09",
        "validUntil": "2031-03-08",
        "regionCode": "330122",
        "fields": FOOD_FIELDS,
        "sourceCase": None,
    }
    assert licence.data_sm3 == crypto.sm3_hex(data)


def test_the_seal_signature_follows_gbt_38540_and_verifies(issue, keyed_amr):
    licence = issue()
    signature = signature_load(bytes(licence.signature))
    to_sign = signature["to_sign"]
    assert to_sign["version"].native == 4
    assert to_sign["eseal"].dump() == bytes(licence.seal.der)
    assert to_sign["data_hash"].native == crypto.sm3_digest(bytes(licence.data))
    assert to_sign["property_info"].native == f"licence:{licence.identifier}"
    assert to_sign["time_info"].native == licence.signed_at.replace(microsecond=0)
    assert signature["cert"].native == bytes(licence.seal.certificate.der)
    assert signature["signature_alg_id"].dotted == "1.2.156.10197.1.501"
    assert signature_check(bytes(licence.signature), bytes(licence.data)) == []
    report = licence_seal_report(licence)
    assert (report.signature_valid, report.chain_valid, report.problems) == (True, True, [])


def test_a_changed_byte_of_the_data_or_the_signature_is_detected(issue):
    licence = issue()
    data, signature = bytes(licence.data), bytes(licence.signature)
    assert signature_check(signature, data.replace(b"2026", b"2027", 1)) == ["data_hash"]
    flipped = bytearray(signature)
    flipped[-5] ^= 0x01
    assert signature_check(bytes(flipped), data) == ["signature"]
    assert signature_check(signature[:-1], data) == ["malformed"]
    Licence.objects.filter(pk=licence.pk).update(data=data.replace("王小明".encode(), "王大明".encode()))
    licence.refresh_from_db()
    report = licence_seal_report(licence)
    assert report.signature_valid is False
    assert (report.problems, report.chain_valid) == (["data_hash"], True)


@needs_openssl
def test_openssl_verifies_the_seal_signature(issue, tmp_path):
    licence = issue()
    signature = signature_load(bytes(licence.signature))
    (tmp_path / "tbs.der").write_bytes(signature["to_sign"].dump())
    (tmp_path / "sig.der").write_bytes(signature["signature"].native)
    (tmp_path / "seal.pem").write_text(licence.seal.certificate.pem())
    (tmp_path / "ca.pem").write_text(licence.seal.certificate.issuer.pem())
    result = openssl("x509", "-in", "seal.pem", "-pubkey", "-noout", "-out", "pub.pem", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    verify = ["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-in", "tbs.der", "-sigfile", "sig.der"]
    verify += ["-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678"]
    result = openssl(*verify, cwd=tmp_path)
    assert result.returncode == 0 and b"Signature Verified Successfully" in result.stdout, result.stderr
    chain = openssl("verify", "-vfyopt", "distid:1234567812345678", "-CAfile", "ca.pem", "seal.pem", cwd=tmp_path)
    assert chain.returncode == 0 and chain.stdout.strip() == b"seal.pem: OK", chain.stderr
    tampered = bytearray(signature["to_sign"].dump())
    tampered[-3] ^= 0x01
    (tmp_path / "tbs.der").write_bytes(bytes(tampered))
    assert openssl(*verify, cwd=tmp_path).returncode != 0


def test_issue_is_audited_without_personal_data(issue):
    licence = issue()
    entry = AuditEntry.objects.get(action="licences.licence.issue")
    assert entry.object_id == str(licence.pk)
    assert entry.after == {"identifier": licence.identifier, "data_sm3": licence.data_sm3, "seal": licence.seal.es_id}
    assert licence.holder_id_number not in json.dumps([entry.before, entry.after])
    assert AuditEntry.objects.filter(action="licences.licence.render", object_id=str(licence.pk)).count() == 1


def test_the_pdf_is_rendered_after_commit_through_the_outbox(keyed_amr, food_type, person):
    licence = services.licence_issue(
        actor=None, licence_type=food_type, holder=services.holder_of(person), fields=dict(FOOD_FIELDS)
    )
    message = OutboxMessage.objects.get(topic="licences.render_pdf")
    assert message.payload == {"licence_id": licence.pk}
    licence.refresh_from_db()
    assert (licence.render_status, licence.pdf.name) == (RenderStatus.PENDING, "")  # not inside the transaction
    rendered = services.licence_pdf_render(licence_id=licence.pk)
    assert rendered.render_status == RenderStatus.DONE
    with rendered.pdf.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    again = services.licence_pdf_render(licence_id=licence.pk)  # a second delivery changes nothing
    assert (again.pdf.name, again.pdf_sha256) == (rendered.pdf.name, rendered.pdf_sha256)


def test_a_render_failure_is_recorded_and_retried(keyed_amr, food_type, person, monkeypatch):
    from tongban.licences import outbox_handlers

    licence = services.licence_issue(
        actor=None, licence_type=food_type, holder=services.holder_of(person), fields=dict(FOOD_FIELDS)
    )

    def broken(pdf, certificate, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "sign_pdf", broken)
    with pytest.raises(OSError):
        outbox_handlers.render_pdf(1, {"licence_id": licence.pk})
    licence.refresh_from_db()
    assert (licence.render_status, licence.render_error) == (RenderStatus.FAILED, "OSError: disk full")
    monkeypatch.undo()
    outbox_handlers.render_pdf(1, {"licence_id": licence.pk})
    licence.refresh_from_db()
    assert (licence.render_status, licence.render_error) == (RenderStatus.DONE, "")


def test_long_term_licences_have_no_end(issue, food_type):
    food_type.validity_years = None
    food_type.save()
    licence = issue(issued_on=ISSUED_ON)
    assert licence.valid_until is None
    assert json.loads(bytes(licence.data))["validUntil"] is None


def test_validity_from_29_february(issue):
    assert issue(issued_on=dt.date(2028, 2, 29)).valid_until == dt.date(2033, 2, 27)


def test_an_enterprise_holder_is_named_by_its_credit_code(issue):
    from tongban.accounts.models import User
    from tongban.core.tests.identifiers import uscc

    company = User.objects.create_user(
        username="company", kind="enterprise", display_name="桐庐鲜果超市有限公司", id_number=uscc("91330122MA2H00001")
    )
    licence = issue(holder=services.holder_of(company))
    assert (licence.holder_name, licence.holder_id_type, licence.holder_id_number) == (
        "桐庐鲜果超市有限公司",
        "uscc",
        company.id_number,
    )


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"business_scope": "预包装食品销售"}, {"premises": ["经营场所不能为空"]}),
        ({**FOOD_FIELDS, "colour": "红"}, {"colour": ["证照类型没有这个字段"]}),
    ],
)
def test_missing_or_unknown_fields_are_refused(issue, fields, errors):
    with pytest.raises(DomainError) as caught:
        issue(fields=fields)
    assert caught.value.code == LicenceError.FIELDS_INVALID
    assert {name: [str(text) for text in texts] for name, texts in caught.value.fields.items()} == errors
    assert not Licence.objects.exists() and not OutboxMessage.objects.exists()


def test_refusals_change_nothing(issue, food_type, person):
    food_type.active = False
    food_type.save()
    with pytest.raises(DomainError) as caught:
        issue()
    assert caught.value.code == LicenceError.LICENCE_TYPE_INACTIVE
    food_type.active = True
    food_type.save()
    with pytest.raises(DomainError) as caught:
        issue(holder=services.Holder(name="王小明", id_type="resident_id", id_number=""))
    assert caught.value.code == LicenceError.HOLDER_INCOMPLETE
    assert not Licence.objects.exists()
    assert not AuditEntry.objects.filter(action="licences.licence.issue").exists()


def test_an_issuer_without_a_seal_cannot_issue(amr, food_type, person):
    services.ca_ensure()
    services.organisation_keys_issue(actor=None, organisation=amr)
    with pytest.raises(DomainError) as caught:
        services.licence_issue(
            actor=None, licence_type=food_type, holder=services.holder_of(person), fields=dict(FOOD_FIELDS)
        )
    assert caught.value.code == LicenceError.KEYS_MISSING
    assert not Licence.objects.exists()


def test_revocation_is_audited_and_final(issue):
    licence = issue()
    revoked = services.licence_revoke(actor=None, licence=licence, reason="以欺骗手段取得许可")
    assert (revoked.status, revoked.revocation_reason) == (LicenceStatus.REVOKED, "以欺骗手段取得许可")
    assert revoked.revoked_at is not None
    entry = AuditEntry.objects.get(action="licences.licence.revoke")
    assert (entry.before, entry.after) == ({"status": "valid"}, {"status": "revoked", "reason": "以欺骗手段取得许可"})
    with pytest.raises(DomainError) as caught:
        services.licence_revoke(actor=None, licence=licence, reason="再次撤销")
    assert caught.value.code == LicenceError.NOT_REVOCABLE
    assert AuditEntry.objects.filter(action="licences.licence.revoke").count() == 1


def test_revocation_needs_a_reason(issue):
    licence = issue()
    with pytest.raises(DomainError) as caught:
        services.licence_revoke(actor=None, licence=licence, reason="  ")
    assert caught.value.code == LicenceError.REASON_REQUIRED
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.VALID


def test_licences_keep_verifying_after_the_issuer_rotates_its_keys(issue, keyed_amr):
    before = issue()
    services.organisation_keys_rotate(actor=None, organisation=keyed_amr, reason="年度更换")
    after = issue()
    assert before.seal != after.seal
    for licence in (before, after):
        licence.refresh_from_db()
        report = licence_seal_report(licence)
        assert (report.signature_valid, report.chain_valid) == (True, True), report.problems


def test_a_revoked_seal_certificate_fails_the_chain(issue):
    licence = issue()
    certificate = licence.seal.certificate
    certificate.status = "revoked"
    certificate.save(update_fields=["status"])
    report = licence_seal_report(licence)
    assert (report.signature_valid, report.chain_valid, report.problems) == (True, False, ["certificate_revoked"])


def test_expired_reads_as_expired(issue):
    licence = issue(issued_on=dt.date(2015, 1, 5))
    assert selectors.licence_status(licence, dt.date(2020, 1, 4)) == LicenceStatus.VALID
    assert selectors.licence_status(licence, dt.date(2020, 1, 5)) == LicenceStatus.EXPIRED
