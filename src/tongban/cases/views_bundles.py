"""Bundle pages (一件事一次办): the applicant's at /cases/bundles/ (namespace "cases-bundles"), the staff list at
/workbench/bundles/ (namespace "bundles-workbench").

The applicant's journey mirrors cases/views_apply.py: a start page (the items, the departments, the real-name level,
在线办理) → the shared fields once → each item's remaining fields, one short page each → the union of materials, each
asked once (upload or 容缺) → check your answers → submit (idempotent) → the parent's progress page, which shows each
child case's department, status, next step, notices and the supplement link. Views parse, authorise
(selectors_bundles access functions), call one service in cases/bundles.py and render; the form helpers of
cases/forms_apply.py draw and read the fields.
"""

from __future__ import annotations

import secrets
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tongban.accounts.errors import AccountsError
from tongban.accounts.views_staff import staff_page
from tongban.cases import access, bundles, uploads
from tongban.cases import selectors_bundles as selectors
from tongban.cases.errors import CaseError
from tongban.cases.forms_apply import MaterialUploadForm, answer_text, page_raw_values, page_rows, prefill_answers
from tongban.cases.models import BundleApplication, BundleStatus, Provision
from tongban.catalog.models import Bundle, MaterialNecessity
from tongban.core.errors import DomainError
from tongban.core.views import see_other as _see_other

PER_PAGE = 20


# ---------------------------------------------------------------------------------------------------------------
# Steps of a draft


class Journey:
    """A draft's bundle, parts, pages and material groups, worked out once per request."""

    def __init__(self, application: BundleApplication):
        self.application = application
        self.bundle = application.bundle
        self.parts = bundles.bundle_parts(self.bundle)
        self.pages = bundles.bundle_pages(self.bundle, self.parts)
        self.groups = bundles.material_groups(self.parts)

    @property
    def materials_step(self) -> int:
        return len(self.pages) + 1

    @property
    def check_step(self) -> int:
        return len(self.pages) + 2

    def url(self, step: int) -> str:
        public_id = self.application.public_id
        if 1 <= step <= len(self.pages):
            return reverse("cases-bundles:page", args=[public_id, step])
        if step == self.materials_step:
            return reverse("cases-bundles:materials", args=[public_id])
        return reverse("cases-bundles:check", args=[public_id])

    def back_url(self, step: int) -> str:
        if step <= 1:
            return reverse("cases-bundles:start", args=[self.bundle.code])
        return self.url(step - 1)

    def context(self, step: int) -> dict:
        return {"application": self.application, "bundle": self.bundle, "step": step, "step_count": self.check_step}


def _draft(request, public_id) -> Journey:
    return Journey(selectors.access_bundle_draft(request.user, request.acting_identity, public_id))


# ---------------------------------------------------------------------------------------------------------------
# Portal: the bundles and a bundle's start page


def index(request):
    """一件事一次办: the published bundles (public), and the signed-in person's own bundle applications."""
    published = Bundle.objects.filter(published=True).prefetch_related("entries__item__organisation")
    mine = selectors.applicant_bundles(request.user, getattr(request, "acting_identity", None))
    context = {
        "bundles": list(published),
        "mine": list(mine.select_related("bundle").order_by("-created_at")[:20]),
    }
    return render(request, "cases/bundles/index.html", context)


def _prefill(journey_parts, pages, applicant) -> dict:
    """Answers from the person's verified profile, put on the page where each field is asked."""
    shared_names = {f.name for page in pages if page.part is None for f in page.page.fields}
    shared, items = {}, {}
    for part in journey_parts:
        for name, value in prefill_answers(part.version, applicant).items():
            if name in shared_names:
                shared.setdefault(name, value)
            else:
                items.setdefault(part.key, {})[name] = value
    return {bundles.SHARED: shared, bundles.ITEMS: items}


@require_http_methods(["GET", "POST"])
def start(request, code: str):
    """The bundle's start page: what it covers, who handles each part, what is needed; POST opens a draft."""
    bundle = bundles.access_published_bundle(code)
    parts = bundles.bundle_parts(bundle)
    error = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:sign_in')}?next={request.path}")
        applicant = access.current_applicant(request.user, request.acting_identity)
        try:
            application = bundles.bundle_draft_start(
                actor=request.user,
                applicant=applicant,
                bundle=bundle,
                prefill=_prefill(parts, bundles.bundle_pages(bundle, parts), applicant),
            )
        except DomainError as refused:
            error = refused
        else:
            return _see_other(Journey(application).url(1))
    level = bundles.min_real_name_level(parts)
    context = {
        "bundle": bundle,
        "parts": parts,
        "groups": bundles.material_groups(parts),
        "level": level,
        "level_ok": request.user.is_authenticated and getattr(request.user, "real_name_level", 0) >= level,
        "error": error,
        "errors": [{"href": "", "message": error.message}] if error else [],
        "realname_help": error is not None and error.code == AccountsError.REALNAME_LEVEL_REQUIRED,
    }
    return render(request, "cases/bundles/start.html", context, status=error.code.status if error else 200)


