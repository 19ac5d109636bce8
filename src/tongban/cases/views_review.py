"""The review workbench (审查与决定工作台), mounted at /workbench/review/: worklists 待审查 / 待审批 / 特别程序中 /
即将超期 / 已超期 / 我的待办, the supervisors' view of overdue tasks, and a case's page with the applicant (masked),
answers, materials, earlier opinions, the process outline with the current position, deadlines, timeline, documents
and the task actions 认领 / 退回 / 转办 / 改派 / 办理.

Every page is a staff page (signed in, second factor passed). A case named in a URL is loaded only through
access.access_case_for_reviewer and a task through access.access_task_for_staff (404 for what the user may not see).
Every action posts the task's lock_version: when someone acted first the service raises CONFLICT (or TASK_TAKEN /
TASK_CLOSED), the page says so in its error summary and nothing changes. Views only parse, authorise, call one service
and render.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from tongban.accounts.access import staff_has_role
from tongban.accounts.models import StaffRole, User
from tongban.accounts.views_staff import staff_page
from tongban.cases import access, deadlines, review, selectors, steps
from tongban.cases import forms_review as rf
from tongban.cases import selectors_review as sr
from tongban.cases.document_files import document_response
from tongban.cases.errors import CaseError
from tongban.cases.models import Case, CaseEvent, CaseMaterial, ReviewTask, TaskOutcome
from tongban.cases.views_progress import NUMBER_SLOT, url_template
from tongban.cases.views_workbench import answer_pages, applicant_summary, file_response, material_slots
from tongban.catalog import bpmn
from tongban.core.errors import DomainError
from tongban.core.html import html_format, html_rows
from tongban.core.views import see_other as _redirect

TEMPLATES = "cases/review/"
PER_PAGE = 20
WORKLIST_TITLES = {
    "to_review": gettext_lazy("待审查"),
    "to_approve": gettext_lazy("待审批"),
    "special": gettext_lazy("特别程序中"),
    "due_soon": gettext_lazy("即将超期"),
    "overdue": gettext_lazy("已超期"),
    "mine": gettext_lazy("我的待办"),
}
WORKLIST_HINTS = {
    "to_review": gettext_lazy("本人岗位所在机构待出具审查意见的办理步骤，步骤期限最近的在前。"),
    "to_approve": gettext_lazy("待作出准予或不予许可决定的办理步骤。"),
    "special": gettext_lazy("办件处于听证、现场勘验、检验检测或专家评审等特别程序中，所需时间不计入办理时限。"),
    "due_soon": gettext_lazy("步骤期限在 2 个工作日内到期的办理步骤（黄色预警）。"),
    "overdue": gettext_lazy("已超过步骤期限、尚未办理的步骤（红色预警），请尽快办理。"),
    "mine": gettext_lazy("已由本人认领或转交给本人的办理步骤。"),
}
# Partials other parts of the workbench contribute to the case page, included when they exist.
OPTIONAL_PANELS = {"time_panel": TEMPLATES + "_time_panel.html", "decision_panel": TEMPLATES + "_decision_panel.html"}
ACTIONS = ("claim", "release", "assign", "reassign", "complete")


def case_url(number: str) -> str:
    return reverse("cases-review:case", args=[number])


def warning_html(level: str) -> SafeString:
    """A deadline warning as every workbench page shows it: in words as well as colour (WCAG 1.4.1); "" for none."""
    if not level:
        return SafeString("")
    words = _("已超期") if level == "red" else _("即将超期")
    return html_format('<strong class="tag warning-{0}">{1}</strong>', level, words)


# A worklist row, the columns of _task_table.html in order. Built in Python because the lists are hot (issue 6): in
# the template each value cost ~25 Python calls and each row's warning an include, half of the page.
TASK_ROW_HTML = (
    '<tr><td><a href="{url}">{number}</a></td><td>{item}<br><span class="muted">{status}</span></td>'
    '<td>{applicant}</td><td>{step}{decides}<br><span class="muted">{organisation}</span></td><td>{assignee}</td>'
    "<td>{due}{provisional}{warning}</td><td>{promised}</td></tr>\n"
)


def _task_rows(tasks, today: dt.date, horizon: dt.date) -> dict:
    """A page of tasks for _task_table.html: the rows, and their markup."""
    rows = sr.task_rows(tasks, today, horizon, url_template("cases-review:case", NUMBER_SLOT))
    return {"rows": rows, "rows_html": task_rows_html(rows)}


def task_rows_html(rows: list[sr.TaskRow]) -> SafeString:
    """The <tr>s of a page of tasks."""
    decides = html_format(' <span class="tag">{0}</span>', _("审批"))
    provisional = html_format(' <span class="muted">{0}</span>', _("（临时日历）"))
    unclaimed = _("待认领")
    return html_rows(
        TASK_ROW_HTML,
        rows,
        lambda row: {
            "url": row.url,
            "number": row.number,
            "item": row.item_name,
            "status": row.case_status_name,
            "applicant": row.applicant_name,
            "step": row.step,
            "decides": decides if row.decides else "",
            "organisation": row.organisation,
            "assignee": row.assignee or unclaimed,
            "due": _day_or_dash(row.due_on),
            "provisional": provisional if row.due_provisional else "",
            "warning": warning_html(row.warning),
            "promised": _day_or_dash(row.promised_due),
        },
    )


def _day_or_dash(day: dt.date | None) -> str:
    return day.isoformat() if day else "—"


def _nav_tabs() -> tuple[tuple[str, Any], ...]:
    return tuple(WORKLIST_TITLES.items())  # a tuple: the nav is kept by it ({% keep %})


# ---------------------------------------------------------------------------------------------------------------
# Worklists


@staff_page
@require_http_methods(["GET"])
def worklist(request):
    """One of the user's review worklists, soonest step deadline first, 20 a page."""
    name = request.GET.get("list", "to_review")
    if name not in WORKLIST_TITLES:
        name = "to_review"
    today = steps.today()
    horizon = deadlines.warning_horizon(today)
    tasks = sr.worklist(request.user, name, today, horizon)
    page = sr.WorklistPaginator(tasks, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "list_name": name,
        "nav": name,
        "title": WORKLIST_TITLES[name],
        "hint": WORKLIST_HINTS[name],
        "tabs": _nav_tabs(),
        "page": page,
        **_task_rows(page.object_list, today, horizon),
        "overseer": sr.is_overseer(request.user),
        "page_query": f"list={name}&",
    }
    return render(request, TEMPLATES + "worklist.html", context)


