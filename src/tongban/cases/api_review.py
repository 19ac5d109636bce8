"""/api/v1/review/: the review workbench over JSON (审查与决定).

- GET /tasks?list=to_review|to_approve|special|due_soon|overdue|mine&page=: the caller's worklists, 20 a page.
- GET /tasks/{id}: one task the caller may see, with the actions open to them.
- POST /tasks/{id}/claim | release | assign | reassign | complete: each with `expected_version` (the task's
  lock_version as read): when someone acted first the answer is 409 and nothing changes.

Authentication as the rest of /api/v1/cases (cases/api.py): the signed-in session (same origin; unsafe methods carry
the CSRF token) or a bearer token with the "cases" scope; in addition the caller must be staff, and a session must have
passed the second factor, as for the workbench pages. Tasks are loaded only through access.access_task_for_staff (404
for a task the caller may not see). Errors use the platform's error body (core.errors).
"""

from __future__ import annotations

from ninja import Router
from oauth2_provider.models import AccessToken

from tongban.accounts.errors import AccountsError
from tongban.accounts.models import User, UserKind
from tongban.accounts.views_staff import second_factor_verified
from tongban.cases import access, deadlines, review, steps
from tongban.cases import selectors_review as sr
from tongban.cases.api import ERRORS, CasesAuth
from tongban.cases.errors import CaseError
from tongban.cases.models import ReviewTask, TaskStatus
from tongban.cases.schemas_review import AssignIn, CompleteIn, TaskDetailOut, TaskPageOut, VersionIn
from tongban.cases.selectors import status_name
from tongban.catalog.access import case_version_name
from tongban.core.errors import DomainError
from tongban.core.models import Organisation

router = Router(tags=["审查与决定"])

PER_PAGE = 20


class ReviewAuth(CasesAuth):
    """The cases API's session-or-token authentication, for staff only (a session also needs the second factor)."""

    def __call__(self, request):
        auth = super().__call__(request)
        user = auth.user if isinstance(auth, AccessToken) else auth
        if user.kind != UserKind.STAFF:
            raise DomainError(AccountsError.ROLE_REQUIRED)
        if not isinstance(auth, AccessToken) and not second_factor_verified(request):
            raise DomainError(AccountsError.SECOND_FACTOR_REQUIRED)
        return auth


review_auth = ReviewAuth()


def _caller(request) -> User:
    auth = request.auth
    return auth.user if isinstance(auth, AccessToken) else auth


@router.get(
    "/tasks", auth=review_auth, response={200: TaskPageOut, **ERRORS}, summary="审查工作清单", url_name="review_tasks"
)
def task_list(request, list: str = "to_review", page: int = 1):
    """本人岗位和机构的待办步骤：to_review 待审查、to_approve 待审批、special 特别程序中、due_soon 即将超期、overdue
    已超期、mine 我的待办；步骤期限最近的在前，每页 20 条。多于 1000 条时 count_capped 为 true，count 只计到 1000。"""
    if list not in sr.WORKLISTS:
        raise DomainError(CaseError.REVIEW_WORKLIST_UNKNOWN)
    today = steps.today()
    horizon = deadlines.warning_horizon(today)
    current = sr.WorklistPaginator(sr.worklist(_caller(request), list, today, horizon), PER_PAGE).get_page(page)
    return {
        "worklist": list,
        # vars(), not asdict(): the rows hold only plain values, and asdict's deep copy cost ~0.4 ms a page
        "items": [vars(row) for row in sr.task_rows(current.object_list, today, horizon)],
        "count": current.paginator.shown_count,
        "count_capped": current.paginator.capped,
        "page": current.number,
        "pages": current.paginator.num_pages,
    }


def _actions(user: User, task: ReviewTask) -> list[str]:
    """What the caller may try on the task now (the service checks again under lock)."""
    if task.status != TaskStatus.OPEN:
        return []
    working = task.case.status in review.REVIEW_STATUSES
    handles, free_or_mine = review.may_handle(user, task), task.assignee_id in (None, user.pk)
    allowed = {
        "claim": working and handles and task.assignee_id is None,
        "release": task.assignee_id == user.pk,
        "assign": working and handles and free_or_mine,
        "reassign": working and review.may_reassign(user, task),
        "complete": working and handles and free_or_mine,
    }
    return [name for name, ok in allowed.items() if ok]


def _detail(user: User, task_id: int) -> dict:
    """The task as the caller sees it, read fresh."""
    task = access.access_task_for_staff(user, task_id)
    task = ReviewTask.objects.select_related(
        "case__version", "case__organisation", "organisation", "organisation__region", "assignee", "handler"
    ).get(pk=task.pk)
    return _task_out(user, task, task.case.version.name, task.case.organisation.name)


