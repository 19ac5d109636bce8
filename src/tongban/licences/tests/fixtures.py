"""Shared fixtures of the licences tests: a county with two organisations, the platform CAs, the openssl CLI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tongban.core.models import Organisation, Region
from tongban.core.tests.identifiers import uscc

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl CLI not installed")


def openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *args], capture_output=True, check=False, cwd=cwd)


@pytest.fixture
def county(db) -> Region:
    return Region.objects.create(code="330122", name="桐庐县", level=3)


@pytest.fixture
def amr(county) -> Organisation:
    return Organisation.objects.create(
        name="桐庐县市场监督管理局", uscc=uscc("11330122002567890"), kind="department", region=county
    )


@pytest.fixture
def civil(county) -> Organisation:
    return Organisation.objects.create(
        name="桐庐县民政局", uscc=uscc("11330122002567891"), kind="department", region=county
    )


# ---------------------------------------------------------------------------------------------------------------
# Licences


@pytest.fixture
def keyed_amr(amr) -> Organisation:
    """The market regulator with both certificates and a seal."""
    from tongban.licences import services

    services.ca_ensure()
    services.organisation_keys_issue(actor=None, organisation=amr)
    services.seal_make(actor=None, organisation=amr)
    return amr


@pytest.fixture
def food_type(amr):
    """食品经营许可证, issued by the market regulator, valid five years."""
    from tongban.licences.models import LicenceType

    return LicenceType.objects.create(
        code="JY",
        name="食品经营许可证",
        issuer=amr,
        validity_years=5,
        field_definitions=[
            {"name": "business_scope", "label": "经营项目", "required": True},
            {"name": "premises", "label": "经营场所", "required": True},
            {"name": "note", "label": "备注", "public": False},
        ],
        layout={"title": "食品经营许可证", "subtitle": "（电子证照）"},
    )


@pytest.fixture
def person(db):
    """A real-name verified person: 王小明."""
    from tongban.accounts.models import User
    from tongban.core.tests.identifiers import id_number

    return User.objects.create_user(
        username="wangxm", kind="person", real_name="王小明", display_name="王小明", id_number=id_number()
    )


FOOD_FIELDS = {"business_scope": "预包装食品销售（含冷藏冷冻食品）", "premises": "桐庐县城南街道迎春南路 1 号"}


@pytest.fixture
def issue(keyed_amr, food_type, person, django_capture_on_commit_callbacks):
    """A function issuing a 食品经营许可证 to 王小明 and running the after-commit PDF render."""
    from tongban.licences import services

    def issue_one(**overrides):
        kwargs = {
            "actor": None,
            "licence_type": food_type,
            "holder": services.holder_of(person),
            "fields": dict(FOOD_FIELDS),
            **overrides,
        }
        with django_capture_on_commit_callbacks(execute=True):
            licence = services.licence_issue(**kwargs)
        licence.refresh_from_db()
        return licence

    return issue_one


def foreign_signed_pdf(pdf: bytes, tmp_path: Path) -> bytes:
    """`pdf` signed (PAdES) by a self-made ECDSA certificate that carries the issuer's name: a forgery."""
    import datetime as dt
    import io

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "桐庐县市场监督管理局")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    forger = signers.SimpleSigner.load(str(tmp_path / "key.pem"), str(tmp_path / "cert.pem"))
    output = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Sig"), signer=forger, output=output)
    return output.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# Public verification


def verification_url(identifier: str) -> str:
    return f"/api/v1/licences/{identifier}/verification"


def verified(client, licence) -> dict:
    """Verify through the API (200) and return the body."""
    response = client.get(verification_url(licence.identifier))
    assert response.status_code == 200
    return response.json()
