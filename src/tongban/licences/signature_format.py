"""The electronic signature data structure of GB/T 38540-2019 (电子签章, version 4) in asn1crypto.

    SES_Signature ::= SEQUENCE {
        toSign          TBS_Sign,
        cert            OCTET STRING,          -- the signer's (签章者) SM2 seal certificate, DER
        signatureAlgID  OBJECT IDENTIFIER,     -- 1.2.156.10197.1.501 SM2-with-SM3
        signature       BIT STRING,            -- SM2 signature (DER r, s) over DER(toSign)
        timeStamp       [0] BIT STRING OPTIONAL }  -- not used (no time-stamp authority)
    TBS_Sign ::= SEQUENCE {
        version         INTEGER (4),
        eseal           SESeal,                -- the organisation's seal (seal_format.SESeal), as stored
        timeInfo        GeneralizedTime,       -- signing time
        dataHash        BIT STRING,            -- SM3 of the signed data (the canonical licence JSON)
        propertyInfo    IA5String,             -- what was signed: "licence:" + the licence identifier
        extDatas        ExtensionDatas OPTIONAL }

docs/decisions/0010-licence-data-and-verification.md says how the licence data is canonicalised and how to check
a signature with openssl.
"""

from __future__ import annotations

import datetime as dt

from asn1crypto import core
from asn1crypto import x509 as asn1_x509

from tongban.core import crypto
from tongban.licences.seal_format import SM2_WITH_SM3, ExtensionDatas, SESeal

SIGNATURE_VERSION = 4


class TbsSign(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("eseal", SESeal),
        ("time_info", core.GeneralizedTime),
        ("data_hash", core.OctetBitString),
        ("property_info", core.IA5String),
        ("ext_datas", ExtensionDatas, {"optional": True}),
    ]


class SESSignature(core.Sequence):
    _fields = [
        ("to_sign", TbsSign),
        ("cert", core.OctetString),
        ("signature_alg_id", core.ObjectIdentifier),
        ("signature", core.OctetBitString),
        ("time_stamp", core.OctetBitString, {"implicit": 0, "optional": True}),
    ]


def tbs_sign(*, seal_der: bytes, signed_at: dt.datetime, data: bytes, property_info: str) -> TbsSign:
    """TBS_Sign over `data`: what the signer's key signs."""
    return TbsSign(
        {
            "version": SIGNATURE_VERSION,
            "eseal": SESeal.load(seal_der),
            "time_info": signed_at.astimezone(dt.UTC).replace(microsecond=0),
            "data_hash": crypto.sm3_digest(data),
            "property_info": property_info,
        }
    )


def signature_assemble(tbs: TbsSign, *, certificate_der: bytes, signature: bytes) -> bytes:
    """The SES_Signature DER from TBS_Sign, the signer's certificate and the signature value."""
    return SESSignature(
        {"to_sign": tbs, "cert": certificate_der, "signature_alg_id": SM2_WITH_SM3, "signature": signature}
    ).dump()


def signature_load(der: bytes) -> SESSignature:
    """Parse an SES_Signature strictly (whole input, DER only); ValueError on anything else."""
    parsed = SESSignature.load(der, strict=True)
    if parsed.dump(force=True) != der:
        raise ValueError("not DER: re-encoding the signature changes its bytes")
    return parsed


def signature_check(der: bytes, data: bytes) -> list[str]:
    """What is wrong with the SES_Signature over `data` (empty when it verifies).

    Checked: DER structure, algorithm, that the signer certificate is the one listed in the seal, the SM3 hash of
    the data, and the SM2 signature over DER(TBS_Sign) with the signer certificate's key. Problems are stable codes:
    malformed, algorithm, certificate_not_in_seal, data_hash, signature.
    """
    from tongban.licences.x509 import signature_valid

    try:
        parsed = signature_load(der)
        to_sign = parsed["to_sign"]
        certificate_der = parsed["cert"].native
        public_key = asn1_x509.Certificate.load(certificate_der, strict=True).public_key.dump()
        seal_certificates = to_sign["eseal"]["e_seal_info"]["property"]["cert_list"].native
    except (ValueError, TypeError):
        return ["malformed"]
    problems = []
    if parsed["signature_alg_id"].dotted != SM2_WITH_SM3:
        problems.append("algorithm")
    if certificate_der not in seal_certificates:
        problems.append("certificate_not_in_seal")
    if to_sign["data_hash"].native != crypto.sm3_digest(data):
        problems.append("data_hash")
    try:
        valid = signature_valid(public_key, to_sign.dump(), parsed["signature"].native)
    except (ValueError, TypeError, crypto.CryptoError):
        valid = False
    if not valid:
        problems.append("signature")
    return problems
