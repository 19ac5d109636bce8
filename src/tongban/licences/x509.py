"""X.509 v3 certificates built with asn1crypto and signed through a Signer (SM2-with-SM3 or ECDSA-with-SHA256).

`cryptography` cannot sign with SM2, so the TBSCertificate is assembled here and its DER handed to the signer; the
same path serves both CAs, so a hardware signer signs certificates too. Certificates are what `openssl verify`
expects: SM2-with-SM3 is OID 1.2.156.10197.1.501 with no parameters, the SM2 signature uses the standard default
user id 1234567812345678 (GM/T 0009 clause 10, as Chinese CAs sign; OpenSSL 3 verifies certificates with an empty id
unless given `-vfyopt distid:1234567812345678`), ECDSA-with-SHA256 is 1.2.840.10045.4.3.2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass

from asn1crypto import keys, pem
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tongban.core import crypto
from tongban.licences.signers import Signer

SM2_WITH_SM3 = "1.2.156.10197.1.501"
ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2"
SM2_CURVE = "1.2.156.10197.1.301"
_UTC_TIME_LIMIT = dt.datetime(2050, 1, 1, tzinfo=dt.UTC)  # RFC 5280: UTCTime before 2050, GeneralizedTime after


@dataclass(frozen=True)
class CertificateSpec:
    """What goes into one certificate besides the keys: names, validity, CA or end entity."""

    subject: dict[str, str]  # asn1crypto NameType keys: country_name, organization_name, common_name, ...
    not_before: dt.datetime
    not_after: dt.datetime
    is_ca: bool


def is_sm2_key(public_key_der: bytes) -> bool:
    """True when a SubjectPublicKeyInfo is on the SM2 curve."""
    parameters = keys.PublicKeyInfo.load(public_key_der)["algorithm"]["parameters"]
    return parameters.name == "named" and parameters.chosen.dotted == SM2_CURVE


def signature_valid(public_key_der: bytes, data: bytes, signature: bytes) -> bool:
    """Whether signature (DER r, s) is valid over data for the key: SM2/SM3 with the default id, or ECDSA/SHA-256."""
    if is_sm2_key(public_key_der):
        return crypto.sm2_verify(crypto.sm2_load_public_key_der(public_key_der), data, signature)
    public = serialization.load_der_public_key(public_key_der)
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _time(moment: dt.datetime) -> dict:
    moment = moment.astimezone(dt.UTC).replace(microsecond=0)
    return {"utc_time": moment} if moment < _UTC_TIME_LIMIT else {"general_time": moment}


def _key_identifier(public_key_der: bytes) -> bytes:
    # RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING (an identifier, not a security function).
    bits = keys.PublicKeyInfo.load(public_key_der)["public_key"].contents[1:]
    return hashlib.sha1(bits, usedforsecurity=False).digest()


def _extensions(spec: CertificateSpec, public_key_der: bytes, issuer_public_key_der: bytes) -> list[dict]:
    usage = {"key_cert_sign", "crl_sign"} if spec.is_ca else {"digital_signature", "non_repudiation"}
    extensions = [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": spec.is_ca}},
        {"extn_id": "key_usage", "critical": True, "extn_value": usage},
        {"extn_id": "key_identifier", "critical": False, "extn_value": _key_identifier(public_key_der)},
    ]
    if issuer_public_key_der != public_key_der:
        aki = {"key_identifier": _key_identifier(issuer_public_key_der)}
        extensions.append({"extn_id": "authority_key_identifier", "critical": False, "extn_value": aki})
    return extensions


def new_serial_number() -> int:
    """A random positive serial of up to 127 bits (RFC 5280: at most 20 octets, unpredictable)."""
    return (int.from_bytes(os.urandom(16), "big") >> 1) | 1


def issue_certificate(
    *,
    spec: CertificateSpec,
    public_key_der: bytes,
    issuer_signer: Signer,
    issuer_certificate_der: bytes | None,
    serial_number: int,
) -> bytes:
    """A signed certificate (DER). issuer_certificate_der None makes a self-signed root with spec.subject as issuer."""
    subject = asn1_x509.Name.build(spec.subject)
    if issuer_certificate_der is None:
        issuer_name, issuer_public_key = subject, public_key_der
    else:
        issuer = asn1_x509.Certificate.load(issuer_certificate_der)
        issuer_name, issuer_public_key = issuer.subject, issuer.public_key.dump()
    algorithm = SM2_WITH_SM3 if is_sm2_key(issuer_public_key) else ECDSA_WITH_SHA256
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial_number,
            "signature": {"algorithm": algorithm},
            "issuer": issuer_name,
            "validity": {"not_before": _time(spec.not_before), "not_after": _time(spec.not_after)},
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(public_key_der),
            "extensions": _extensions(spec, public_key_der, issuer_public_key),
        }
    )
    signature = issuer_signer.sign(tbs.dump()).value
    certificate = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": {"algorithm": algorithm}, "signature_value": signature}
    )
    return certificate.dump()


def certificate_pem(der: bytes) -> str:
    return pem.armor("CERTIFICATE", der).decode("ascii")


def subject_text(der: bytes) -> str:
    """The subject as one readable line (for lists and the admin)."""
    return asn1_x509.Certificate.load(der).subject.human_friendly


def issued_by(der: bytes, issuer_der: bytes) -> bool:
    """Whether the certificate names the issuer as its issuer and carries the issuer key's valid signature."""
    certificate, issuer = asn1_x509.Certificate.load(der), asn1_x509.Certificate.load(issuer_der)
    if certificate.issuer != issuer.subject:
        return False
    tbs = certificate["tbs_certificate"].dump()
    return signature_valid(issuer.public_key.dump(), tbs, certificate["signature_value"].native)
