"""cases_generate / cases.bench_data: bulk bench cases that look like the services' own, with no audit rows."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from tongban.accounts.models import User
from tongban.cases import bench_data, selectors, services
from tongban.cases.models import Case, CaseEvent, CaseStatus, EventCode, SupplementRequest
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import submitted_case
from tongban.core.models import AuditEntry, SerialCounter
from tongban.core.pii import blind_index

pytestmark = pytest.mark.django_db


def _generate(count: int, seed: int = 1) -> int:
    return bench_data.generate(count, rng=random.Random(seed), days=40, applicants=12)


def test_cases_are_numbered_per_item_and_day_before_today_with_events_and_no_audit(food_item, crew):
    audit_before = AuditEntry.objects.count()
    assert _generate(300) == 300
    cases = list(Case.objects.order_by("pk"))
    today = timezone.localdate()
    assert len(cases) == 300
    assert len({case.number for case in cases}) == 300
    for case in cases:
        day = dt.date.fromisoformat(f"{case.number[31:35]}-{case.number[35:37]}-{case.number[37:39]}")
        assert case.number.startswith(food_item.code) and len(case.number) == 43
        assert day < today and day == case.materials_complete_on == timezone.localdate(case.received_at)
        assert len(case.query_code) == 6 and case.query_code.isdigit()
        assert case.status != CaseStatus.DRAFT and case.version_id == food_item.published_version_id
    assert AuditEntry.objects.count() == audit_before  # bench data: no audit rows

    serials = Counter((case.number[:39]) for case in cases)
    for prefix_day, used in serials.items():
        day = dt.datetime.strptime(prefix_day[31:], "%Y%m%d").date()
        counter = SerialCounter.objects.get(prefix=f"case:{food_item.code}", day=day)
        assert counter.value == used  # the counters continue after the generated numbers


def test_timelines_statuses_and_encrypted_snapshots_match(food_item, crew):
    _generate(300, seed=2)
    events = Counter(CaseEvent.objects.values_list("case_id", flat=True))
    first = {}
    for case_id, code in CaseEvent.objects.order_by("created_at", "pk").values_list("case_id", "code"):
        first.setdefault(case_id, code)
    assert set(events.values()) <= {1, 2, 3, 4}
    assert set(first.values()) == {EventCode.RECEIVED}
    for case in Case.objects.all():
        assert events[case.pk] == case.lock_version  # one event per transition, as the services write them
        if case.status == CaseStatus.RECEIVED:
            assert case.acceptance_due >= timezone.localdate()  # not yet due for deemed acceptance
        if case.status in bench_data.ACCEPTED_STATUSES:
            assert case.accepted_on and case.promised_due and case.statutory_due
        person = case.applicant
        assert case.applicant_id_number == person.id_number and case.contact_phone == person.phone
    supplement_cases = Case.objects.filter(status=CaseStatus.SUPPLEMENT).count()
    assert SupplementRequest.objects.filter(returned_at__isnull=True).count() == supplement_cases
    person = User.objects.filter(username__startswith=bench_data.APPLICANT_PREFIX).first()
    by_index = Case.objects.filter(applicant_id_index=blind_index("id_number", person.id_number))
    assert by_index.count() == Case.objects.filter(applicant=person).count() > 0
    assert selectors.my_cases(person, None).count() == by_index.count()


def test_second_run_reuses_applicants_and_continues_numbers_and_submissions_today_still_work(
    food_item, crew, applicants
):
    _generate(150, seed=3)
    people = set(User.objects.filter(username__startswith=bench_data.APPLICANT_PREFIX).values_list("pk", flat=True))
    _generate(150, seed=4)
    assert Case.objects.count() == 300
    assert len(set(Case.objects.values_list("number", flat=True))) == 300
    assert set(User.objects.filter(username__startswith="bench_p").values_list("pk", flat=True)) == people
    case = submitted_case(applicants["li"], food_item)  # today's serials are untouched by the generator
    assert case.number.endswith(f"{timezone.localdate():%Y%m%d}0001")
    assert services.case_submit(actor=applicants["li"], case=case).pk == case.pk


def test_command_reports_and_refuses_bad_input(food_item, crew, capsys):
    call_command("cases_generate", "--cases", "40", "--days", "20", "--applicants", "5")
    out = capsys.readouterr().out
    assert "40 / 40" in out and "已生成 40 件办件" in out
    assert Case.objects.count() == 40
    with pytest.raises(Exception, match="必须大于 0"):
        call_command("cases_generate", "--cases", "0")


def test_bench_case_scenarios_are_registered_and_clients_take_prepared_requests():
    from bench.loadgen import _clients
    from bench.scenarios import SCENARIOS

    assert {"case-submit", "my-cases", "clerk-worklist", "case-lookup"} <= set(SCENARIOS)
    assert SCENARIOS["case-submit"].prepare == "submit" and SCENARIOS["case-submit"].method == "POST"
    prepared = {
        "requests": [
            {"method": "POST", "path": "/a", "headers": {"Cookie": "s=1"}, "body": '{"x": "申"}'},
            {"method": "GET", "path": "/b", "headers": {}, "body": None},
        ],
        "unique_header": "Idempotency-Key",
    }
    clients = _clients("127.0.0.1", 1, "GET", "/", 3, prepared)
    assert [(c.method, c.path, c.body) for c in clients] == [
        ("POST", "/a", '{"x": "申"}'.encode()),
        ("GET", "/b", None),
        ("POST", "/a", '{"x": "申"}'.encode()),
    ]
    assert clients[0].headers == {
        "Host": "127.0.0.1:1",
        "Accept-Encoding": "identity",
        "Connection": "keep-alive",
        "Cookie": "s=1",
    }
    assert clients[0].unique_header == "Idempotency-Key"
    head, _, body = clients[0].next_request().partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /a HTTP/1.1"
    assert "Cookie: s=1" in lines and f"Content-Length: {len(body)}" in lines
    assert body == '{"x": "申"}'.encode()
    [key] = [line.split(": ")[1] for line in lines if line.startswith("Idempotency-Key: ")]
    assert len(key) == 32 and key not in clients[0].next_request().decode()  # a fresh key every request
