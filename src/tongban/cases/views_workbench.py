"""The pre-review workbench (预审受理工作台), mounted at /workbench/cases/: worklists, a case's page with the form
answers, materials viewer, timeline, documents and deadlines, and the actions accept (受理), refuse (不予受理) and
request a supplement (补正).

Every page is a staff page (signed in, second factor passed). A case named in a URL is loaded only through
access.access_case_for_clerk, which answers 404 for a case the clerk may not see. Every decision form posts the
lock_version the page was drawn from: when another clerk acted first, the service raises CONFLICT, the page says so
plainly and nothing changes. Views only parse, authorise, call one service and render.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from tongban.accounts.views_staff import staff_page
from tongban.cases import access, counter, selectors, services
from tongban.cases import forms_workbench as wf
from tongban.cases.document_files import document_response
from tongban.cases.errors import CaseError
from tongban.cases.forms_apply import answer_text
from tongban.cases.list_queries import CaseRow
from tongban.cases.models import Case, CaseEvent, CaseMaterial, CaseStatus, Channel, SupplementRequest
from tongban.cases.selectors_review import WorklistPaginator
from tongban.cases.views_progress import NUMBER_SLOT, minute_text, url_template
from tongban.catalog.forms_schema import form_pages
from tongban.catalog.models import CaseType, MaterialNecessity
from tongban.core.calendar import working_days_between
from tongban.core.errors import DomainError
from tongban.core.html import html_format, html_rows
from tongban.core.pii import mask_id_number, mask_phone
from tongban.core.views import see_other as _redirect

TEMPLATES = "cases/workbench/"
PER_PAGE = 20
WORKLIST_TITLES = {
    "pre_review": gettext_lazy("待预审"),
    "supplement": gettext_lazy("待补正"),
    "due_soon": gettext_lazy("即将超期"),
}
WORKLIST_HINTS = {
    "pre_review": gettext_lazy("已接件、等待作出是否受理决定的办件，受理期限最近的在前。"),
    "supplement": gettext_lazy("已一次性告知补正、等待申请人补正材料的办件。受理期限自收到补正材料之日起重新计算。"),
    "due_soon": gettext_lazy(
        "受理期限在 2 个工作日内到期或已经超期的办件。逾期未作决定的，依法自收到申请材料之日起视为受理并标记督办。"
    ),
}
PREVIEWABLE = {"application/pdf": "pdf", "image/jpeg": "image", "image/png": "image"}


def case_url(case: Case) -> str:
    return reverse("cases-workbench:case", args=[case.number])


def _clerk_case(request, number: str) -> Case:
    return access.access_case_for_clerk(request.user, number)


# ---------------------------------------------------------------------------------------------------------------
# Worklists


@staff_page
@require_http_methods(["GET"])
def worklist(request):
    """待预审 / 待补正 / 即将超期 for the organisations the clerk pre-reviews, soonest deadline first, paginated."""
    name = request.GET.get("list", "pre_review")
    if name not in WORKLIST_TITLES:
        name = "pre_review"
    today = timezone.localdate()
    # The count stops past 1 000 cases (as the review worklists'): a backlog costs no more to show than a short list.
    worklist = selectors.worklist(request.user, name, today)
    page = WorklistPaginator(worklist, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "list_name": name,
        "title": WORKLIST_TITLES[name],
        "hint": WORKLIST_HINTS[name],
        "tabs": tuple(WORKLIST_TITLES.items()),  # a tuple: the nav is kept by it ({% keep %})
        "page": page,
        "rows_html": _worklist_rows_html(_worklist_rows(list(page.object_list), today)),
        "at_counter": counter.counter_halls(request.user).exists(),
    }
    return render(request, TEMPLATES + "worklist.html", context)


@dataclass(frozen=True)
class WorklistRow:
    """One case of a worklist as the table shows it, worked out before rendering (the list is hot, issue 5)."""

    number: str
    url: str
    title: str
    organisation: str
    at_window: bool
    applicant: str
    received: str
    due: str
    due_note: str  # 已超期 / 今日到期, shown in bold; "" otherwise
    supervised: bool


def _worklist_rows(cases: list[CaseRow], today: dt.date) -> list[WorklistRow]:
    case_url_template = url_template("cases-workbench:case", NUMBER_SLOT)
    overdue, due_today = _("已超期"), _("今日到期")
    tz = timezone.get_current_timezone()
    return [
        WorklistRow(
            number=case.number,
            url=case_url_template.format(case.number),
            title=case.item_name,
            organisation=case.organisation_name,
            at_window=case.channel == Channel.WINDOW,
            applicant=case.applicant_name,
            received=minute_text(case.received_at, tz),
            due=case.acceptance_due.isoformat() if case.acceptance_due else "",
            due_note=_due_note(case.acceptance_due, today, overdue, due_today),
            supervised=case.supervision_flag,
        )
        for case in cases
    ]


# A worklist row, the columns of worklist.html in order. Built in Python because the list is hot (issue 5): in the
# template each value cost ~25 Python calls.
WORKLIST_ROW_HTML = (
    '<tr><td><a href="{url}">{number}</a></td><td>{title}<br><span class="muted">{organisation}</span>{window}</td>'
    "<td>{applicant}</td><td>{received}</td><td>{due}{supervised}</td></tr>\n"
)


def _worklist_rows_html(rows: list[WorklistRow]) -> SafeString:
    window = html_format(' <span class="tag">{0}</span>', _("窗口"))
    supervised = html_format(' <span class="tag">{0}</span>', _("督办"))
    return html_rows(
        WORKLIST_ROW_HTML,
        rows,
        lambda row: {
            "url": row.url,
            "number": row.number,
            "title": row.title,
            "organisation": row.organisation,
            "window": window if row.at_window else "",
            "applicant": row.applicant,
            "received": row.received,
            "due": html_format("<strong>{0} {1}</strong>", row.due, row.due_note) if row.due_note else row.due,
            "supervised": supervised if row.supervised else "",
        },
    )


def _due_note(due: dt.date | None, today: dt.date, overdue: str, due_today: str) -> str:
    if due is None or due > today:
        return ""
    return overdue if due < today else due_today


# ---------------------------------------------------------------------------------------------------------------
# A case


@dataclass
class MaterialSlot:
    """One material the item asks for, with what was provided for it (files, paper, references) on this case."""

    material: Any
    provided: list[CaseMaterial] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.material.necessity != MaterialNecessity.OPTIONAL and not self.provided


def _preview_kind(case_material: CaseMaterial) -> str:
    if case_material.upload_id is None:
        return ""
    return PREVIEWABLE.get(case_material.upload.file.content_type, "")


def material_slots(case: Case) -> list[MaterialSlot]:
    """Every material of the case's item version, in order, with what the case holds for it (two queries)."""
    slots = {m.pk: MaterialSlot(m) for m in case.version.materials.order_by("order", "pk")}
    provided = CaseMaterial.objects.filter(case=case).select_related("upload__file", "supplement").order_by("added_at")
    for case_material in provided:
        case_material.preview = _preview_kind(case_material)
        slots[case_material.material_id].provided.append(case_material)
    return list(slots.values())