@staff_page
@require_http_methods(["GET"])
def supervision(request):
    """督办: every overdue open task in the organisations the user heads or supervises, most overdue first."""
    today = steps.today()
    horizon = deadlines.warning_horizon(today)
    page = sr.WorklistPaginator(sr.supervision(request.user, today), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "nav": "supervision",
        "title": _("超期督办"),
        "tabs": _nav_tabs(),
        "page": page,
        **_task_rows(page.object_list, today, horizon),
        "overseer": True,
        "page_query": "",
    }
    return render(request, TEMPLATES + "supervision.html", context)


# ---------------------------------------------------------------------------------------------------------------
# A case


@dataclass
class TaskPanel:
    """One open task of the case the user may see, with the actions they may take on it and the forms for them."""

    task: ReviewTask
    warning: str
    may_claim: bool
    may_release: bool
    may_complete: bool
    may_assign: bool
    may_reassign: bool
    forms: dict


def _task_panel(user: User, case: Case, task: ReviewTask, today: dt.date, horizon: dt.date, bound: dict) -> TaskPanel:
    handles = review.may_handle(user, task)
    free_or_mine = task.assignee_id in (None, user.pk)
    working = case.status in review.REVIEW_STATUSES
    panel = TaskPanel(
        task=task,
        warning=deadlines.warning_level(task.due_on, today, horizon),
        may_claim=working and handles and task.assignee_id is None,
        may_release=task.assignee_id == user.pk,
        may_complete=working and handles and free_or_mine,
        may_assign=working and handles and free_or_mine,
        may_reassign=working and review.may_reassign(user, task),
        forms={},
    )
    prefix, initial = rf.task_prefix(task), {"lock_version": task.lock_version}
    forms = panel.forms
    forms["claim"] = rf.TaskActionForm(prefix=prefix + "-claim", initial=initial)
    forms["release"] = rf.TaskActionForm(prefix=prefix + "-release", initial=initial)
    if panel.may_assign:
        choices = sr.handler_choices(task, exclude=user.pk)
        forms["assign"] = rf.AssignForm(prefix=prefix + "-assign", initial=initial, choices=choices)
    if panel.may_reassign:
        choices = sr.handler_choices(task, exclude=task.assignee_id)
        forms["reassign"] = rf.AssignForm(prefix=prefix + "-reassign", initial=initial, choices=choices)
    if panel.may_complete:
        forms["complete"] = rf.CompleteForm(prefix=prefix + "-complete", initial=initial, decides=task.decides)
    forms.update(bound.get(task.pk, {}))
    return panel


