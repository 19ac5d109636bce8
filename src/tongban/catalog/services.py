"""Writes on the catalogue: basic and implementation items, guide versions and their review-before-publish lifecycle.

A version moves DRAFT → SUBMITTED → APPROVED (or RETURNED with a comment, then edited and resubmitted) → PUBLISHED.
Publishing swaps the item's published version in one transaction (the previous one becomes SUPERSEDED, never
deleted, so a case made under it keeps it); retiring keeps every version. Editors hold CATALOGUE_EDITOR for the
item's organisation, reviewers CATALOGUE_REVIEWER; whoever wrote a version may not review it (catalog.access).
Every function is atomic and audited; a refused call changes nothing (the caller's objects included: each write
re-reads its row under a lock and returns the fresh object).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.accounts.access import staff_has_role
from tongban.accounts.models import StaffRole
from tongban.catalog import access, codes, forms_schema, search, validation
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import (
    BasicItem,
    Faq,
    FeeItem,
    ImplementationItem,
    ItemVersion,
    Material,
    ProcessDefinition,
    Theme,
    VersionStatus,
)
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.models import Organisation

# ItemVersion fields that are not guide elements: identity, lifecycle, and what has its own service (form, process).
NOT_ELEMENTS = frozenset(
    {
        "id",
        "item",
        "number",
        "status",
        "themes",
        "form_schema",
        "form_ui",
        "process",
        "author",
        "reviewer",
        "review_comment",
        "created_at",
        "updated_at",
        "submitted_at",
        "reviewed_at",
        "published_at",
    }
)
GUIDE_ELEMENTS = tuple(f.name for f in ItemVersion._meta.concrete_fields if f.name not in NOT_ELEMENTS)
EDITABLE = (VersionStatus.DRAFT, VersionStatus.RETURNED)
SUBMITTABLE = (VersionStatus.DRAFT, VersionStatus.RETURNED)
OPEN = (VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.RETURNED, VersionStatus.APPROVED)
CHILD_OWNER_FIELDS = frozenset({"id", "version"})


# ── Snapshots for the audit log ────────────────────────────────────────────────────────────────────────────────────


def _plain(value):
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def _snapshot(obj: models.Model, fields=None) -> dict:
    return {name: _plain(value) for name, value in audit.snapshot(obj, fields).items()}


def _status_change(before: str, after: str, **extra) -> tuple[dict, dict]:
    return {"status": before}, {"status": after, **extra}


# ── Basic and implementation items ─────────────────────────────────────────────────────────────────────────────────


def _require_catalogue_staff(actor) -> None:
    if staff_has_role(actor, StaffRole.CATALOGUE_EDITOR) or staff_has_role(actor, StaffRole.CATALOGUE_REVIEWER):
        return
    raise DomainError(CatalogError.EDITOR_REQUIRED)


@transaction.atomic
def basic_item_create(
    *,
    actor,
    source: str,
    item_type: str,
    department_code: str,
    main_number: str,
    sub_number: str,
    name: str,
    legal_basis: str = "",
) -> BasicItem:
    """Add a basic catalogue item (基本目录) with its 12-digit code made from the parts (catalogue staff only)."""
    _require_catalogue_staff(actor)
    code = codes.basic_code(source, item_type, department_code, main_number, sub_number)
    if not name.strip():
        raise DomainError(CatalogError.INVALID_GUIDE, fields={"name": [_("请填写事项名称")]})
    if BasicItem.objects.filter(code=code).exists():
        message = _("基本编码 %(code)s 已存在") % {"code": code}
        raise DomainError(CatalogError.INVALID_CODE, message, fields={"main_number": [message]})
    basic_item = BasicItem.objects.create(
        code=code,
        name=name.strip(),
        item_type=item_type,
        source=source,
        department_code=department_code,
        main_number=main_number,
        sub_number=sub_number,
        legal_basis=legal_basis,
    )
    audit.record(actor=actor, action="basic_item.create", obj=basic_item, after=_snapshot(basic_item))
    return basic_item


@transaction.atomic
def item_create(*, actor, basic_item: BasicItem, organisation: Organisation, exercise_level: str) -> ImplementationItem:
    """Add an implementation item (实施清单): the basic item as `organisation` carries it out (its editors only)."""
    if not staff_has_role(actor, StaffRole.CATALOGUE_EDITOR, organisation):
        raise DomainError(CatalogError.EDITOR_REQUIRED)
    code = codes.implementation_code(organisation.uscc, exercise_level, basic_item.code)
    if ImplementationItem.objects.filter(code=code).exists():
        message = _("实施编码 %(code)s 已存在") % {"code": code}
        raise DomainError(CatalogError.INVALID_CODE, message, fields={"basic_item": [message]})
    item = ImplementationItem.objects.create(
        code=code, basic_item=basic_item, organisation=organisation, exercise_level=exercise_level
    )
    audit.record(actor=actor, action="item.create", obj=item, after=_snapshot(item))
    return item


# ── Versions: drafting ─────────────────────────────────────────────────────────────────────────────────────────────


def _refuse_unknown(elements: dict) -> None:
    unknown = sorted(set(elements) - set(GUIDE_ELEMENTS))
    if unknown:
        raise DomainError(
            CatalogError.INVALID_GUIDE, fields={name: [_("不是可编辑的办事指南要素")] for name in unknown}
        )


def _empty(value) -> bool:
    return value in (None, "", [], {}) or (isinstance(value, FieldFile) and not value)


def _check_values(version: ItemVersion, names) -> None:
    """Field-level checks (lengths, types, choices) on the named elements that have a value; drafts may be partial."""
    present = {name for name in names if not _empty(getattr(version, name))}
    try:
        version.clean_fields(exclude=[f.name for f in ItemVersion._meta.fields if f.name not in present])
    except ValidationError as error:
        raise DomainError(CatalogError.INVALID_GUIDE, fields=error.message_dict) from None
    problems = {name: msgs for name, msgs in validation.value_problems(version).items() if name in set(names)}
    if problems:
        raise DomainError(CatalogError.INVALID_GUIDE, fields=problems)


def _lock_version(version: ItemVersion) -> ItemVersion:
    return (
        ItemVersion.objects.select_related("item__organisation__region", "item__basic_item")
        .select_for_update(of=("self",))
        .get(pk=version.pk)
    )


def _lock_item(item: ImplementationItem) -> ImplementationItem:
    return (
        ImplementationItem.objects.select_related("organisation__region", "basic_item")
        .select_for_update(of=("self",))
        .get(pk=item.pk)
    )


def _require_status(version: ItemVersion, allowed) -> None:
    if version.status not in allowed:
        raise DomainError(CatalogError.WRONG_STATUS)


def _editable(actor, version: ItemVersion) -> ItemVersion:
    """The version locked for an edit by an editor of its item, while it is a draft or returned."""
    locked = _lock_version(version)
    access.require_editor(actor, locked.item)
    _require_status(locked, EDITABLE)
    return locked


@transaction.atomic
def version_create(*, actor, item: ImplementationItem, **elements) -> ItemVersion:
    """The item's first guide (version 1, a draft); name, type and legal basis default to the basic item's."""
    item = _lock_item(item)
    access.require_editor(actor, item)
    if item.versions.exists():
        raise DomainError(CatalogError.WRONG_STATUS, _("该事项已有版本，请在现有版本基础上新建草稿"))
    _refuse_unknown(elements)
    defaults = {
        "name": item.basic_item.name,
        "item_type": item.basic_item.item_type,
        "legal_basis": item.basic_item.legal_basis,
        "statutory_limit": 0,
        "promised_limit": 0,
    }
    version = ItemVersion(item=item, number=1, status=VersionStatus.DRAFT, author=actor, **{**defaults, **elements})
    _check_values(version, GUIDE_ELEMENTS)
    version.save()
    audit.record(actor=actor, action="item_version.create", obj=version, after=_snapshot(version))
    return version


def _copy_children(source: ItemVersion, target: ItemVersion) -> None:
    for model, related in ((Material, source.materials), (FeeItem, source.fees), (Faq, source.faqs)):
        model.objects.bulk_create([_clone(child, target) for child in related.all()])
    target.themes.set(source.themes.all())


def _clone(child: models.Model, version: ItemVersion) -> models.Model:
    values = {f.name: getattr(child, f.name) for f in child._meta.concrete_fields if f.name not in CHILD_OWNER_FIELDS}
    return type(child)(version=version, **values)


@transaction.atomic
def version_new_draft(*, actor, item: ImplementationItem) -> ItemVersion:
    """A new draft copied from the published version (or the latest one), children, themes, form and process too.

    One open version at a time: DRAFT_EXISTS while a draft, submitted, returned or approved version is pending.
    """
    item = _lock_item(item)
    access.require_editor(actor, item)
    if item.versions.filter(status__in=OPEN).exists():
        raise DomainError(CatalogError.DRAFT_EXISTS)
    source = item.published_version or item.versions.order_by("-number").first()
    if source is None:
        raise DomainError(CatalogError.WRONG_STATUS, _("该事项还没有任何版本，请先填写第一版办事指南"))
    values = {name: getattr(source, name) for name in GUIDE_ELEMENTS}
    version = ItemVersion.objects.create(
        item=item,
        number=item.versions.aggregate(top=models.Max("number"))["top"] + 1,
        status=VersionStatus.DRAFT,
        author=actor,
        form_schema=source.form_schema,
        form_ui=source.form_ui,
        process=source.process,
        **values,
    )
    _copy_children(source, version)
    audit.record(
        actor=actor,
        action="item_version.new_draft",
        obj=version,
        before={"copied_from": source.pk, "copied_from_number": source.number},
        after=_snapshot(version),
    )
    return version


@transaction.atomic
def version_update(*, actor, version: ItemVersion, **elements) -> ItemVersion:
    """Change guide elements of a draft or returned version (editors of the item)."""
    version = _editable(actor, version)
    _refuse_unknown(elements)
    before = _snapshot(version, list(elements))
    for name, value in elements.items():
        setattr(version, name, value)
    _check_values(version, list(elements))
    version.save()
    after = _snapshot(version, list(elements))
    changed = [name for name in elements if before[name] != after[name]]
    audit.record(
        actor=actor,
        action="item_version.update",
        obj=version,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return version


@transaction.atomic
def version_set_themes(*, actor, version: ItemVersion, themes: list[Theme]) -> ItemVersion:
    """Replace the version's themes (主题)."""
    version = _editable(actor, version)
    before = sorted(version.themes.values_list("code", flat=True))
    version.themes.set(themes)
    after = sorted(theme.code for theme in themes)
    audit.record(
        actor=actor, action="item_version.themes_set", obj=version, before={"themes": before}, after={"themes": after}
    )
    return version


