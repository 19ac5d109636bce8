"""/api/v1/licences/: public verification of a licence by identifier (证照核验).

- GET /{identifier}/verification: status (valid / revoked / expired / superseded), key fields with the holder's ID
  masked, issuer, dates, and whether the SM2 seal signature and its certificate chain verify. No sign-in: the QR
  code on every licence leads here. A malformed identifier or a wrong check character is 400
  (licences.identifier_invalid), an unknown one 404 (licences.licence_not_found).
"""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router
from ninja.renderers import JSONRenderer

from tongban.licences.lifecycle import current_version
from tongban.licences.models import LicenceStatus
from tongban.licences.schemas import ErrorOut, VerificationOut
from tongban.licences.summary import VerificationSummary, kept_verification

router = Router(tags=["电子证照"])
_RENDERER = JSONRenderer()  # the API's renderer (tongban.api uses ninja's default)


def _out(summary: VerificationSummary) -> dict:
    """The answer in VerificationOut's shape and key order, so it serialises exactly as ninja would serialise it."""
    licence, seal = summary.licence, summary.seal
    superseded = summary.status == LicenceStatus.SUPERSEDED
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
        "seal": {
            "signature_valid": seal.signature_valid,
            "chain_valid": seal.chain_valid,
            "problems": seal.problems,
            "signed_at": seal.signed_at,
            "certificate_subject": seal.certificate_subject,
        },
        "current_identifier": current_version(licence).identifier if superseded else None,
    }


def _body(summary: VerificationSummary) -> str:
    return _RENDERER.render(None, _out(summary), response_status=200)  # ninja's JSONRenderer does not read the request


@router.get(
    "/{identifier}/verification",
    response={200: VerificationOut, 400: ErrorOut, 404: ErrorOut},
    summary="电子证照核验（免登录）",
    url_name="licence_verification",
)
def licence_verification(request, identifier: str):
    """按证照标识核验电子证照：状态、主要照面信息（证件号码脱敏）、颁证机构、日期，以及电子签章和证书链是否验证通过。"""
    # Rendered here rather than validated against VerificationOut by ninja (which costs as much as the rest of the
    # request): the schema stays the documented one (pinned by test_verification_stored.py, and the bytes are the
    # ones ninja would send, which test_verification_api.py checks against the schema's own serialisation).
    # The body itself is kept (not the summary), so a repeated verification neither unpickles objects nor encodes.
    content = kept_verification(identifier, "api", _body)
    return HttpResponse(content, content_type=f"{_RENDERER.media_type}; charset={_RENDERER.charset}")