# ---------------------------------------------------------------------------------------------------------------
# The form's pages


@login_required
def resume(request, public_id: uuid.UUID):
    journey = _draft(request, public_id)
    return redirect(journey.url(min(max(journey.application.current_page, 1), journey.check_step)))


@login_required
@require_http_methods(["GET", "POST"])
def page(request, public_id: uuid.UUID, number: int):
    """One short page: the shared fields, or one item's own fields."""
    journey = _draft(request, public_id)
    if not 1 <= number <= len(journey.pages):
        raise Http404
    bundle_page = journey.pages[number - 1]
    values, errors = bundles.page_values(journey.application, bundle_page), {}
    if request.method == "POST":
        values = page_raw_values(request.POST, bundle_page.page)
        saving = "save" in request.POST
        errors = {} if saving else bundles.page_problems(bundle_page, values)
        changing = request.GET.get("change") == "1"
        reached = number if errors or saving else (journey.check_step if changing else number + 1)
        bundles.bundle_draft_save(
            actor=request.user, application=journey.application, page=bundle_page, answers=values, reached=reached
        )
        if saving:
            messages.success(request, _("草稿已保存。您可以从“一件事一次办”页面继续填写。"))
            return _see_other(reverse("cases-bundles:index"))
        if not errors:
            return _see_other(journey.url(reached))
    context = journey.context(number) | {
        "page": bundle_page.page,
        "part": bundle_page.part,
        "rows": page_rows(bundle_page.page, values, errors),
        "errors": [{"href": f"#field-{name}", "message": m} for name, ms in errors.items() for m in ms],
        "back_url": journey.back_url(number),
        "changing": request.GET.get("change") == "1",
    }
    return render(request, "cases/bundles/page.html", context, status=400 if errors else 200)


# ---------------------------------------------------------------------------------------------------------------
# Materials: each document once


def _group_rows(journey: Journey, errors: dict[str, list[str]]) -> list[dict]:
    chosen = journey.application.materials or {}
    return [
        {
            "group": group,
            "choice": chosen.get(group.key),
            "errors": errors.get(group.slug, []),
            "departments": sorted({part.item.organisation.name for part, _material in group.members}),
        }
        for group in journey.groups
    ]


def _posted_group(journey: Journey, request):
    slug = request.POST.get("group", "")
    for group in journey.groups:
        if group.slug == slug:
            return group
    raise DomainError(CaseError.MATERIAL_NOT_OF_ITEM)


def _material_action(request, journey: Journey, action: str) -> str:
    group = _posted_group(journey, request)
    application = journey.application
    if action == "remove":
        bundles.bundle_material_clear(actor=request.user, application=application, group=group)
        return _("已移除“%(name)s”。") % {"name": group.name}
    if action == "defer":
        bundles.bundle_material_set(
            actor=request.user, application=application, group=group, provision=Provision.DEFERRED
        )
        return _("“%(name)s”已标记为容缺后补，请在受理后按要求补交。") % {"name": group.name}
    form = MaterialUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        raise DomainError(CaseError.FILE_EMPTY, form.errors["file"][0])
    upload = uploads.upload_store(actor=request.user, file=form.cleaned_data["file"])
    bundles.bundle_material_set(
        actor=request.user, application=application, group=group, provision=Provision.UPLOAD, upload_id=upload.pk
    )
    return _("已上传“%(file)s”（%(name)s）。") % {"file": upload.original_name, "name": group.name}