@transaction.atomic
def version_set_form(*, actor, version: ItemVersion, schema: dict, ui: dict) -> ItemVersion:
    """Set the application form (JSON Schema + UI hints), validated by catalog.forms_schema.check_form."""
    version = _editable(actor, version)
    forms_schema.check_form(schema, ui)
    before = {"form_schema": version.form_schema, "form_ui": version.form_ui}
    version.form_schema, version.form_ui = schema, ui
    version.save(update_fields=["form_schema", "form_ui", "updated_at"])
    audit.record(
        actor=actor,
        action="item_version.form_set",
        obj=version,
        before=before,
        after={"form_schema": schema, "form_ui": ui},
    )
    return version


@transaction.atomic
def version_set_process(*, actor, version: ItemVersion, process: ProcessDefinition | None) -> ItemVersion:
    """Set (or clear) the version's process definition (办理流程定义)."""
    version = _editable(actor, version)
    before = {"process": version.process_id}
    version.process = process
    version.save(update_fields=["process", "updated_at"])
    audit.record(
        actor=actor,
        action="item_version.process_set",
        obj=version,
        before=before,
        after={"process": version.process_id},
    )
    return version


# ── Materials, fees and FAQs ───────────────────────────────────────────────────────────────────────────────────────

CHILD_MODELS = {"material": Material, "fee": FeeItem, "faq": Faq}