def answer_pages(case: Case) -> list[dict]:
    """The answers as the form's pages order them, each with its label and the answer as read aloud."""
    version = case.version
    return [
        {
            "title": page.title,
            "rows": [{"label": f.label, "answer": answer_text(f, case.form_data.get(f.name))} for f in page.fields],
        }
        for page in form_pages(version.form_schema, version.form_ui)
    ]


def applicant_summary(case: Case) -> dict:
    """Who applied, with the certificate number and phone masked (DESIGN rule 7)."""
    return {
        "kind": case.get_applicant_kind_display(),
        "name": case.applicant_name,
        "id_type": case.get_applicant_id_type_display(),
        "id_number": mask_id_number(case.applicant_id_number) if case.applicant_id_number else "",
        "phone": mask_phone(case.contact_phone) if case.contact_phone else "",
        "legal_representative": case.legal_representative,
        "agent_name": case.agent_name,
        "submitted_by": case.submitted_by.display_name or case.submitted_by.username,
        "real_name_level": case.applicant.get_real_name_level_display() if case.applicant_kind == "person" else "",
    }


def acceptance_clock(case: Case, today: dt.date) -> dict | None:
    """How long is left to decide on acceptance: working days left, due today or overdue (None once decided)."""
    if case.status != CaseStatus.RECEIVED or case.acceptance_due is None:
        return None
    if case.acceptance_due < today:
        return {"overdue": True, "left": 0}
    left = working_days_between(today, case.acceptance_due).days
    return {"overdue": False, "left": left, "urgent": left <= selectors.DUE_SOON_WORKING_DAYS}


def _case_context(request, case: Case, **extra) -> dict:
    today = timezone.localdate()
    deciding = case.status in (CaseStatus.RECEIVED,)
    supplements = list(SupplementRequest.objects.filter(case=case).order_by("requested_at"))
    context = {
        "case": case,
        "applicant": applicant_summary(case),
        "pages": answer_pages(case),
        "slots": material_slots(case),
        "timeline": list(
            CaseEvent.objects.filter(case=case).select_related("organisation").order_by("created_at", "pk")
        ),
        "documents": list(case.documents.select_related("organisation").order_by("issued_at", "pk")),
        "supplements": supplements,
        "clock": acceptance_clock(case, today),
        "deciding": deciding,
        "instant": case.version.case_type == CaseType.INSTANT,
        "may_request_supplement": deciding and not supplements,
        "accept_form": wf.AcceptForm(initial={"lock_version": case.lock_version}),
        "refuse_form": wf.RefuseForm(initial={"lock_version": case.lock_version}),
    }
    context.update(extra)
    return context


