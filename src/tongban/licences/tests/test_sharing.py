"""用证授权: the holder grants a named organisation or anyone with a link the right to view one licence, sees every
view in the log and revokes; a revoked or expired grant stops at once with a clear Chinese message and logs nothing;
every grant and revocation is audited; the link's token is never stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tongban.core import crypto
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry
from tongban.licences import services, wallet
from tongban.licences.errors import LicenceError
from tongban.licences.models import LicenceShare, LicenceView
from tongban.licences.tests.wallet_fixtures import *  # noqa: F403
from tongban.licences.tests.wallet_fixtures import client_for
from tongban.licences.views_wallet import NEW_LINK_SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def li_licence(applicants, issue):
    return issue(applicants["li"])


def _views():
    return list(LicenceView.objects.values_list("share_id", "viewer_id", "part", "ip"))


def test_a_link_grant_is_shown_once_opened_by_anyone_logged_and_revoked(applicants, li_licence):
    li = applicants["li"]
    holder = client_for(li)
    response = holder.post(
        reverse("licences:share_new", args=[li_licence.identifier]),
        {"kind": "link", "purpose": "银行开户", "days": "7"},
    )
    share = LicenceShare.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("licences:share_detail", args=[li_licence.identifier, share.public_id])
    assert (share.kind, share.purpose, share.organisation, share.granted_by) == ("link", "银行开户", None, li)
    assert dt.timedelta(days=6, hours=23) < share.expires_at - timezone.now() <= dt.timedelta(days=7)
    grant_audit = AuditEntry.objects.filter(action="licences.share.grant").get()
    assert grant_audit.after["licence"] == li_licence.identifier and grant_audit.after["kind"] == "link"

    first = holder.get(response["Location"])
    link = first.context["link"]
    token = link.rstrip("/").split("/")[-1]
    assert link.endswith(reverse("licences:shared_link", args=[token]))
    assert share.token_hash == crypto.sm3_hex(token.encode()) and token not in str(share.__dict__)
    assert holder.get(response["Location"]).context["link"] == ""  # shown once

    visitor = client_for(None)
    opened = visitor.get(reverse("licences:shared_link", args=[token]), REMOTE_ADDR="203.0.113.9")
    page = opened.content.decode()
    assert opened.status_code == 200
    assert "持证人 李建国 授权您查看此证照，用途：银行开户" in page
    assert "热食类食品制售" in page and li.id_number not in page
    assert opened["Referrer-Policy"] == "no-referrer"
    pdf = visitor.get(reverse("licences:shared_link_pdf", args=[token]), REMOTE_ADDR="203.0.113.9")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert _views() == [(share.pk, None, "pdf", "203.0.113.9"), (share.pk, None, "page", "203.0.113.9")]
    share.refresh_from_db()
    assert share.view_count == 2 and share.last_viewed_at is not None

    log = holder.get(reverse("licences:share_detail", args=[li_licence.identifier, share.public_id]))
    assert [view.ip for view in log.context["views"]] == ["203.0.113.9", "203.0.113.9"]
    assert "凭链接访问" in log.content.decode()

    confirm = holder.get(reverse("licences:share_revoke", args=[li_licence.identifier, share.public_id]))
    assert confirm.status_code == 200 and "撤销后立即生效" in confirm.content.decode()
    assert LicenceShare.objects.get().revoked_at is None  # the confirmation page changes nothing
    done = holder.post(reverse("licences:share_revoke", args=[li_licence.identifier, share.public_id]))
    assert done.status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None and share.revoked_by == li
    revoke_audit = AuditEntry.objects.filter(action="licences.share.revoke").get()
    assert revoke_audit.before["revoked_at"] is None and revoke_audit.after["revoked_at"] is not None

    for name in ("licences:shared_link", "licences:shared_link_pdf"):
        refused = visitor.get(reverse(name, args=[token]))
        assert refused.status_code == 410
        assert "持证人已撤销该授权，不能再查看此证照" in refused.content.decode()
    assert len(_views()) == 2  # nothing logged for the refused views


def test_an_expired_link_says_so_and_logs_nothing(li_licence, applicants):
    grant = wallet.share_grant(actor=applicants["li"], licence=li_licence, kind="link", purpose="租房", days=1)
    LicenceShare.objects.filter(pk=grant.share.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client_for(None).get(reverse("licences:shared_link", args=[grant.token]))
    assert response.status_code == 410
    assert "该授权已过期，不能再查看此证照。如需查看，请联系持证人重新授权" in response.content.decode()
    assert _views() == []


def test_a_wrong_link_is_not_found(li_licence, applicants):
    wallet.share_grant(actor=applicants["li"], licence=li_licence, kind="link", purpose="租房", days=1)
    response = client_for(None).get(reverse("licences:shared_link", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "该授权不存在，或链接不完整" in response.content.decode()
    assert _views() == []


def test_a_named_organisation_sees_the_licence_in_its_list_and_each_view_is_logged(
    county, crew, applicants, li_licence
):
    li, civil_clerk = applicants["li"], crew["civil_clerk"]
    holder = client_for(li)
    response = holder.post(
        reverse("licences:share_new", args=[li_licence.identifier]),
        {"kind": "organisation", "organisation": county["civil"].pk, "purpose": "低保资格审核", "days": "30"},
    )
    assert response.status_code == 302
    share = LicenceShare.objects.get()
    assert (share.kind, share.organisation, share.token_hash) == ("organisation", county["civil"], None)

    staff = client_for(civil_clerk)
    listing = staff.get(reverse("licences:shared_with_us"))
    assert listing.status_code == 200 and listing.context["shares"] == [share]
    detail = staff.get(reverse("licences:shared_for_staff", args=[share.public_id]), REMOTE_ADDR="10.1.2.3")
    assert detail.status_code == 200 and "低保资格审核" in detail.content.decode()
    assert staff.get(reverse("licences:shared_for_staff_pdf", args=[share.public_id])).status_code == 200
    assert _views() == [(share.pk, civil_clerk.pk, "pdf", "127.0.0.1"), (share.pk, civil_clerk.pk, "page", "10.1.2.3")]

    log = holder.get(reverse("licences:share_detail", args=[li_licence.identifier, share.public_id])).content.decode()
    assert "桐庐县民政局" in log and "10.1.2.3" in log

    # Another organisation's staff: not theirs, and nothing logged.
    other = client_for(crew["hall_clerk"])
    assert other.get(reverse("licences:shared_with_us")).context["shares"] == []
    refused = other.get(reverse("licences:shared_for_staff", args=[share.public_id]))
    assert refused.status_code == 404
    assert len(_views()) == 2

    wallet.share_revoke(actor=li, share=share)
    assert staff.get(reverse("licences:shared_with_us")).context["shares"] == []
    gone = staff.get(reverse("licences:shared_for_staff", args=[share.public_id]))
    assert gone.status_code == 410 and "持证人已撤销该授权" in gone.content.decode()
    assert len(_views()) == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "link", "purpose": "x", "days": "91"}, "days", "授权有效期须为 1 至 90 天"),
        ({"kind": "link", "purpose": "x", "days": "0"}, "days", "授权有效期须为 1 至 90 天"),
        ({"kind": "link", "purpose": "", "days": "5"}, "purpose", "请填写用途（不超过 200 字）"),
        ({"kind": "organisation", "purpose": "x", "days": "5"}, "organisation", "请选择一个启用中的机构"),
        ({"purpose": "x", "days": "5"}, "kind", "请选择授权方式"),
    ],
)
def test_a_bad_grant_is_refused_with_the_reason_and_nothing_is_written(applicants, li_licence, data, field, message):
    before = AuditEntry.objects.count()
    response = client_for(applicants["li"]).post(reverse("licences:share_new", args=[li_licence.identifier]), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert LicenceShare.objects.count() == 0 and AuditEntry.objects.count() == before


def test_the_service_refuses_an_inactive_organisation_a_revoked_licence_and_a_second_revocation(
    county, applicants, li_licence
):
    li = applicants["li"]
    county["civil"].__class__.objects.filter(pk=county["civil"].pk).update(active=False)
    with pytest.raises(DomainError) as refused:
        wallet.share_grant(
            actor=li, licence=li_licence, kind="organisation", organisation_id=county["civil"].pk, purpose="x", days=5
        )
    assert refused.value.code == LicenceError.SHARE_ORGANISATION_INVALID
    grant = wallet.share_grant(actor=li, licence=li_licence, kind="link", purpose="x", days=5)
    wallet.share_revoke(actor=li, share=grant.share)
    with pytest.raises(DomainError) as again:
        wallet.share_revoke(actor=li, share=grant.share)
    assert again.value.code == LicenceError.SHARE_ALREADY_REVOKED
    services.licence_revoke(actor=None, licence=li_licence, reason="依法撤销")
    with pytest.raises(DomainError) as invalid:
        wallet.share_grant(actor=li, licence=li_licence, kind="link", purpose="x", days=5)
    assert invalid.value.code == LicenceError.SHARE_LICENCE_NOT_VALID
    assert LicenceShare.objects.count() == 1


def test_the_token_waits_in_the_session_only_until_shown(applicants, li_licence):
    holder = client_for(applicants["li"])
    holder.post(
        reverse("licences:share_new", args=[li_licence.identifier]), {"kind": "link", "purpose": "x", "days": "5"}
    )
    assert NEW_LINK_SESSION_KEY in holder.session
    share = LicenceShare.objects.get()
    holder.get(reverse("licences:share_detail", args=[li_licence.identifier, share.public_id]))
    assert NEW_LINK_SESSION_KEY not in holder.session