def _checked_child(child: models.Model) -> None:
    try:
        child.full_clean(exclude=["version"])
    except ValidationError as error:
        raise DomainError(CatalogError.INVALID_GUIDE, fields=error.message_dict) from None
    if isinstance(child, Material):
        messages = validation.material_problems(child)
        if messages:
            raise DomainError(CatalogError.INVALID_GUIDE, fields={"source": messages})


def _child_save(actor, version: ItemVersion, kind: str, child: models.Model | None, fields: dict) -> models.Model:
    version = _editable(actor, version)
    model = CHILD_MODELS[kind]
    unknown = sorted(set(fields) - {f.name for f in model._meta.concrete_fields} | (set(fields) & CHILD_OWNER_FIELDS))
    if unknown:
        raise DomainError(CatalogError.INVALID_GUIDE, fields={name: [_("不是可编辑的字段")] for name in unknown})
    if child is None:
        child, before = model(version=version), None
    else:
        child = model.objects.filter(pk=child.pk, version=version).first()
        if child is None:
            raise DomainError(CatalogError.VERSION_NOT_FOUND)
        before = _snapshot(child)
    for name, value in fields.items():
        setattr(child, name, value)
    _checked_child(child)
    child.save()
    audit.record(
        actor=actor,
        action=f"item_version.{kind}_save",
        obj=version,
        before={kind: before} if before else None,
        after={kind: _snapshot(child)},
    )
    return child


