"""我的证照: a person's licences and an enterprise's (its representative, its agents within scope), the list by status
in a constant number of queries, details with the ID masked, the PDF and data package; and the permission matrix:
another person, an agent outside scope, an unrelated organisation's staff and a visitor are denied and nothing is
logged or changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tongban.accounts import enterprises
from tongban.accounts.registries import population_record_put
from tongban.accounts.tests.identity_fixtures import OTHER_ITEM, a_year_ahead, verified
from tongban.core.models import AuditEntry
from tongban.core.pii import mask_id_number
from tongban.demo.identifiers import resident_id
from tongban.licences import access, services, wallet
from tongban.licences.models import Licence, LicenceShare, LicenceView
from tongban.licences.tests.wallet_fixtures import *  # noqa: F403
from tongban.licences.tests.wallet_fixtures import client_for

pytestmark = pytest.mark.django_db


def _wallet_titles(response) -> list[str]:
    return [row.title for row in response.context["rows"]]


def test_a_person_sees_their_own_licences_by_status(applicants, issue):
    li = applicants["li"]
    valid = issue(li, render=False)
    expired = issue(li, kind="business", render=False)
    Licence.objects.filter(pk=expired.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    revoked = issue(li, render=False)
    services.licence_revoke(actor=None, licence=revoked, reason="依法撤销")
    issue(applicants["sun"], render=False)  # someone else's
    client = client_for(li)

    response = client.get(reverse("licences:wallet"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 3
    assert {row.url for row in response.context["rows"]} == {
        reverse("licences:wallet_detail", args=[licence.identifier]) for licence in (valid, expired, revoked)
    }
    statuses = {row.url.split("/")[-2]: row.status_label for row in response.context["rows"]}
    assert statuses == {valid.identifier: "有效", expired.identifier: "已过期", revoked.identifier: "已撤销"}

    def tab(name):
        return [row.url.split("/")[-2] for row in client.get(reverse("licences:wallet"), {"tab": name}).context["rows"]]

    assert tab("valid") == [valid.identifier]
    assert tab("expired") == [expired.identifier]  # past its last day though the job has not marked it yet
    assert tab("revoked") == [revoked.identifier]
    assert tab("superseded") == []
    assert "您还没有电子证照" in client_for(applicants["wu"]).get(reverse("licences:wallet")).content.decode()


def test_the_list_takes_a_constant_number_of_queries(applicants, issue, django_assert_max_num_queries):
    li = applicants["li"]
    client = client_for(li)
    issue(li, render=False)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("licences:wallet"))
    for _ in range(6):
        issue(li, kind="business", render=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("licences:wallet"))
    assert len(response.context["rows"]) == 7


def test_an_enterprise_licence_is_seen_by_its_representative_and_by_its_agent_within_scope(applicants, issue):
    firm, sun, wu = applicants["firm"], applicants["sun"], applicants["wu"]
    food = issue(firm, render=False)  # the food item's result: in 吴晓燕's scope
    business = issue(firm, kind="business", render=False)  # no item in her scope results in it
    assert set(access.wallet_licences(sun, enterprises.acting_identity_for(sun, firm.pk))) == {food, business}
    assert list(access.wallet_licences(wu, enterprises.acting_identity_for(wu, firm.pk))) == [food]
    assert list(access.wallet_licences(sun, None)) == []  # the representative's own wallet is his own

    response = client_for(wu, acting_for=firm).get(reverse("licences:wallet"))
    assert _wallet_titles(response) == ["食品经营许可证"]
    assert "以下是 桐庐县好味道餐饮有限公司 的电子证照" in response.content.decode()
    agent_detail = client_for(wu, acting_for=firm).get(reverse("licences:wallet_detail", args=[food.identifier]))
    assert agent_detail.status_code == 200
    assert agent_detail.context["may_share"] is False  # an agent uses the licence but does not hand it on
    assert "授权他人查看" not in agent_detail.content.decode()


def test_an_imported_licence_without_account_is_found_by_the_verified_id_number(applicants, issue):
    li = applicants["li"]
    licence = issue(li, render=False)
    Licence.objects.filter(pk=licence.pk).update(holder=None)
    assert list(access.wallet_licences(li, None)) == [licence]


def test_the_details_show_every_field_and_mask_the_id_number(applicants, issue):
    li = applicants["li"]
    licence = issue(li)
    response = client_for(li).get(reverse("licences:wallet_detail", args=[licence.identifier]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "内部备注" in page  # a field the public verification does not show
    assert mask_id_number(li.id_number) in page and li.id_number not in page
    assert "桐庐县市场监督管理局" in page
    assert reverse("licences:wallet_pdf", args=[licence.identifier]) in page
    assert reverse("licences:verify", args=[licence.identifier]) in page


def test_the_holder_downloads_the_pdf_and_the_package(applicants, issue):
    li = applicants["li"]
    licence = issue(li)
    client = client_for(li)
    pdf = client.get(reverse("licences:wallet_pdf", args=[licence.identifier]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    package = client.get(reverse("licences:wallet_package", args=[licence.identifier]))
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"


def test_a_pdf_still_rendering_is_a_clear_answer(applicants, issue):
    li = applicants["li"]
    licence = issue(li, render=False)
    response = client_for(li).get(reverse("licences:wallet_pdf", args=[licence.identifier]))
    assert response.status_code == 409
    assert "证照 PDF 正在生成，请稍后再试" in response.content.decode()


# ---------------------------------------------------------------------------------------------------------------
# Permission matrix


def _another_person():
    zhou_id = resident_id("330122", "19880808", 23, female=True)
    population_record_put(actor=None, name="周敏", id_number=zhou_id)
    return verified("13805710011", "周敏", zhou_id)


def _agent_out_of_scope(applicants):
    zhao_id = resident_id("330122", "19900101", 17, female=False)
    population_record_put(actor=None, name="赵六", id_number=zhao_id)
    zhao = verified("13805710009", "赵六", zhao_id)
    enterprises.agent_authorise(
        actor=applicants["sun"],
        enterprise=applicants["firm"],
        phone="13805710009",
        name="赵六",
        all_items=False,
        item_codes=[OTHER_ITEM],
        expires_on=a_year_ahead(),
    )
    return zhao


def _state():
    return (
        AuditEntry.objects.count(),
        list(LicenceShare.objects.values_list("pk", "revoked_at", "view_count")),
        LicenceView.objects.count(),
        list(Licence.objects.values_list("pk", "status")),
    )


@pytest.fixture
def matrix(applicants, crew, issue):
    """好味道's 食品经营许可证 with a live link grant, and the clients that must not reach it."""
    firm, sun = applicants["firm"], applicants["sun"]
    licence = issue(firm)
    grant = wallet.share_grant(actor=sun, licence=licence, kind="link", purpose="银行开户", days=5)
    actors = {
        "another_person": client_for(_another_person()),
        "agent_out_of_scope": client_for(_agent_out_of_scope(applicants), acting_for=firm),
        "unrelated_staff": client_for(crew["hall_clerk"]),
        "anonymous": client_for(None),
    }
    return {"licence": licence, "share": grant.share, "actors": actors}


