"""The catalogue workbench (事项管理工作台): staff pages for catalogue editors and reviewers.

Editors (事项编辑) keep the items of the organisations they cover: create an item, draft a version with every guide
element, its materials, fees, FAQs, themes, application form and process, and submit it for review. Reviewers
(事项审核) see what is waiting, compare it with the published version, approve, return with a comment, publish and
retire. Every page is a staff page (signed in, second factor passed); every object named in a URL is loaded through
catalog/access.py; every write is one call into catalog/services.py. Views only parse, authorise, call and render.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tongban.accounts.access import organisations_where
from tongban.accounts.models import StaffRole
from tongban.accounts.views_staff import staff_page
from tongban.catalog import access, bpmn, forms_schema, punctuation, services, validation
from tongban.catalog import forms_workbench as wf
from tongban.catalog.diff import LIST_LABELS, mapping_text, version_diff
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import BasicItem, ImplementationItem, ItemVersion, VersionStatus
from tongban.catalog.validation import version_problems
from tongban.core.errors import DomainError
from tongban.core.models import Organisation

TEMPLATES = "catalog/workbench/"
EDITABLE = (VersionStatus.DRAFT, VersionStatus.RETURNED)
REVIEWABLE = (VersionStatus.SUBMITTED, VersionStatus.APPROVED)


# ---------------------------------------------------------------------------------------------------------------
# Loading what a URL names (through access.py) and where to go next


def _item(request, item_id: int) -> ImplementationItem:
    return access.access_item_for_editor(request.user, item_id)


def _version(request, item_id: int, version_id: int) -> ItemVersion:
    """A version the editor may edit, named under its own item (a version under another item's URL is not found)."""
    version = access.access_version_for_editor(request.user, version_id)
    if version.item_id != item_id:
        raise Http404
    return version


def _bound(request) -> tuple:
    """(data, files) for a form: bound on POST even when nothing was sent, so an empty POST shows its errors."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def _child(version: ItemVersion, relation: str, child_id: int):
    child = getattr(version, relation).filter(pk=child_id).first()
    if child is None:
        raise Http404
    return child


def _editor_url(version: ItemVersion, anchor: str = "") -> str:
    url = reverse("catalog_workbench:version_edit", args=[version.item_id, version.pk])
    return f"{url}#{anchor}" if anchor else url


def _require_editable(version: ItemVersion) -> None:
    if version.status not in EDITABLE:
        raise DomainError(CatalogError.WRONG_STATUS)


# ---------------------------------------------------------------------------------------------------------------
# 我的事项


@staff_page
@require_http_methods(["GET"])
def my_items(request):
    """我的事项: the items of the organisations the editor covers, each with its latest version's status."""
    items = list(access.editable_items(request.user))
    latest = _latest_versions(items)
    rows = [{"item": item, "latest": latest.get(item.pk)} for item in items]
    context = {
        "rows": rows,
        "is_editor": organisations_where(request.user, StaffRole.CATALOGUE_EDITOR).exists(),
        "is_reviewer": _is_reviewer(request.user),
    }
    return render(request, TEMPLATES + "my_items.html", context)


def _latest_versions(items: list[ImplementationItem]) -> dict[int, ItemVersion]:
    """The newest version of each item, in one query."""
    latest: dict[int, ItemVersion] = {}
    versions = (
        ItemVersion.objects.filter(item__in=items)
        .order_by("item_id", "-number")
        .only("id", "item_id", "number", "status", "name", "updated_at")
    )
    for version in versions:
        latest.setdefault(version.item_id, version)
    return latest


def _is_reviewer(user) -> bool:
    return organisations_where(user, StaffRole.CATALOGUE_REVIEWER).exists()


@staff_page
@require_http_methods(["GET", "POST"])
def item_create(request):
    """新建事项: the implementation item and its first draft, named after the basic item."""
    organisations = organisations_where(request.user, StaffRole.CATALOGUE_EDITOR).order_by("name")
    form = wf.ItemCreateForm(
        *_bound(request)[:1], basic_items=BasicItem.objects.order_by("code"), organisations=organisations
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = _create_item_with_draft(request.user, form.cleaned_data)
        except DomainError as error:
            return _form_error(request, "item_create.html", {"form": form}, error)
        messages.success(request, _("已新建事项，请填写办事指南各要素后提交审核。"))
        return redirect(_editor_url(version))
    status = 400 if form.errors else 200
    return render(request, TEMPLATES + "item_create.html", {"form": form}, status=status)


@transaction.atomic
def _create_item_with_draft(actor, data: dict) -> ItemVersion:
    item = services.item_create(
        actor=actor,
        basic_item=data["basic_item"],
        organisation=data["organisation"],
        exercise_level=data["exercise_level"],
    )
    return services.version_create(actor=actor, item=item)  # named, typed and based on the basic item


def _form_error(request, template: str, context: dict, error: DomainError):
    """Re-render a form page with the refusal in the error summary and on its fields."""
    form = context.get("form")
    for name, problems in error.fields.items():
        if form is not None and name in form.fields:
            for problem in problems:
                form.add_error(name, str(problem))
    context["error"] = error
    return render(request, TEMPLATES + template, context, status=error.code.status)


@staff_page
@require_http_methods(["GET"])
def item_detail(request, item_id: int):
    """One item: its versions, newest first, and what can be done next."""
    item = _item(request, item_id)
    versions = list(item.versions.order_by("-number").select_related("author", "reviewer"))
    editable = next((v for v in versions if v.status in EDITABLE), None)
    in_review = any(v.status in (VersionStatus.SUBMITTED, VersionStatus.APPROVED) for v in versions)
    context = {
        "item": item,
        "versions": versions,
        "editable": editable,
        "may_start_draft": not editable and not in_review,
    }
    return render(request, TEMPLATES + "item_detail.html", context)


@staff_page
@require_http_methods(["POST"])
def version_new_draft(request, item_id: int):
    """修改事项: a new draft copied from the published version (materials, fees, FAQs, themes, form, process)."""
    item = _item(request, item_id)
    version = services.version_new_draft(actor=request.user, item=item)
    messages.success(request, _("已根据现行版本生成第 %(number)s 版草稿。") % {"number": version.number})
    return redirect(_editor_url(version))


# ---------------------------------------------------------------------------------------------------------------
# The version editor


def field_rows(form, names, problems: dict | None = None) -> list[dict]:
    """Bound fields with how to draw them and the guide problems reported for each (templates cannot index dicts)."""
    problems = problems or {}
    return [
        {"field": form[name], "kind": _widget_kind(form.fields[name]), "problems": problems.get(name, [])}
        for name in names
    ]


def _widget_kind(field) -> str:
    widget = field.widget
    if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
        return "choices"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    return "input"


def _editor_context(version: ItemVersion, form: wf.VersionForm, problems: dict | None = None) -> dict:
    if version.status not in EDITABLE:
        for field in form.fields.values():
            field.disabled = True
    problems = version_problems(version) if problems is None else problems
    sections = [
        {"key": key, "title": title, "fields": field_rows(form, names, problems)} for key, title, names in wf.SECTIONS
    ]
    summary = []
    for name, messages_ in problems.items():
        anchor = f"id_{name}" if name in form.fields else wf.PROBLEM_SECTIONS.get(name, "")
        for message in messages_:
            summary.append({"anchor": anchor, "message": message})
    return {
        "version": version,
        "item": version.item,
        "form": form,
        "sections": sections,
        "problems": problems,
        "problem_summary": summary,
        "theme_row": field_rows(form, ["themes"], problems)[0],
        "editable": version.status in EDITABLE,
        "materials": list(version.materials.all()),
        "fees": list(version.fees.all()),
        "faqs": list(version.faqs.all()),
        "outline": version.process.outline if version.process_id else None,
    }


@staff_page
@require_http_methods(["GET", "POST"])
def version_edit(request, item_id: int, version_id: int):
    """The guide editor: every element by section, with what is still missing shown on each field and in a summary."""
    version = _version(request, item_id, version_id)
    if request.method == "GET":
        form = wf.VersionForm(instance=version, initial={"themes": list(version.themes.all())})
        return render(request, TEMPLATES + "version_edit.html", _editor_context(version, form))
    _require_editable(version)
    form = wf.VersionForm(request.POST, instance=ItemVersion.objects.get(pk=version.pk))
    if not form.is_valid():
        context = _editor_context(version, form) | {"form_invalid": True}
        return render(request, TEMPLATES + "version_edit.html", context, status=400)
    try:
        version = _save_guide(request.user, version, form)
    except DomainError as error:
        if not error.fields:
            raise
        for name, problems in error.fields.items():
            for problem in problems:
                form.add_error(name if name in form.fields else None, str(problem))
        context = _editor_context(version, form) | {"form_invalid": True}
        return render(request, TEMPLATES + "version_edit.html", context, status=error.code.status)
    messages.success(request, _("已保存。"))
    return redirect(_editor_url(version))


@transaction.atomic
def _save_guide(actor, version: ItemVersion, form: wf.VersionForm) -> ItemVersion:
    updated = services.version_update(actor=actor, version=version, **form.elements())
    services.version_set_themes(actor=actor, version=updated, themes=list(form.cleaned_data["themes"]))
    return updated


@staff_page
@require_http_methods(["POST"])
def version_submit(request, item_id: int, version_id: int):
    """提交审核: refused with every missing element listed when the guide is incomplete."""
    version = _version(request, item_id, version_id)
    try:
        services.version_submit(actor=request.user, version=version)
    except DomainError as error:
        if error.code is not CatalogError.INVALID_GUIDE:
            raise
        version.refresh_from_db()
        form = wf.VersionForm(instance=version, initial={"themes": list(version.themes.all())})
        context = _editor_context(version, form, error.fields or None) | {"submit_error": error}
        return render(request, TEMPLATES + "version_edit.html", context, status=error.code.status)
    messages.success(request, _("已提交审核，审核结果会显示在“我的事项”中。"))
    return redirect("catalog_workbench:item_detail", item_id=version.item_id)


# --- materials, fees, FAQs ---------------------------------------------------------------------------------------

CHILDREN = {
    "materials": {
        "form": wf.MaterialForm,
        "save": "material_save",
        "delete": "material_delete",
        "keyword": "material",
        "title_new": gettext_lazy("添加申请材料"),
        "title_edit": gettext_lazy("修改申请材料"),
        "saved": gettext_lazy("申请材料已保存。"),
        "deleted": gettext_lazy("申请材料已删除。"),
    },
    "fees": {
        "form": wf.FeeForm,
        "save": "fee_save",
        "delete": "fee_delete",
        "keyword": "fee",
        "title_new": gettext_lazy("添加收费项目"),
        "title_edit": gettext_lazy("修改收费项目"),
        "saved": gettext_lazy("收费项目已保存。"),
        "deleted": gettext_lazy("收费项目已删除。"),
    },
    "faqs": {
        "form": wf.FaqForm,
        "save": "faq_save",
        "delete": "faq_delete",
        "keyword": "faq",
        "title_new": gettext_lazy("添加常见问题"),
        "title_edit": gettext_lazy("修改常见问题"),
        "saved": gettext_lazy("常见问题已保存。"),
        "deleted": gettext_lazy("常见问题已删除。"),
    },
}


def _child_fields(form) -> dict:
    if isinstance(form, wf.MaterialForm):
        return form.material_fields()
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


@staff_page
@require_http_methods(["GET", "POST"])
def child_edit(request, item_id: int, version_id: int, relation: str, child_id: int | None = None):
    """Add or change a material, fee item or FAQ of a draft."""
    kind = CHILDREN[relation]
    version = _version(request, item_id, version_id)
    _require_editable(version)
    child = _child(version, relation, child_id) if child_id else None
    form = kind["form"](*_bound(request), instance=child)
    context = {
        "version": version,
        "item": version.item,
        "form": form,
        "relation": relation,
        "child": child,
        "title": kind["title_edit"] if child else kind["title_new"],
    }
    if request.method == "POST" and form.is_valid():
        save = getattr(services, kind["save"])
        try:
            save(actor=request.user, version=version, **{kind["keyword"]: child}, **_child_fields(form))
        except DomainError as error:
            return _form_error(request, "child_edit.html", context, error)
        messages.success(request, kind["saved"])
        return redirect(_editor_url(version, relation))
    return render(request, TEMPLATES + "child_edit.html", context, status=400 if form.errors else 200)


@staff_page
@require_http_methods(["GET", "POST"])
def child_delete(request, item_id: int, version_id: int, relation: str, child_id: int):
    """Delete a material, fee item or FAQ of a draft, after the editor confirms."""
    kind = CHILDREN[relation]
    version = _version(request, item_id, version_id)
    _require_editable(version)
    child = _child(version, relation, child_id)
    form = wf.ConfirmForm(*_bound(request)[:1])
    if request.method == "POST" and form.is_valid():
        getattr(services, kind["delete"])(actor=request.user, **{kind["keyword"]: child})
        messages.success(request, kind["deleted"])
        return redirect(_editor_url(version, relation))
    context = {"version": version, "item": version.item, "form": form, "child": child, "relation": relation}
    return render(request, TEMPLATES + "child_delete.html", context, status=400 if form.errors else 200)


# --- application form --------------------------------------------------------------------------------------------


def _preview(form: wf.FormSchemaForm):
    """The pages an applicant would see for the typed schema; (pages, error) where error is a DomainError."""
    if not form.is_valid():
        return None, None
    try:
        forms_schema.check_form(form.cleaned_data["schema"], form.cleaned_data["ui"])
    except DomainError as error:
        return None, error
    return _preview_pages(form.cleaned_data["schema"], form.cleaned_data["ui"]), None


FIELD_KINDS = {
    "text": gettext_lazy("单行文字"),
    "textarea": gettext_lazy("多行文字"),
    "number": gettext_lazy("数字"),
    "integer": gettext_lazy("整数"),
    "boolean": gettext_lazy("是/否"),
    "date": gettext_lazy("日期"),
    "choice": gettext_lazy("单选"),
    "choices": gettext_lazy("多选"),
}


def _preview_pages(schema: dict, ui: dict) -> list[dict]:
    """form_pages of the schema, with each field's kind and prefill source in words."""
    pages = []
    for page in forms_schema.form_pages(schema, ui):
        fields = [
            {
                "field": field,
                "kind_label": FIELD_KINDS.get(field.kind, field.kind),
                "prefill_label": _prefill_label(field.prefill),
            }
            for field in page.fields
        ]
        pages.append({"number": page.number, "title": page.title, "help": page.help, "fields": fields})
    return pages


@staff_page
@require_http_methods(["GET", "POST"])
def version_form(request, item_id: int, version_id: int):
    """申请表: the JSON Schema and UI hints as text, checked with forms_schema.check_form, with a preview."""
    version = _version(request, item_id, version_id)
    initial = {"schema": wf.as_json_text(version.form_schema), "ui": wf.as_json_text(version.form_ui)}
    if request.method == "GET":
        form = wf.FormSchemaForm(initial=initial)
        pages = _preview_pages(version.form_schema, version.form_ui) if version.form_schema else None
        return _render_form_page(request, version, form, pages=pages)
    form = wf.FormSchemaForm(request.POST)
    if "preview" in request.POST:
        pages, error = _preview(form)
        return _render_form_page(request, version, form, pages=pages, error=error)
    _require_editable(version)
    if not form.is_valid():
        return _render_form_page(request, version, form, status=400)
    try:
        services.version_set_form(
            actor=request.user, version=version, schema=form.cleaned_data["schema"], ui=form.cleaned_data["ui"]
        )
    except DomainError as error:
        return _render_form_page(request, version, form, error=error)
    messages.success(request, _("申请表已保存。"))
    return redirect(_editor_url(version, "form"))


def _render_form_page(request, version, form, *, pages=None, error=None, status=None):
    context = {"version": version, "item": version.item, "form": form, "pages": pages, "error": error}
    if status is None:
        status = error.code.status if error else 200
    return render(request, TEMPLATES + "version_form.html", context, status=status)


@staff_page
@require_http_methods(["POST"])
def version_form_preview(request, item_id: int, version_id: int):
    """The live preview (htmx): the applicant's pages for the schema as typed, or why it cannot be shown."""
    version = _version(request, item_id, version_id)
    form = wf.FormSchemaForm(request.POST)
    pages, error = _preview(form)
    context = {"version": version, "form": form, "pages": pages, "error": error}
    return render(request, TEMPLATES + "_form_preview.html", context)


# --- process -----------------------------------------------------------------------------------------------------


def _prefill_label(source: str) -> str:
    label = forms_schema.PREFILL_SOURCES.get(source)
    return _(label) if label else source


def _template_choices() -> list[tuple[str, str]]:
    return [
        (key, _("%(label)s：%(description)s") % {"label": _(template.label), "description": _(template.description)})
        for key, template in bpmn.TEMPLATES.items()
    ]


@staff_page
@require_http_methods(["GET", "POST"])
def version_process(request, item_id: int, version_id: int):
    """流程: choose a shipped template or upload BPMN 2.0 XML; the stored process is shown as a readable outline."""
    version = _version(request, item_id, version_id)
    choosing_departments = request.POST.get("action") == "departments"
    form = wf.ProcessForm(
        *(_bound(request) if not choosing_departments else (None, None)), templates=_template_choices()
    )
    departments = _departments_form(version, request.POST if choosing_departments else None)
    context = {
        "version": version,
        "item": version.item,
        "form": form,
        "departments_form": departments,
        "lane_problems": validation.lane_problems(version).get("process_departments", []),
        "outline": _outline(version),
        # diagram_svg escapes every name it draws; the rest of the markup is generated from numbers.
        "diagram": mark_safe(bpmn.diagram_svg(version.process)) if version.process else "",  # noqa: S308
    }
    if request.method == "GET":
        return render(request, TEMPLATES + "version_process.html", context)
    _require_editable(version)
    if choosing_departments:
        return _save_departments(request, version, departments, context)
    if not form.is_valid():
        return render(request, TEMPLATES + "version_process.html", context, status=400)
    try:
        _store_process(request.user, version, form)
    except DomainError as error:
        field = "bpmn_file" if form.cleaned_data["source"] == "upload" else "template"
        for problem in [message for messages_ in error.fields.values() for message in messages_] or [error.message]:
            form.add_error(field, str(problem))
        return render(request, TEMPLATES + "version_process.html", context, status=error.code.status)
    if form.errors:
        return render(request, TEMPLATES + "version_process.html", context, status=400)
    messages.success(request, _("办理流程已保存。"))
    return redirect(_editor_url(version, "process"))


def _departments_form(version: ItemVersion, data) -> wf.ProcessDepartmentsForm | None:
    """The lane → organisation choices, or None when the process names no other department."""
    lanes = validation.lane_departments(version)
    if not lanes:
        return None
    mapping = version.process_departments if isinstance(version.process_departments, dict) else {}
    region = version.item.organisation.region_id
    # The region's organisations, and any mapped elsewhere (an import may name a city bureau) so the page keeps it.
    organisations = Organisation.objects.filter(
        Q(region_id=region, active=True) | Q(uscc__in=list(mapping.values()))
    ).order_by("name")
    return wf.ProcessDepartmentsForm(data, lanes=lanes, organisations=organisations, mapping=mapping)


def _save_departments(request, version: ItemVersion, form: wf.ProcessDepartmentsForm | None, context: dict):
    if form is None:
        raise DomainError(CatalogError.WRONG_STATUS)
    if not form.is_valid():
        return render(request, TEMPLATES + "version_process.html", context, status=400)
    try:
        services.version_update(actor=request.user, version=version, process_departments=form.mapping())
    except DomainError as error:
        for problem in [message for messages_ in error.fields.values() for message in messages_] or [error.message]:
            form.add_error(None, str(problem))
        return render(request, TEMPLATES + "version_process.html", context, status=error.code.status)
    messages.success(request, _("各泳道的办理机构已保存。"))
    return redirect(_editor_url(version, "process"))


def _outline(version: ItemVersion) -> dict | None:
    """The process as the outline template draws it: steps in order, parallel branches side by side."""
    if not version.process_id:
        return None
    try:
        outline = bpmn.outline(version.process)
    except DomainError:  # a stored definition that no longer parses: show its name rather than fail the page
        return {"name": version.process.name, "entries": [], "decisions": []}
    steps = {step["id"]: step for step in outline.get("steps", [])}
    groups = outline.get("parallel_groups", [])
    entries, shown = [], set()
    for step in outline.get("steps", []):
        group = step.get("parallel_group")
        if group is None:
            entries.append({"step": step})
        elif group not in shown:
            shown.add(group)
            branches = [
                [steps[step_id] for step_id in branch if step_id in steps] for branch in groups[group]["branches"]
            ]
            entries.append({"branches": branches, "name": groups[group].get("name", "")})
    decisions = [gateway for gateway in outline.get("gateways", []) if any(f["condition"] for f in gateway["flows"])]
    return outline | {"entries": entries, "decisions": decisions}


@transaction.atomic
def _store_process(actor, version: ItemVersion, form: wf.ProcessForm) -> None:
    if form.cleaned_data["source"] == "template":
        process = bpmn.process_from_template(actor=actor, key=form.cleaned_data["template"])
    else:
        xml = form.bpmn_xml()
        if not xml:
            return
        process = bpmn.process_store(actor=actor, xml=xml)
    services.version_set_process(actor=actor, version=version, process=process)


# ---------------------------------------------------------------------------------------------------------------
# Review: 待审核, approve / return / publish, retire


@staff_page
@require_http_methods(["GET"])
def review_queue(request):
    """待审核: submitted versions to review and approved ones to publish, in the reviewer's area."""
    versions = list(access.review_queue(request.user))
    groups = [
        {
            "key": "submitted",
            "title": _("待审核"),
            "versions": [v for v in versions if v.status == VersionStatus.SUBMITTED],
            "empty": _("目前没有待审核的版本。"),
        },
        {
            "key": "approved",
            "title": _("已通过待发布"),
            "versions": [v for v in versions if v.status == VersionStatus.APPROVED],
            "empty": _("目前没有待发布的版本。"),
        },
    ]
    context = {"groups": groups}
    return render(request, TEMPLATES + "review_queue.html", context)


def _review_context(user, version: ItemVersion, form=None, error=None) -> dict:
    published = version.item.published_version
    baseline = published if published is not None and published.pk != version.pk else None
    return {
        "version": version,
        "item": version.item,
        "baseline": baseline,
        "changes": version_diff(baseline, version) if baseline is not None else None,
        "materials": list(version.materials.all()),
        "fees": list(version.fees.all()),
        "faqs": list(version.faqs.all()),
        "outline": _outline(version),
        "guide": _guide_rows(version) if baseline is None else [],
        "form": form or wf.ReviewForm(),
        "error": error,
        "may_decide": version.status in REVIEWABLE and access.may_review(user, version),
        "contributed": access.contributed(user, version),
    }


def _guide_rows(version: ItemVersion) -> list[dict]:
    """Every guide element with its label and displayed value (a first publication has nothing to compare with)."""
    rows = []
    for name in wf.GUIDE_FIELDS:
        field = ItemVersion._meta.get_field(name)
        value = getattr(version, f"get_{name}_display")() if field.choices else getattr(version, name)
        if isinstance(value, bool):
            value = _("是") if value else _("否")
        elif isinstance(value, list):
            labels = LIST_LABELS.get(name, {})
            value = punctuation.join_list(labels.get(entry, entry) for entry in value)
        rows.append({"label": field.verbose_name, "value": value})
    if version.process_departments:  # edited on the process page, reviewed with the rest of the guide
        label = ItemVersion._meta.get_field("process_departments").verbose_name
        rows.append({"label": label, "value": mapping_text(version.process_departments)})
    return rows


@staff_page
@require_http_methods(["GET"])
def review_detail(request, version_id: int):
    """One version under review: what changed against the published version, and the decision."""
    version = access.access_version_for_reviewer(request.user, version_id)
    return render(request, TEMPLATES + "review_detail.html", _review_context(request.user, version))


@staff_page
@require_http_methods(["POST"])
def review_decide(request, version_id: int):
    """通过 (comment optional), 退回修改 (comment required) or 发布."""
    version = access.access_version_for_reviewer(request.user, version_id)
    form = wf.ReviewForm(request.POST)
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "return", "publish") or not form.is_valid():
        raise DomainError(CatalogError.WRONG_STATUS)
    comment = form.cleaned_data["comment"].strip()
    if decision == "return" and not comment:
        form.add_error("comment", _("退回时请填写审核意见，说明需要修改的内容"))
        return render(
            request, TEMPLATES + "review_detail.html", _review_context(request.user, version, form), status=400
        )
    try:
        message = _decide(request.user, version, decision, comment)
    except DomainError as error:
        if error.code is CatalogError.WRONG_STATUS or not error.fields:
            raise
        for name, problems in error.fields.items():
            for problem in problems:
                form.add_error("comment" if name == "comment" else None, str(problem))
        return render(
            request, TEMPLATES + "review_detail.html", _review_context(request.user, version, form, error), status=400
        )
    messages.success(request, message)
    if decision == "return":
        return redirect("catalog_workbench:review_queue")
    return redirect("catalog_workbench:review_detail", version_id=version.pk)


def _decide(actor, version: ItemVersion, decision: str, comment: str) -> str:
    if decision == "approve":
        services.version_approve(actor=actor, version=version, comment=comment)
        return _("已审核通过，可以发布。")
    if decision == "return":
        services.version_return(actor=actor, version=version, comment=comment)
        return _("已退回编辑人修改。")
    services.version_publish(actor=actor, version=version)
    return _("已发布，办事指南已对外公布。")


PUBLISHED_PER_PAGE = 20


@staff_page
@require_http_methods(["GET"])
def published_items(request):
    """已发布事项: the published items a catalogue reviewer covers, searchable by name or code, each with 取消."""
    if not organisations_where(request.user, StaffRole.CATALOGUE_REVIEWER).exists():
        raise DomainError(CatalogError.REVIEWER_REQUIRED)
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(access.retirable_items(request.user, q), PUBLISHED_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, TEMPLATES + "published_items.html", {"page": page, "q": q})


# Where the retire page returns to: the published list it was opened from, or the version's review page.
RETIRE_RETURNS = {"published": "catalog_workbench:published_items"}


@staff_page
@require_http_methods(["GET", "POST"])
def item_retire(request, version_id: int):
    """取消事项: the published item stops being offered; its history stays. Reason and confirmation required."""
    version = access.access_version_for_reviewer(request.user, version_id)
    item = version.item
    if item.published_version_id != version.pk:
        raise DomainError(CatalogError.WRONG_STATUS)
    back = request.GET.get("back", "")
    back_url = reverse(RETIRE_RETURNS[back]) if back in RETIRE_RETURNS else ""
    form = wf.RetireForm(*_bound(request)[:1])
    if request.method == "POST" and form.is_valid():
        services.item_retire(actor=request.user, item=item, reason=form.cleaned_data["reason"].strip())
        messages.success(request, _("事项已取消，不再对外公布；历史版本仍保留。"))
        return redirect(back_url or "catalog_workbench:review_queue")
    back_url = back_url or reverse("catalog_workbench:review_detail", args=[version.pk])
    context = {"version": version, "item": item, "form": form, "back_url": back_url}
    return render(request, TEMPLATES + "item_retire.html", context, status=400 if form.errors else 200)