def _render_case(request, case: Case, status: int = 200, **extra):
    return render(request, TEMPLATES + "case.html", _case_context(request, case, **extra), status=status)


def _refused(request, number: str, error: DomainError):
    """Re-draw the case page as it is now, with why the action did not happen (CONFLICT: someone acted first)."""
    case = _clerk_case(request, number)
    return _render_case(request, case, status=error.code.status, error=error)


@staff_page
@require_http_methods(["GET"])
def case_page(request, number: str):
    """One case for pre-review: applicant, answers, materials, timeline, documents, deadlines and the actions."""
    return _render_case(request, _clerk_case(request, number))


@staff_page
@require_http_methods(["POST"])
def case_accept(request, number: str):
    """受理: the completion clock starts today and the 受理通知书 is issued."""
    case = _clerk_case(request, number)
    form = wf.AcceptForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, status=400, accept_form=form, summary_form=form)
    try:
        services.case_accept(
            actor=request.user,
            case=case,
            expected_version=form.cleaned_data["lock_version"],
            opinion=form.cleaned_data["opinion"].strip(),
        )
    except DomainError as error:
        return _refused(request, number, error)
    messages.success(request, _("已受理，受理通知书已出具，申请人将收到通知。"))
    return _redirect(case_url(case))


@staff_page
@require_http_methods(["POST"])
def case_refuse(request, number: str):
    """不予受理, in two steps: the reasons, then a confirmation page that shows them before the decision is made."""
    case = _clerk_case(request, number)
    form = wf.RefuseForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, status=400, refuse_form=form, summary_form=form)
    if not form.cleaned_data["confirmed"]:
        return render(request, TEMPLATES + "refuse_confirm.html", {"case": case, "form": form})
    try:
        services.case_refuse(
            actor=request.user,
            case=case,
            expected_version=form.cleaned_data["lock_version"],
            reasons=form.cleaned_data["reasons"],
        )
    except DomainError as error:
        return _refused(request, number, error)
    messages.success(request, _("已作出不予受理决定，不予受理通知书已出具，申请人将收到通知。"))
    return _redirect(case_url(case))


@staff_page
@require_http_methods(["GET", "POST"])
def case_supplement(request, number: str):
    """补正: list every missing or defective material and what is wrong, at once (一次性告知)."""
    case = _clerk_case(request, number)
    already = case.supplements.exists()
    data = request.POST if request.method == "POST" else None
    form = wf.SupplementForm(data, case=case, initial={"lock_version": case.lock_version})
    context = {"case": case, "form": form, "already": already, "slots": material_slots(case)}
    if request.method == "GET" or not form.is_valid():
        return render(request, TEMPLATES + "supplement.html", context, status=400 if form.errors else 200)
    try:
        services.case_request_supplement(
            actor=request.user,
            case=case,
            expected_version=form.cleaned_data["lock_version"],
            items=form.cleaned_data["items"],
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        if error.code in (CaseError.CONFLICT, CaseError.WRONG_STATUS, CaseError.SUPPLEMENT_ALREADY):
            return _refused(request, number, error)
        context["error"] = error
        return render(request, TEMPLATES + "supplement.html", context, status=error.code.status)
    messages.success(request, _("补正材料通知书已出具，申请人将收到通知；收到补正材料后办件回到待预审。"))
    return _redirect(case_url(case))


# ---------------------------------------------------------------------------------------------------------------
# Files and documents (staff only, through the case)


def file_response(case_material: CaseMaterial, *, download: bool) -> FileResponse:
    """An uploaded material's bytes with the type sniffed at upload; inline only for PDF and images."""
    upload = case_material.upload
    stored = upload.file
    inline = not download and stored.content_type in PREVIEWABLE
    response = FileResponse(
        default_storage.open(stored.storage_name, "rb"),
        content_type=stored.content_type,
        as_attachment=not inline,
        filename=upload.original_name or f"{stored.sha256[:12]}.{stored.extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


@staff_page
@xframe_options_sameorigin  # the case page previews PDFs in a frame of the same site
@require_http_methods(["GET"])
def case_file(request, number: str, case_material_id: int):
    """Open (inline preview for PDF and images) or download (?download=1) one uploaded material of the case."""
    case = _clerk_case(request, number)
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
    """Download one of the case's documents (回执, 受理/不予受理/补正通知书) as PDF."""
    case = _clerk_case(request, number)
    document = selectors.case_document(case, document_id)
    if document is None:
        raise Http404
    return document_response(document)