HOLDER_PAGES = [
    ("licences:wallet_detail", "get"),
    ("licences:wallet_pdf", "get"),
    ("licences:wallet_package", "get"),
    ("licences:share_new", "get"),
    ("licences:share_new", "post"),
]
SHARE_PAGES = [("licences:share_detail", "get"), ("licences:share_revoke", "get"), ("licences:share_revoke", "post")]


@pytest.mark.parametrize("actor", ["another_person", "agent_out_of_scope", "unrelated_staff", "anonymous"])
def test_the_wallet_and_grants_are_denied_to_others_and_nothing_changes(matrix, actor):
    licence, share, client = matrix["licence"], matrix["share"], matrix["actors"][actor]
    before = _state()
    urls = [(reverse(name, args=[licence.identifier]), method) for name, method in HOLDER_PAGES]
    urls += [(reverse(name, args=[licence.identifier, share.public_id]), method) for name, method in SHARE_PAGES]
    for url, method in urls:
        data = {"kind": "link", "purpose": "偷看", "days": "5"} if method == "post" else None
        response = getattr(client, method)(url, data)
        if actor == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign_in")), url
        else:
            assert response.status_code == 404, (url, response.status_code)
    if actor != "anonymous":
        assert _wallet_titles(client.get(reverse("licences:wallet"))) == []
    staff_list = client.get(reverse("licences:shared_with_us"))
    assert staff_list.status_code in (200, 302, 403)
    if staff_list.status_code == 200:
        assert staff_list.context["shares"] == []
    assert _state() == before


def test_an_agent_in_scope_may_read_but_not_grant(matrix, applicants):
    licence, share = matrix["licence"], matrix["share"]
    client = client_for(applicants["wu"], acting_for=applicants["firm"])
    before = _state()
    assert client.get(reverse("licences:wallet_detail", args=[licence.identifier])).status_code == 200
    assert client.get(reverse("licences:wallet_pdf", args=[licence.identifier])).status_code == 200
    refused = client.post(
        reverse("licences:share_new", args=[licence.identifier]), {"kind": "link", "purpose": "x", "days": "5"}
    )
    assert refused.status_code == 403
    assert "只有持证人本人或企业的法定代表人可以授权他人查看证照" in refused.content.decode()
    assert client.post(reverse("licences:share_revoke", args=[licence.identifier, share.public_id])).status_code == 403
    assert _state() == before


def test_the_admin_reads_grants_and_views_but_changes_nothing(applicants, issue, django_user_model):
    from django.test import Client

    licence = issue(applicants["li"], render=False)
    grant = wallet.share_grant(actor=applicants["li"], licence=licence, kind="link", purpose="银行开户", days=5)
    admin = django_user_model.objects.create_superuser("root", password="x", kind="staff")
    client = Client()
    client.force_login(admin)
    session = client.session
    session["second_factor_verified"] = True
    session.save()
    listing = client.get(reverse("admin:licences_licenceshare_changelist"))
    assert listing.status_code == 200 and "银行开户" in listing.content.decode()
    page = client.get(reverse("admin:licences_licenceshare_change", args=[grant.share.pk])).content.decode()
    assert grant.share.token_hash not in page
    assert client.get(reverse("admin:licences_licenceview_changelist")).status_code == 200
    assert client.get(reverse("admin:licences_licenceshare_add")).status_code == 403
