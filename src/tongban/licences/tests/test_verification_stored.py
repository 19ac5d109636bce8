"""Public verification reads the check stored with the licence (one statement on one table, no cryptography) and still
shows every change at once: revocation, cancellation, change, expiry (by date and by the job), a revoked organisation
certificate, a renamed type or issuer, and altered data (database triggers forget the stored check). The endpoint's
OpenAPI schema is pinned."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from tongban.core.pii import mask_id_number
from tongban.licences import lifecycle, services, wallet
from tongban.licences.models import Certificate, CertificatePurpose, CredentialStatus, Licence
from tongban.licences.selectors import public_fields
from tongban.licences.tests.fixtures import FOOD_FIELDS, verified

pytestmark = pytest.mark.django_db

PINNED_SCHEMA = Path(__file__).parent / "data" / "openapi_verification.json"


@pytest.fixture
def checked(client, issue):
    """A licence verified once, so its seal check is stored."""
    licence = issue()
    verified(client, licence)
    licence.refresh_from_db()
    assert licence.checked_at is not None
    return licence


def test_the_first_verification_stores_the_check_then_each_is_one_statement(
    client, issue, person, django_assert_num_queries
):
    licence = issue()
    assert licence.checked_at is None
    first = verified(client, licence)
    licence.refresh_from_db()
    assert licence.check_certificate == licence.seal.certificate
    assert licence.public_id_number == mask_id_number(person.id_number)
    assert licence.check_result == {
        "signature_valid": True,
        "chain_valid": True,
        "problems": [],
        "signed_at": licence.signed_at.replace(microsecond=0).isoformat(),  # the signature keeps whole seconds
        "certificate_subject": first["seal"]["certificate_subject"],
        "certificate_status": "current",
    }
    assert licence.check_shown == {
        "licence_type": {"code": "JY", "name": "食品经营许可证"},
        "issuer": {"uscc": licence.issuer.uscc, "name": "桐庐县市场监督管理局"},
        "fields": [[name, label, value] for name, label, value in public_fields(licence)],
    }
    checked_at = licence.checked_at
    with django_assert_num_queries(1):  # the licence's own row, with its stored check
        assert verified(client, licence) == first
    licence.refresh_from_db()
    assert licence.checked_at == checked_at  # not checked again


def test_the_page_reads_the_stored_check_too(client, checked):
    page = client.get(reverse("licences:verify", args=[checked.identifier])).content.decode()
    assert "核验通过：该证照真实有效。" in page and '<dd data-check="chain">验证通过' in page
    assert Licence.objects.get(pk=checked.pk).checked_at == checked.checked_at


@pytest.mark.parametrize(("kind", "label"), [("revoke", "撤销"), ("cancel", "注销")])
def test_revocation_and_cancellation_show_at_once(client, checked, kind, label):
    lifecycle.licence_withdraw(actor=None, licence=checked, kind=kind, reason="以欺骗手段取得许可")
    body = verified(client, checked)
    assert (body["status"], body["valid"], body["revocation_reason"]) == (
        "revoked",
        False,
        f"{label}：以欺骗手段取得许可",
    )
    assert (body["seal"]["signature_valid"], body["seal"]["chain_valid"]) == (True, True)
    page = client.get(reverse("licences:verify", args=[checked.identifier])).content.decode()
    assert '<dd data-status="revoked">已撤销</dd>' in page


def test_a_change_shows_the_old_version_superseded_at_once(client, checked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        new = lifecycle.licence_change(
            actor=None, licence=checked, fields={**FOOD_FIELDS, "premises": "迎春南路 20 号"}, reason="经营场所变更"
        )
    old = verified(client, checked)
    assert (old["status"], old["valid"], old["current_identifier"]) == ("superseded", False, new.identifier)
    fresh = verified(client, new)
    assert (fresh["status"], fresh["valid"], fresh["seal"]["problems"]) == ("valid", True, [])
    assert {"name": "premises", "label": "经营场所", "value": "迎春南路 20 号"} in fresh["fields"]


def test_expiry_shows_by_date_and_after_the_job(client, checked):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Licence.objects.filter(pk=checked.pk).update(valid_until=yesterday)
    assert (verified(client, checked)["status"], verified(client, checked)["valid"]) == ("expired", False)
    assert wallet.licences_mark_expired() == 1
    assert verified(client, checked)["status"] == "expired"
    assert Licence.objects.get(pk=checked.pk).checked_at == checked.checked_at  # nothing signed changed


def test_a_revoked_organisation_certificate_shows_at_once(client, checked, keyed_amr):
    Certificate.objects.filter(organisation=keyed_amr, purpose=CertificatePurpose.SEAL).update(
        status=CredentialStatus.REVOKED
    )
    body = verified(client, checked)
    assert (body["valid"], body["seal"]["signature_valid"], body["seal"]["chain_valid"]) == (False, True, False)
    assert body["seal"]["problems"] == ["certificate_revoked"]


def test_a_renamed_type_or_issuer_and_changed_field_definitions_show_at_once(client, checked, keyed_amr):
    from tongban.licences.models import LicenceType

    LicenceType.objects.filter(pk=checked.licence_type_id).update(
        name="食品经营许可证（新版）",
        field_definitions=[{"name": "business_scope", "label": "经营项目"}, {"name": "premises", "public": False}],
    )
    body = verified(client, checked)
    assert body["licence_type"]["name"] == "食品经营许可证（新版）"
    assert [field["name"] for field in body["fields"]] == ["business_scope"]
    type(keyed_amr).objects.filter(pk=keyed_amr.pk).update(name="桐庐县市场监管局")
    assert verified(client, checked)["issuer"]["name"] == "桐庐县市场监管局"


def test_a_key_rotation_leaves_old_licences_valid(client, checked, keyed_amr):
    services.organisation_keys_rotate(actor=None, organisation=keyed_amr, reason="定期更换")
    assert Licence.objects.get(pk=checked.pk).checked_at == checked.checked_at  # superseded is not revoked
    body = verified(client, checked)
    assert (body["valid"], body["seal"]["problems"]) == (True, [])


@pytest.mark.parametrize("column", ["data", "signature"])
def test_altered_sealed_bytes_are_checked_again_at_once(client, checked, column):
    original = bytes(getattr(checked, column))
    altered = original.replace("预包装食品销售".encode(), "热食类食品制售".encode()) if column == "data" else None
    altered = altered or original[:-1] + bytes([original[-1] ^ 1])
    Licence.objects.filter(pk=checked.pk).update(**{column: altered})
    assert Licence.objects.get(pk=checked.pk).checked_at is None  # the trigger forgot the stored check
    body = verified(client, checked)
    assert (body["valid"], body["seal"]["signature_valid"]) == (False, False)
    assert Licence.objects.get(pk=checked.pk).checked_at is not None  # stored again, with the failure
    assert verified(client, checked)["seal"] == body["seal"]


def test_a_check_of_bytes_changed_meanwhile_is_not_stored(issue):
    from tongban.licences.verification import verification_store

    licence = issue()
    Licence.objects.filter(pk=licence.pk).update(data=bytes(licence.data) + b" ")  # committed while it was checked
    assert verification_store(licence) is False
    assert Licence.objects.get(pk=licence.pk).checked_at is None
    assert verification_store(Licence.objects.get(pk=licence.pk)) is True


def test_writes_that_do_not_touch_the_sealed_bytes_keep_the_check(checked):
    Licence.objects.filter(pk=checked.pk).update(revocation_reason="x", data=bytes(checked.data))
    assert Licence.objects.get(pk=checked.pk).checked_at == checked.checked_at


def test_the_openapi_schema_of_the_endpoint_is_unchanged():
    from tongban.api import api

    pinned = json.loads(PINNED_SCHEMA.read_text(encoding="utf-8"))
    schema = json.loads(json.dumps(api.get_openapi_schema()))  # as served: status codes become strings
    assert schema["paths"][pinned["path"]] == pinned["operation"]
    for name, component in pinned["components"].items():
        assert schema["components"]["schemas"][name] == component


def test_no_stored_check_is_never_a_pass():
    from tongban.licences.verification import stored_seal_report

    report = stored_seal_report({})
    assert (report.signature_valid, report.chain_valid, report.problems) == (False, False, ["unchecked"])
