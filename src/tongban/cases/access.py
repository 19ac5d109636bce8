"""Loading cases for an actor, or refusing: applicants see their own (and their enterprise's, within an agent's
scope); clerks see their organisation's; window clerks act at their halls. One condition per line.

Every loader raises CASE_NOT_FOUND (404) for a case the actor may not see, so a stranger cannot tell whether a
number exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from tongban.accounts.access import organisation_ids_where, staff_has_role
from tongban.accounts.enterprises import ActingIdentity, ActingRole
from tongban.accounts.models import StaffRole, User, UserKind
from tongban.cases.errors import CaseError
from tongban.cases.models import Case, CaseStatus
from tongban.cases.services import Applicant
from tongban.core.db.rows import model_row, pk_value, read_joined
from tongban.core.errors import DomainError
from tongban.core.models import Organisation, Region

# Who does pre-review (预审) for the competent organisation: its reviewers and its own window clerks.
PRE_REVIEW_ROLES = (StaffRole.REVIEWER, StaffRole.WINDOW_CLERK)


def current_applicant(user: User, identity: ActingIdentity | None) -> Applicant:
    """Whom the signed-in person applies for now: the enterprise they switched to, or themselves."""
    if identity is not None:
        return Applicant(account=identity.enterprise, person=user)
    return Applicant(account=user, person=user)


@dataclass(frozen=True)
class ApplicantScope:
    """Which cases the current identity sees as an applicant: one account's (the person's or the enterprise's),
    narrowed for an agent to the items their authorisation covers (by implementation or basic item code)."""

    applicant_id: int
    item_codes: tuple[str, ...] | None = None  # None: every item; () sees nothing


def applicant_scope(user: User, identity: ActingIdentity | None) -> ApplicantScope | None:
    """The current identity's scope (personal, or the enterprise within an agent's scope); None: no cases at all."""
    if not getattr(user, "is_authenticated", False) or user.kind != UserKind.PERSON:
        return None
    if identity is None:
        return ApplicantScope(user.pk)
    authorisation = identity.authorisation if identity.role == ActingRole.AGENT else None
    if authorisation is None or authorisation.all_items:
        return ApplicantScope(identity.enterprise.pk)
    return ApplicantScope(identity.enterprise.pk, tuple(str(code).upper() for code in authorisation.item_codes))


def applicant_cases(user: User, identity: ActingIdentity | None) -> QuerySet[Case]:
    """The cases of the current identity (applicant_scope), drafts included."""
    scope = applicant_scope(user, identity)
    if scope is None:
        return Case.objects.none()
    cases = Case.objects.filter(applicant_id=scope.applicant_id)
    if scope.item_codes is not None:
        codes = scope.item_codes
        cases = cases.filter(Q(item__code__in=codes) | Q(item__basic_item__code__in=codes))
    return cases


def access_case_for_applicant(user: User, identity: ActingIdentity | None, public_id) -> Case:
    """One of the current identity's cases by its public id, or CASE_NOT_FOUND."""
    case = applicant_cases(user, identity).filter(public_id=public_id).select_related("item", "version").first()
    if case is None:
        raise DomainError(CaseError.CASE_NOT_FOUND)
    return case


def access_draft_for_editor(user: User, identity: ActingIdentity | None, public_id) -> Case:
    """A draft of the current identity that this person started (another agent's draft is theirs to finish)."""
    case = access_case_for_applicant(user, identity, public_id)
    if case.status != CaseStatus.DRAFT or case.submitted_by_id != user.pk:
        raise DomainError(CaseError.CASE_NOT_FOUND)
    return case


def is_pre_review_clerk(user: User, organisation: Organisation) -> bool:
    """Whether the user may accept, refuse or ask for a supplement for the organisation's cases."""
    return any(staff_has_role(user, role, organisation) for role in PRE_REVIEW_ROLES)


def pre_review_organisation_ids(user: User) -> list[int]:
    """The ids of the organisations whose cases the user pre-reviews (for worklists), in order."""
    ids = set()
    for role in PRE_REVIEW_ROLES:
        ids.update(organisation_ids_where(user, role))
    return sorted(ids)


def access_case_for_clerk(user: User, number: str) -> Case:
    """A submitted case of an organisation the user pre-reviews, by number, or CASE_NOT_FOUND."""
    case = (
        Case.objects.filter(number=number)
        .exclude(status=CaseStatus.DRAFT)
        .select_related("item", "version", "organisation", "applicant", "submitted_by")
        .first()
    )
    if case is None:
        raise DomainError(CaseError.CASE_NOT_FOUND)
    if not is_pre_review_clerk(user, case.organisation):
        raise DomainError(CaseError.CASE_NOT_FOUND)
    return case


def is_window_clerk_at(user: User, hall: Organisation) -> bool:
    """Whether the user staffs an acceptance window of this hall (一窗受理)."""
    return staff_has_role(user, StaffRole.WINDOW_CLERK, hall)


def require_window_clerk_at(user: User, hall: Organisation) -> None:
    if not is_window_clerk_at(user, hall):
        raise DomainError(CaseError.WINDOW_CLERK_REQUIRED)


# ---------------------------------------------------------------------------------------------------------------
# Review (审查与决定): staff see a case's tasks and the case itself through the tasks of their roles

