"""Online application pages (网上申请), mounted at /cases/apply/ (namespace "cases-apply").

The journey, GOV.UK style: a start page (what you need, how long, whom you apply for) → the item's form as short pages
(one group per page, back link, error summary and inline errors, values kept) → materials (upload, 容缺, remove) →
check your answers → submit → confirmation with the case number, query code and receipt. Every page POST saves the
draft (services.draft_save_answers), so a person can leave and resume from 我的办件 at the page they reached.

Views parse, authorise (cases.access), call one service and render. A refused action (real-name level, agent scope,
an item no longer published, a wrong form or file) is shown in Chinese and written to the audit log; nothing of it is
kept half-way. Every page works without JavaScript.
"""

from __future__ import annotations

import secrets
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tongban.accounts import acting
from tongban.accounts.enterprises import acting_identity_for
from tongban.accounts.errors import AccountsError
from tongban.cases import access, services, uploads
from tongban.cases.errors import CaseError
from tongban.cases.forms_apply import (
    SELF,
    IdentityForm,
    MaterialUploadForm,
    answer_text,
    enterprise_id_of,
    identity_options,
    page_errors,
    page_raw_values,
    page_rows,
    prefill_answers,
)
from tongban.cases.models import Case, CaseStatus, DocumentKind, IdType, Provision
from tongban.catalog import access as catalog_access
from tongban.catalog.forms_schema import FormPage, form_pages
from tongban.catalog.models import MaterialNecessity
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.pii import mask_id_number
from tongban.licences.errors import LicenceError
from tongban.licences.wallet import licences_for_materials

# Minutes a person needs per form field and per material, for the start page's "大约需要" (rounded up to 5).
MINUTES_PER_FIELD = 1
MINUTES_PER_MATERIAL = 2
# Where the progress pages live (cases/urls_progress.py, namespace "cases"); paths used until they are mounted.
MY_CASES_PATH = "/cases/mine/"
UPLOAD_REFUSALS = {
    CaseError.FILE_TYPE,
    CaseError.FILE_TOO_LARGE,
    CaseError.FILE_EMPTY,
    CaseError.FILE_INFECTED,
    CaseError.SCANNER_UNAVAILABLE,
}


# ---------------------------------------------------------------------------------------------------------------
# Small shared steps


def _record_refusal(request, error: DomainError, *, obj, step: str, **details) -> None:
    """An audit row for a refused application step (kept even though the step itself changed nothing)."""
    after = {"refused": error.code.code, "reason": error.code.name.lower(), "step": step, **details}
    with transaction.atomic():
        audit.record(actor=request.user, action="cases.apply.refuse", obj=obj, after=after)


def _pages(case: Case) -> list[FormPage]:
    return form_pages(case.version.form_schema or {}, case.version.form_ui or {})


def _steps(pages: list[FormPage]) -> dict[str, int]:
    """Step numbers as kept in Case.current_page: the form's pages, then materials, then check your answers."""
    return {"materials": len(pages) + 1, "check": len(pages) + 2}


def _step_url(case: Case, step: int, pages: list[FormPage]) -> str:
    steps = _steps(pages)
    if 1 <= step <= len(pages):
        return reverse("cases-apply:page", args=[case.public_id, step])
    if step == steps["materials"]:
        return reverse("cases-apply:materials", args=[case.public_id])
    return reverse("cases-apply:check", args=[case.public_id])


def _draft(request, public_id) -> Case:
    """The signed-in person's own draft under the current identity, or CASE_NOT_FOUND (404)."""
    return access.access_draft_for_editor(request.user, request.acting_identity, public_id)


def _version_changed(case: Case) -> bool:
    """The item was republished (or withdrawn) since the draft started: the draft's version can no longer be used."""
    return case.item.published_version_id != case.version_id


def _version_changed_page(request, case: Case):
    retired = case.item.published_version_id is None
    context = {"case": case, "retired": retired, "message": CaseError.VERSION_CHANGED.message}
    return render(request, "cases/apply/version_changed.html", context, status=409)


def _my_cases_url() -> str:
    try:
        return reverse("cases:mine")
    except NoReverseMatch:
        return MY_CASES_PATH


def document_url(case: Case, document) -> str:
    """The download address of a case document (the progress pages serve it)."""
    try:
        return reverse("cases:document", args=[case.public_id, document.pk])
    except NoReverseMatch:
        return f"/cases/mine/{case.public_id}/documents/{document.pk}/"


