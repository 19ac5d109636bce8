"""Small steps every write on a case takes: lock it, check its status and the page's version, move it to a new
status, put a step on the timeline, audit, and tell the applicant. services.py (acceptance), review.py (routing),
decisions.py, special.py and bundles.py share them so each rule lives once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from tongban.accounts.models import User, UserKind
from tongban.cases.errors import CaseError
from tongban.cases.models import BundleApplication, Case, CaseEvent
from tongban.core import audit
from tongban.core.db.rows import get_by_pk
from tongban.core.db.writes import insert, update
from tongban.core.errors import DomainError
from tongban.notifications.services import notify

SYSTEM_LABEL = "系统"


def today() -> dt.date:
    return timezone.localdate()


def lock(case: Case) -> Case:
    """Re-read the case under a row lock (the transition's view of it)."""
    return lock_by_id(case.pk)


def lock_by_id(case_id: int) -> Case:
    """Read the case under a row lock, by id (a caller holding only a row that points at it need not load it first).
    Every action on a case starts here, so the statement is written out (core.db.rows)."""
    return get_by_pk(Case, case_id, lock=True)


def require_status(case: Case, allowed: Iterable[int], code: CaseError = CaseError.WRONG_STATUS) -> None:
    if case.status not in tuple(allowed):
        raise DomainError(code)


def require_version(case: Case, expected_version: int | None) -> None:
    """The page the actor acted from must show the case as it is now (None: the caller has no page, e.g. a job)."""
    if expected_version is not None and case.lock_version != expected_version:
        raise DomainError(CaseError.CONFLICT)


def transition(case: Case, status: int, fields: list[str]) -> None:
    case.status = status
    case.lock_version += 1
    update(case, ["status", "lock_version", "updated_at", *fields])
    if case.bundle_application_id:  # a bundle's child: the parent follows (cases/bundles.py)
        from tongban.cases.bundles import bundle_child_moved

        bundle_child_moved(case)


def touch(case: Case, fields: list[str]) -> None:
    """Save a change that is not a status change but must still make older pages stale."""
    case.lock_version += 1
    update(case, ["lock_version", "updated_at", *fields])


def event(case: Case, code: int, name: str, *, actor=None, organisation=None, opinion="", public=True) -> CaseEvent:
    # `name` is stored in Chinese, the language of record (gettext_noop at the call); pages translate it on display.
    return insert(
        CaseEvent(
            case=case,
            code=code,
            name=name,
            organisation=organisation or case.organisation,
            actor=actor,
            actor_label=str(actor) if actor is not None else SYSTEM_LABEL,
            opinion=opinion,
            public=public,
            created_at=timezone.now(),
        )
    )


def state(case: Case) -> dict:
    return {"status": case.status, "lock_version": case.lock_version}


def audit_case(actor, action: str, case: Case, before: dict, **after) -> None:
    audit.record(actor=actor, action=action, obj=case, before=before, after=state(case) | after)


def recipients(case: Case) -> list[User]:
    """Who hears about the case: the applicant's account and the person who filled it in (not a clerk)."""
    people = [case.applicant]
    if case.submitted_by_id != case.applicant_id and case.submitted_by.kind != UserKind.STAFF:
        people.append(case.submitted_by)
    return people


def tell(case: Case, topic: str, title: str, body: str) -> None:
    notify(recipients=recipients(case), topic=topic, title=title, body=body, link=case_link(case))


def case_link(case: Case) -> str:
    """Where a notice about the case sends the person: a bundle's child is followed on its parent's page."""
    if case.bundle_application_id:
        public_id = BundleApplication.objects.filter(pk=case.bundle_application_id).values_list("public_id", flat=True)
        return f"/cases/bundles/{public_id.get()}/"
    return f"/cases/mine/{case.public_id}/"
