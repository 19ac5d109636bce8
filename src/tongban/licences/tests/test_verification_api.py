"""GET /api/v1/licences/{identifier}/verification: public, masked, and honest about revocation and tampering."""

from __future__ import annotations

import pytest

from tongban.core.pii import mask_id_number
from tongban.licences import services
from tongban.licences.models import Licence

pytestmark = pytest.mark.django_db


def _url(identifier: str) -> str:
    return f"/api/v1/licences/{identifier}/verification"


def test_a_valid_licence(client, issue, keyed_amr, person):
    licence = issue()
    response = client.get(_url(licence.identifier))
    assert response.status_code == 200
    body = response.json()
    seal = body.pop("seal")
    assert seal["signed_at"] is not None and "桐庐县市场监督管理局" in seal.pop("certificate_subject")
    assert seal == {"signature_valid": True, "chain_valid": True, "problems": [], "signed_at": seal["signed_at"]}
    assert body == {
        "identifier": licence.identifier,
        "valid": True,
        "status": "valid",
        "status_label": "有效",
        "licence_type": {"code": "JY", "name": "食品经营许可证"},
        "holder": {
            "name": "王小明",
            "id_type": "resident_id",
            "id_type_label": "居民身份证",
            "id_number_masked": mask_id_number(person.id_number),
        },
        "issuer": {"code": keyed_amr.uscc, "name": "桐庐县市场监督管理局"},
        "issued_on": licence.issued_on.isoformat(),
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat(),
        "region_code": "330122",
        "fields": [
            {"name": "business_scope", "label": "经营项目", "value": "预包装食品销售（含冷藏冷冻食品）"},
            {"name": "premises", "label": "经营场所", "value": "桐庐县城南街道迎春南路 1 号"},
        ],
        "revoked_at": None,
        "revocation_reason": "",
        "data_sm3": licence.data_sm3,
        "current_identifier": None,
    }
    assert person.id_number not in response.content.decode()


def test_fields_marked_private_are_not_shown(client, issue):
    licence = issue(fields={"business_scope": "热食类食品制售", "premises": "迎春南路 2 号", "note": "内部备注"})
    body = client.get(_url(licence.identifier)).json()
    assert [field["name"] for field in body["fields"]] == ["business_scope", "premises"]
    assert "内部备注" not in str(body)


def test_revocation_shows_at_once(client, issue):
    licence = issue()
    services.licence_revoke(actor=None, licence=licence, reason="以欺骗手段取得许可")
    body = client.get(_url(licence.identifier)).json()
    assert (body["status"], body["status_label"], body["valid"]) == ("revoked", "已撤销", False)
    assert body["revocation_reason"] == "以欺骗手段取得许可" and body["revoked_at"] is not None
    assert (body["seal"]["signature_valid"], body["seal"]["chain_valid"]) == (True, True)


def test_tampered_data_fails_the_signature(client, issue):
    licence = issue()
    data = bytes(licence.data).replace("预包装食品销售".encode(), "热食类食品制售".encode())
    Licence.objects.filter(pk=licence.pk).update(data=data)
    body = client.get(_url(licence.identifier)).json()
    assert (body["valid"], body["seal"]["signature_valid"], body["seal"]["problems"]) == (False, False, ["data_hash"])


def test_a_wrong_check_character_is_400(client, issue):
    licence = issue()
    wrong = licence.identifier[:-1] + ("0" if licence.identifier[-1] != "0" else "1")
    response = client.get(_url(wrong))
    assert response.status_code == 400
    assert response.json()["code"] == "licences.identifier_invalid"
    assert client.get(_url("not-an-identifier")).json()["code"] == "licences.identifier_invalid"


def test_an_unknown_identifier_is_404(client, issue):
    from tongban.licences.identifier import LicenceIdentifier

    licence = issue()
    unknown = str(LicenceIdentifier("JY", licence.issuer.uscc, "2026999999", 1))
    response = client.get(_url(unknown))
    assert response.status_code == 404
    body = response.json()
    assert (body["code"], body["message"]) == ("licences.licence_not_found", "电子证照库中没有该证照")


def test_the_query_count_is_pinned(client, issue, django_assert_num_queries):
    licence = issue()
    # The first verification: the licence as verification reads it, then whole, the seal certificate with its CA,
    # then storing the check (savepoint; type, issuer and certificate locked and read again; the update; release)
    # and the licence read again. Every later one: one statement (test_verification_stored.py).
    with django_assert_num_queries(10):
        assert client.get(_url(licence.identifier)).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(_url(licence.identifier)).status_code == 200


def test_the_answer_is_byte_for_byte_what_ninja_would_send(client, rf, issue):
    from tongban.api import api
    from tongban.licences.api import _out
    from tongban.licences.schemas import VerificationOut
    from tongban.licences.summary import public_verification

    licence = issue()
    services.licence_revoke(actor=None, licence=licence, reason="以欺骗手段取得许可")  # dates, datetimes, nulls
    response = client.get(_url(licence.identifier))
    validated = VerificationOut.model_validate(_out(public_verification(licence.identifier))).model_dump()
    expected = api.create_response(rf.get("/"), validated, status=200)
    assert (response.status_code, response["Content-Type"]) == (200, expected["Content-Type"])
    assert response.content == expected.content
