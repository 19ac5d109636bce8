"""Extensions (延期): a handler asks for more working days, the organisation's head approves or refuses.

行政许可法 art. 42: a decision is due within 20 working days of acceptance; the head of the organisation may extend
this by 10 working days, with the reasons told to the applicant. When several organisations handle the case jointly
(并联/联合办理: review tasks of more than one organisation on it) the limit is 45 days and the extension up to 15.
The maximum is over all approved extensions of the case together; a request counts against it from the start, so a
head never sees a request that could not be approved.

On approval the statutory date moves by the days on the core calendar (add_working_days from the old date), and the
promised date moves by the same days: the promise is the organisation's own commitment inside the legal limit, so
the head's approval, told to the applicant in the 延长办理期限告知书, moves it as well and the gap between the two
stays (a moved promised date is never after the moved statutory one, as it was not before). The deciding step of an
open process, whose due date was the statutory date, follows it. One pending request per case at a time (the
database enforces it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tongban.accounts.access import holders_of, staff_has_role
from tongban.accounts.models import StaffRole, User
from tongban.cases import documents, special, steps
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    Case,
    CaseStatus,
    DocumentKind,
    EventCode,
    Extension,
    ExtensionStatus,
    ReviewTask,
    TaskStatus,
)
from tongban.core import audit
from tongban.core.calendar import add_working_days
from tongban.core.errors import DomainError
from tongban.notifications.services import notify

ORDINARY_MAXIMUM = 10
JOINT_MAXIMUM = 15
# A case may be extended while its clock can still run (during a special procedure too: the request is paperwork).
EXTENDABLE_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW, CaseStatus.SPECIAL_PROCEDURE)


def is_joint(case: Case) -> bool:
    """并联/联合办理: review tasks of more than one organisation on the case (the hall's acceptance step aside)."""
    organisations = case.tasks.exclude(role=StaffRole.WINDOW_CLERK).values_list("organisation_id", flat=True).distinct()
    return len(set(organisations)) > 1


def maximum_days(case: Case) -> int:
    """The legal maximum of all extensions of the case together (10, or 15 when handled jointly)."""
    return JOINT_MAXIMUM if is_joint(case) else ORDINARY_MAXIMUM


def days_used(case: Case) -> int:
    """Working days already granted by approved extensions."""
    return sum(case.extensions.filter(status=ExtensionStatus.APPROVED).values_list("days", flat=True))


def _require_within_limit(case: Case, days: int) -> None:
    limit, used = maximum_days(case), days_used(case)
    if used + days > limit:
        detail = CaseError.EXTENSION_OVER_LIMIT.message % {"limit": limit, "used": used}
        raise DomainError(CaseError.EXTENSION_OVER_LIMIT, detail, fields={"days": [detail]})


def may_decide(user: User, case: Case) -> bool:
    """Only the head (机构负责人) of the competent organisation approves an extension."""
    return staff_has_role(user, StaffRole.HEAD, case.organisation)


def pending_extension(case: Case) -> Extension | None:
    return case.extensions.filter(status=ExtensionStatus.PENDING).select_related("requested_by").first()


def _extension_state(extension: Extension) -> dict:
    return {"status": extension.status, "days": extension.days}


@transaction.atomic
def extension_request(
    *, actor: User, case: Case, days: int, reason: str, expected_version: int | None = None
) -> Extension:
    """A handler asks the head for `days` more working days, with the reason; the heads are told."""
    case = steps.lock(case)
    steps.require_version(case, expected_version)
    special.require_time_manager(actor, case)
    steps.require_status(case, EXTENDABLE_STATUSES)
    if not isinstance(days, int) or days < 1:
        raise DomainError(CaseError.EXTENSION_DAYS_INVALID, fields={"days": [CaseError.EXTENSION_DAYS_INVALID.message]})
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(CaseError.REASON_REQUIRED, fields={"reason": [CaseError.REASON_REQUIRED.message]})
    if case.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise DomainError(CaseError.EXTENSION_PENDING)
    _require_within_limit(case, days)
    before = steps.state(case)
    try:
        with transaction.atomic():
            extension = Extension.objects.create(
                case=case, days=days, reason=reason[:2000], requested_by=actor, requested_at=timezone.now()
            )
    except IntegrityError as error:  # the case row lock makes this unreachable; the constraint is the backstop
        raise DomainError(CaseError.EXTENSION_PENDING) from error
    steps.touch(case, [])
    audit.record(actor=actor, action="cases.extension.request", obj=extension, after=_extension_state(extension))
    steps.audit_case(actor, "cases.extension.request", case, before, extension=extension.pk, days=days)
    notify(
        recipients=holders_of(StaffRole.HEAD, case.organisation),
        topic="case.extension_requested",
        title=_("延期申请待批准"),
        body=_("办件 %(number)s 申请延长办理期限 %(days)d 个工作日，理由：%(reason)s")
        % {"number": case.number, "days": days, "reason": reason[:100]},
        link=f"/workbench/review/cases/{case.number}/",
        sms=False,
    )
    return extension


def _notice_data(case: Case, extension: Extension) -> dict:
    return {
        "item": case.version.name,
        "applicant": case.applicant_name,
        "days": extension.days,
        "reason": extension.reason,
        "previous_due": extension.previous_due.isoformat(),
        "new_due": extension.new_due.isoformat(),
        "promised_due": case.promised_due.isoformat() if case.promised_due else "",
        "joint": is_joint(case),
    }


@transaction.atomic
def extension_decide(
    *, actor: User, extension: Extension, approve: bool, note: str = "", expected_version: int | None = None
) -> Extension:
    """The head approves (the dates move; 延长办理期限告知书 to the applicant) or refuses (the requester is told)."""
    case = steps.lock(extension.case)
    steps.require_version(case, expected_version)
    if not may_decide(actor, case):
        raise DomainError(CaseError.EXTENSION_HEAD_REQUIRED)
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    if extension.status != ExtensionStatus.PENDING:
        raise DomainError(CaseError.EXTENSION_DECIDED)
    note = (note or "").strip()[:2000]
    before_extension = _extension_state(extension)
    before = steps.state(case) | {"statutory_due": str(case.statutory_due), "promised_due": str(case.promised_due)}
    extension.decided_by, extension.decided_at, extension.decision_note = actor, timezone.now(), note
    if not approve:
        extension.status = ExtensionStatus.REFUSED
        extension.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        steps.touch(case, [])
        audit.record(
            actor=actor,
            action="cases.extension.refuse",
            obj=extension,
            before=before_extension,
            after=_extension_state(extension),
        )
        steps.audit_case(actor, "cases.extension.refuse", case, before, extension=extension.pk)
        _tell_requester(extension, case, approved=False)
        return extension
    steps.require_status(case, EXTENDABLE_STATUSES)
    _require_within_limit(case, extension.days)
    _approve(case, extension)
    audit.record(
        actor=actor,
        action="cases.extension.approve",
        obj=extension,
        before=before_extension,
        after=_extension_state(extension) | {"new_due": str(extension.new_due)},
    )
    steps.audit_case(
        actor,
        "cases.extension.approve",
        case,
        before,
        extension=extension.pk,
        statutory_due=str(case.statutory_due),
        promised_due=str(case.promised_due),
        extended_days=case.extended_days,
    )
    steps.event(
        case,
        EventCode.LOCAL,
        gettext_noop("延长办理期限"),
        actor=actor,
        opinion=_("经机构负责人批准延长 %(days)d 个工作日，法定办结日期延至 %(due)s。理由：%(reason)s")
        % {"days": extension.days, "due": extension.new_due, "reason": extension.reason},
    )
    documents.document_issue(case=case, kind=DocumentKind.EXTENSION, data=_notice_data(case, extension))
    steps.tell(
        case,
        "case.extended",
        _("办理期限已延长"),
        _(
            "您的办件 %(number)s 经批准延长办理期限 %(days)d 个工作日，"
            "法定办结日期延至 %(due)s，详见延长办理期限告知书。"
        )
        % {"number": case.number, "days": extension.days, "due": extension.new_due},
    )
    _tell_requester(extension, case, approved=True)
    return extension


def _approve(case: Case, extension: Extension) -> None:
    previous = case.statutory_due
    statutory = add_working_days(previous, extension.days)
    promised = add_working_days(case.promised_due, extension.days) if case.promised_due else None
    case.statutory_due = statutory.date
    case.promised_due = promised.date if promised else None
    case.deadline_provisional = case.deadline_provisional or statutory.provisional
    case.extended_days += extension.days
    # The deciding step's due date was capped at the statutory date (review.sync_tasks): it follows the new one.
    deciding = list(
        ReviewTask.objects.select_for_update().filter(case=case, status=TaskStatus.OPEN, decides=True, due_on=previous)
    )
    for task in deciding:
        task.due_on, task.due_provisional = statutory.date, task.due_provisional or statutory.provisional
        task.lock_version += 1
    ReviewTask.objects.bulk_update(deciding, ["due_on", "due_provisional", "lock_version"])
    extension.status, extension.previous_due, extension.new_due = ExtensionStatus.APPROVED, previous, statutory.date
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "previous_due", "new_due"])
    steps.touch(case, ["statutory_due", "promised_due", "deadline_provisional", "extended_days"])


