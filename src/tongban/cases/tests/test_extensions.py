"""Extensions (延期, cases/extensions.py): a handler asks, only the organisation's head decides, within the legal
maximum over all extensions (10 working days; 15 when several organisations handle the case, 行政许可法 art. 42)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tongban.accounts.models import StaffRole
from tongban.cases import extensions, pdf
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    Case,
    CaseDocument,
    DocumentKind,
    EventCode,
    Extension,
    ExtensionStatus,
    ReviewTask,
    TaskStatus,
)
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.test_pdf import cn, needs_pdftotext, pdf_text
from tongban.cases.tests.test_special_procedures import accepted_case, seeded_calendar, set_dates  # noqa: F401
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.errors import DomainError
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def heads(county):
    return {
        "head": staff("head_zhou", (county["amr"], StaffRole.HEAD)),
        "civil_head": staff("head_civil", (county["civil"], StaffRole.HEAD)),
        "supervisor": staff("supervisor_xu", (county["amr"], StaffRole.SUPERVISOR)),
        "approver": staff("approver_fang", (county["amr"], StaffRole.APPROVER)),
    }


def dated_case(food_item, applicants, crew) -> Case:
    """Promised 2026-09-28, statutory 2026-09-29: an extension crosses 国庆."""
    case = accepted_case(food_item, applicants, crew)
    return set_dates(case, D(2026, 9, 28), D(2026, 9, 29), D(2026, 9, 24))


def ask(case: Case, actor, days: int = 5, reason: str = "需补充征求卫生健康部门意见") -> Extension:
    case.refresh_from_db()
    return extensions.extension_request(
        actor=actor, case=case, days=days, reason=reason, expected_version=case.lock_version
    )


def decide(extension: Extension, actor, approve: bool = True, note: str = "同意延长") -> Extension:
    extension.case.refresh_from_db()
    return extensions.extension_decide(
        actor=actor, extension=extension, approve=approve, note=note, expected_version=extension.case.lock_version
    )


def test_request_then_head_approves_moves_both_dates(food_item, applicants, crew, heads):
    case = dated_case(food_item, applicants, crew)
    extension = ask(case, crew["amr_clerk"])
    assert (extension.status, extension.days, extension.requested_by) == (ExtensionStatus.PENDING, 5, crew["amr_clerk"])
    told_head = Message.objects.get(recipient=heads["head"], topic="case.extension_requested")
    assert "申请延长办理期限 5 个工作日" in told_head.body
    decide(extension, heads["head"])
    extension.refresh_from_db()
    case.refresh_from_db()
    # 09-29 + 5: 09-30, (10-01..07 holiday) 10-08, 10-09, 10-10 (worked Saturday), 10-12.
    assert (extension.status, extension.previous_due, extension.new_due, extension.decided_by) == (
        ExtensionStatus.APPROVED,
        D(2026, 9, 29),
        D(2026, 10, 12),
        heads["head"],
    )
    assert (case.statutory_due, case.promised_due, case.extended_days) == (D(2026, 10, 12), D(2026, 10, 10), 5)
    event = case.events.get(code=EventCode.LOCAL, name="延长办理期限")
    assert event.public is True
    assert "经机构负责人批准延长 5 个工作日，法定办结日期延至 2026-10-12" in event.opinion
    notice = CaseDocument.objects.get(case=case, kind=DocumentKind.EXTENSION)
    assert notice.number.startswith("桐庐县市场监督管理局延字〔")
    assert (notice.data["previous_due"], notice.data["new_due"], notice.data["days"]) == ("2026-09-29", "2026-10-12", 5)
    assert Message.objects.filter(recipient=applicants["li"], topic="case.extended").count() == 1
    assert Message.objects.filter(recipient=crew["amr_clerk"], topic="case.extension_decided").count() == 1


def test_refusal_changes_no_date(food_item, applicants, crew, heads):
    case = dated_case(food_item, applicants, crew)
    extension = decide(ask(case, crew["amr_clerk"]), heads["head"], approve=False, note="请按期办结")
    case.refresh_from_db()
    assert (extension.status, extension.decision_note, extension.new_due) == (
        ExtensionStatus.REFUSED,
        "请按期办结",
        None,
    )
    assert (case.statutory_due, case.extended_days) == (D(2026, 9, 29), 0)
    assert not CaseDocument.objects.filter(case=case, kind=DocumentKind.EXTENSION).exists()
    refusal = Message.objects.get(recipient=crew["amr_clerk"], topic="case.extension_decided")
    assert refusal.title == "延期申请未批准"
    # A new request may follow once the first is decided.
    assert ask(case, crew["amr_clerk"], days=3).status == ExtensionStatus.PENDING


def test_only_the_head_decides_and_a_denied_decision_changes_nothing(food_item, applicants, crew, heads):
    case = dated_case(food_item, applicants, crew)
    extension = ask(case, crew["amr_clerk"])
    for outsider in (crew["amr_clerk"], heads["approver"], heads["supervisor"], heads["civil_head"], applicants["li"]):
        with pytest.raises(DomainError) as refused:
            decide(extension, outsider)
        assert refused.value.code == CaseError.EXTENSION_HEAD_REQUIRED
    extension.refresh_from_db()
    case.refresh_from_db()
    assert (extension.status, case.statutory_due, case.extended_days) == (ExtensionStatus.PENDING, D(2026, 9, 29), 0)
    decide(extension, heads["head"])
    with pytest.raises(DomainError) as refused:
        decide(extension, heads["head"])
    assert refused.value.code == CaseError.EXTENSION_DECIDED
    case.refresh_from_db()
    assert case.extended_days == 5


def test_only_handlers_ask_one_pending_at_a_time(food_item, applicants, crew, heads):
    case = dated_case(food_item, applicants, crew)
    for outsider in (crew["civil_clerk"], crew["hall_clerk"], applicants["li"]):
        with pytest.raises(DomainError) as refused:
            ask(case, outsider)
        assert refused.value.code == CaseError.TIME_NOT_ALLOWED
    ask(case, crew["amr_clerk"], days=2)
    with pytest.raises(DomainError) as refused:
        ask(case, crew["amr_clerk2"], days=2)
    assert refused.value.code == CaseError.EXTENSION_PENDING
    for days, reason, code in [(0, "理由", CaseError.EXTENSION_DAYS_INVALID), (2, " ", CaseError.REASON_REQUIRED)]:
        with pytest.raises(DomainError) as refused:
            ask(case, crew["amr_clerk"], days=days, reason=reason)
        assert refused.value.code == code
    assert Extension.objects.count() == 1


def test_the_maximum_is_ten_working_days_over_all_extensions(food_item, applicants, crew, heads):
    case = dated_case(food_item, applicants, crew)
    with pytest.raises(DomainError) as refused:
        ask(case, crew["amr_clerk"], days=11)
    assert refused.value.code == CaseError.EXTENSION_OVER_LIMIT
    assert refused.value.message == "延长后超过法定上限：本办件最多可延长 10 个工作日，已延长 0 个工作日"
    decide(ask(case, crew["amr_clerk"], days=6), heads["head"])
    with pytest.raises(DomainError) as refused:
        ask(case, crew["amr_clerk"], days=5)
    assert refused.value.message == "延长后超过法定上限：本办件最多可延长 10 个工作日，已延长 6 个工作日"
    decide(ask(case, crew["amr_clerk"], days=4), heads["head"])
    case.refresh_from_db()
    assert case.extended_days == 10
    assert Extension.objects.filter(status=ExtensionStatus.APPROVED).count() == 2


def test_joint_handling_allows_fifteen(food_item, applicants, crew, heads, county):
    case = dated_case(food_item, applicants, crew)
    ReviewTask.objects.create(
        case=case,
        spiff_task_id=uuid.uuid4(),
        step_id="Task_civil",
        step_name="协办审查",
        organisation=county["civil"],
        role=StaffRole.REVIEWER,
        created_at=timezone.now(),
        status=TaskStatus.OPEN,
    )
    assert extensions.maximum_days(case) == 15
    with pytest.raises(DomainError) as refused:
        ask(case, crew["amr_clerk"], days=16)
    assert refused.value.code == CaseError.EXTENSION_OVER_LIMIT
    decide(ask(case, crew["civil_clerk"], days=15), heads["head"])  # a handler of the other department may ask too
    case.refresh_from_db()
    assert case.extended_days == 15


def test_a_stale_page_changes_nothing(food_item, applicants, crew, heads):
    case = dated_case(food_item, applicants, crew)
    extension = ask(case, crew["amr_clerk"])
    with pytest.raises(DomainError) as refused:
        extensions.extension_decide(
            actor=heads["head"], extension=extension, approve=True, note="", expected_version=case.lock_version - 1
        )
    assert refused.value.code == CaseError.CONFLICT
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.PENDING


@needs_pdftotext
def test_the_notice_gives_reason_basis_and_new_date(food_item, applicants, crew, heads):
    case = dated_case(food_item, applicants, crew)
    decide(ask(case, crew["amr_clerk"]), heads["head"])
    notice = CaseDocument.objects.get(case=case, kind=DocumentKind.EXTENSION)
    text = pdf_text(pdf.render_document_pdf(notice))
    assert text.startswith(f"桐庐县市场监督管理局延长办理期限告知书{notice.number}李建国：")
    for words in (
        "因以下原因不能在二十日内作出决定：需补充征求卫生健康部门意见",
        "第四十二条的规定，经本机关负责人批准，办理期限延长5个工作日",
        f"法定办结期限截止日由{cn(D(2026, 9, 29))}延长至{cn(D(2026, 10, 12))}",
    ):
        assert words in text
