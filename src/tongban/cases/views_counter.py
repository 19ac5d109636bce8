"""Counter pages (一窗受理), mounted under /workbench/cases/counter/: a window clerk picks the hall and window they sit
at, finds the item (its scope must cover the hall) and the applicant, fills in the whole form on one page, scans or
receives the materials, submits, and prints the receipt.

The chosen window is kept in the session; each step checks again that the clerk is a window clerk of that hall. A
counter case named in a URL is loaded through counter.access_counter_case (the hall's clerks only; a draft only for
the clerk who started it). Writes are calls into cases/counter.py and cases/services.py.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tongban.accounts.errors import AccountsError
from tongban.accounts.views_staff import staff_page
from tongban.cases import counter, selectors, services
from tongban.cases import forms_workbench as wf
from tongban.cases.document_files import document_response
from tongban.cases.errors import CaseError
from tongban.cases.forms_apply import page_raw_values, page_rows
from tongban.cases.models import Case, CaseMaterial, CaseStatus, Channel, DocumentKind, Provision
from tongban.cases.views_workbench import answer_pages, applicant_summary, material_slots
from tongban.catalog.forms_schema import form_pages
from tongban.catalog.models import MaterialNecessity
from tongban.core.errors import DomainError
from tongban.core.models import HallWindow
from tongban.core.views import see_other as _redirect

TEMPLATES = "cases/workbench/counter/"
SESSION_WINDOW = "cases_counter_window"


def _url(name: str, *args) -> str:
    return reverse(f"cases-workbench:{name}", args=args)


def _windows(user):
    return (
        HallWindow.objects.filter(hall__in=counter.counter_halls(user), kind=HallWindow.Kind.ACCEPTANCE, active=True)
        .select_related("hall")
        .order_by("hall__name", "number")
    )


def _place(request) -> HallWindow | None:
    """The window chosen for this session, if the clerk may still sit there."""
    window = _windows(request.user).filter(pk=request.session.get(SESSION_WINDOW)).select_related("hall__region")
    return window.first()


def _require_place(request) -> HallWindow:
    window = _place(request)
    if window is None:
        raise DomainError(CaseError.WINDOW_CLERK_REQUIRED)
    return window


def _draft(request, public_id) -> Case:
    case = counter.access_counter_case(request.user, public_id)
    if case.status != CaseStatus.DRAFT:
        raise DomainError(CaseError.NOT_DRAFT)
    return case


# ---------------------------------------------------------------------------------------------------------------
# Where the clerk sits


@staff_page
@require_http_methods(["GET", "POST"])
def counter_home(request):
    """窗口收件: choose the hall and window (remembered for the session); the clerk's unfinished registrations."""
    windows = _windows(request.user)
    if not windows.exists():
        raise DomainError(CaseError.WINDOW_CLERK_REQUIRED)
    current = _place(request)
    data = request.POST if request.method == "POST" else None
    form = wf.CounterPlaceForm(data, windows=windows, initial={"window": current.pk if current else None})
    if request.method == "POST" and form.is_valid():
        request.session[SESSION_WINDOW] = form.cleaned_data["window"].pk
        return _redirect(_url("counter_items"))
    drafts = (
        Case.objects.filter(submitted_by=request.user, channel=Channel.WINDOW, status=CaseStatus.DRAFT)
        .select_related("version", "accepting_hall")
        .order_by("-updated_at")[:20]
    )
    context = {"form": form, "current": current, "drafts": drafts}
    return render(request, TEMPLATES + "home.html", context, status=400 if form.errors else 200)


@staff_page
@require_http_methods(["GET"])
def counter_items(request):
    """Find the item: published items whose 通办范围 covers this hall, by name or implementation code."""
    window = _place(request)
    if window is None:
        return _redirect(_url("counter_home"))
    form = wf.ItemSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    items = counter.items_for_hall(window.hall, query)
    return render(request, TEMPLATES + "items.html", {"form": form, "window": window, "items": items, "q": query})


