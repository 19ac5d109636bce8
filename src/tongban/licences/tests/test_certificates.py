"""Platform CAs and organisation certificates: fields, and chains that openssl and cryptography accept."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives.asymmetric import ec

from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry
from tongban.licences import selectors, services
from tongban.licences.errors import LicenceError
from tongban.licences.models import Certificate, CertificatePurpose, CredentialStatus
from tongban.licences.tests.fixtures import needs_openssl, openssl
from tongban.licences.x509 import ECDSA_WITH_SHA256, SM2_WITH_SM3, issued_by

pytestmark = pytest.mark.django_db


def _load(certificate: Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(bytes(certificate.der))


def _extension(parsed: asn1_x509.Certificate, name: str):
    return next(ext for ext in parsed["tbs_certificate"]["extensions"] if ext["extn_id"].native == name)


def test_ca_ensure_makes_each_root_once_and_audits_it():
    sm2_ca, ecdsa_ca = services.ca_ensure(actor=None)
    again = services.ca_ensure(actor=None)
    assert again == (sm2_ca, ecdsa_ca)
    assert Certificate.objects.count() == 2
    assert list(
        AuditEntry.objects.filter(action="licences.ca.create").order_by("id").values_list("object_id", flat=True)
    ) == [
        str(sm2_ca.pk),
        str(ecdsa_ca.pk),
    ]
    assert (sm2_ca.purpose, sm2_ca.key.algorithm) == (CertificatePurpose.SM2_CA, "sm2")
    assert (ecdsa_ca.purpose, ecdsa_ca.key.algorithm) == (CertificatePurpose.ECDSA_CA, "ecdsa-p256")


def test_sm2_root_fields():
    sm2_ca, _ = services.ca_ensure()
    parsed = _load(sm2_ca)
    assert parsed["tbs_certificate"]["version"].native == "v3"
    assert parsed["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3
    assert parsed["signature_algorithm"].dump().hex() == "300a06082a811ccf55018375"  # OID only, no parameters
    assert parsed.subject == parsed.issuer
    assert parsed.subject.native == {
        "country_name": "CN",
        "organization_name": "通办·一体化在线政务服务平台",
        "common_name": "通办·一体化在线政务服务平台 SM2 根证书",
    }
    assert parsed.public_key["algorithm"]["parameters"].chosen.dotted == "1.2.156.10197.1.301"
    basic = _extension(parsed, "basic_constraints")
    assert (basic["critical"].native, basic["extn_value"].native) == (True, {"ca": True, "path_len_constraint": None})
    assert _extension(parsed, "key_usage")["extn_value"].native == {"key_cert_sign", "crl_sign"}
    assert parsed.not_valid_after - parsed.not_valid_before == services.CA_VALIDITY
    assert int(sm2_ca.serial_number, 16) == parsed.serial_number
    assert issued_by(bytes(sm2_ca.der), bytes(sm2_ca.der)) is True


def test_organisation_certificates_fields(amr):
    sm2_ca, ecdsa_ca = services.ca_ensure()
    credentials = services.organisation_keys_issue(actor=None, organisation=amr)
    seal_cert, pdf_cert = credentials.seal_certificate, credentials.pdf_certificate
    for certificate, root, algorithm, unit in (
        (seal_cert, sm2_ca, SM2_WITH_SM3, "电子印章"),
        (pdf_cert, ecdsa_ca, ECDSA_WITH_SHA256, "电子证照签名"),
    ):
        parsed, parsed_root = _load(certificate), _load(root)
        assert certificate.issuer == root
        assert certificate.organisation == amr
        assert parsed.issuer == parsed_root.subject
        assert parsed["signature_algorithm"]["algorithm"].dotted == algorithm
        assert parsed.subject.native == {
            "country_name": "CN",
            "organization_name": "桐庐县市场监督管理局",
            "organizational_unit_name": unit,
            "common_name": "桐庐县市场监督管理局",
            "organization_identifier": amr.uscc,
        }
        assert _extension(parsed, "basic_constraints")["extn_value"].native["ca"] is False
        assert _extension(parsed, "key_usage")["extn_value"].native == {"digital_signature", "non_repudiation"}
        assert parsed.authority_key_identifier == parsed_root.key_identifier
        assert len(parsed.key_identifier) == 20
        assert parsed.not_valid_after - parsed.not_valid_before == services.ORGANISATION_CERTIFICATE_VALIDITY
        assert issued_by(bytes(certificate.der), bytes(root.der)) is True
    assert issued_by(bytes(seal_cert.der), bytes(ecdsa_ca.der)) is False
    assert seal_cert.key.algorithm == "sm2" and pdf_cert.key.algorithm == "ecdsa-p256"
    issued = AuditEntry.objects.filter(action="licences.certificate.issue").values_list("object_id", flat=True)
    assert sorted(issued) == sorted([str(seal_cert.pk), str(pdf_cert.pk)])


def test_keys_issue_is_idempotent(amr):
    services.ca_ensure()
    first = services.organisation_keys_issue(actor=None, organisation=amr)
    second = services.organisation_keys_issue(actor=None, organisation=amr)
    assert (second.seal_certificate, second.pdf_certificate) == (first.seal_certificate, first.pdf_certificate)
    assert Certificate.objects.filter(organisation=amr).count() == 2


def test_keys_need_the_platform_ca_first_and_nothing_is_left_behind(amr):
    with pytest.raises(DomainError) as refused:
        services.organisation_keys_issue(actor=None, organisation=amr)
    assert refused.value.code is LicenceError.CA_MISSING
    assert Certificate.objects.count() == 0


def test_inactive_organisation_gets_no_keys(amr):
    services.ca_ensure()
    amr.active = False
    amr.save(update_fields=["active"])
    with pytest.raises(DomainError) as refused:
        services.organisation_keys_issue(actor=None, organisation=amr)
    assert refused.value.code is LicenceError.ORGANISATION_INACTIVE
    assert Certificate.objects.filter(organisation=amr).count() == 0


def _write_chain(tmp_path, root: Certificate, leaf: Certificate) -> None:
    (tmp_path / "ca.pem").write_text(root.pem())
    (tmp_path / "org.pem").write_text(leaf.pem())


SM2_VERIFY = ("verify", "-vfyopt", "distid:1234567812345678", "-CAfile", "ca.pem")


@needs_openssl
def test_openssl_verifies_the_sm2_chain(tmp_path, amr):
    """Certificates are signed with the standard SM2 user id (GM/T 0009 clause 10), as Chinese CAs do. OpenSSL 3
    verifies certificates with an empty id unless told otherwise, so the command names the id with -vfyopt."""
    sm2_ca, ecdsa_ca = services.ca_ensure()
    seal_cert = services.organisation_keys_issue(actor=None, organisation=amr).seal_certificate
    _write_chain(tmp_path, sm2_ca, seal_cert)
    result = openssl(*SM2_VERIFY, "org.pem", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, b"org.pem: OK\n"), result.stderr
    wrong_id = openssl("verify", "-vfyopt", "distid:8765432187654321", "-CAfile", "ca.pem", "org.pem", cwd=tmp_path)
    assert wrong_id.returncode == 2
    text = openssl("x509", "-in", "org.pem", "-noout", "-text", cwd=tmp_path).stdout.decode()
    assert "Signature Algorithm: SM2-with-SM3" in text
    # The same certificate against the other root is refused.
    (tmp_path / "ca.pem").write_text(ecdsa_ca.pem())
    wrong_root = openssl(*SM2_VERIFY, "org.pem", cwd=tmp_path)
    assert wrong_root.returncode == 2


@needs_openssl
def test_openssl_refuses_an_sm2_certificate_with_one_changed_signature_byte(tmp_path, amr):
    sm2_ca, _ = services.ca_ensure()
    seal_cert = services.organisation_keys_issue(actor=None, organisation=amr).seal_certificate
    der = bytearray(seal_cert.der)
    der[-5] ^= 0x01  # inside the signature's s
    (tmp_path / "ca.pem").write_text(sm2_ca.pem())
    (tmp_path / "bad.der").write_bytes(bytes(der))
    converted = openssl("x509", "-inform", "DER", "-in", "bad.der", "-out", "bad.pem", cwd=tmp_path)
    assert converted.returncode == 0, converted.stderr
    result = openssl(*SM2_VERIFY, "bad.pem", cwd=tmp_path)
    assert result.returncode == 2
    assert b"certificate signature failure" in result.stdout + result.stderr
    assert issued_by(bytes(der), bytes(sm2_ca.der)) is False


@needs_openssl
def test_openssl_and_cryptography_verify_the_ecdsa_chain(tmp_path, amr):
    _, ecdsa_ca = services.ca_ensure()
    pdf_cert = services.organisation_keys_issue(actor=None, organisation=amr).pdf_certificate
    _write_chain(tmp_path, ecdsa_ca, pdf_cert)
    result = openssl("verify", "-CAfile", "ca.pem", "org.pem", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, b"org.pem: OK\n"), result.stderr
    leaf = crypto_x509.load_der_x509_certificate(bytes(pdf_cert.der))
    root = crypto_x509.load_der_x509_certificate(bytes(ecdsa_ca.der))
    leaf.verify_directly_issued_by(root)  # raises if not
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)
    assert leaf.public_key().curve.name == "secp256r1"
    assert leaf.signature_algorithm_oid.dotted_string == ECDSA_WITH_SHA256
    assert leaf.not_valid_after_utc == pdf_cert.not_after.astimezone(dt.UTC)


def test_selectors_find_the_current_certificates(amr):
    sm2_ca, ecdsa_ca = services.ca_ensure()
    credentials = services.organisation_keys_issue(actor=None, organisation=amr)
    assert selectors.platform_ca(CertificatePurpose.SM2_CA) == sm2_ca
    assert selectors.certificate_current(amr, CertificatePurpose.SEAL) == credentials.seal_certificate
    assert selectors.certificate_chain(credentials.pdf_certificate) == [credentials.pdf_certificate, ecdsa_ca]
    assert credentials.seal_certificate.status == CredentialStatus.CURRENT
