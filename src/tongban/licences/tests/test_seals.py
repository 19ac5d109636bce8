"""Electronic seals (GB/T 38540): structure, DER round trip, the maker's SM2 signature (checked by openssl), picture."""

from __future__ import annotations

import base64
import io

import pytest
from asn1crypto import x509 as asn1_x509
from PIL import Image

from tongban.core import crypto
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry
from tongban.licences import services
from tongban.licences.errors import LicenceError
from tongban.licences.models import CredentialStatus, Seal
from tongban.licences.picture import SEAL_RED, seal_picture_png
from tongban.licences.seal_format import seal_load, seal_mirror, seal_signature_valid, signed_part
from tongban.licences.tests.fixtures import needs_openssl, openssl

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(amr) -> Seal:
    services.ca_ensure()
    services.organisation_keys_issue(actor=None, organisation=amr)
    return services.seal_make(actor=None, organisation=amr)


def test_seal_info_follows_the_standard(sealed, amr):
    der = bytes(sealed.der)
    seal = seal_load(der)
    info, prop, picture = seal["e_seal_info"], seal["e_seal_info"]["property"], seal["e_seal_info"]["picture"]
    assert (info["header"]["id"].native, info["header"]["version"].native, info["header"]["vid"].native) == (
        "ES",
        4,
        "TONGBAN",
    )
    assert info["es_id"].native == f"{amr.uscc}01" == sealed.es_id
    assert (prop["type"].native, prop["name"].native, prop["cert_list_type"].native) == (1, "桐庐县市场监督管理局", 1)
    assert prop["cert_list"].native == [bytes(sealed.certificate.der)]
    assert prop["valid_start"].native == sealed.valid_start
    assert prop["valid_end"].native == sealed.valid_end == sealed.certificate.not_after
    assert prop["create_date"].native == sealed.valid_start  # made and valid from the same moment
    assert (picture["type"].native, picture["width"].native, picture["height"].native) == ("png", 42, 42)
    assert picture["data"].native == bytes(sealed.picture)
    assert seal["cert"].native == bytes(sealed.maker_certificate.der)
    assert seal["sign_alg_id"].dotted == "1.2.156.10197.1.501"
    assert sealed.maker_certificate == sealed.certificate.issuer
    assert info["ext_datas"].native is None


def test_der_round_trip_and_json_mirror(sealed):
    der = bytes(sealed.der)
    assert seal_load(der).dump(force=True) == der
    mirror = seal_mirror(der)
    assert sealed.data == mirror
    assert mirror["eSealInfo"]["header"] == {"ID": "ES", "version": 4, "Vid": "TONGBAN"}
    assert mirror["eSealInfo"]["property"]["certList"] == [base64.b64encode(bytes(sealed.certificate.der)).decode()]
    assert mirror["eSealInfo"]["picture"]["dataSM3"] == crypto.sm3_hex(bytes(sealed.picture))
    assert mirror["signAlgID"] == "1.2.156.10197.1.501"
    assert base64.b64decode(mirror["signedValue"]) == seal_load(der)["signed_value"].native


def test_the_maker_signature_verifies_and_any_change_breaks_it(sealed):
    der = bytes(sealed.der)
    assert seal_signature_valid(der) is True
    name = "桐庐县市场监督管理局".encode()
    forged = der.replace(name, "桐庐县民政局民政局民政".encode()[: len(name)])
    assert forged != der
    assert seal_signature_valid(forged) is False
    assert seal_signature_valid(der[:-1]) is False
    assert seal_signature_valid(der + b"\0") is False
    assert seal_signature_valid(b"not a seal") is False


@needs_openssl
def test_openssl_verifies_the_seal_signature_with_the_makers_certificate(sealed, tmp_path):
    seal = seal_load(bytes(sealed.der))
    (tmp_path / "maker.der").write_bytes(seal["cert"].native)
    extracted = openssl(
        "x509", "-inform", "DER", "-in", "maker.der", "-pubkey", "-noout", "-out", "pub.pem", cwd=tmp_path
    )
    assert extracted.returncode == 0, extracted.stderr
    (tmp_path / "sealinfo.der").write_bytes(signed_part(seal))
    (tmp_path / "sig.der").write_bytes(seal["signed_value"].native)
    verify = ["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-in", "sealinfo.der", "-sigfile", "sig.der"]
    verify += ["-rawin", "-digest", "sm3"]
    good = openssl(*verify, "-pkeyopt", "distid:1234567812345678", cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert b"Signature Verified Successfully" in good.stdout
    wrong_id = openssl(*verify, "-pkeyopt", "distid:8765432187654321", cwd=tmp_path)
    assert wrong_id.returncode == 1
    # openssl parses the whole seal as DER too.
    (tmp_path / "seal.der").write_bytes(bytes(sealed.der))
    parsed = openssl("asn1parse", "-inform", "DER", "-in", "seal.der", cwd=tmp_path)
    assert parsed.returncode == 0, parsed.stderr
    assert b":ES" in parsed.stdout and b"IA5STRING" in parsed.stdout


def test_seal_make_supersedes_the_previous_seal_and_audits(sealed, amr):
    second = services.seal_make(actor=None, organisation=amr)
    sealed.refresh_from_db()
    assert (sealed.status, second.status) == (CredentialStatus.SUPERSEDED, CredentialStatus.CURRENT)
    assert sealed.created_at < sealed.superseded_at <= second.created_at
    assert second.es_id == f"{amr.uscc}02"
    assert seal_signature_valid(bytes(sealed.der)) is True
    entries = AuditEntry.objects.filter(action="licences.seal.make").order_by("id")
    assert [e.object_id for e in entries] == [str(sealed.pk), str(second.pk)]
    assert entries.last().before == {"superseded": [sealed.pk]}


def test_seal_needs_keys_first(amr):
    services.ca_ensure()
    with pytest.raises(DomainError) as refused:
        services.seal_make(actor=None, organisation=amr)
    assert refused.value.code is LicenceError.KEYS_MISSING
    assert Seal.objects.count() == 0


def test_maker_certificate_in_the_seal_is_the_platform_sm2_root(sealed):
    maker = asn1_x509.Certificate.load(seal_load(bytes(sealed.der))["cert"].native)
    assert maker.subject.native["common_name"] == "通办·一体化在线政务服务平台 SM2 根证书"
    assert maker.ca is True


def test_seal_picture_is_a_red_round_png_and_deterministic():
    png = seal_picture_png("桐庐县市场监督管理局", below="行政审批专用章")
    assert png == seal_picture_png("桐庐县市场监督管理局", below="行政审批专用章")
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (480, 480))
    assert image.getpixel((0, 0))[3] == 0  # transparent outside the ring
    assert image.getpixel((240, 240)) == SEAL_RED  # the star's centre
    assert image.getpixel((240, 15)) == SEAL_RED  # the ring at the top
    assert png != seal_picture_png("桐庐县民政局")