def _answer(user: User, task: ReviewTask) -> dict:
    """The answer to an action: the task as the service left it (new version and state; its case as locked and
    changed in the same transaction), not read again — nor are the two names the case row does not hold, in the
    usual case: the version's name is kept per process (fixed once published), and the case's organisation is most
    often the task's own, read with the task in this request. Checked as a fresh read would be: an action may leave
    the caller unable to see the task (404)."""
    if not access.may_see_task(user, task):
        raise DomainError(CaseError.TASK_NOT_FOUND)
    case = task.case
    if case.organisation_id == task.organisation_id:
        organisation_name = task.organisation.name
    else:  # a step in another department's lane
        organisation_name = Organisation.objects.values_list("name", flat=True).get(pk=case.organisation_id)
    return _task_out(user, task, case_version_name(case.version_id), organisation_name)


def _task_out(user: User, task: ReviewTask, item_name: str, case_organisation: str) -> dict:
    case, today = task.case, steps.today()
    return {
        "id": task.pk,
        "step": task.step_name,
        "step_id": task.step_id,
        "role": task.role,
        "decides": task.decides,
        "organisation": task.organisation.name,
        "status": task.status,
        "assignee": sr.person_label(task.assignee),
        "assignee_id": task.assignee_id,
        "lock_version": task.lock_version,
        "created_at": task.created_at,
        "due_on": task.due_on,
        "due_provisional": task.due_provisional,
        "warning": deadlines.warning_level(task.due_on, today) if task.status == TaskStatus.OPEN else "",
        "finished_at": task.finished_at,
        "handler": sr.person_label(task.handler),
        "outcome": task.outcome,
        "opinion": task.opinion,
        "outcomes": [str(o) for o in (review.DECISION_OUTCOMES if task.decides else review.REVIEW_OUTCOMES)],
        "actions": _actions(user, task),
        "case": {
            "number": case.number or "",
            "status": case.status,
            "status_name": status_name(case.status),
            "item_name": item_name,
            "applicant_name": case.applicant_name,
            "organisation": case_organisation,
            "promised_due": case.promised_due,
            "statutory_due": case.statutory_due,
            "deadline_provisional": case.deadline_provisional,
        },
    }


@router.get(
    "/tasks/{task_id}",
    auth=review_auth,
    response={200: TaskDetailOut, **ERRORS},
    summary="办理任务详情",
    url_name="review_task",
)
def task_detail(request, task_id: int):
    """一个本人可见的办理步骤：状态、承办人、期限与预警、办件摘要，以及本人现在可执行的操作。"""
    return _detail(_caller(request), task_id)


def _task(request, task_id: int) -> ReviewTask:
    return access.access_task_for_staff(_caller(request), task_id)


@router.post(
    "/tasks/{task_id}/claim",
    auth=review_auth,
    response={200: TaskDetailOut, **ERRORS},
    summary="认领",
    url_name="review_task_claim",
)
def task_claim(request, task_id: int, payload: VersionIn):
    """认领本人岗位的待办步骤。"""
    user = _caller(request)
    return _answer(
        user, review.task_claim(actor=user, task=_task(request, task_id), expected_version=payload.expected_version)
    )


@router.post(
    "/tasks/{task_id}/release",
    auth=review_auth,
    response={200: TaskDetailOut, **ERRORS},
    summary="退回待办",
    url_name="review_task_release",
)
def task_release(request, task_id: int, payload: VersionIn):
    """把本人认领的步骤退回本岗位的待办。"""
    user = _caller(request)
    return _answer(
        user, review.task_release(actor=user, task=_task(request, task_id), expected_version=payload.expected_version)
    )


def _hand_over(request, task_id: int, payload: AssignIn, service) -> dict:
    user, task = _caller(request), _task(request, task_id)
    colleague = sr.colleague_for(task, payload.colleague)
    return _answer(user, service(actor=user, task=task, colleague=colleague, expected_version=payload.expected_version))


@router.post(
    "/tasks/{task_id}/assign",
    auth=review_auth,
    response={200: TaskDetailOut, **ERRORS},
    summary="转办",
    url_name="review_task_assign",
)
def task_assign(request, task_id: int, payload: AssignIn):
    """把本人认领（或待认领）的步骤转给同一机构同一岗位的同事。"""
    return _hand_over(request, task_id, payload, review.task_assign)


@router.post(
    "/tasks/{task_id}/reassign",
    auth=review_auth,
    response={200: TaskDetailOut, **ERRORS},
    summary="改派",
    url_name="review_task_reassign",
)
def task_reassign(request, task_id: int, payload: AssignIn):
    """机构负责人或电子监察人员把任一待办步骤改派给符合岗位的同事。"""
    return _hand_over(request, task_id, payload, review.task_reassign)


@router.post(
    "/tasks/{task_id}/complete",
    auth=review_auth,
    response={200: TaskDetailOut, **ERRORS},
    summary="办理",
    url_name="review_task_complete",
)
def task_complete(request, task_id: int, payload: CompleteIn):
    """给出办理结论和意见并流转到下一步；审批步骤（grant/deny）作出决定并办结。不同意或不予时必须写明理由。"""
    user = _caller(request)
    task = review.task_complete(
        actor=user,
        task=_task(request, task_id),
        outcome=payload.outcome,
        opinion=payload.opinion,
        expected_version=payload.expected_version,
    )
    return _answer(user, task)
