"""Kept verification answers (licences/verification_cache.py): a repeated verification reads no database, and every
change an answer shows — revocation, cancellation, a change, the expiry job, a revoked certificate, a renamed type or
issuer, altered data — is seen by the very next one. These tests run outside a test transaction (transaction=True),
as requests do: inside a transaction the cache is never used."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tongban.core import services as core_services
from tongban.licences import lifecycle, wallet
from tongban.licences.models import Certificate, CertificatePurpose, CredentialStatus, Licence, LicenceType
from tongban.licences.tests.fixtures import FOOD_FIELDS, verification_url, verified
from tongban.licences.verification_cache import ANSWERS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("own_generation_cache")]


@pytest.fixture
def kept(client, issue):
    """A licence verified once (its seal check stored, its answer kept)."""
    licence = issue()
    verified(client, licence)
    return Licence.objects.get(pk=licence.pk)


def test_a_repeated_verification_reads_no_database(client, kept, django_assert_num_queries):
    with django_assert_num_queries(0):  # kept by the first verification, once it had stored the seal check
        first = verified(client, kept)
    assert first["valid"] is True
    page_url = reverse("licences:verify", args=[kept.identifier])
    client.get(page_url)  # this process reads the platform region of the page shell (kept for a minute)
    with django_assert_num_queries(0):  # the page reads the same kept answer (and renders it for this request)
        page = client.get(page_url).content.decode()
    assert "核验通过：该证照真实有效。" in page


def test_unknown_and_malformed_identifiers_are_not_kept(client, issue):
    licence = issue()
    Licence.objects.filter(pk=licence.pk).update(identifier="moved")
    assert client.get(verification_url(licence.identifier)).status_code == 404
    Licence.objects.filter(pk=licence.pk).update(identifier=licence.identifier)  # it appears (a bulk update)
    assert verified(client, licence)["status"] == "valid"  # found at once: no "not found" was kept
    assert client.get(verification_url("1.2.156.3005.2.JY.X.2026000001.001.Q")).status_code == 400


def test_issuing_and_rendering_a_new_licence_keep_the_answers(issue, kept):
    before = ANSWERS.generation()
    issue()  # created, then its PDF stored: no earlier answer mentions it
    assert ANSWERS.generation() == before


def _revoke(licence, keyed_amr):
    lifecycle.licence_withdraw(actor=None, licence=licence, kind="revoke", reason="以欺骗手段取得许可")


def _cancel(licence, keyed_amr):
    lifecycle.licence_withdraw(actor=None, licence=licence, kind="cancel", reason="经营者申请注销")


def _certificate_revoked(licence, keyed_amr):
    certificate = Certificate.objects.get(
        organisation=keyed_amr, purpose=CertificatePurpose.SEAL, status=CredentialStatus.CURRENT
    )
    certificate.status = CredentialStatus.REVOKED
    certificate.save()


def _type_renamed(licence, keyed_amr):
    licence_type = LicenceType.objects.get(pk=licence.licence_type_id)
    licence_type.name = "食品经营许可证（新版）"
    licence_type.save()


def _issuer_renamed(licence, keyed_amr):
    core_services.organisation_update(actor=None, organisation=keyed_amr, name="桐庐县市场监管局")


def _data_altered(licence, keyed_amr):
    licence.data = bytes(licence.data).replace("预包装食品销售".encode(), "热食类食品制售".encode())
    licence.save()


def _shortened(licence, keyed_amr):
    licence.valid_until = timezone.localdate() - dt.timedelta(days=1)
    licence.save(update_fields=["valid_until"])


CHANGES = {
    "revoke": (_revoke, lambda body: (body["status"], body["valid"]) == ("revoked", False)),
    "cancel": (_cancel, lambda body: body["revocation_reason"] == "注销：经营者申请注销"),
    "certificate revoked": (_certificate_revoked, lambda body: body["seal"]["problems"] == ["certificate_revoked"]),
    "type renamed": (_type_renamed, lambda body: body["licence_type"]["name"] == "食品经营许可证（新版）"),
    "issuer renamed": (_issuer_renamed, lambda body: body["issuer"]["name"] == "桐庐县市场监管局"),
    "data altered": (_data_altered, lambda body: (body["valid"], body["seal"]["signature_valid"]) == (False, False)),
    "shortened": (_shortened, lambda body: (body["status"], body["valid"]) == ("expired", False)),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_shows_in_the_very_next_verification(client, kept, keyed_amr, change):
    make, shows = CHANGES[change]
    before = verified(client, kept)
    assert before["valid"] is True and not shows(before)
    make(kept, keyed_amr)
    assert shows(verified(client, kept))


def test_a_change_shows_the_old_version_superseded_at_once(client, kept):
    new = lifecycle.licence_change(
        actor=None, licence=kept, fields={**FOOD_FIELDS, "premises": "迎春南路 20 号"}, reason="经营场所变更"
    )
    body = verified(client, kept)
    assert (body["status"], body["current_identifier"]) == ("superseded", new.identifier)


def test_the_expiry_job_starts_a_new_generation(kept):
    Licence.objects.filter(pk=kept.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    before = ANSWERS.generation()
    assert wallet.licences_mark_expired() == 1  # a bulk update: it announces the change itself
    assert ANSWERS.generation() != before


def test_the_day_is_part_of_the_key(client, kept, monkeypatch):
    """A licence past its last day reads as expired the next morning, with no write to announce it."""
    last_day = timezone.localdate()
    Licence.objects.filter(pk=kept.pk).update(valid_until=last_day)
    ANSWERS.bump_now()  # the bulk update above announced nothing
    assert verified(client, kept)["status"] == "valid"
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: last_day + dt.timedelta(days=1))
    assert verified(client, kept)["status"] == "expired"
