"""Verification of licences (证照核验): the seal signature and its certificate chain, an uploaded PDF, the data package.

Everything here answers with a report and never raises on bad input: a forged signature, a changed byte, an unknown
certificate or a file that is not a PDF all become problem codes (stable, machine-readable) that pages and the API
show in words. docs/decisions/0010-licence-data-and-verification.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field, replace

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from django.db import transaction
from django.utils import timezone

from tongban.core import crypto
from tongban.core.models import Organisation
from tongban.core.pii import mask_id_number
from tongban.licences.identifier import parse_identifier
from tongban.licences.models import Certificate, CertificatePurpose, CredentialStatus, Licence, LicenceType
from tongban.licences.pdf import outside_event_loop
from tongban.licences.seal_format import seal_signature_valid
from tongban.licences.selectors import public_fields
from tongban.licences.signature_format import signature_check, signature_load
from tongban.licences.x509 import certificate_pem, issued_by

PACKAGE_DATA = "licence.json"
PACKAGE_SIGNATURE = "signature.der"
PACKAGE_CHAIN = "chain.pem"
PACKAGE_README = "README.txt"
PACKAGE_MAX_BYTES = 2 * 1024 * 1024


@dataclass
class SealReport:
    """Whether a licence's seal signature (SES_Signature over its data) and the signer's certificate chain verify."""

    signature_valid: bool
    chain_valid: bool
    problems: list[str] = field(default_factory=list)
    signed_at: dt.datetime | None = None
    certificate_subject: str = ""


def _signing_time(signature_der: bytes) -> dt.datetime | None:
    try:
        return signature_load(signature_der)["to_sign"]["time_info"].native
    except (ValueError, TypeError):
        return None


def _chain_problems(certificate_der: bytes, root_der: bytes, signed_at: dt.datetime | None) -> list[str]:
    """Offline chain checks against a given root: issued by it, root self-signed, valid when signed."""
    problems = []
    try:
        certificate = asn1_x509.Certificate.load(certificate_der)
        if not (issued_by(certificate_der, root_der) and issued_by(root_der, root_der)):
            problems.append("chain")
        validity = certificate["tbs_certificate"]["validity"]
        if signed_at and not (validity["not_before"].native <= signed_at <= validity["not_after"].native):
            problems.append("certificate_not_valid_at_signing")
    except (ValueError, TypeError, crypto.CryptoError):
        problems.append("chain")
    return problems


def _signer_certificate_der(signature_der: bytes) -> bytes | None:
    try:
        return signature_load(signature_der)["cert"].native
    except (ValueError, TypeError):
        return None


def _seal_der(signature_der: bytes) -> bytes:
    return signature_load(signature_der)["to_sign"]["eseal"].dump()


def _library_chain_problems(
    licence: Licence, certificate_der: bytes, signed_at: dt.datetime | None
) -> tuple[list[str], Certificate | None]:
    """Chain checks against the platform's own records, all but the certificate's revocation (a status that changes:
    `with_revocation`): a known seal certificate of the issuer, issued by the platform SM2 root. Also the certificate
    record, so its status can be read later."""
    certificate = (
        Certificate.objects.select_related("issuer")
        .filter(sm3_fingerprint=crypto.sm3_hex(certificate_der), purpose=CertificatePurpose.SEAL)
        .first()
    )
    if certificate is None or certificate.issuer is None:
        return ["certificate_unknown"], None
    problems = []
    if certificate.organisation_id != licence.issuer_id:
        problems.append("certificate_not_issuer")
    if certificate.issuer.purpose != CertificatePurpose.SM2_CA or certificate.issuer.organisation_id is not None:
        problems.append("chain")
    return problems + _chain_problems(certificate_der, bytes(certificate.issuer.der), signed_at), certificate


def licence_seal_check(licence: Licence) -> tuple[SealReport, Certificate | None]:
    """What never changes for a licence: its seal signature over its stored data, the seal's maker signature and the
    chain as of signing (not the certificate's revocation); and the platform's record of the signer's certificate."""
    signature_der, data = bytes(licence.signature), bytes(licence.data)
    signature_problems = signature_check(signature_der, data)
    if crypto.sm3_hex(data) != licence.data_sm3 and "data_hash" not in signature_problems:
        signature_problems.append("data_hash")
    certificate_der = _signer_certificate_der(signature_der)
    if certificate_der is None:
        return SealReport(False, False, signature_problems), None
    signed_at = _signing_time(signature_der)
    chain_problems, certificate = _library_chain_problems(licence, certificate_der, signed_at)
    if not seal_signature_valid(_seal_der(signature_der)):
        chain_problems.append("seal")
    subject = asn1_x509.Certificate.load(certificate_der).subject.human_friendly
    report = SealReport(
        signature_valid=not signature_problems,
        chain_valid=not chain_problems,
        problems=signature_problems + chain_problems,
        signed_at=signed_at,
        certificate_subject=subject,
    )
    return report, certificate


def with_revocation(report: SealReport, certificate_status: str | None) -> SealReport:
    """The report as of now: a revoked signer certificate fails the chain (the one part of the check that changes)."""
    if certificate_status != CredentialStatus.REVOKED:
        return report
    return replace(report, chain_valid=False, problems=[*report.problems, "certificate_revoked"])


def licence_seal_report(licence: Licence) -> SealReport:
    """Verify the licence's seal signature over its stored data, the seal's maker signature and the chain, now."""
    report, certificate = licence_seal_check(licence)
    return with_revocation(report, certificate.status if certificate else None)


# ---------------------------------------------------------------------------------------------------------------
# The stored verification: checked once (the signed bytes never change), read on every verification


def _stored_report(report: SealReport, certificate: Certificate | None) -> dict:
    return {
        "signature_valid": report.signature_valid,
        "chain_valid": report.chain_valid,
        "problems": report.problems,
        "signed_at": report.signed_at.isoformat() if report.signed_at else None,
        "certificate_subject": report.certificate_subject,
        "certificate_status": certificate.status if certificate else None,
    }


def _shown(licence: Licence) -> dict:
    """What the public is shown of the licence's type, issuer and fields (kept with the check; triggers forget it
    when the type, the issuer or the fields change)."""
    return {
        "licence_type": {"code": licence.licence_type.code, "name": licence.licence_type.name},
        "issuer": {"uscc": licence.issuer.uscc, "name": licence.issuer.name},
        "fields": public_fields(licence),
    }


def stored_seal_report(result: dict) -> SealReport:
    """The seal report from a licence's stored check, with the status its certificate had then (a change of that
    status empties the check, so it is the status now). None stored: "unchecked", a failure, never a pass."""
    if not result:
        return SealReport(False, False, ["unchecked"])
    signed_at = result.get("signed_at")
    report = SealReport(
        signature_valid=result["signature_valid"],
        chain_valid=result["chain_valid"],
        problems=list(result["problems"]),
        signed_at=dt.datetime.fromisoformat(signed_at) if signed_at else None,
        certificate_subject=result["certificate_subject"],
    )
    return with_revocation(report, result.get("certificate_status"))


def verification_store(licence: Licence) -> bool:
    """Check the licence's seal once and store the outcome (what, when, against which certificate and its status)
    with what the public is shown (type, issuer, fields, masked holder ID): what every later verification reads
    instead of checking again. Idempotent; the database triggers empty `checked_at` again when any of it changes.

    Stored only if the row still holds the bytes that were checked (False otherwise): a change committed while the
    check ran must not be covered by a result about the bytes before it. The type, issuer and certificate rows are
    locked and read again while storing: a change committed meanwhile is seen, one not yet committed waits and its
    trigger then forgets this check."""
    report, certificate = licence_seal_check(licence)
    unchanged = {
        "data": bytes(licence.data),
        "data_sm3": licence.data_sm3,
        "signature": bytes(licence.signature),
        "issuer_id": licence.issuer_id,
        "licence_type_id": licence.licence_type_id,
    }
    with transaction.atomic():
        licence.licence_type = LicenceType.objects.select_for_update().get(pk=licence.licence_type_id)
        licence.issuer = Organisation.objects.select_for_update().get(pk=licence.issuer_id)
        if certificate is not None:
            certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        stored = Licence.objects.filter(pk=licence.pk, **unchanged).update(
            checked_at=timezone.now(),
            check_result=_stored_report(report, certificate),
            check_certificate=certificate,
            check_shown=_shown(licence),
            public_id_number=mask_id_number(licence.holder_id_number),
        )
    return stored == 1


# ---------------------------------------------------------------------------------------------------------------
# The data package (证照数据包): licence.json + signature.der + chain.pem, checkable offline and with openssl

PACKAGE_README_TEXT = """电子证照数据包 / Licence data package

licence.json   证照数据（规范化 JSON，签章覆盖的原始字节）/ the sealed licence data, byte for byte
signature.der  GB/T 38540 电子签章 SES_Signature（SM2/SM3）/ the seal signature
chain.pem      签章者证书与平台 SM2 根证书 / the signer's seal certificate, then the platform SM2 root

离线核验 / verify offline:  manage.py licence_verify <this zip>
OpenSSL 3 命令见 docs/decisions/0010-licence-data-and-verification.md / openssl commands: see that document.
"""


def licence_package(licence: Licence) -> bytes:
    """The licence's data package as a ZIP (stored, fixed timestamps, so the same licence gives the same bytes)."""
    signature_der = bytes(licence.signature)
    certificate_der = _signer_certificate_der(signature_der) or b""
    root = Certificate.objects.filter(sm3_fingerprint=crypto.sm3_hex(certificate_der)).values_list(
        "issuer__der", flat=True
    )
    chain = certificate_pem(certificate_der) + "".join(certificate_pem(bytes(der)) for der in root if der)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in (
            (PACKAGE_DATA, bytes(licence.data)),
            (PACKAGE_SIGNATURE, signature_der),
            (PACKAGE_CHAIN, chain.encode("ascii")),
            (PACKAGE_README, PACKAGE_README_TEXT.encode()),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()


@dataclass
class PackageReport:
    """What the offline check of a data package found."""

    valid: bool
    problems: list[str]
    identifier: str = ""
    holder_name: str = ""
    issuer: str = ""
    root_sm3: str = ""


def _read_package(blob: bytes) -> tuple[bytes, bytes, list[bytes]]:
    """(data, signature, certificates DER) from a package; ValueError when it is not one."""
    if len(blob) > PACKAGE_MAX_BYTES:
        raise ValueError("package too large")
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            data, signature = archive.read(PACKAGE_DATA), archive.read(PACKAGE_SIGNATURE)
            chain_text = archive.read(PACKAGE_CHAIN)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ValueError(str(exc)) from None
    certificates = [der for _, _, der in pem.unarmor(chain_text, multiple=True)]
    if len(certificates) != 2:
        raise ValueError("chain.pem must hold the signer certificate and the root")
    return data, signature, certificates


def package_report(blob: bytes, *, trusted_root_der: bytes | None = None) -> PackageReport:
    """Check a data package offline: the seal signature over licence.json, the chain to the package's root (or to
    `trusted_root_der` when given), and that the data names the identifier the signature was made for."""
    try:
        data, signature_der, (certificate_der, root_der) = _read_package(blob)
        document = json.loads(data.decode("utf-8"))
        identifier = document["identifier"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return PackageReport(False, ["malformed"])
    root_der = trusted_root_der or root_der
    problems = signature_check(signature_der, data)
    if _signer_certificate_der(signature_der) != certificate_der:
        problems.append("certificate_mismatch")
    problems += _chain_problems(certificate_der, root_der, _signing_time(signature_der))
    if "malformed" not in problems:
        if signature_load(signature_der)["to_sign"]["property_info"].native != f"licence:{identifier}":
            problems.append("identifier_mismatch")
        if not seal_signature_valid(_seal_der(signature_der)):
            problems.append("seal")
    if parse_identifier(identifier) is None:
        problems.append("identifier_check")
    return PackageReport(
        valid=not problems,
        problems=problems,
        identifier=identifier,
        holder_name=str(document.get("holder", {}).get("name", "")),
        issuer=str(document.get("issuer", {}).get("name", "")),
        root_sm3=crypto.sm3_hex(root_der),
    )


# ---------------------------------------------------------------------------------------------------------------
# Uploaded PDFs


@dataclass
class PdfReport:
    """What an uploaded PDF's PAdES signature says and whether the file is a licence in the library."""

    signed: bool
    intact: bool = False
    covers_whole_file: bool = False
    platform_certificate: bool = False
    trusted: bool = False
    certificate_revoked: bool = False  # the platform revoked the signing certificate (e.g. its key was exposed)
    signer: str = ""
    licence: Licence | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        platform = self.platform_certificate and not self.certificate_revoked
        return self.intact and self.covers_whole_file and platform and self.licence is not None


def _pdf_trust_roots() -> list[asn1_x509.Certificate]:
    ders = Certificate.objects.filter(purpose=CertificatePurpose.ECDSA_CA, organisation=None).values_list(
        "der", flat=True
    )
    return [asn1_x509.Certificate.load(bytes(der)) for der in ders]


def _platform_pdf_certificate_status(certificate: asn1_x509.Certificate) -> str | None:
    """The platform's record of a PDF-signing certificate: its status, or None when the platform did not issue it."""
    fingerprint = crypto.sm3_hex(certificate.dump())
    return (
        Certificate.objects.filter(sm3_fingerprint=fingerprint, purpose=CertificatePurpose.PDF)
        .values_list("status", flat=True)
        .first()
    )


def pdf_report(blob: bytes) -> PdfReport:
    """Validate the last PAdES signature of an uploaded PDF against the platform ECDSA roots (no network) and look
    the exact file up in the library. A file that is not a PDF gives `problems == ["not_pdf"]`."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not blob.startswith(b"%PDF-"):
        return PdfReport(signed=False, problems=["not_pdf"])
    try:
        signatures = PdfFileReader(io.BytesIO(blob), strict=False).embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError):
        return PdfReport(signed=False, problems=["not_pdf"])
    licence = Licence.objects.filter(pdf_sha256=hashlib.sha256(blob).hexdigest()).first()
    if not signatures:
        return PdfReport(signed=False, licence=licence, problems=["unsigned"])
    context = ValidationContext(trust_roots=_pdf_trust_roots(), allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = outside_event_loop(lambda: validate_pdf_signature(signatures[-1], context))
    except Exception:  # pyHanko raises many kinds on crafted input; any of them means "not a valid signature"
        return PdfReport(signed=True, licence=licence, problems=["signature"])
    certificate_status = _platform_pdf_certificate_status(status.signing_cert)
    report = PdfReport(
        signed=True,
        intact=bool(status.intact and status.valid),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        platform_certificate=certificate_status is not None,
        certificate_revoked=certificate_status == CredentialStatus.REVOKED,
        trusted=bool(status.trusted),
        signer=status.signing_cert.subject.human_friendly,
        licence=licence,
    )
    checks = {
        "signature": report.intact,
        "coverage": report.covers_whole_file,
        "certificate": report.platform_certificate and report.trusted,
        "certificate_revoked": not report.certificate_revoked,
        "not_in_library": licence is not None,
    }
    report.problems = [name for name, ok in checks.items() if not ok]
    return report
