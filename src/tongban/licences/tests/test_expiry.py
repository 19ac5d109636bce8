"""The daily licence job: licences past their last valid day are marked expired (audited), holders are told 30 and 7
days before expiry once per licence and threshold, and running it again changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tongban.core.jobs import registered_jobs
from tongban.core.models import AuditEntry
from tongban.licences import jobs, wallet
from tongban.licences.models import Licence, LicenceReminder, LicenceStatus
from tongban.licences.tests.wallet_fixtures import *  # noqa: F403
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db


def _ending_in(licence: Licence, days: int) -> Licence:
    Licence.objects.filter(pk=licence.pk).update(valid_until=timezone.localdate() + dt.timedelta(days=days))
    licence.refresh_from_db()
    return licence


def _expiry_messages(user) -> list[str]:
    return list(Message.objects.filter(recipient=user, topic="licences.expiry").values_list("body", flat=True))


def test_the_job_is_registered_daily():
    job = next(job for job in registered_jobs() if job.name == "licences.expiry")
    assert job.every == dt.timedelta(days=1) and job.func is jobs.licence_expiry


def test_licences_past_their_last_day_are_marked_expired_once(applicants, issue):
    li = applicants["li"]
    past = _ending_in(issue(li, render=False), -1)
    today_last = _ending_in(issue(li, render=False), 0)
    forever = issue(li, kind="business", render=False)
    revoked = _ending_in(issue(li, render=False), -3)
    Licence.objects.filter(pk=revoked.pk).update(status=LicenceStatus.REVOKED)

    assert wallet.licences_mark_expired() == 1
    statuses = dict(Licence.objects.values_list("pk", "status"))
    assert statuses == {
        past.pk: "expired",
        today_last.pk: "valid",  # its last day is still valid
        forever.pk: "valid",
        revoked.pk: "revoked",
    }
    entry = AuditEntry.objects.filter(action="licences.licence.expire").get()
    assert (entry.object_id, entry.before, entry.after["status"]) == (str(past.pk), {"status": "valid"}, "expired")
    audits = AuditEntry.objects.count()
    assert wallet.licences_mark_expired() == 0
    assert AuditEntry.objects.count() == audits


def test_holders_are_told_30_and_7_days_before_once_per_threshold(applicants, issue):
    li = applicants["li"]
    licence = _ending_in(issue(li, render=False), 20)
    far = _ending_in(issue(li, render=False), 40)
    forever = issue(li, kind="business", render=False)

    assert wallet.expiry_reminders() == 1
    assert wallet.expiry_reminders() == 0  # idempotent
    assert _expiry_messages(li) == [
        f"您的“食品经营许可证”将于 {licence.valid_until.isoformat()} 到期（还有 20 天），请及时办理延续。"
    ]
    assert list(LicenceReminder.objects.values_list("licence_id", "days_before")) == [(licence.pk, 30)]

    _ending_in(licence, 6)
    assert wallet.expiry_reminders() == 1
    assert wallet.expiry_reminders() == 0
    assert len(_expiry_messages(li)) == 2
    assert sorted(LicenceReminder.objects.filter(licence=licence).values_list("days_before", flat=True)) == [7, 30]
    assert not LicenceReminder.objects.filter(licence__in=[far, forever]).exists()
    message = Message.objects.filter(topic="licences.expiry").first()
    assert message.link == wallet.wallet_detail_url(licence)


def test_a_licence_first_seen_inside_7_days_gets_one_message(applicants, issue):
    li = applicants["li"]
    licence = _ending_in(issue(li, render=False), 3)
    assert jobs.licence_expiry() == 1
    assert jobs.licence_expiry() == 0
    assert len(_expiry_messages(li)) == 1
    assert sorted(LicenceReminder.objects.filter(licence=licence).values_list("days_before", flat=True)) == [7, 30]


def test_an_enterprise_licence_reminder_goes_to_the_enterprise_account(applicants, issue):
    firm = applicants["firm"]
    _ending_in(issue(firm, render=False), 10)
    assert wallet.expiry_reminders() == 1
    assert len(_expiry_messages(firm)) == 1