# ---------------------------------------------------------------------------------------------------------------
# The applicant


def _walk_in(clerk, data: dict) -> counter.WalkIn:
    if data["kind"] == wf.WalkInForm.PERSON:
        person = counter.find_person(actor=clerk, phone=data["phone"], id_number=data["id_number"])
        return counter.WalkIn(account=person, present=person)
    enterprise = counter.find_enterprise(uscc=data["uscc"])
    present = counter.find_person(actor=clerk, phone=data["phone"]) if data["phone"] else None
    return counter.WalkIn(enterprise, present, agent_name=data["agent_name"], agent_phone=data["agent_phone"])


# Which field of the applicant page each refusal belongs beside.
_ERROR_FIELDS = {
    CaseError.APPLICANT_NOT_FOUND: "phone",
    CaseError.ENTERPRISE_NOT_FOUND: "uscc",
    CaseError.AGENT_NAME_REQUIRED: "agent_name",
    AccountsError.AGENT_OUT_OF_SCOPE: "phone",
    AccountsError.REALNAME_LEVEL_REQUIRED: "identity_checked",
}


# The real-name check names the card's fields "name" and "id_number"; on this page they are the card_* fields.
_CARD_FIELDS = {"name": "card_name", "id_number": "card_number"}


def _form_error(form, error: DomainError) -> None:
    for name, problems in error.fields.items():
        name = _CARD_FIELDS.get(name, name)
        for problem in problems:
            form.add_error(name if name in form.fields else None, str(problem))
    if not error.fields:
        form.add_error(_ERROR_FIELDS.get(error.code), error.message)


@staff_page
@require_http_methods(["GET", "POST"])
def counter_walk_in(request, item_id: int):
    """Find the applicant (person by phone or ID number; enterprise by credit code), record the identity check and
    open the application at this window."""
    window = _require_place(request)
    item = counter.access_item_for_counter(window.hall, item_id)
    form = wf.WalkInForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "window": window, "item": item, "version": item.published_version}
    if request.method == "GET" or not form.is_valid():
        return render(request, TEMPLATES + "walk_in.html", context, status=400 if form.errors else 200)
    data = form.cleaned_data
    try:
        case = counter.counter_start(
            actor=request.user,
            hall=window.hall,
            window=window,
            item=item,
            walk_in=_walk_in(request.user, data),
            identity_checked=data["identity_checked"],
            card_name=data["card_name"],
            card_number=data["card_number"],
        )
    except DomainError as error:
        _form_error(form, error)
        return render(request, TEMPLATES + "walk_in.html", {**context, "error": error}, status=error.code.status)
    return _redirect(_url("counter_form", case.public_id))


# ---------------------------------------------------------------------------------------------------------------
# The form, on one page


def _form_pages(case: Case, values: dict, errors: dict) -> list[dict]:
    version = case.version
    return [
        {"page": page, "rows": page_rows(page, values, errors)}
        for page in form_pages(version.form_schema, version.form_ui)
    ]


def _posted_answers(case: Case, post) -> dict:
    answers: dict = {}
    for page in form_pages(case.version.form_schema, case.version.form_ui):
        answers.update(page_raw_values(post, page))
    return answers


@staff_page
@require_http_methods(["GET", "POST"])
def counter_form(request, public_id):
    """Every field of the application form on one page; saved as typed, then checked as at submission."""
    case = _draft(request, public_id)
    if request.method == "POST":
        raw = _posted_answers(case, request.POST)
        case = services.draft_save_answers(actor=request.user, case=case, answers=raw)
        errors = services.form_errors(case)
        if not errors:
            return _redirect(_url("counter_materials", case.public_id))
        values = {**case.form_data, **raw}
    else:
        errors, values = {}, case.form_data
    context = {"case": case, "pages": _form_pages(case, values, errors), "errors": errors}
    return render(request, TEMPLATES + "form.html", context, status=400 if errors else 200)


