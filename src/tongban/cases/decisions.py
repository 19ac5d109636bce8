"""Decisions (决定): a case's process ends with a grant (准予, code 11; 容缺通过 code 12) or a denial (不予, code 13).

`case_decide` is called by cases/review.py inside the transaction that finishes the deciding step, so the decision,
the task and the workflow state change together. 容缺 (materials deferred at acceptance) must be supplied before a
grant unless the item version allows 容缺通过.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tongban.accounts.models import User
from tongban.cases import steps
from tongban.cases.errors import CaseError
from tongban.cases.models import Case, CaseStatus, EventCode, Provision
from tongban.core.errors import DomainError


def deferred_outstanding(case: Case) -> int:
    """How many materials deferred at acceptance (容缺) have not been supplied since."""
    deferred = set(case.materials.filter(provision=Provision.DEFERRED).values_list("material_id", flat=True))
    if not deferred:
        return 0
    supplied = set(
        case.materials.filter(material_id__in=deferred)
        .exclude(provision=Provision.DEFERRED)
        .values_list("material_id", flat=True)
    )
    return len(deferred - supplied)


def require_completable(case: Case) -> int:
    """The status a grant would give (11, or 12 when deferred materials are still owed and the item allows it);
    raise DEFERRED_OUTSTANDING when they are owed and it does not."""
    if not deferred_outstanding(case):
        return CaseStatus.APPROVED
    if case.version.allows_deferred_approval:
        return CaseStatus.APPROVED_DEFERRED
    raise DomainError(CaseError.DEFERRED_OUTSTANDING)


def case_decide(*, case: Case, actor: User, granted: bool, opinion: str) -> Case:
    """Record the decision of a case whose process has just ended (call inside the completing transaction)."""
    before = steps.state(case)
    status = require_completable(case) if granted else CaseStatus.DENIED
    now = timezone.now()
    case.decided_at = now
    case.decided_by = actor
    case.closed_at = now
    steps.transition(case, status, ["decided_at", "decided_by", "closed_at"])
    names = {
        CaseStatus.APPROVED: gettext_noop("准予许可"),
        CaseStatus.APPROVED_DEFERRED: gettext_noop("准予许可（容缺通过）"),
        CaseStatus.DENIED: gettext_noop("不予许可"),
    }
    codes = {
        CaseStatus.APPROVED: EventCode.APPROVED,
        CaseStatus.APPROVED_DEFERRED: EventCode.APPROVED_DEFERRED,
        CaseStatus.DENIED: EventCode.DENIED,
    }
    steps.event(case, codes[status], names[status], actor=actor, opinion=opinion)
    steps.audit_case(actor, "cases.case.decide", case, before, granted=granted)
    if granted:
        title, body = _("申请已办结（准予）"), _("您的办件 %(number)s 已办结，结果为准予。")
    else:
        title, body = (
            _("申请已办结（不予许可）"),
            _("您的办件 %(number)s 已办结，结果为不予许可，理由及救济途径见决定书。"),
        )
    steps.tell(case, "case.decided", title, body % {"number": case.number})
    return case