# The roles that work on review tasks; a task is visible to holders of its role at its organisation.
TASK_ROLES = (StaffRole.WINDOW_CLERK, StaffRole.REVIEWER, StaffRole.APPROVER)
# Roles that oversee every task of an organisation (heads) or of a region (supervisors).
OVERSIGHT_ROLES = (StaffRole.HEAD, StaffRole.SUPERVISOR)


@dataclass(frozen=True)
class TaskScope:
    """Which review tasks a member of staff sees: those of each role they hold at the organisations where they hold
    it, every task of the organisations they head or supervise, and (unless left out) the tasks assigned to them."""

    assignee_id: int | None
    by_role: tuple[tuple[str, tuple[int, ...]], ...]  # (role, organisation ids)
    overseen: tuple[int, ...]  # organisation ids


def task_scope_of(user: User, *, assigned: bool = True) -> TaskScope:
    """The user's TaskScope: a fixed number of queries (the roles, and one per role held over a region's subtree).

    Worklists pass assigned=False: a task can only be assigned to someone holding its role there, so the branch adds
    nothing to them, and without the OR PostgreSQL walks the open-task index in due order instead of scanning every
    open task of the organisations (measured: 127 → 0.7 ms for a page on the 100,000-task bench)."""
    by_role = []
    for role in TASK_ROLES:
        organisations = tuple(organisation_ids_where(user, role))
        if organisations:
            by_role.append((str(role), organisations))
    return TaskScope(user.pk if assigned else None, tuple(by_role), tuple(overseen_organisation_ids(user)))


def overseen_organisation_ids(user: User) -> list[int]:
    """The organisations the user heads or supervises (a region's subtree for a supervisor over it), sorted."""
    ids: set[int] = set()
    for role in OVERSIGHT_ROLES:
        ids.update(organisation_ids_where(user, role))
    return sorted(ids)


def task_scope(user: User, *, assigned: bool = True) -> Q:
    """Q over ReviewTask of task_scope_of(user)."""
    scope = task_scope_of(user, assigned=assigned)
    condition = Q(assignee_id=scope.assignee_id) if scope.assignee_id is not None else Q(pk__in=[])
    for role, organisations in scope.by_role:
        condition |= Q(role=role, organisation_id__in=organisations)
    if scope.overseen:
        condition |= Q(organisation_id__in=scope.overseen)
    return condition


def oversees(user: User, organisation: Organisation) -> bool:
    """Whether the user heads or supervises the organisation."""
    return any(staff_has_role(user, role, organisation) for role in OVERSIGHT_ROLES)


def access_task_for_staff(user: User, task_id: int):
    """A review task the user may see (its role at its organisation, assigned to them, or overseen), or
    TASK_NOT_FOUND."""
    # Not its case: an action locks and reads the case itself (review._lock_task); pages that show it read it.
    task = _task_with_organisation(task_id)
    if task is None or not may_see_task(user, task):
        raise DomainError(CaseError.TASK_NOT_FOUND)
    return task


def _task_with_organisation(task_id: int):
    """The task with its organisation and the organisation's region (the role checks need both), or None. Every
    review action reads it, so the statement is written out (core.db.rows)."""
    from tongban.cases.models import ReviewTask

    key = pk_value(ReviewTask, task_id)
    if key is None:
        return None
    tasks, organisations, regions = model_row(ReviewTask), model_row(Organisation), model_row(Region)
    quote = connection.ops.quote_name
    found = read_joined(
        f"SELECT {tasks.columns('t')}, {organisations.columns('o')}, {regions.columns('r')}"  # noqa: S608
        f" FROM {quote(ReviewTask._meta.db_table)} t"
        f" JOIN {quote(Organisation._meta.db_table)} o ON o.id = t.organisation_id"
        f" JOIN {quote(Region._meta.db_table)} r ON r.id = o.region_id"
        " WHERE t.id = %s",
        [key],
        tasks,
        organisations,
        regions,
    )
    if found is None:
        return None
    task, organisation, region = found
    organisation.region = region
    task.organisation = organisation
    return task


def may_see_task(user: User, task) -> bool:
    """Whether the user may see the task: assigned to them, their role at its organisation, or overseen."""
    return (
        task.assignee_id == user.pk
        or staff_has_role(user, task.role, task.organisation)
        or oversees(user, task.organisation)
    )


def may_see_case_in_review(user: User, case: Case) -> bool:
    """Whether a member of staff may open a case under review: a task of theirs on it (any status), the competent
    organisation's pre-review clerks, or its heads and supervisors."""
    from tongban.cases.models import ReviewTask

    if is_pre_review_clerk(user, case.organisation) or oversees(user, case.organisation):
        return True
    return ReviewTask.objects.filter(task_scope(user), case=case).exists()


def access_case_for_reviewer(user: User, number: str) -> Case:
    """A submitted case the member of staff may open in the review workbench, by number, or CASE_NOT_FOUND."""
    case = (
        Case.objects.filter(number=number)
        .exclude(status=CaseStatus.DRAFT)
        .select_related("item", "version", "version__process", "organisation", "applicant", "submitted_by")
        .first()
    )
    if case is None:
        raise DomainError(CaseError.CASE_NOT_FOUND)
    if not may_see_case_in_review(user, case):
        raise DomainError(CaseError.CASE_NOT_FOUND)
    return case
