"""The API's one-shot submission (services.case_submit_new): one transaction, the same checks as the page's draft →
attach → submit, a received case written once with its materials, one audit row for the whole submission, and a
fixed number of SQL statements."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongban.cases import services
from tongban.cases.errors import CaseError
from tongban.cases.models import Case, CaseDocument, CaseEvent, CaseMaterial, CaseStatus, EventCode
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import GOOD_ANSWERS, PDF_BYTES, own, stored_upload, submitted_case
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, OutboxMessage
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db


def _rows(person, item) -> list[dict]:
    """Every required material uploaded, the deferrable one 容缺, in the version's order."""
    rows = []
    for material in item.published_version.materials.order_by("order"):
        if material.necessity == "required":
            upload = stored_upload(person, content=PDF_BYTES + material.name.encode())
            rows.append({"material": material.pk, "upload": upload.pk, "provision": "upload"})
        elif material.necessity == "deferrable":
            rows.append({"material": material.pk, "provision": "deferred"})
    return rows


def _submit(person, item, rows, key="k-1", answers=None) -> tuple[Case, bool]:
    return services.case_submit_new(
        actor=person,
        applicant=own(person),
        item=item,
        answers=GOOD_ANSWERS if answers is None else answers,
        materials=rows,
        idempotency_key=key,
    )


def test_one_shot_writes_the_received_case_once_with_one_audit_row(food_item, applicants):
    li = applicants["li"]
    rows = _rows(li, food_item)
    audits = AuditEntry.objects.count()
    case, created = _submit(li, food_item, rows)
    case.refresh_from_db()
    assert created and (case.status, case.lock_version, case.idempotency_key) == (CaseStatus.RECEIVED, 1, "k-1")
    assert case.number.startswith(food_item.code) and len(case.query_code) == 6 and case.draft_expires_at is None
    assert case.form_data == GOOD_ANSWERS and case.applicant_name == li.real_name
    assert sorted(
        CaseMaterial.objects.filter(case=case).values_list("material_id", "provision", "upload_id")
    ) == sorted((row["material"], row["provision"], row.get("upload")) for row in rows)
    assert list(case.events.values_list("code", "name")) == [(EventCode.RECEIVED, "接件")]
    assert CaseDocument.objects.get(case=case).kind == "receipt"
    assert Message.objects.filter(recipient=li, topic="case.received").count() == 1
    (entry,) = AuditEntry.objects.order_by("id")[audits:]
    assert (entry.action, entry.object_id, entry.before) == ("cases.case.submit", str(case.pk), {"status": 0})
    assert entry.after == {
        "status": CaseStatus.RECEIVED,
        "lock_version": 1,
        "number": case.number,
        "item": food_item.code,
        "version": food_item.published_version_id,
        "materials": [
            {"material": row["material"], "provision": row["provision"], "upload": row.get("upload")} for row in rows
        ],
    }
    assert audit.verify_chain() == (AuditEntry.objects.count(), None)


def test_the_page_path_keeps_an_audit_row_per_step(food_item, applicants):
    li = applicants["li"]
    audits = AuditEntry.objects.count()
    case = submitted_case(li, food_item)
    actions = list(AuditEntry.objects.order_by("id")[audits:].values_list("action", flat=True))
    assert actions[0] == "cases.draft.start" and actions[-1] == "cases.case.submit"
    assert actions.count("cases.material.attach") == CaseMaterial.objects.filter(case=case).count()


@pytest.mark.parametrize(
    ("spoil", "code"),
    [
        (
            lambda rows, other: rows.append({"material": 10**6, "provision": "upload", "upload": rows[0]["upload"]}),
            CaseError.MATERIAL_NOT_OF_ITEM,
        ),
        (lambda rows, other: rows[0].update(provision="deferred"), CaseError.MATERIAL_NOT_DEFERRABLE),
        (lambda rows, other: rows[1].update(upload=other), CaseError.UPLOAD_NOT_FOUND),
        (lambda rows, other: rows[2].update(upload=None), CaseError.UPLOAD_NOT_FOUND),
        (lambda rows, other: rows.pop(0), CaseError.MATERIALS_MISSING),
    ],
)
def test_a_wrong_material_saves_nothing(food_item, applicants, spoil, code):
    li, sun = applicants["li"], applicants["sun"]
    rows = _rows(li, food_item)
    spoil(rows, stored_upload(sun, content=PDF_BYTES + b"sun").pk)
    before = (Case.objects.count(), AuditEntry.objects.count(), OutboxMessage.objects.count(), Message.objects.count())
    with pytest.raises(DomainError) as caught:
        _submit(li, food_item, rows)
    assert caught.value.code == code
    after = (Case.objects.count(), AuditEntry.objects.count(), OutboxMessage.objects.count(), Message.objects.count())
    assert after == before


def test_an_invalid_form_is_reported_before_missing_materials(food_item, applicants):
    li = applicants["li"]
    with pytest.raises(DomainError) as caught:
        _submit(li, food_item, _rows(li, food_item)[1:], answers={**GOOD_ANSWERS, "area": 0})
    assert caught.value.code == CaseError.INVALID_FORM and list(caught.value.fields) == ["area"]
    assert not Case.objects.exists()


def test_a_later_deferral_of_the_same_material_replaces_the_earlier_one(food_item, applicants):
    li = applicants["li"]
    rows = _rows(li, food_item)
    deferred = next(row for row in rows if row["provision"] == "deferred")
    case, _created = _submit(li, food_item, [*rows, dict(deferred)])
    assert CaseMaterial.objects.filter(case=case, material_id=deferred["material"]).count() == 1


def test_a_replayed_key_returns_the_first_case_without_writing(food_item, applicants):
    li = applicants["li"]
    rows = _rows(li, food_item)
    first, _created = _submit(li, food_item, rows)
    counts = (AuditEntry.objects.count(), OutboxMessage.objects.count(), CaseEvent.objects.count())
    again, created = _submit(li, food_item, [], answers={})
    assert (again.pk, created) == (first.pk, False)
    assert (AuditEntry.objects.count(), OutboxMessage.objects.count(), CaseEvent.objects.count()) == counts


def test_the_submission_runs_a_fixed_number_of_statements_without_savepoints(food_item, applicants):
    li = applicants["li"]
    _submit(li, food_item, _rows(li, food_item), key="warm")  # the version's materials are read once per process
    rows = _rows(li, food_item)
    with CaptureQueriesContext(connection) as queries:
        _submit(li, food_item, rows, key="measured")
    statements = [query["sql"] for query in queries.captured_queries]
    # The service's one atomic block is a savepoint here only because the test runs inside a transaction.
    savepoints = [sql.split()[0] for sql in statements if "SAVEPOINT" in sql.upper()]
    assert savepoints == ["SAVEPOINT", "RELEASE"]
    # replay check, uploads, case serial, case, materials, event, document serial, document, render outbox,
    # message, SMS outbox, last audit hash, audit row (PostgreSQL adds the chain lock)
    expected = 14 if connection.vendor == "postgresql" else 13
    assert len(statements) - len(savepoints) == expected
    assert sum('"cases_case"' in sql and sql.startswith("INSERT") for sql in statements) == 1
    assert not [sql for sql in statements if sql.startswith("UPDATE")]
