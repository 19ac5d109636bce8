"""A licence's life after issue: change (变更) issues version n+1 and supersedes the old one; revocation (撤销/注销)
by the issuer shows at once; expiry reads as expired; only the issuer's approvers may act, and a refusal changes
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tongban.accounts.models import StaffRole
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, OutboxMessage
from tongban.licences import lifecycle
from tongban.licences.errors import LicenceError
from tongban.licences.identifier import parse_identifier
from tongban.licences.models import Licence, LicenceStatus, RenderStatus
from tongban.licences.tests.wallet_fixtures import *  # noqa: F403
from tongban.licences.tests.wallet_fixtures import FOOD_FIELDS, client_for
from tongban.licences.verification import licence_seal_report

pytestmark = pytest.mark.django_db

NEW_FIELDS = {**FOOD_FIELDS, "premises": "桐庐县桐君街道迎春南路 20 号"}


@pytest.fixture
def approvers(county):
    return {
        "amr": staff("approver_amr", (county["amr"], StaffRole.APPROVER)),
        "amr_reviewer": staff("reviewer_amr_only", (county["amr"], StaffRole.REVIEWER)),
        "civil": staff("approver_civil", (county["civil"], StaffRole.APPROVER)),
    }


def _api(client, identifier: str) -> dict:
    return client.get(f"/api/v1/licences/{identifier}/verification").json()


def _snapshot(licence: Licence) -> tuple:
    licence.refresh_from_db()
    return licence.status, licence.revoked_at, licence.superseded_at, Licence.objects.count()


def test_change_issues_the_next_version_and_supersedes_the_old(
    issue, applicants, approvers, django_capture_on_commit_callbacks
):
    old = issue(applicants["li"])
    with django_capture_on_commit_callbacks(execute=True):
        new = lifecycle.licence_change(
            actor=approvers["amr"], licence=old, fields=dict(NEW_FIELDS), reason="经营场所变更"
        )
    new.refresh_from_db()
    old.refresh_from_db()
    old_parts, new_parts = parse_identifier(old.identifier), parse_identifier(new.identifier)
    assert (new_parts.serial, new_parts.version) == (old_parts.serial, 2)
    assert new.identifier.startswith(old.identifier.rsplit(".", 2)[0] + ".002.")
    assert (new.serial, new.version, new.replaces, new.change_reason) == (old.serial, 2, old, "经营场所变更")
    assert (old.status, new.status) == (LicenceStatus.SUPERSEDED, LicenceStatus.VALID)
    assert old.superseded_at is not None and old.replaced_by == new
    assert (new.valid_from, new.valid_until, new.holder) == (old.valid_from, old.valid_until, old.holder)
    assert new.fields == NEW_FIELDS and old.fields == FOOD_FIELDS
    report = licence_seal_report(new)
    assert (report.signature_valid, report.chain_valid) == (True, True)
    assert new.render_status == RenderStatus.DONE and new.pdf_sha256
    entry = AuditEntry.objects.get(action="licences.licence.change")
    assert entry.after["replaces"] == old.identifier
    assert entry.after["changes"] == {"premises": [FOOD_FIELDS["premises"], NEW_FIELDS["premises"]]}


def test_verifying_the_old_identifier_says_superseded_and_names_the_current(client, issue, applicants, approvers):
    old = issue(applicants["li"])
    new = lifecycle.licence_change(actor=approvers["amr"], licence=old, fields=dict(NEW_FIELDS), reason="地址变更")
    body = _api(client, old.identifier)
    assert (body["status"], body["status_label"], body["valid"]) == ("superseded", "已变更", False)
    assert body["current_identifier"] == new.identifier
    assert _api(client, new.identifier)["current_identifier"] is None
    page = client.get(reverse("licences:verify", args=[old.identifier])).content.decode()
    assert f'data-current="{new.identifier}"' in page and "该证照已变更，当前版本为" in page
    # A second change follows the chain to the newest version.
    newest = lifecycle.licence_change(actor=approvers["amr"], licence=new, fields=dict(FOOD_FIELDS), reason="改回")
    assert _api(client, old.identifier)["current_identifier"] == newest.identifier
    assert newest.version == 3


def test_a_superseded_licence_cannot_be_changed_again(issue, applicants, approvers):
    old = issue(applicants["li"])
    lifecycle.licence_change(actor=approvers["amr"], licence=old, fields=dict(NEW_FIELDS), reason="地址变更")
    before = _snapshot(old)
    with pytest.raises(DomainError) as refused:
        lifecycle.licence_change(actor=approvers["amr"], licence=old, fields=dict(FOOD_FIELDS), reason="再次变更")
    assert refused.value.code is LicenceError.NOT_CHANGEABLE
    assert _snapshot(old) == before


@pytest.mark.parametrize(
    ("fields", "reason", "code"),
    [
        (NEW_FIELDS, "  ", LicenceError.CHANGE_REASON_REQUIRED),
        (FOOD_FIELDS, "没有变化", LicenceError.CHANGE_NOTHING),
        ({**NEW_FIELDS, "premises": ""}, "清空地址", LicenceError.FIELDS_INVALID),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(issue, applicants, approvers, fields, reason, code):
    old = issue(applicants["li"])
    before, audits, messages = _snapshot(old), AuditEntry.objects.count(), OutboxMessage.objects.count()
    with pytest.raises(DomainError) as refused:
        lifecycle.licence_change(actor=approvers["amr"], licence=old, fields=dict(fields), reason=reason)
    assert refused.value.code is code
    assert (_snapshot(old), AuditEntry.objects.count(), OutboxMessage.objects.count()) == (before, audits, messages)


@pytest.mark.parametrize("who", ["civil", "amr_reviewer"])
def test_only_the_issuers_approver_may_change_or_revoke(issue, applicants, approvers, who):
    old = issue(applicants["li"])
    before, audits = _snapshot(old), AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        lifecycle.licence_change(actor=approvers[who], licence=old, fields=dict(NEW_FIELDS), reason="越权变更")
    assert refused.value.code is LicenceError.NOT_ISSUER_STAFF
    with pytest.raises(DomainError) as refused:
        lifecycle.licence_withdraw(actor=approvers[who], licence=old, kind="revoke", reason="越权撤销")
    assert refused.value.code is LicenceError.NOT_ISSUER_STAFF
    assert (_snapshot(old), AuditEntry.objects.count()) == (before, audits)


@pytest.mark.parametrize(("kind", "label"), [("revoke", "撤销"), ("cancel", "注销")])
def test_revocation_shows_at_once_on_the_page_and_the_api(client, issue, applicants, approvers, kind, label):
    licence = issue(applicants["li"])
    assert _api(client, licence.identifier)["status"] == "valid"  # seen (and, were it cached, cached) before
    lifecycle.licence_withdraw(actor=approvers["amr"], licence=licence, kind=kind, reason="以欺骗手段取得许可")
    body = _api(client, licence.identifier)
    assert (body["status"], body["status_label"], body["valid"]) == ("revoked", "已撤销", False)
    assert body["revocation_reason"] == f"{label}：以欺骗手段取得许可"
    page = client.get(reverse("licences:verify", args=[licence.identifier])).content.decode()
    assert 'data-status="revoked"' in page and f"{label}：以欺骗手段取得许可" in page
    entry = AuditEntry.objects.get(action="licences.licence.revoke")
    assert (entry.before, entry.after["status"]) == ({"status": "valid"}, "revoked")


def test_revocation_needs_a_kind_and_a_reason(issue, applicants, approvers):
    licence = issue(applicants["li"])
    before = _snapshot(licence)
    for kind, reason, code in (("destroy", "理由", LicenceError.REVOCATION_KIND_INVALID), ("revoke", " ", None)):
        with pytest.raises(DomainError) as refused:
            lifecycle.licence_withdraw(actor=approvers["amr"], licence=licence, kind=kind, reason=reason)
        assert refused.value.code is (code or LicenceError.REASON_REQUIRED)
    assert _snapshot(licence) == before


def test_a_revoked_licence_cannot_be_changed_or_revoked_again(issue, applicants, approvers):
    licence = issue(applicants["li"])
    lifecycle.licence_withdraw(actor=approvers["amr"], licence=licence, kind="revoke", reason="吊销")
    before = _snapshot(licence)
    with pytest.raises(DomainError) as refused:
        lifecycle.licence_withdraw(actor=approvers["amr"], licence=licence, kind="revoke", reason="再次")
    assert refused.value.code is LicenceError.NOT_REVOCABLE
    with pytest.raises(DomainError) as refused:
        lifecycle.licence_change(actor=approvers["amr"], licence=licence, fields=dict(NEW_FIELDS), reason="变更")
    assert refused.value.code is LicenceError.NOT_CHANGEABLE
    assert _snapshot(licence) == before


def test_verification_says_expired_after_the_last_day(client, issue, applicants, approvers):
    licence = issue(applicants["li"], issued_on=dt.date(2019, 3, 1))  # five years: last day 2024-02-29
    assert licence.valid_until == dt.date(2024, 2, 29)
    body = _api(client, licence.identifier)
    assert (body["status"], body["status_label"], body["valid"]) == ("expired", "已过期", False)
    assert licence.status == LicenceStatus.VALID  # read as expired before the expiry job marks it
    with pytest.raises(DomainError) as refused:
        lifecycle.licence_change(actor=approvers["amr"], licence=licence, fields=dict(NEW_FIELDS), reason="变更")
    assert refused.value.code is LicenceError.NOT_CHANGEABLE


def test_staff_scope_is_the_issuers_licences(issue, applicants, approvers):
    licence = issue(applicants["li"])
    assert list(lifecycle.staff_licences(approvers["amr"])) == [licence]
    assert not lifecycle.staff_licences(approvers["civil"]).exists()
    assert lifecycle.licence_for_issuer_staff(approvers["amr"], licence.identifier) == licence
    with pytest.raises(DomainError) as refused:
        lifecycle.licence_for_issuer_staff(approvers["civil"], licence.identifier)
    assert refused.value.code is LicenceError.LICENCE_NOT_FOUND


# ---------------------------------------------------------------------------------------------------------------
# The staff pages (/workbench/licences/)


def test_the_staff_search_lists_the_issuers_licences(issue, applicants, approvers, django_assert_max_num_queries):
    first, second = issue(applicants["li"]), issue(applicants["sun"])
    client = client_for(approvers["amr"])
    with django_assert_max_num_queries(12):
        page = client.get(reverse("licences-staff:list")).content.decode()
    assert first.identifier in page and second.identifier in page and "共 2 张" in page
    found = client.get(reverse("licences-staff:list"), {"q": "孙丽华"}).content.decode()
    assert second.identifier in found and first.identifier not in found
    by_id = client.get(reverse("licences-staff:list"), {"q": first.identifier.lower()}).content.decode()
    assert first.identifier in by_id and second.identifier not in by_id
    empty = client_for(approvers["civil"]).get(reverse("licences-staff:list")).content.decode()
    assert "没有符合条件的证照。" in empty and first.identifier not in empty


def test_revoking_on_the_page_asks_for_confirmation_first(client, issue, applicants, approvers):
    licence = issue(applicants["li"])
    staff_client = client_for(approvers["amr"])
    url = reverse("licences-staff:revoke", args=[licence.identifier])
    missing = staff_client.post(url, {"kind": "revoke", "reason": ""})
    assert missing.status_code == 400 and "原因：这个字段是必填项。" in missing.content.decode()
    confirm = staff_client.post(url, {"kind": "cancel", "reason": "持证主体已注销营业执照"})
    assert confirm.status_code == 200 and "确认后证照立即失效" in confirm.content.decode()
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.VALID  # not yet
    done = staff_client.post(url, {"kind": "cancel", "reason": "持证主体已注销营业执照", "confirmed": "on"})
    assert done.status_code == 303 and done["Location"] == reverse("licences-staff:detail", args=[licence.identifier])
    licence.refresh_from_db()
    assert (licence.status, licence.revocation_reason) == ("revoked", "注销：持证主体已注销营业执照")
    assert _api(client, licence.identifier)["status"] == "revoked"
    detail = staff_client.get(done["Location"]).content.decode()
    assert "证照已注销，核验结果即时显示为已撤销。" in detail and 'data-status="revoked"' in detail


def test_changing_on_the_page_issues_the_new_version(issue, applicants, approvers):
    licence = issue(applicants["li"])
    staff_client = client_for(approvers["amr"])
    url = reverse("licences-staff:change", args=[licence.identifier])
    form = staff_client.get(url).content.decode()
    assert FOOD_FIELDS["premises"] in form and "李建国" in form
    data = {
        "holder_name": "李建国",
        "field_business_scope": FOOD_FIELDS["business_scope"],
        "field_premises": NEW_FIELDS["premises"],
        "field_note": FOOD_FIELDS["note"],
        "reason": "经营场所迁移",
    }
    refused = staff_client.post(url, {**data, "reason": ""})
    assert refused.status_code == 400 and Licence.objects.count() == 1
    done = staff_client.post(url, data)
    new = Licence.objects.get(replaces=licence)
    assert done.status_code == 303 and done["Location"] == reverse("licences-staff:detail", args=[new.identifier])
    assert new.fields == NEW_FIELDS and new.change_reason == "经营场所迁移"
    detail = staff_client.get(done["Location"]).content.decode()
    assert licence.identifier in detail and new.identifier in detail  # the versions


def test_the_holder_is_told_of_a_change_and_a_revocation(issue, applicants, approvers):
    from tongban.notifications.models import Message

    old = issue(applicants["li"])
    new = lifecycle.licence_change(actor=approvers["amr"], licence=old, fields=dict(NEW_FIELDS), reason="地址变更")
    lifecycle.licence_withdraw(actor=approvers["amr"], licence=new, kind="revoke", reason="以欺骗手段取得许可")
    messages = list(Message.objects.filter(recipient=applicants["li"]).order_by("pk").values_list("topic", "title"))
    assert messages[-2:] == [
        ("licences.change", "证照已变更：食品经营许可证"),
        ("licences.revoke", "证照已撤销：食品经营许可证"),
    ]
    body = Message.objects.get(topic="licences.revoke").body
    assert body == (
        "您的“食品经营许可证”已被桐庐县市场监督管理局撤销，原因：以欺骗手段取得许可。"
        "如有异议，可依法申请行政复议或提起行政诉讼。"
    )
