"""/api/v1/licences/: public verification of a licence by identifier (证照核验).

- GET /{identifier}/verification: status (valid / revoked / expired / superseded), key fields with the holder's ID
  masked, issuer, dates, and whether the SM2 seal signature and its certificate chain verify. No sign-in: the QR
  code on every licence leads here. A malformed identifier or a wrong check character is 400
  (licences.identifier_invalid), an unknown one 404 (licences.licence_not_found).
"""

from __future__ import annotations

from ninja import Router

from tongban.licences import access
from tongban.licences.lifecycle import current_version
from tongban.licences.schemas import ErrorOut, VerificationOut
from tongban.licences.summary import VerificationSummary, verification_summary

router = Router(tags=["电子证照"])


def _out(summary: VerificationSummary) -> dict:
    licence, seal = summary.licence, summary.seal
    return {
        "identifier": licence.identifier,
        "valid": summary.valid,
        "status": summary.status,
        "status_label": summary.status_label,
        "licence_type": {"code": licence.licence_type.code, "name": licence.licence_type.name},
        "holder": {
            "name": licence.holder_name,
            "id_type": licence.holder_id_type,
            "id_type_label": summary.holder_id_type_label,
            "id_number_masked": summary.holder_id_masked,
        },
        "issuer": {"code": licence.issuer.uscc, "name": licence.issuer.name},
        "issued_on": licence.issued_on,
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "region_code": licence.region_code,
        "fields": [{"name": name, "label": label, "value": value} for name, label, value in summary.fields],
        "revoked_at": licence.revoked_at,
        "revocation_reason": licence.revocation_reason,
        "data_sm3": licence.data_sm3,
        "current_identifier": current_version(licence).identifier if summary.status == "superseded" else None,
        "seal": {
            "signature_valid": seal.signature_valid,
            "chain_valid": seal.chain_valid,
            "problems": seal.problems,
            "signed_at": seal.signed_at,
            "certificate_subject": seal.certificate_subject,
        },
    }


@router.get(
    "/{identifier}/verification",
    response={200: VerificationOut, 400: ErrorOut, 404: ErrorOut},
    summary="电子证照核验（免登录）",
    url_name="licence_verification",
)
def licence_verification(request, identifier: str):
    """按证照标识核验电子证照：状态、主要照面信息（证件号码脱敏）、颁证机构、日期，以及电子签章和证书链是否验证通过。"""
    return _out(verification_summary(access.licence_for_verification(identifier)))
