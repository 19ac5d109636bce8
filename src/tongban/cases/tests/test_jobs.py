"""The periodic jobs of cases: registered under their names and intervals, and doing the work of the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tongban.cases import jobs as case_jobs
from tongban.cases.models import Case, CaseStatus
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import complete_draft, submitted_case
from tongban.core import jobs
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_jobs_are_registered_hourly_and_daily():
    deem = jobs.get_job("cases.deem_overdue_acceptances")
    expire = jobs.get_job("cases.expire_drafts")
    assert (deem.every, deem.func) == (dt.timedelta(hours=1), case_jobs.deem_overdue_acceptances)
    assert (expire.every, expire.func) == (dt.timedelta(days=1), case_jobs.expire_drafts)
    schedule = jobs.beat_schedule()
    assert schedule["cases.deem_overdue_acceptances"]["schedule"] == 3600.0
    assert schedule["cases.expire_drafts"]["args"] == ("cases.expire_drafts",)


def test_deem_job_deems_only_cases_past_their_deadline(food_item, applicants):
    li = applicants["li"]
    late = submitted_case(li, food_item)
    in_time = submitted_case(li, food_item)
    Case.objects.filter(pk=late.pk).update(acceptance_due=timezone.localdate() - dt.timedelta(days=1))
    jobs.run_job("cases.deem_overdue_acceptances")
    late.refresh_from_db()
    in_time.refresh_from_db()
    assert (late.status, late.acceptance_deemed, late.supervision_flag) == (CaseStatus.ACCEPTED, True, True)
    assert in_time.status == CaseStatus.RECEIVED
    assert case_jobs.deem_overdue_acceptances() == 0  # a second run finds nothing left to do


def test_expire_job_deletes_only_drafts_past_their_expiry(food_item, applicants):
    li = applicants["li"]
    stale = complete_draft(li, food_item)
    fresh = complete_draft(li, food_item)
    case = submitted_case(li, food_item)
    Case.objects.filter(pk=stale.pk).update(draft_expires_at=timezone.now() - dt.timedelta(minutes=1))
    jobs.run_job("cases.expire_drafts")
    assert set(Case.objects.values_list("pk", flat=True)) == {fresh.pk, case.pk}
    assert AuditEntry.objects.filter(action="cases.draft.expire", object_id=str(stale.pk)).count() == 1
    assert case_jobs.expire_drafts() == 0
