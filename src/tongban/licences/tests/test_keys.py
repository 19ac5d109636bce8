"""Private keys at rest, the signer interface, rotation, licences_init and the read-only admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tongban.core import crypto
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry
from tongban.licences import selectors, services
from tongban.licences.errors import LicenceError
from tongban.licences.models import Certificate, CertificatePurpose, CredentialStatus, Seal, SigningKey
from tongban.licences.seal_format import seal_signature_valid
from tongban.licences.signers import LocalSigner, master_key_id, signer_for
from tongban.licences.tests.fixtures import needs_openssl, openssl
from tongban.licences.x509 import issued_by, signature_valid

pytestmark = pytest.mark.django_db

OTHER_MASTER_KEY = bytes(range(32))


@pytest.fixture
def credentials(amr):
    services.ca_ensure()
    return services.organisation_keys_issue(actor=None, organisation=amr)


def _raw_column(key: SigningKey) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_private_key FROM licences_signingkey WHERE id = %s", [key.pk])
        return bytes(cursor.fetchone()[0])


def _private_key(key: SigningKey) -> bytes:
    return LocalSigner(key)._private_key()


def test_the_database_column_never_holds_the_raw_key(credentials):
    for certificate in (credentials.seal_certificate, credentials.pdf_certificate):
        key = certificate.key
        private = _private_key(key)
        stored = _raw_column(key)
        assert len(stored) == 12 + len(private) + 16  # nonce, ciphertext, tag
        assert private not in stored
        assert private[:8] not in stored
        assert key.master_key_id == master_key_id()
        assert key.backend == "tongban.licences.signers.LocalSigner"
        assert private.hex() not in repr(key)
    sm2_key = credentials.seal_certificate.key
    assert crypto.sm2_public_key_to_der(crypto.sm2_public_key_from_private(_private_key(sm2_key))) == bytes(
        sm2_key.public_key
    )


def test_signatures_verify_with_the_certificate_the_signer_returns(credentials):
    for certificate in (credentials.seal_certificate, credentials.pdf_certificate):
        signature, signed_by = signer_for(certificate.key).sign(b"licence data")
        assert signed_by == certificate
        assert signature_valid(bytes(certificate.key.public_key), b"licence data", signature) is True
        assert signature_valid(bytes(certificate.key.public_key), b"licence data!", signature) is False


def test_a_different_master_key_cannot_decrypt_and_says_so(credentials):
    key = credentials.seal_certificate.key
    with override_settings(TONGBAN_MASTER_KEY=OTHER_MASTER_KEY), pytest.raises(DomainError) as refused:
        signer_for(key).sign(b"x")
    assert refused.value.code is LicenceError.MASTER_KEY_MISMATCH


def test_a_private_key_moved_to_another_row_does_not_decrypt(credentials, civil):
    other = services.organisation_keys_issue(actor=None, organisation=civil).seal_certificate.key
    victim = credentials.seal_certificate.key
    other.encrypted_private_key = bytes(victim.encrypted_private_key)
    with pytest.raises(DomainError) as refused:
        signer_for(other).sign(b"x")
    assert refused.value.code is LicenceError.MASTER_KEY_MISMATCH


@override_settings(TONGBAN_SIGNER="tongban.licences.signers.HsmSigner")
def test_an_unimplemented_hsm_signer_refuses_and_nothing_is_made(amr):
    with pytest.raises(DomainError) as refused:
        services.ca_ensure()
    assert refused.value.code is LicenceError.SIGNER_UNAVAILABLE
    assert (SigningKey.objects.count(), Certificate.objects.count()) == (0, 0)


def test_keys_made_by_one_signer_keep_using_it_after_the_setting_changes(credentials):
    key = credentials.pdf_certificate.key
    with override_settings(TONGBAN_SIGNER="tongban.licences.signers.HsmSigner"):
        signature, _ = signer_for(key).sign(b"x")
    assert signature_valid(bytes(key.public_key), b"x", signature) is True


@needs_openssl
def test_rotation_keeps_old_certificates_and_seals_verifiable(amr, tmp_path):
    services.ca_ensure()
    services.organisation_keys_issue(actor=None, organisation=amr)
    old_seal = services.seal_make(actor=None, organisation=amr)
    old_cert = old_seal.certificate
    signed_before = signer_for(old_cert.key).sign(b"licence issued before rotation").value
    moment_before = timezone.now()  # when that licence was signed

    rotated = services.organisation_keys_rotate(actor=None, organisation=amr, reason="年度更换")

    old_seal.refresh_from_db()
    old_cert.refresh_from_db()
    assert (old_cert.status, old_seal.status) == (CredentialStatus.SUPERSEDED, CredentialStatus.SUPERSEDED)
    assert moment_before < old_cert.superseded_at <= rotated.seal_certificate.created_at
    assert rotated.seal.certificate == rotated.seal_certificate != old_cert
    assert rotated.seal.status == CredentialStatus.CURRENT
    assert Certificate.objects.filter(organisation=amr).count() == 4
    assert Certificate.objects.filter(organisation=amr, status=CredentialStatus.CURRENT).count() == 2
    # What was signed before verifies with the certificate current then, and that certificate still chains.
    assert selectors.certificate_at(amr, CertificatePurpose.SEAL, moment_before) == old_cert
    assert selectors.certificate_at(amr, CertificatePurpose.SEAL, timezone.now()) == rotated.seal_certificate
    assert selectors.seal_at(amr, moment_before) == old_seal
    assert signature_valid(bytes(old_cert.key.public_key), b"licence issued before rotation", signed_before) is True
    assert seal_signature_valid(bytes(old_seal.der)) is True
    assert issued_by(bytes(old_cert.der), bytes(old_cert.issuer.der)) is True
    (tmp_path / "ca.pem").write_text(old_cert.issuer.pem())
    (tmp_path / "old.pem").write_text(old_cert.pem())
    result = openssl("verify", "-vfyopt", "distid:1234567812345678", "-CAfile", "ca.pem", "old.pem", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, b"old.pem: OK\n"), result.stderr
    rotation = AuditEntry.objects.get(action="licences.keys.rotate")
    assert rotation.after == {"reason": "年度更换"}
    assert sorted(rotation.before["superseded_certificates"]) == sorted(
        Certificate.objects.filter(organisation=amr, status=CredentialStatus.SUPERSEDED).values_list("pk", flat=True)
    )


def test_certificate_at_before_any_certificate_is_none(credentials, amr):
    before = credentials.seal_certificate.created_at - dt.timedelta(days=1)
    assert selectors.certificate_at(amr, CertificatePurpose.SEAL, before) is None


def test_licences_init_is_idempotent_and_skips_inactive_organisations(amr, civil, capsys):
    civil.active = False
    civil.save(update_fields=["active"])
    call_command("licences_init")
    assert capsys.readouterr().out == "根证书新建 2 个，机构新签发证书 1 个，新制电子印章 1 枚\n"
    call_command("licences_init")
    assert capsys.readouterr().out == "根证书新建 0 个，机构新签发证书 0 个，新制电子印章 0 枚\n"
    assert Certificate.objects.count() == 4
    assert list(Seal.objects.values_list("organisation_id", flat=True)) == [amr.pk]
    assert Certificate.objects.filter(organisation=civil).count() == 0


def test_admin_is_read_only_and_never_shows_key_material(admin_client, credentials):
    key = credentials.seal_certificate.key
    private = _private_key(key)
    for model in ("signingkey", "certificate", "seal"):
        assert admin_client.get(reverse(f"admin:licences_{model}_add")).status_code == 403
        assert admin_client.get(reverse(f"admin:licences_{model}_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:licences_signingkey_change", args=[key.pk])).content.decode()
    assert "LocalSigner" in page
    for secret in (private.hex(), bytes(key.encrypted_private_key).hex(), crypto.sm2_private_key_to_pem(private)):
        assert secret not in page
    certificate_page = admin_client.get(
        reverse("admin:licences_certificate_change", args=[credentials.seal_certificate.pk])
    )
    assert "-----BEGIN CERTIFICATE-----" in certificate_page.content.decode()
