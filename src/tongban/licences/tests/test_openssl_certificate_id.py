"""Which SM2 distinguishing id `openssl verify` uses for certificate signatures (docs/decisions/0009, Update).

The platform signs certificates with the GM/T 0009 default id 1234567812345678, as Chinese CAs and tools do.
OpenSSL 1.1.1 to 3.x verify certificate signatures with an *empty* id unless `-vfyopt distid:...` names one (their
maintainers declined to default it: openssl/openssl#23162), so on this machine plain `openssl verify -CAfile` refuses
our certificates with "certificate signature failure" and the documented command with `-vfyopt` accepts them. These
tests run the installed CLI and pin exactly that, so a change of OpenSSL's default shows up here.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from asn1crypto import x509 as asn1_x509

from tongban.core import crypto
from tongban.licences import services
from tongban.licences.tests.fixtures import needs_openssl, openssl

pytestmark = pytest.mark.django_db

STANDARD_ID = "1234567812345678"


def _openssl_major() -> int:
    output = subprocess.run([shutil.which("openssl") or "openssl", "version"], capture_output=True, text=True)
    match = re.match(r"OpenSSL (\d+)\.", output.stdout)
    return int(match[1]) if match else 0


@pytest.fixture
def chain(tmp_path, amr):
    sm2_ca, _ecdsa_ca = services.ca_ensure()
    seal_certificate = services.organisation_keys_issue(actor=None, organisation=amr).seal_certificate
    (tmp_path / "ca.pem").write_text(sm2_ca.pem())
    (tmp_path / "org.pem").write_text(seal_certificate.pem())
    return sm2_ca, seal_certificate


def test_certificates_are_signed_with_the_standard_id(chain):
    sm2_ca, seal_certificate = chain
    certificate = asn1_x509.Certificate.load(bytes(seal_certificate.der))
    issuer_key = crypto.sm2_load_public_key_der(asn1_x509.Certificate.load(bytes(sm2_ca.der)).public_key.dump())
    tbs, signature = certificate["tbs_certificate"].dump(), certificate["signature_value"].native
    assert crypto.sm2_verify(issuer_key, tbs, signature, user_id=STANDARD_ID.encode()) is True
    assert crypto.sm2_verify(issuer_key, tbs, signature, user_id=b"") is False


@needs_openssl
def test_openssl_verifies_with_the_standard_id_named(tmp_path, chain):
    result = openssl("verify", "-vfyopt", f"distid:{STANDARD_ID}", "-CAfile", "ca.pem", "org.pem", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, b"org.pem: OK\n"), result.stderr


@needs_openssl
@pytest.mark.skipif(_openssl_major() != 3, reason="pins OpenSSL 3.x behaviour (empty default id)")
def test_plain_openssl_3_verify_uses_an_empty_id_and_refuses(tmp_path, chain):
    result = openssl("verify", "-CAfile", "ca.pem", "org.pem", cwd=tmp_path)
    assert result.returncode == 2
    assert b"error 7 at 0 depth lookup: certificate signature failure" in result.stdout + result.stderr