def _optional_panels() -> dict[str, bool]:
    """Which of the other helpers' partials exist (looked up per request: a partial added later shows at once)."""
    found = {}
    for flag, name in OPTIONAL_PANELS.items():
        try:
            get_template(name)
        except TemplateDoesNotExist:
            found[flag] = False
        else:
            found[flag] = True
    return found


def perms_review(user: User, case: Case, panels: list[TaskPanel]) -> dict[str, bool]:
    """What the partials may offer the user on this case."""
    organisation = case.organisation
    return {
        "is_handler": any(review.may_handle(user, panel.task) for panel in panels),
        "is_head": staff_has_role(user, StaffRole.HEAD, organisation),
        "is_supervisor": staff_has_role(user, StaffRole.SUPERVISOR, organisation),
        "is_approver": staff_has_role(user, StaffRole.APPROVER, organisation),
    }


def _diagram(case: Case) -> str:
    if case.version.process is None:
        return ""
    # diagram_svg escapes every name it draws; the rest of the markup is generated from numbers.
    return mark_safe(bpmn.diagram_svg(case.version.process))  # noqa: S308


def _case_context(request, case: Case, *, bound: dict | None = None, **extra) -> dict:
    user, today = request.user, steps.today()
    horizon = deadlines.warning_horizon(today)
    tasks = sr.case_tasks(case)
    panels = [_task_panel(user, case, task, today, horizon, bound or {}) for task in sr.visible_open_tasks(user, case)]
    context = {
        "case": case,
        "today": today,
        "applicant": applicant_summary(case),
        "pages": answer_pages(case),
        "slots": material_slots(case),
        "panels": panels,
        "opinions": sr.earlier_opinions(tasks),
        "position": sr.process_position(case, tasks),
        "diagram": _diagram(case),
        "case_warning": deadlines.warning_level(case.promised_due, today, horizon) if case.decided_at is None else "",
        "timeline": list(
            CaseEvent.objects.filter(case=case).select_related("organisation").order_by("created_at", "pk")
        ),
        "documents": list(case.documents.select_related("organisation").order_by("issued_at", "pk")),
        "perms_review": perms_review(user, case, panels),
        "tabs": _nav_tabs(),
        **_optional_panels(),
    }
    context.update(extra)
    return context


def _render_case(request, case: Case, status: int = 200, **extra):
    return render(request, TEMPLATES + "case.html", _case_context(request, case, **extra), status=status)


@staff_page
@require_http_methods(["GET"])
def case_page(request, number: str):
    """One case under review: who applied, what, materials, opinions so far, where the process stands, the actions."""
    return _render_case(request, access.access_case_for_reviewer(request.user, number))


def _task_of_case(request, case: Case, task_id: int) -> ReviewTask:
    task = access.access_task_for_staff(request.user, task_id)
    if task.case_id != case.pk:
        raise DomainError(CaseError.TASK_NOT_FOUND)
    return task


