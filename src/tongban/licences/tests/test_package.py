"""The licence data package: checked offline by `manage.py licence_verify` and, with the documented commands, by
the openssl CLI (docs/decisions/0010-licence-data-and-verification.md)."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import pytest
from django.core.management import call_command

from tongban.licences import services
from tongban.licences.models import Certificate, CertificatePurpose
from tongban.licences.verification import licence_package, package_report

pytestmark = pytest.mark.django_db

# The commands of docs/decisions/0010 (section "Checking a package with openssl"), run as written there.
OPENSSL_SCRIPT = r"""
set -eu
unzip -q -o package.zip -d pkg && cd pkg
# TBS_Sign is the first element at depth 1 of SES_Signature; the signature value is the last BIT STRING at depth 1.
set -- $(openssl asn1parse -inform DER -in signature.der | awk '/:d=1 /{gsub(/[:=]/," "); print $1, $5, $7; exit}')
openssl asn1parse -inform DER -in signature.der -offset "$1" -length $(($2 + $3)) -noout -out tbs.der
SIG_OFF=$(openssl asn1parse -inform DER -in signature.der | awk -F: '/:d=1 /&&/BIT STRING/{o=$1} END{print o+0}')
openssl asn1parse -inform DER -in signature.der -strparse "$SIG_OFF" -noout -out sig.der
awk '/BEGIN CERTIFICATE/{n++} {print > ("cert" n ".pem")}' chain.pem
openssl x509 -in cert1.pem -pubkey -noout -out seal-pub.pem
openssl pkeyutl -verify -pubin -inkey seal-pub.pem -in tbs.der -sigfile sig.der -rawin -digest sm3 \
  -pkeyopt distid:1234567812345678
openssl verify -vfyopt distid:1234567812345678 -CAfile cert2.pem cert1.pem
HASH_OFF=$(openssl asn1parse -inform DER -in tbs.der | awk -F: '/:d=1 / && /BIT STRING/ {print $1; exit}')
openssl asn1parse -inform DER -in tbs.der -offset "$HASH_OFF" -length 35 -noout -out hash.der
test "$(tail -c 32 hash.der | xxd -p -c 64)" = "$(openssl dgst -sm3 -binary licence.json | xxd -p -c 64)"
echo DATA HASH OK
"""
needs_tools = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("openssl", "unzip", "xxd", "awk")), reason="openssl/unzip/xxd missing"
)


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_the_package_holds_data_signature_and_chain(issue):
    licence = issue()
    members = _members(licence_package(licence))
    assert sorted(members) == ["README.txt", "chain.pem", "licence.json", "signature.der"]
    assert members["licence.json"] == bytes(licence.data)
    assert members["signature.der"] == bytes(licence.signature)
    assert members["chain.pem"].decode() == licence.seal.certificate.pem() + licence.seal.certificate.issuer.pem()
    assert licence_package(licence) == licence_package(licence)


def test_the_offline_check_accepts_the_package(issue):
    licence = issue()
    report = package_report(licence_package(licence))
    assert (report.valid, report.problems, report.identifier) == (True, [], licence.identifier)
    assert (report.holder_name, report.issuer) == ("王小明", "桐庐县市场监督管理局")


def test_a_changed_byte_anywhere_is_detected(issue):
    members = _members(licence_package(issue()))
    data = members["licence.json"]
    changed = _zip({**members, "licence.json": data.replace("王小明".encode(), "王大明".encode())})
    assert package_report(changed).problems == ["data_hash"]
    signature = bytearray(members["signature.der"])
    signature[-10] ^= 0x01
    assert package_report(_zip({**members, "signature.der": bytes(signature)})).valid is False
    assert package_report(b"PK\x03\x04 broken").problems == ["malformed"]
    assert package_report(_zip({"licence.json": data})).problems == ["malformed"]


def test_a_package_checked_against_another_root_fails(issue):
    licence = issue()
    ours = licence.seal.certificate.issuer
    assert package_report(licence_package(licence), trusted_root_der=bytes(ours.der)).valid is True
    ecdsa_root = Certificate.objects.get(purpose=CertificatePurpose.ECDSA_CA)
    report = package_report(licence_package(licence), trusted_root_der=bytes(ecdsa_root.der))
    assert report.problems == ["chain"]


def test_licence_verify_command(issue, tmp_path, capsys):
    licence = issue()
    path = tmp_path / "package.zip"
    path.write_bytes(licence_package(licence))
    call_command("licence_verify", str(path))
    out = capsys.readouterr().out
    assert f"证照标识：{licence.identifier}" in out
    assert "核验通过：电子签章和证书链验证有效" in out
    root = tmp_path / "root.pem"
    root.write_text(licence.seal.certificate.issuer.pem())
    call_command("licence_verify", str(path), "--ca", str(root))
    assert "核验通过" in capsys.readouterr().out

    members = _members(path.read_bytes())
    path.write_bytes(_zip({**members, "licence.json": members["licence.json"].replace(b"2031", b"2041")}))
    with pytest.raises(SystemExit) as exited:
        call_command("licence_verify", str(path))
    assert exited.value.code == 1
    assert "核验未通过：证照数据已被改动（摘要不一致）" in capsys.readouterr().out


@needs_tools
def test_the_documented_openssl_commands_verify_the_package(issue, tmp_path):
    (tmp_path / "package.zip").write_bytes(licence_package(issue()))
    result = subprocess.run(["bash", "-c", OPENSSL_SCRIPT], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Signature Verified Successfully", "cert1.pem: OK", "DATA HASH OK"]


@needs_tools
def test_openssl_rejects_a_changed_package(issue, tmp_path):
    members = _members(licence_package(issue()))
    changed = members["licence.json"].replace("王小明".encode(), "王大明".encode())
    (tmp_path / "package.zip").write_bytes(_zip({**members, "licence.json": changed}))
    result = subprocess.run(["bash", "-c", OPENSSL_SCRIPT], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "DATA HASH OK" not in result.stdout


def test_a_revoked_licence_package_still_verifies_as_data(issue):
    """The package proves who sealed what; whether the licence is still valid is its online status."""
    licence = issue()
    services.licence_revoke(actor=None, licence=licence, reason="注销")
    licence.refresh_from_db()
    assert package_report(licence_package(licence)).valid is True