def _child_delete(actor, kind: str, child: models.Model) -> None:
    model = CHILD_MODELS[kind]
    child = model.objects.select_related("version").filter(pk=child.pk).first()
    if child is None:
        raise DomainError(CatalogError.VERSION_NOT_FOUND)
    version = _editable(actor, child.version)
    before = _snapshot(child)
    child.delete()
    audit.record(actor=actor, action=f"item_version.{kind}_delete", obj=version, before={kind: before})


@transaction.atomic
def material_save(*, actor, version: ItemVersion, material: Material | None = None, **fields) -> Material:
    """Add a material to a draft (material None) or change one of its materials."""
    return _child_save(actor, version, "material", material, fields)


@transaction.atomic
def material_delete(*, actor, material: Material) -> None:
    """Remove a material from a draft or returned version."""
    _child_delete(actor, "material", material)


@transaction.atomic
def fee_save(*, actor, version: ItemVersion, fee: FeeItem | None = None, **fields) -> FeeItem:
    """Add a fee item to a draft (fee None) or change one of its fee items."""
    return _child_save(actor, version, "fee", fee, fields)


@transaction.atomic
def fee_delete(*, actor, fee: FeeItem) -> None:
    """Remove a fee item from a draft or returned version."""
    _child_delete(actor, "fee", fee)


@transaction.atomic
def faq_save(*, actor, version: ItemVersion, faq: Faq | None = None, **fields) -> Faq:
    """Add an FAQ to a draft (faq None) or change one of its FAQs."""
    return _child_save(actor, version, "faq", faq, fields)


@transaction.atomic
def faq_delete(*, actor, faq: Faq) -> None:
    """Remove an FAQ from a draft or returned version."""
    _child_delete(actor, "faq", faq)


def _built_children(version: ItemVersion, kind: str, rows: list[dict], errors: dict) -> list[models.Model]:
    model, built = CHILD_MODELS[kind], []
    allowed = {f.name for f in model._meta.concrete_fields} - CHILD_OWNER_FIELDS
    for index, row in enumerate(rows):
        prefix = f"{kind}s.{index}"
        for name in sorted(set(row) - allowed):
            errors.setdefault(f"{prefix}.{name}", []).append(_("不是可编辑的字段"))
        child = model(version=version, **{name: value for name, value in row.items() if name in allowed})
        if "order" not in row:
            child.order = index + 1
        try:
            _checked_child(child)
        except DomainError as error:
            for name, messages in error.fields.items():
                errors.setdefault(f"{prefix}.{name}", []).extend(messages)
        built.append(child)
    return built


@transaction.atomic
def version_replace_children(
    *, actor, version: ItemVersion, materials: list[dict], fees: list[dict], faqs: list[dict]
) -> ItemVersion:
    """Replace every material, fee item and FAQ at once (import, demo); errors name "materials.<n>.<field>"."""
    version = _editable(actor, version)
    errors: dict[str, list[str]] = {}
    built = {
        kind: _built_children(version, kind, rows, errors)
        for kind, rows in (("material", materials), ("fee", fees), ("faq", faqs))
    }
    if errors:
        raise DomainError(CatalogError.INVALID_GUIDE, fields=errors)
    counts_before = {
        "materials": version.materials.count(),
        "fees": version.fees.count(),
        "faqs": version.faqs.count(),
    }
    for kind, children in built.items():
        CHILD_MODELS[kind].objects.filter(version=version).delete()
        CHILD_MODELS[kind].objects.bulk_create(children)
    audit.record(
        actor=actor,
        action="item_version.children_replace",
        obj=version,
        before=counts_before,
        after={
            "materials": [m.name for m in built["material"]],
            "fees": [f.name for f in built["fee"]],
            "faqs": len(built["faq"]),
        },
    )
    return version


# ── Review and publication ─────────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def version_submit(*, actor, version: ItemVersion) -> ItemVersion:
    """Send a complete draft (or a corrected returned version) for review; INVALID_GUIDE lists what is missing."""
    version = _lock_version(version)
    access.require_editor(actor, version.item)
    _require_status(version, SUBMITTABLE)
    problems = validation.version_problems(version)
    if problems:
        raise DomainError(CatalogError.INVALID_GUIDE, fields=problems)
    before, after = _status_change(version.status, VersionStatus.SUBMITTED)
    version.status, version.submitted_at = VersionStatus.SUBMITTED, timezone.now()
    version.save(update_fields=["status", "submitted_at", "updated_at"])
    audit.record(actor=actor, action="item_version.submit", obj=version, before=before, after=after)
    return version