@login_required
@require_http_methods(["GET", "POST"])
def materials(request, public_id: uuid.UUID):
    """申请材料: every document the items need, each once; one upload serves every item that asks for it."""
    journey = _draft(request, public_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "continue":
            errors = bundles.missing_groups(journey.application, journey.groups)
            if not errors:
                bundles.bundle_page_reached(
                    actor=request.user, application=journey.application, reached=journey.check_step
                )
                return _see_other(journey.url(journey.check_step))
        else:
            try:
                messages.success(request, _material_action(request, journey, action))
            except DomainError as refused:
                errors = {request.POST.get("group", ""): [refused.message]}
            else:
                return _see_other(request.path)
    rows = _group_rows(journey, errors)
    context = journey.context(journey.materials_step) | {
        "rows": rows,
        "errors": [
            {"href": f"#{row['group'].slug}-file", "message": message} for row in rows for message in row["errors"]
        ],
        "back_url": journey.back_url(journey.materials_step),
        "accepted": uploads.ACCEPTED_LABEL,
        "accept_attribute": uploads.ACCEPT_ATTRIBUTE,
        "size_limit": uploads.max_upload_label(),
        "optional": MaterialNecessity.OPTIONAL,
    }
    return render(request, "cases/bundles/materials.html", context, status=400 if errors else 200)


# ---------------------------------------------------------------------------------------------------------------
# Check your answers and submit


def _error_links(journey: Journey, error: DomainError) -> list[dict]:
    links = []
    for key, problems in error.fields.items():
        number, _sep, name = key.partition(":")
        if name:
            href = reverse("cases-bundles:page", args=[journey.application.public_id, int(number)])
            href += f"?change=1#field-{name}"
        else:
            href = reverse("cases-bundles:materials", args=[journey.application.public_id]) + f"#{key}"
        links.extend({"href": href, "message": str(problem)} for problem in problems)
    return links or [{"href": "", "message": error.message}]


def _check_page(request, journey: Journey, error: DomainError | None = None):
    application = journey.application
    sections = [
        {
            "page": bundle_page.page,
            "change_url": reverse("cases-bundles:page", args=[application.public_id, bundle_page.number]) + "?change=1",
            "answers": [
                {"field": f, "text": answer_text(f, bundles.page_values(application, bundle_page).get(f.name))}
                for f in bundle_page.page.fields
            ],
        }
        for bundle_page in journey.pages
    ]
    context = journey.context(journey.check_step) | {
        "sections": sections,
        "rows": _group_rows(journey, {}),
        "materials_url": reverse("cases-bundles:materials", args=[application.public_id]),
        "back_url": journey.back_url(journey.check_step),
        "idempotency_key": secrets.token_urlsafe(24),
        "parts": journey.parts,
        "errors": _error_links(journey, error) if error is not None else [],
        "realname_help": error is not None and error.code == AccountsError.REALNAME_LEVEL_REQUIRED,
    }
    return render(request, "cases/bundles/check.html", context, status=error.code.status if error else 200)


@login_required
def check(request, public_id: uuid.UUID):
    """核对申请信息: every answer with a change link, the materials, the items it will become; submit."""
    return _check_page(request, _draft(request, public_id))


@login_required
@require_POST
def submit(request):
    """提交. Idempotent: the same token or an already submitted application lead to the same parent page."""
    key = request.POST.get("idempotency_key", "")[:64]
    application = bundles.application_for_idempotency_key(request.user, key)
    if application is None:
        try:
            public_id = uuid.UUID(request.POST.get("application", ""))
        except ValueError as error:
            raise DomainError(CaseError.BUNDLE_APPLICATION_NOT_FOUND) from error
        application = selectors.access_bundle_for_applicant(request.user, request.acting_identity, public_id)
        if application.submitted_by_id != request.user.pk:
            raise DomainError(CaseError.BUNDLE_APPLICATION_NOT_FOUND)
        if application.status == BundleStatus.DRAFT:
            try:
                application = bundles.bundle_submit(actor=request.user, application=application, idempotency_key=key)
            except DomainError as refused:
                return _check_page(request, Journey(application), refused)
            messages.success(request, _("申请已提交，申请编号 %(number)s。") % {"number": application.number})
    return _see_other(reverse("cases-bundles:detail", args=[application.public_id]))


# ---------------------------------------------------------------------------------------------------------------
# The parent's progress


@login_required
def detail(request, public_id: uuid.UUID):
    """一件事办理进度: the parent and, for each child, its department, status, next step, notices and documents."""
    application = selectors.access_bundle_for_applicant(request.user, request.acting_identity, public_id)
    if application.status == BundleStatus.DRAFT:
        return redirect("cases-bundles:resume", application.public_id)
    rows = selectors.bundle_progress(application)
    context = {
        "application": application,
        "rows": rows,
        "ended": sum(1 for row in rows if row.case.status in bundles.FINAL_STATUSES),
    }
    return render(request, "cases/bundles/detail.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Staff


def _staff_case_url(case) -> str:
    """The pre-review page while the child awaits acceptance; the review workbench once accepted."""
    if case.status in bundles.WAITING_STATUSES:
        return reverse("cases-workbench:case", args=[case.number])
    try:
        return reverse("cases-review:case", args=[case.number])
    except NoReverseMatch:
        return reverse("cases-workbench:case", args=[case.number])


@staff_page
@require_http_methods(["GET"])
def workbench_list(request):
    """一件事办件: the bundle applications with a child at one of the user's organisations, newest first."""
    applications = selectors.staff_bundles(request.user)
    page_obj = Paginator(applications, PER_PAGE).get_page(request.GET.get("page"))
    own = set(selectors.staff_organisations(request.user).values_list("pk", flat=True))
    rows = [
        {
            "application": application,
            "children": [
                {
                    "case": child,
                    "own": child.organisation_id in own,
                    "url": _staff_case_url(child) if child.organisation_id in own else "",
                }
                for child in application.cases.all()
            ],
        }
        for application in page_obj
    ]
    return render(request, "cases/bundles/workbench_list.html", {"page": page_obj, "rows": rows})
