"""The electronic seal data structure of GB/T 38540-2019 (电子印章, version 4) in asn1crypto.

    SESeal ::= SEQUENCE {
        eSealInfo    SES_SealInfo,
        cert         OCTET STRING,            -- the maker's (制章者) certificate, DER
        signAlgID    OBJECT IDENTIFIER,       -- 1.2.156.10197.1.501 SM2-with-SM3
        signedValue  BIT STRING }             -- the maker's signature over DER(eSealInfo)
    SES_SealInfo ::= SEQUENCE {
        header       SES_Header,
        esID         IA5String,
        property     SES_ESPropertyInfo,
        picture      SES_ESPictureInfo,
        extDatas     ExtensionDatas OPTIONAL }
    SES_Header ::= SEQUENCE { id IA5String ("ES"), version INTEGER (4), vid IA5String }
    SES_ESPropertyInfo ::= SEQUENCE {
        type INTEGER (1 organisation, 2 personal), name UTF8String, certListType INTEGER (1 certificates),
        certList SEQUENCE OF OCTET STRING, createDate GeneralizedTime, validStart GeneralizedTime,
        validEnd GeneralizedTime }
    SES_ESPictureInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER, height INTEGER }  -- mm
    ExtensionDatas ::= SEQUENCE OF SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
                                              extnValue OCTET STRING }

docs/decisions/0009-seals-and-certificates.md records what is taken from the standard and what is our reading of it.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from asn1crypto import core

from tongban.core import crypto

SEAL_HEADER_ID = "ES"
SEAL_VERSION = 4
SEAL_TYPE_ORGANISATION = 1
SEAL_TYPE_PERSONAL = 2
CERT_LIST_CERTIFICATES = 1
SM2_WITH_SM3 = "1.2.156.10197.1.501"


class SesHeader(core.Sequence):
    _fields = [("id", core.IA5String), ("version", core.Integer), ("vid", core.IA5String)]


class CertificateList(core.SequenceOf):
    _child_spec = core.OctetString


class SesPropertyInfo(core.Sequence):
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("cert_list_type", core.Integer),
        ("cert_list", CertificateList),
        ("create_date", core.GeneralizedTime),
        ("valid_start", core.GeneralizedTime),
        ("valid_end", core.GeneralizedTime),
    ]


class SesPictureInfo(core.Sequence):
    _fields = [
        ("type", core.IA5String),
        ("data", core.OctetString),
        ("width", core.Integer),
        ("height", core.Integer),
    ]


class ExtData(core.Sequence):
    _fields = [
        ("extn_id", core.ObjectIdentifier),
        ("critical", core.Boolean, {"default": False}),
        ("extn_value", core.OctetString),
    ]


class ExtensionDatas(core.SequenceOf):
    _child_spec = ExtData


class SesSealInfo(core.Sequence):
    _fields = [
        ("header", SesHeader),
        ("es_id", core.IA5String),
        ("property", SesPropertyInfo),
        ("picture", SesPictureInfo),
        ("ext_datas", ExtensionDatas, {"optional": True}),
    ]


class SESeal(core.Sequence):
    _fields = [
        ("e_seal_info", SesSealInfo),
        ("cert", core.OctetString),
        ("sign_alg_id", core.ObjectIdentifier),
        ("signed_value", core.OctetBitString),
    ]


@dataclass(frozen=True)
class SealContent:
    """The fields of SES_SealInfo this platform fills in."""

    vendor_id: str
    es_id: str
    name: str
    certificates: list[bytes]  # DER of each signer (签章者) certificate
    created: dt.datetime
    valid_start: dt.datetime
    valid_end: dt.datetime
    picture_png: bytes
    width_mm: int
    height_mm: int
    seal_type: int = SEAL_TYPE_ORGANISATION


def _generalized(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def seal_info(content: SealContent) -> SesSealInfo:
    """SES_SealInfo for the content: the part the maker signs."""
    return SesSealInfo(
        {
            "header": {"id": SEAL_HEADER_ID, "version": SEAL_VERSION, "vid": content.vendor_id},
            "es_id": content.es_id,
            "property": {
                "type": content.seal_type,
                "name": content.name,
                "cert_list_type": CERT_LIST_CERTIFICATES,
                "cert_list": content.certificates,
                "create_date": _generalized(content.created),
                "valid_start": _generalized(content.valid_start),
                "valid_end": _generalized(content.valid_end),
            },
            "picture": {
                "type": "png",
                "data": content.picture_png,
                "width": content.width_mm,
                "height": content.height_mm,
            },
        }
    )


def seal_assemble(info: SesSealInfo, *, maker_certificate_der: bytes, signature: bytes) -> bytes:
    """The SESeal DER from the signed seal info, the maker's certificate and its signature."""
    return SESeal(
        {
            "e_seal_info": info,
            "cert": maker_certificate_der,
            "sign_alg_id": SM2_WITH_SM3,
            "signed_value": signature,
        }
    ).dump()


def seal_load(der: bytes) -> SESeal:
    """Parse a SESeal strictly: the whole input, DER only; raises ValueError on anything else."""
    seal = SESeal.load(der, strict=True)
    if seal.dump(force=True) != der:
        raise ValueError("not DER: re-encoding the seal changes its bytes")
    return seal


def _time_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seal_mirror(der: bytes) -> dict:
    """A JSON mirror of a SESeal for display: every field, binary values as base64 (the picture as its SM3 and size).

    The DER stays authoritative; the mirror is rebuilt from it and never read back to sign or verify anything.
    """
    seal = seal_load(der)
    info = seal["e_seal_info"]
    header, prop, picture = info["header"], info["property"], info["picture"]
    picture_data = picture["data"].native
    return {
        "eSealInfo": {
            "header": {"ID": header["id"].native, "version": header["version"].native, "Vid": header["vid"].native},
            "esID": info["es_id"].native,
            "property": {
                "type": prop["type"].native,
                "name": prop["name"].native,
                "certListType": prop["cert_list_type"].native,
                "certList": [base64.b64encode(cert).decode("ascii") for cert in prop["cert_list"].native],
                "createDate": _time_text(prop["create_date"].native),
                "validStart": _time_text(prop["valid_start"].native),
                "validEnd": _time_text(prop["valid_end"].native),
            },
            "picture": {
                "type": picture["type"].native,
                "dataSM3": crypto.sm3_hex(picture_data),
                "dataLength": len(picture_data),
                "width": picture["width"].native,
                "height": picture["height"].native,
            },
        },
        "cert": base64.b64encode(seal["cert"].native).decode("ascii"),
        "signAlgID": seal["sign_alg_id"].dotted,
        "signedValue": base64.b64encode(seal["signed_value"].native).decode("ascii"),
    }


def signed_part(seal: SESeal) -> bytes:
    """The bytes the maker's signature covers: DER of SES_SealInfo exactly as stored."""
    return seal["e_seal_info"].dump()


def seal_signature_valid(der: bytes) -> bool:
    """Whether the seal parses as DER and the maker certificate's key signed its seal info; False for any bad input."""
    from asn1crypto import x509 as asn1_x509

    from tongban.licences.x509 import signature_valid

    try:
        seal = seal_load(der)
        maker = asn1_x509.Certificate.load(seal["cert"].native, strict=True)
        if seal["sign_alg_id"].dotted != SM2_WITH_SM3:
            return False
        return signature_valid(maker.public_key.dump(), signed_part(seal), seal["signed_value"].native)
    except (ValueError, TypeError, crypto.CryptoError):
        return False