def _tell_requester(extension: Extension, case: Case, *, approved: bool) -> None:
    if approved:
        title = _("延期申请已批准")
        body = _("办件 %(number)s 的延期申请已批准，法定办结日期延至 %(due)s。") % {
            "number": case.number,
            "due": extension.new_due,
        }
    else:
        title = _("延期申请未批准")
        body = _("办件 %(number)s 的延期申请未获批准。%(note)s") % {
            "number": case.number,
            "note": extension.decision_note,
        }
    notify(
        recipients=[extension.requested_by],
        topic="case.extension_decided",
        title=title,
        body=body,
        link=f"/workbench/review/cases/{case.number}/",
        sms=False,
    )


def access_extension(user: User, case: Case, extension_id: int) -> Extension:
    """An extension of a case the user already opened through access.access_case_for_reviewer, or NOT_FOUND."""
    extension = Extension.objects.filter(pk=extension_id, case=case).select_related("case").first()
    if extension is None:
        raise DomainError(CaseError.EXTENSION_NOT_FOUND)
    return extension


@dataclass
class TimeState:
    """A case's special procedures and extensions, and what `user` may do about them now (the page and the API
    offer the same actions; the services check again under lock)."""

    procedures: list
    extensions: list[Extension]
    pending: Extension | None
    limit: int
    may_start: bool
    may_end: bool
    may_request: bool
    may_decide: bool

    @property
    def running(self):
        return next((procedure for procedure in self.procedures if procedure.ended_at is None), None)


def time_state(user: User, case: Case) -> TimeState:
    procedures = special.special_procedures_of(case)
    history = list(case.extensions.select_related("requested_by", "decided_by"))
    pending = next((extension for extension in history if extension.status == ExtensionStatus.PENDING), None)
    open_case = case.status in EXTENDABLE_STATUSES
    limit = maximum_days(case) if open_case else 0
    manages = special.may_manage_time(user, case)
    return TimeState(
        procedures=procedures,
        extensions=history,
        pending=pending,
        limit=limit,
        may_start=manages and case.status in special.STARTABLE_STATUSES,
        may_end=manages and case.status == CaseStatus.SPECIAL_PROCEDURE,
        may_request=manages and open_case and pending is None and limit > case.extended_days,
        may_decide=pending is not None and open_case and may_decide(user, case),
    )