# ---------------------------------------------------------------------------------------------------------------
# Materials


def _material_action(request, case: Case) -> None:
    """One posted change to the materials: upload a file, record paper or 容缺, or remove what was added."""
    action = request.POST.get("action", "")
    if action == "upload":
        form = wf.CounterUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            raise DomainError(CaseError.FILE_EMPTY)
        counter.counter_upload(
            actor=request.user, case=case, material_id=form.cleaned_data["material"], file=form.cleaned_data["file"]
        )
    elif action in (Provision.PAPER, Provision.DEFERRED):
        material_id = _int(request.POST.get("material"))
        services.material_attach(actor=request.user, case=case, material_id=material_id, provision=action)
    elif action == "remove":
        case_material = CaseMaterial.objects.filter(case=case, pk=_int(request.POST.get("case_material"))).first()
        if case_material is None:
            raise Http404
        services.material_detach(actor=request.user, case_material=case_material)
    else:
        raise Http404


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


@staff_page
@require_http_methods(["GET", "POST"])
def counter_materials(request, public_id):
    """Each material the item asks for: scan/upload a file, record the paper handed over, or 容缺 where allowed."""
    case = _draft(request, public_id)
    error = None
    if request.method == "POST":
        try:
            _material_action(request, case)
        except DomainError as refused:
            error = refused
        else:
            return _redirect(_url("counter_materials", case.public_id))
    context = {
        "case": case,
        "slots": material_slots(case),
        "error": error,
        "deferrable": MaterialNecessity.DEFERRABLE,
        "optional": MaterialNecessity.OPTIONAL,
    }
    return render(request, TEMPLATES + "materials.html", context, status=error.code.status if error else 200)


# ---------------------------------------------------------------------------------------------------------------
# Check and submit; the receipt


@staff_page
@require_http_methods(["GET", "POST"])
def counter_submit(request, public_id):
    """Check everything once more and submit: the case goes to the competent organisation; the receipt is issued."""
    case = counter.access_counter_case(request.user, public_id)
    if case.status != CaseStatus.DRAFT:
        return _redirect(_url("counter_receipt", case.public_id))
    error = None
    if request.method == "POST":
        try:
            counter.counter_submit(actor=request.user, case=case, idempotency_key=request.POST.get("key", "")[:64])
        except DomainError as refused:
            error = refused
        else:
            messages.success(request, _("已接件，请打印办件回执交申请人。"))
            return _redirect(_url("counter_receipt", case.public_id))
    context = {
        "case": case,
        "applicant": applicant_summary(case),
        "pages": answer_pages(case),
        "slots": material_slots(case),
        "problems": {**services.form_errors(case), **services.missing_materials(case)},
        "error": error,
        "key": uuid.uuid4().hex,
    }
    return render(request, TEMPLATES + "submit.html", context, status=error.code.status if error else 200)


@staff_page
@require_http_methods(["GET"])
def counter_receipt(request, public_id):
    """办件回执 for the applicant: number, query code, deadline, where it goes, what was received; printable."""
    case = counter.access_counter_case(request.user, public_id)
    if case.status == CaseStatus.DRAFT:
        return _redirect(_url("counter_form", case.public_id))
    receipt = case.documents.filter(kind=DocumentKind.RECEIPT).order_by("pk").first()
    context = {"case": case, "receipt": receipt, "slots": material_slots(case), "applicant": applicant_summary(case)}
    return render(request, TEMPLATES + "receipt.html", context)


@staff_page
@require_http_methods(["GET"])
def counter_document(request, public_id, document_id: int):
    """The receipt (or another document) of a counter case as PDF, for printing."""
    case = counter.access_counter_case(request.user, public_id)
    document = selectors.case_document(case, document_id)
    if document is None:
        raise Http404
    return document_response(document)
