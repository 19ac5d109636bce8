"""/api/v1/wallet/: the wallet and grants over JSON, under the session's identity; the same refusals as the pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tongban.core.models import AuditEntry
from tongban.licences.models import LicenceShare, LicenceView
from tongban.licences.tests.wallet_fixtures import *  # noqa: F403
from tongban.licences.tests.wallet_fixtures import client_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/wallet"


def _post(client: Client, path: str, body: dict | None = None):
    return client.post(BASE + path, json.dumps(body or {}), content_type="application/json")


def test_the_holder_lists_reads_grants_and_revokes(applicants, county, issue):
    li = applicants["li"]
    licence = issue(li, render=False)
    client = client_for(li)

    listing = client.get(BASE + "/licences", {"tab": "valid"})
    assert listing.status_code == 200
    body = listing.json()
    assert (body["count"], body["results"][0]["identifier"], body["results"][0]["status"]) == (
        1,
        licence.identifier,
        "valid",
    )

    detail = client.get(f"{BASE}/licences/{licence.identifier}").json()
    assert detail["holder_id_masked"] != li.id_number and li.id_number not in json.dumps(detail)
    assert {field["name"] for field in detail["fields"]} == {"business_scope", "premises", "note"}
    assert detail["may_share"] is True and detail["shares"] == []

    created = _post(client, f"/licences/{licence.identifier}/shares", {"kind": "link", "purpose": "开户", "days": 3})
    assert created.status_code == 201
    grant = created.json()
    assert grant["state"] == "live" and "/licences/s/" in grant["link"]
    token = grant["link"].rstrip("/").split("/")[-1]
    assert Client().get(f"/licences/s/{token}/").status_code == 200

    views = client.get(f"{BASE}/licences/{licence.identifier}/shares/{grant['id']}/views").json()
    assert [(view["viewer"], view["part"]) for view in views] == [("", "page")]

    revoked = _post(client, f"/licences/{licence.identifier}/shares/{grant['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    again = _post(client, f"/licences/{licence.identifier}/shares/{grant['id']}/revoke")
    assert again.status_code == 409 and again.json()["code"] == "licences.share_already_revoked"


def test_a_bad_grant_is_400_with_field_errors(applicants, issue):
    li = applicants["li"]
    licence = issue(li, render=False)
    refused = _post(
        client_for(li), f"/licences/{licence.identifier}/shares", {"kind": "link", "purpose": "", "days": 120}
    )
    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        "purpose": ["请填写用途（不超过 200 字）"],
        "days": ["授权有效期须为 1 至 90 天"],
    }
    assert LicenceShare.objects.count() == 0


def test_others_are_refused_and_nothing_changes(applicants, issue):
    licence = issue(applicants["li"], render=False)
    before = (AuditEntry.objects.count(), LicenceShare.objects.count(), LicenceView.objects.count())
    stranger = client_for(applicants["wu"])
    assert stranger.get(BASE + "/licences").json()["count"] == 0
    missing = stranger.get(f"{BASE}/licences/{licence.identifier}")
    assert missing.status_code == 404 and missing.json()["code"] == "licences.licence_not_found"
    refused = _post(stranger, f"/licences/{licence.identifier}/shares", {"kind": "link", "purpose": "x", "days": 3})
    assert refused.status_code == 404
    assert Client().get(BASE + "/licences").status_code == 401
    assert (AuditEntry.objects.count(), LicenceShare.objects.count(), LicenceView.objects.count()) == before