def _realname_help(error: DomainError) -> bool:
    return error.code == AccountsError.REALNAME_LEVEL_REQUIRED


# ---------------------------------------------------------------------------------------------------------------
# Start page: what you need, how long, whom you apply for


def _minutes(materials: list, pages: list[FormPage]) -> int:
    """About how long the form and the materials take, rounded up to 5 minutes (at least 5)."""
    fields = sum(len(page.fields) for page in pages)
    needed = sum(1 for material in materials if material.necessity != MaterialNecessity.OPTIONAL)
    minutes = fields * MINUTES_PER_FIELD + needed * MINUTES_PER_MATERIAL
    return max(5, -(-minutes // 5) * 5)


def _open_drafts(request, item) -> list[Case]:
    cases = access.applicant_cases(request.user, request.acting_identity)
    drafts = cases.filter(item=item, status=CaseStatus.DRAFT, submitted_by=request.user).order_by("-updated_at")
    return list(drafts[:3])


def _initial_identity(request) -> str:
    identity = request.acting_identity
    return f"enterprise-{identity.enterprise.pk}" if identity is not None else SELF


def _applicant_for(request, choice: str) -> services.Applicant:
    """The applicant an option names, re-checked now (an authorisation may have ended since the page was drawn)."""
    enterprise_id = enterprise_id_of(choice)
    if enterprise_id is None:
        return services.Applicant(account=request.user, person=request.user)
    identity = acting_identity_for(request.user, enterprise_id)
    if identity is None:
        raise DomainError(AccountsError.ACTING_NOT_ALLOWED)
    return services.Applicant(account=identity.enterprise, person=request.user)


def _switch_identity(request, applicant: services.Applicant) -> None:
    """Act as the draft's applicant from now on, so its pages (and 我的办件) show it under that identity."""
    current = request.acting_identity.enterprise.pk if request.acting_identity else None
    wanted = applicant.account.pk if applicant.is_enterprise else None
    if current == wanted:
        return
    if wanted is None:
        acting.acting_switch_back(request)
    else:
        acting.acting_switch(request, wanted)


def _start_draft(request, item, version, choice: str) -> Case:
    applicant = _applicant_for(request, choice)
    case = services.draft_start(
        actor=request.user, applicant=applicant, item=item, prefill=prefill_answers(version, applicant)
    )
    _switch_identity(request, applicant)
    return case


@login_required
@require_http_methods(["GET", "POST"])
def start(request, code: str):
    """在线办理 start page; POST opens a draft for the chosen applicant and goes to the form's first page."""
    item = catalog_access.access_published_item(code)
    version = item.published_version
    options = identity_options(request.user, item, version)
    form = IdentityForm(request.POST or None, options=options, initial={"applicant": _initial_identity(request)})
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            case = _start_draft(request, item, version, form.cleaned_data["applicant"])
        except DomainError as refused:
            _record_refusal(request, refused, obj=item, step="start", applicant=form.cleaned_data["applicant"])
            error = refused
        else:
            return redirect(_step_url(case, 1, _pages(case)))
    pages = form_pages(version.form_schema or {}, version.form_ui or {})
    materials = list(version.materials.all())
    context = {
        "item": item,
        "version": version,
        "form": form,
        "options": options,
        "chosen": form["applicant"].value() or _initial_identity(request),
        "error": error,
        "start_errors": [{"href": "", "message": error.message}] if error else [],
        "realname_help": error is not None and _realname_help(error),
        "level_ok": request.user.real_name_level >= version.min_real_name_level,
        "online": services.offered_online(version),
        "online_message": CaseError.ONLINE_NOT_OFFERED.message,
        "materials": materials,
        "pages": pages,
        "minutes": _minutes(materials, pages),
        "drafts": _open_drafts(request, item),
    }
    status = error.code.status if error else (400 if form.errors else 200)
    return render(request, "cases/apply/start.html", context, status=status)


# ---------------------------------------------------------------------------------------------------------------
# The form's pages


@login_required
def resume(request, public_id: uuid.UUID):
    """继续填写: back to the page the draft reached (我的办件 links here)."""
    case = _draft(request, public_id)
    if _version_changed(case):
        return _version_changed_page(request, case)
    pages = _pages(case)
    step = min(max(case.current_page, 1), _steps(pages)["check"])
    return redirect(_step_url(case, step, pages))


def _back_url(case: Case, number: int, pages: list[FormPage]) -> str:
    if number <= 1:
        return reverse("cases-apply:start", args=[case.item.code])
    return _step_url(case, number - 1, pages)


def _save_page(request, case: Case, page: FormPage, number: int, pages: list[FormPage]):
    """Save what was typed (always); then continue, stop to save for later, or show the page's errors."""
    raw = page_raw_values(request.POST, page)
    saving = "save" in request.POST
    errors = {} if saving else page_errors(case.version, page, raw)
    changing = request.GET.get("change") == "1"
    finished = _steps(pages)["check"] if changing else number + 1
    step = number if errors or saving else finished
    services.draft_save_answers(actor=request.user, case=case, answers=raw, page=step)
    if saving:
        return redirect("cases-apply:saved", case.public_id), raw, errors
    if errors:
        _record_refusal(request, DomainError(CaseError.INVALID_FORM), obj=case, step=f"page-{number}", fields=[*errors])
        return None, raw, errors
    return redirect(_step_url(case, step, pages)), raw, errors


@login_required
@require_http_methods(["GET", "POST"])
def page(request, public_id: uuid.UUID, number: int):
    """One short page of the item's application form."""
    case = _draft(request, public_id)
    if _version_changed(case):
        return _version_changed_page(request, case)
    pages = _pages(case)
    if not 1 <= number <= len(pages):
        raise Http404
    form_page = pages[number - 1]
    values, errors = case.form_data, {}
    if request.method == "POST":
        response, values, errors = _save_page(request, case, form_page, number, pages)
        if response is not None:
            return response
    context = {
        "case": case,
        "page": form_page,
        "rows": page_rows(form_page, values, errors),
        "errors": [{"href": f"#field-{name}", "message": m} for name, ms in errors.items() for m in ms],
        "back_url": _back_url(case, number, pages),
        "step": number,
        "step_count": _steps(pages)["check"],
        "changing": request.GET.get("change") == "1",
    }
    return render(request, "cases/apply/page.html", context, status=400 if errors else 200)


@login_required
def saved(request, public_id: uuid.UUID):
    """草稿已保存: when it expires and how to come back."""
    case = _draft(request, public_id)
    context = {"case": case, "my_cases_url": _my_cases_url()}
    return render(request, "cases/apply/saved.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Materials


def _material_rows(request, case: Case, errors: dict[str, list[str]]) -> list[dict]:
    provided: dict[int, list] = {}
    for attached in case.materials.select_related("upload__file"):
        provided.setdefault(attached.material_id, []).append(attached)
    materials = list(case.version.materials.all())
    # A material a licence type can provide offers the current identity's valid licences of it (从我的证照中选择).
    offered = licences_for_materials(request.user, request.acting_identity, [m.source_licence_type for m in materials])
    return [
        {
            "material": material,
            "attached": provided.get(material.pk, []),
            "deferred": any(a.provision == Provision.DEFERRED for a in provided.get(material.pk, [])),
            "deferrable": material.necessity == MaterialNecessity.DEFERRABLE,
            "from_licence": bool(material.source_licence_type.strip()),
            "licences": offered.get(material.source_licence_type.strip().upper(), []),
            "errors": errors.get(f"material-{material.pk}", []),
        }
        for material in materials
    ]


def _posted_material(case: Case, request):
    material_id = request.POST.get("material", "")
    material = case.version.materials.filter(pk=int(material_id)).first() if material_id.isdigit() else None
    if material is None:
        raise DomainError(CaseError.MATERIAL_NOT_OF_ITEM)
    return material


def _material_upload(request, case: Case, material) -> str:
    form = MaterialUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        raise DomainError(CaseError.FILE_EMPTY, form.errors["file"][0])
    upload = uploads.upload_store(actor=request.user, file=form.cleaned_data["file"])
    services.material_attach(
        actor=request.user, case=case, material_id=material.pk, provision=Provision.UPLOAD, upload_id=upload.pk
    )
    return _("已上传“%(file)s”（%(material)s）。") % {"file": upload.original_name, "material": material.name}


def _material_action(request, case: Case, action: str) -> str:
    """Upload, mark 容缺 or remove; returns what to tell the person."""
    if action == "remove":
        attached = case.materials.filter(pk=request.POST.get("attached") or 0).first()
        if attached is None:
            raise DomainError(CaseError.UPLOAD_NOT_FOUND)
        services.material_detach(actor=request.user, case_material=attached)
        return _("已移除。")
    material = _posted_material(case, request)
    if action == "licence":
        if request.POST.get("consent") != "1":
            raise DomainError(LicenceError.MATERIAL_CONSENT_REQUIRED)
        attached = services.material_attach(
            actor=request.user,
            case=case,
            material_id=material.pk,
            provision=Provision.LICENCE,
            reference=request.POST.get("licence", ""),
        )
        return _("已从电子证照库调取“%(material)s”（%(licence)s），无需上传。") % {
            "material": material.name,
            "licence": attached.reference,
        }
    if action == "defer":
        services.material_attach(actor=request.user, case=case, material_id=material.pk, provision=Provision.DEFERRED)
        return _("“%(material)s”已标记为容缺后补，请在受理后按要求补交。") % {"material": material.name}
    return _material_upload(request, case, material)


def _materials_post(request, case: Case, pages: list[FormPage]):
    """Returns (response or None, errors keyed material-<id>)."""
    action = request.POST.get("action", "")
    steps = _steps(pages)
    if action in ("save", "continue"):
        missing = services.missing_materials(case) if action == "continue" else {}
        step = steps["check"] if action == "continue" and not missing else steps["materials"]
        services.draft_save_answers(actor=request.user, case=case, answers={}, page=step)
        if missing:
            _record_refusal(request, DomainError(CaseError.MATERIALS_MISSING), obj=case, step="materials")
            return None, missing
        return redirect("cases-apply:saved" if action == "save" else "cases-apply:check", case.public_id), {}
    material_key = f"material-{request.POST.get('material', '')}"
    try:
        messages.success(request, _material_action(request, case, action))
    except DomainError as refused:
        if refused.code not in UPLOAD_REFUSALS:  # upload_store audits its own refusals
            _record_refusal(request, refused, obj=case, step=f"materials-{action}")
        return None, {material_key: [refused.message]}
    return HttpResponseRedirect(reverse("cases-apply:materials", args=[case.public_id]) + f"#{material_key}"), {}


@login_required
@require_http_methods(["GET", "POST"])
def materials(request, public_id: uuid.UUID):
    """申请材料: upload each (PDF/JPG/PNG/OFD), take it from 我的证照 where a licence type provides it, mark 容缺
    where allowed, remove."""
    case = _draft(request, public_id)
    if _version_changed(case):
        return _version_changed_page(request, case)
    pages = _pages(case)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        response, errors = _materials_post(request, case, pages)
        if response is not None:
            return response
    rows = _material_rows(request, case, errors)
    context = {
        "case": case,
        "rows": rows,
        "errors": [
            {"href": f"#material-{row['material'].pk}-file", "message": message}
            for row in rows
            for message in row["errors"]
        ],
        "back_url": _back_url(case, len(pages) + 1, pages),
        "accepted": uploads.ACCEPTED_LABEL,
        "accept_attribute": uploads.ACCEPT_ATTRIBUTE,
        "size_limit": uploads.max_upload_label(),
        "step": _steps(pages)["materials"],
        "step_count": _steps(pages)["check"],
    }
    return render(request, "cases/apply/materials.html", context, status=400 if errors else 200)


# ---------------------------------------------------------------------------------------------------------------
# Check your answers, submit, confirmation


def _answer_sections(case: Case, pages: list[FormPage]) -> list[dict]:
    return [
        {
            "page": form_page,
            "change_url": reverse("cases-apply:page", args=[case.public_id, form_page.number]) + "?change=1",
            "answers": [
                {"field": field, "text": answer_text(field, case.form_data.get(field.name))}
                for field in form_page.fields
            ],
        }
        for form_page in pages
    ]


def _error_links(case: Case, pages: list[FormPage], error: DomainError) -> list[dict]:
    """The submission's problems, each linking to the page where it is fixed."""
    page_of = {field.name: form_page.number for form_page in pages for field in form_page.fields}
    links = []
    for name, problems in error.fields.items():
        if name in page_of:
            href = reverse("cases-apply:page", args=[case.public_id, page_of[name]]) + f"?change=1#field-{name}"
        elif name.startswith("material-"):
            href = reverse("cases-apply:materials", args=[case.public_id]) + f"#{name}"
        else:
            href = ""
        links.extend({"href": href, "message": str(problem)} for problem in problems)
    return links or [{"href": "", "message": error.message}]


def _shown_id_number(case: Case) -> str:
    """A resident ID number is masked on the page (DESIGN rule 7); an enterprise's credit code is public."""
    if case.applicant_id_type == IdType.RESIDENT_ID:
        return mask_id_number(case.applicant_id_number)
    return case.applicant_id_number


def _check_page(request, case: Case, error: DomainError | None = None):
    pages = _pages(case)
    context = {
        "case": case,
        "applicant_id": _shown_id_number(case),
        "sections": _answer_sections(case, pages),
        "attached": list(case.materials.select_related("material", "upload")),
        "materials_url": reverse("cases-apply:materials", args=[case.public_id]),
        "back_url": reverse("cases-apply:materials", args=[case.public_id]),
        "idempotency_key": secrets.token_urlsafe(24),
        "error": error,
        "errors": _error_links(case, pages, error) if error is not None else [],
        "realname_help": error is not None and _realname_help(error),
        "step": _steps(pages)["check"],
        "step_count": _steps(pages)["check"],
    }
    return render(request, "cases/apply/check.html", context, status=error.code.status if error else 200)


@login_required
def check(request, public_id: uuid.UUID):
    """核对申请信息 (check your answers) with change links, and the submit button."""
    case = _draft(request, public_id)
    if _version_changed(case):
        return _version_changed_page(request, case)
    return _check_page(request, case)


def _submitted_with_key(request, key: str) -> Case | None:
    if not key:
        return None
    return Case.objects.filter(submitted_by=request.user, idempotency_key=key).first()


def _posted_case(request) -> Case:
    """The case named by the form's hidden "draft" field, if it is the person's own (draft or already submitted)."""
    try:
        public_id = uuid.UUID(request.POST.get("draft", ""))
    except ValueError as error:
        raise DomainError(CaseError.CASE_NOT_FOUND) from error
    case = access.access_case_for_applicant(request.user, request.acting_identity, public_id)
    if case.submitted_by_id != request.user.pk:
        raise DomainError(CaseError.CASE_NOT_FOUND)
    return case


@login_required
@require_POST
def submit(request):
    """提交申请. Idempotent: the same token (a double click, a replayed request) or an already submitted draft lead to
    the same case's confirmation; nothing is ever submitted twice."""
    key = request.POST.get("idempotency_key", "")[:64]
    case = _submitted_with_key(request, key) or _posted_case(request)
    if case.status == CaseStatus.DRAFT:
        if _version_changed(case) and case.item.published_version_id is not None:
            _record_refusal(request, DomainError(CaseError.VERSION_CHANGED), obj=case, step="submit")
            return _version_changed_page(request, case)
        try:
            case = services.case_submit(actor=request.user, case=case, idempotency_key=key)
        except DomainError as refused:
            _record_refusal(request, refused, obj=case, step="submit", fields=[*refused.fields])
            if case.item.published_version_id is None:
                return _version_changed_page(request, case)
            return _check_page(request, case, refused)
    return redirect("cases-apply:confirmation", case.public_id)


@login_required
def confirmation(request, public_id: uuid.UUID):
    """申请已提交: number, query code, what happens next, the acceptance deadline, the receipt."""
    case = access.access_case_for_applicant(request.user, request.acting_identity, public_id)
    if case.status == CaseStatus.DRAFT:
        return redirect("cases-apply:draft", case.public_id)
    receipt = case.documents.filter(kind=DocumentKind.RECEIPT).first()
    context = {
        "case": case,
        "receipt": receipt,
        "receipt_url": document_url(case, receipt) if receipt else "",
        "my_cases_url": _my_cases_url(),
    }
    return render(request, "cases/apply/confirmation.html", context)


@login_required
@require_POST
def restart(request, public_id: uuid.UUID):
    """Discard a draft whose item version changed and start again on the current guide."""
    case = _draft(request, public_id)
    item = case.item
    services.draft_discard(actor=request.user, case=case)
    if item.published_version_id is None:
        messages.info(request, _("草稿已删除。该事项目前不能网上申请。"))
        return redirect(_my_cases_url())
    messages.info(request, _("旧草稿已删除，请按更新后的办事指南重新填写。"))
    return redirect("cases-apply:start", item.code)
