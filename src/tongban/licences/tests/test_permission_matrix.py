"""The licences permission matrix (issue 7, Proof): only the holder, their enterprise's representative and agents
within scope, and authorised viewers (用证授权: a named organisation's staff, anyone with a live link) get the full
PDF and data; the public sees masked data; staff of another organisation cannot change, revoke or import for an
organisation that is not theirs; every denied call changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tongban.accounts.models import StaffRole
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.models import AuditEntry
from tongban.core.pii import mask_id_number
from tongban.licences import wallet
from tongban.licences.models import Licence, LicenceShare
from tongban.licences.tests.wallet_fixtures import *  # noqa: F403
from tongban.licences.tests.wallet_fixtures import client_for

pytestmark = pytest.mark.django_db

ALLOWED = 200


@pytest.fixture
def world(issue, applicants, county):
    """李建国's food licence, 好味道's food licence (in 吴晓燕's scope) and its business licence (not in it), a link
    grant and a grant to the civil affairs bureau on 李建国's licence, and the people and staff who ask."""
    li_licence = issue(applicants["li"])
    firm_food = issue(applicants["firm"])
    firm_business = issue(applicants["firm"], kind="business")
    link = wallet.share_grant(actor=applicants["li"], licence=li_licence, kind="link", purpose="租房", days=3)
    to_civil = wallet.share_grant(
        actor=applicants["li"],
        licence=li_licence,
        kind="organisation",
        purpose="低保审核",
        days=3,
        organisation_id=county["civil"].pk,
    )
    return {
        "licences": {"li": li_licence, "firm_food": firm_food, "firm_business": firm_business},
        "token": link.token,
        "civil_share": to_civil.share,
        "clients": {
            "anonymous": client_for(None),
            "holder": client_for(applicants["li"]),
            "stranger": client_for(applicants["wu"]),  # a person, not the holder, acting for herself
            "representative": client_for(applicants["sun"], acting_for=applicants["firm"]),
            "agent": client_for(applicants["wu"], acting_for=applicants["firm"]),
            "civil_staff": client_for(staff("civil_viewer", (county["civil"], StaffRole.REVIEWER))),
            "amr_approver": client_for(staff("amr_approver", (county["amr"], StaffRole.APPROVER))),
            "civil_approver": client_for(staff("civil_approver", (county["civil"], StaffRole.APPROVER))),
        },
    }


def _state() -> tuple:
    return (
        list(Licence.objects.order_by("pk").values_list("pk", "status", "revoked_at", "fields", "version")),
        list(LicenceShare.objects.order_by("pk").values_list("pk", "revoked_at")),
        AuditEntry.objects.exclude(action="licences.share.view").count(),
    )


def _full(response) -> bool:
    """The response hands over the licence itself: its signed PDF or its data package."""
    if response.status_code != ALLOWED:
        return False
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.startswith((b"%PDF-", b"PK\x03\x04"))


# Who gets the full PDF of which licence through the wallet (我的证照).
WALLET_PDF = [
    ("holder", "li", True),
    ("stranger", "li", False),
    ("anonymous", "li", False),
    ("representative", "li", False),
    ("civil_staff", "li", False),
    ("amr_approver", "li", False),  # the issuer's staff manage it on their own pages, not through the wallet
    ("representative", "firm_food", True),
    ("representative", "firm_business", True),
    ("agent", "firm_food", True),  # within the agent's scope (the food licence item)
    ("agent", "firm_business", False),  # outside it
    ("holder", "firm_food", False),
    ("stranger", "firm_food", False),
]


@pytest.mark.parametrize(("who", "which", "allowed"), WALLET_PDF)
def test_the_wallet_pdf_and_package_go_only_to_the_holder_side(world, who, which, allowed):
    client, licence = world["clients"][who], world["licences"][which]
    before = _state()
    for name in ("licences:wallet_pdf", "licences:wallet_package"):
        response = client.get(reverse(name, args=[licence.identifier]))
        assert _full(response) is allowed, (who, which, name, response.status_code)
        if not allowed:
            assert response.status_code in (302, 403, 404), (who, which, name, response.status_code)
    assert _state() == before


@pytest.mark.parametrize(("who", "allowed"), [("holder", True), ("anonymous", False), ("stranger", False)])
def test_the_verification_package_is_the_holders(world, who, allowed):
    response = world["clients"][who].get(reverse("licences:package", args=[world["licences"]["li"].identifier]))
    assert _full(response) is allowed


@pytest.mark.parametrize("who", ["anonymous", "stranger", "civil_staff", "amr_approver"])
def test_the_public_sees_masked_data_only(world, applicants, who):
    licence, client = world["licences"]["li"], world["clients"][who]
    body = client.get(f"/api/v1/licences/{licence.identifier}/verification").json()
    assert body["holder"]["id_number_masked"] == mask_id_number(applicants["li"].id_number)
    page = client.get(reverse("licences:verify", args=[licence.identifier])).content.decode()
    assert applicants["li"].id_number not in page and applicants["li"].id_number not in str(body)
    assert "内部备注" not in page and "内部备注" not in str(body)  # a field the type marks as not public


@pytest.mark.parametrize("who", ["anonymous", "stranger", "civil_staff", "holder"])
def test_a_live_link_shows_the_full_licence_to_whoever_holds_it(world, who):
    client, token = world["clients"][who], world["token"]
    assert client.get(reverse("licences:shared_link", args=[token])).status_code == ALLOWED
    assert _full(client.get(reverse("licences:shared_link_pdf", args=[token])))
    wrong = client.get(reverse("licences:shared_link_pdf", args=[token[:-2] + "xx"]))
    assert not _full(wrong) and wrong.status_code == 404


def test_a_revoked_link_stops_at_once(world, applicants):
    wallet.share_revoke(actor=applicants["li"], share=LicenceShare.objects.get(kind="link"))
    response = world["clients"]["anonymous"].get(reverse("licences:shared_link_pdf", args=[world["token"]]))
    assert response.status_code == 410 and not _full(response)


@pytest.mark.parametrize(("who", "allowed"), [("civil_staff", True), ("amr_approver", False), ("holder", False)])
def test_an_organisation_grant_shows_the_licence_to_that_organisations_staff(world, who, allowed):
    share_id = world["civil_share"].public_id
    before = _state()
    response = world["clients"][who].get(reverse("licences:shared_for_staff_pdf", args=[share_id]))
    assert _full(response) is allowed, (who, response.status_code)
    if not allowed:
        assert response.status_code in (302, 403, 404)
    assert _state() == before


# ---------------------------------------------------------------------------------------------------------------
# Changing, revoking and importing: the issuer's approvers only


STAFF_ACTIONS = ["detail", "change_get", "change_post", "revoke_post", "revoke_confirmed"]


def _staff_call(client, licence: Licence, action: str):
    identifier = licence.identifier
    if action == "detail":
        return client.get(reverse("licences-staff:detail", args=[identifier]))
    if action == "change_get":
        return client.get(reverse("licences-staff:change", args=[identifier]))
    if action == "change_post":
        data = {"holder_name": "李某", "field_business_scope": "改", "field_premises": "改", "reason": "越权"}
        return client.post(reverse("licences-staff:change", args=[identifier]), data)
    data = {"kind": "revoke", "reason": "越权", **({"confirmed": "on"} if action == "revoke_confirmed" else {})}
    return client.post(reverse("licences-staff:revoke", args=[identifier]), data)


@pytest.mark.parametrize("action", STAFF_ACTIONS)
@pytest.mark.parametrize("who", ["civil_approver", "civil_staff", "holder", "anonymous", "representative"])
def test_nobody_but_the_issuers_approver_changes_or_revokes(world, who, action):
    before = _state()
    response = _staff_call(world["clients"][who], world["licences"]["li"], action)
    assert response.status_code in (302, 403, 404), (who, action, response.status_code)
    if who == "anonymous":
        assert response["Location"].startswith(reverse("accounts:sign_in"))
    assert _state() == before


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_the_issuers_approver_may(world, action):
    response = _staff_call(world["clients"]["amr_approver"], world["licences"]["li"], action)
    assert response.status_code in (200, 303), (action, response.status_code)


@pytest.mark.parametrize("who", ["civil_approver", "civil_staff", "holder", "anonymous"])
def test_nobody_but_the_issuers_approver_imports(world, licence_types, who):
    client = world["clients"][who]
    upload = SimpleUploadedFile("a.csv", "持证主体名称\n".encode(), content_type="text/csv")
    before = _state()
    response = client.post(reverse("licences-staff:import"), {"licence_type": licence_types["food"].pk, "file": upload})
    assert response.status_code in (302, 400, 403), (who, response.status_code)
    forged = client.post(
        reverse("licences-staff:import"), {"token": "0" * 32, "licence_type": licence_types["food"].pk}
    )
    assert forged.status_code in (302, 400, 403), (who, forged.status_code)
    assert _state() == before


def test_staff_lists_hold_only_their_organisations_licences(world):
    civil = world["clients"]["civil_approver"].get(reverse("licences-staff:list")).content.decode()
    amr = world["clients"]["amr_approver"].get(reverse("licences-staff:list")).content.decode()
    for licence in world["licences"].values():
        assert licence.identifier not in civil and licence.identifier in amr