def _bound_form(request, action: str, task: ReviewTask):
    prefix = f"{rf.task_prefix(task)}-{action}"
    user = request.user
    if action in ("assign", "reassign"):
        exclude = user.pk if action == "assign" else task.assignee_id
        return rf.AssignForm(request.POST, prefix=prefix, choices=sr.handler_choices(task, exclude=exclude))
    if action == "complete":
        return rf.CompleteForm(request.POST, prefix=prefix, decides=task.decides)
    return rf.TaskActionForm(request.POST, prefix=prefix)


def _perform(user: User, action: str, task: ReviewTask, data: dict) -> str:
    """Call the service for `action`; the success message."""
    version = data["lock_version"]
    if action == "claim":
        review.task_claim(actor=user, task=task, expected_version=version)
        return _("已认领“%(step)s”，请在步骤期限内办理。") % {"step": task.step_name}
    if action == "release":
        review.task_release(actor=user, task=task, expected_version=version)
        return _("已退回“%(step)s”，该步骤回到本岗位的待办中。") % {"step": task.step_name}
    if action in ("assign", "reassign"):
        colleague = sr.colleague_for(task, data["colleague"])
        service = review.task_assign if action == "assign" else review.task_reassign
        service(actor=user, task=task, colleague=colleague, expected_version=version)
        return _("已将“%(step)s”交给 %(name)s。") % {"step": task.step_name, "name": sr.person_label(colleague)}
    review.task_complete(
        actor=user, task=task, outcome=data["outcome"], opinion=data.get("opinion", ""), expected_version=version
    )
    if task.decides:
        return _("已作出决定，办件已办结，申请人将收到通知。")
    return _("已办理“%(step)s”，办件已转到下一步。") % {"step": task.step_name}


# Errors that are about what the user typed: the page keeps their form with the message beside the field.
FORM_ERRORS = (CaseError.OPINION_REQUIRED, CaseError.OUTCOME_INVALID, CaseError.ASSIGNEE_NOT_ELIGIBLE)


@staff_page
@require_http_methods(["POST"])
def task_action(request, number: str, task_id: int, action: str):
    """认领 / 退回 / 转办 / 改派 / 办理 one task of the case, checked against the version the page showed."""
    if action not in ACTIONS:
        raise Http404
    case = access.access_case_for_reviewer(request.user, number)
    task = _task_of_case(request, case, task_id)
    form = _bound_form(request, action, task)
    if not form.is_valid():
        return _render_case(request, case, status=400, bound={task.pk: {action: form}}, summary_form=form)
    data = form.cleaned_data
    if action == "complete" and data["outcome"] == TaskOutcome.DENY and request.POST.get("confirmed") != "1":
        return render(request, TEMPLATES + "deny_confirm.html", {"case": case, "task": task, "form": form})
    try:
        message = _perform(request.user, action, task, data)
    except DomainError as error:
        fresh = access.access_case_for_reviewer(request.user, number)
        if error.code in FORM_ERRORS:
            bound = {task.pk: {action: form}}
            return _render_case(request, fresh, status=error.code.status, bound=bound, error=error, summary_form=form)
        return _render_case(request, fresh, status=error.code.status, error=error)
    messages.success(request, message)
    return _redirect(case_url(number))


# ---------------------------------------------------------------------------------------------------------------
# Files and documents, for the staff who may open the case in review


@staff_page
@xframe_options_sameorigin  # the case page previews PDFs in a frame of the same site
@require_http_methods(["GET"])
def case_file(request, number: str, case_material_id: int):
    """Open (inline preview for PDF and images) or download (?download=1) one uploaded material of the case."""
    case = access.access_case_for_reviewer(request.user, number)
    case_material = (
        CaseMaterial.objects.filter(case=case, pk=case_material_id, upload__isnull=False)
        .select_related("upload__file")
        .first()
    )
    if case_material is None:
        raise Http404
    return file_response(case_material, download=request.GET.get("download") == "1")


@staff_page
@require_http_methods(["GET"])
def case_document(request, number: str, document_id: int):
    """Download one of the case's documents as PDF."""
    case = access.access_case_for_reviewer(request.user, number)
    document = selectors.case_document(case, document_id)
    if document is None:
        raise Http404
    return document_response(document)