def _reviewable(actor, version: ItemVersion, allowed) -> ItemVersion:
    locked = _lock_version(version)
    access.require_reviewer(actor, locked)
    _require_status(locked, allowed)
    return locked


@transaction.atomic
def version_approve(*, actor, version: ItemVersion, comment: str = "") -> ItemVersion:
    """A reviewer who did not write the version approves it (it can then be published)."""
    version = _reviewable(actor, version, (VersionStatus.SUBMITTED,))
    return _review(actor, version, VersionStatus.APPROVED, comment.strip(), "item_version.approve")


@transaction.atomic
def version_return(*, actor, version: ItemVersion, comment: str) -> ItemVersion:
    """A reviewer sends the version back to its editors with a comment saying what to change (required)."""
    version = _reviewable(actor, version, (VersionStatus.SUBMITTED, VersionStatus.APPROVED))
    if not (comment or "").strip():
        raise DomainError(
            CatalogError.COMMENT_REQUIRED, fields={"comment": [str(CatalogError.COMMENT_REQUIRED.message)]}
        )
    return _review(actor, version, VersionStatus.RETURNED, comment.strip(), "item_version.return")


def _review(actor, version: ItemVersion, status: str, comment: str, action: str) -> ItemVersion:
    before, after = _status_change(version.status, status, comment=comment)
    version.status, version.reviewer, version.review_comment = status, actor, comment
    version.reviewed_at = timezone.now()
    version.save(update_fields=["status", "reviewer", "review_comment", "reviewed_at", "updated_at"])
    audit.record(actor=actor, action=action, obj=version, before=before, after=after)
    return version


@transaction.atomic
def version_publish(*, actor, version: ItemVersion) -> ItemVersion:
    """Publish an approved version: it replaces the published one (now SUPERSEDED) in one transaction.

    The item row is locked first, so of two publications racing on one item exactly one version ends up PUBLISHED;
    a version older than the one already published is refused.
    """
    item = _lock_item(version.item)
    version = _reviewable(actor, version, (VersionStatus.APPROVED,))
    # An organisation a lane names may have been deactivated since the version was submitted.
    lane_problems = validation.lane_problems(version)
    if lane_problems:
        raise DomainError(CatalogError.INVALID_GUIDE, fields=lane_problems)
    previous = item.published_version
    if previous is not None and previous.number > version.number:
        raise DomainError(CatalogError.WRONG_STATUS, _("已发布的版本比该版本新，不能用旧版本替换"))
    now = timezone.now()
    if previous is not None:
        ItemVersion.objects.filter(pk=previous.pk).update(status=VersionStatus.SUPERSEDED, updated_at=now)
    version.status, version.published_at, version.reviewer = VersionStatus.PUBLISHED, now, actor
    version.save(update_fields=["status", "published_at", "reviewer", "updated_at"])
    item.published_version = version
    item.save(update_fields=["published_version"])
    audit.record(
        actor=actor,
        action="item_version.publish",
        obj=version,
        before={"status": VersionStatus.APPROVED, "superseded": previous.pk if previous else None},
        after={"status": VersionStatus.PUBLISHED},
    )
    search.index_item(item)
    return version


@transaction.atomic
def item_retire(*, actor, item: ImplementationItem, reason: str) -> ImplementationItem:
    """Withdraw a published item (取消): its version becomes RETIRED and stays in history; no longer searchable."""
    item = _lock_item(item)
    access.require_item_reviewer(actor, item)
    if not (reason or "").strip():
        raise DomainError(CatalogError.REASON_REQUIRED, fields={"reason": [str(CatalogError.REASON_REQUIRED.message)]})
    if item.published_version_id is None:
        raise DomainError(CatalogError.NOT_PUBLISHED, _("该事项没有已发布的版本，无需取消"))
    version = ItemVersion.objects.select_for_update().get(pk=item.published_version_id)
    version.status = VersionStatus.RETIRED
    version.save(update_fields=["status", "updated_at"])
    item.published_version = None
    item.save(update_fields=["published_version"])
    audit.record(
        actor=actor,
        action="item.retire",
        obj=item,
        before={"status": VersionStatus.PUBLISHED, "published_version": version.pk},
        after={"status": VersionStatus.RETIRED, "published_version": None, "reason": reason.strip()},
    )
    search.remove_item(item)
    return item
