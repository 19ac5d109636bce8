"""What changed between two versions of an item's guide, for reviewers and for the public history.

Each change is a FieldChange with the Chinese label of the element (its verbose_name) and readable before/after
values (choice labels, 是/否, lists joined with 、). Materials, fees and FAQs are matched by name (question for FAQs)
and reported as added, removed or changed field by field; themes, the application form and the process as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.catalog import punctuation
from tongban.catalog.models import ItemVersion
from tongban.catalog.services import GUIDE_ELEMENTS
from tongban.core.models import Organisation

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
# Child fields that are bookkeeping, not content.
CHILD_SKIP = frozenset({"id", "version", "order"})
LIST_LABELS = {
    "service_object": {"person": gettext_lazy("自然人"), "enterprise": gettext_lazy("法人")},
    "handling_forms": {
        "window": gettext_lazy("窗口办理"),
        "online": gettext_lazy("网上办理"),
        "mail": gettext_lazy("邮寄办理"),
    },
}


@dataclass(frozen=True)
class FieldChange:
    """One difference: the element's Chinese label and its readable value before and after."""

    label: str
    before: str
    after: str
    kind: str = CHANGED  # added / removed / changed
    field: str = ""  # the model field name, or materials / fees / faqs / themes / form / process


def _readable(obj: models.Model, field: models.Field) -> str:
    value = getattr(obj, field.name)
    if field.choices:
        return str(getattr(obj, f"get_{field.name}_display")()) if value not in ("", None) else ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, list):
        labels = LIST_LABELS.get(field.name, {})
        return punctuation.join_list(labels.get(entry, entry) for entry in value)
    if isinstance(value, dict):
        return mapping_text(value)
    return "" if value is None else str(value)


def mapping_text(value: dict) -> str:
    """流程泳道对应部门 as "协办部门：桐庐县卫生健康局" (the USCC when no organisation has it)."""
    names = dict(Organisation.objects.filter(uscc__in=[str(v) for v in value.values()]).values_list("uscc", "name"))
    entries = sorted(f"{key}{punctuation.mark('colon')}{names.get(str(code), code)}" for key, code in value.items())
    return punctuation.join_list(entries)


def _element_fields() -> list[models.Field]:
    return [ItemVersion._meta.get_field(name) for name in GUIDE_ELEMENTS]


def _element_changes(old: ItemVersion, new: ItemVersion) -> list[FieldChange]:
    changes = []
    for field in _element_fields():
        before, after = _readable(old, field), _readable(new, field)
        if before != after:
            changes.append(FieldChange(str(field.verbose_name), before, after, CHANGED, field.name))
    return changes


def _content_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in CHILD_SKIP]


def _child_changes(kind: str, label: str, key: str, old_rows, new_rows) -> list[FieldChange]:
    old_by_key = {getattr(row, key): row for row in old_rows}
    new_by_key = {getattr(row, key): row for row in new_rows}
    changes = []
    for name in new_by_key:
        if name not in old_by_key:
            changes.append(FieldChange(_row_label(label, name), "", _("新增"), ADDED, kind))
    for name, row in old_by_key.items():
        if name not in new_by_key:
            changes.append(FieldChange(_row_label(label, name), _("原有"), _("删除"), REMOVED, kind))
            continue
        other = new_by_key[name]
        for field in _content_fields(type(row)):
            before, after = _readable(row, field), _readable(other, field)
            if before != after:
                field_label = _("%(row)s%(field)s") % {"row": _row_label(label, name), "field": field.verbose_name}
                changes.append(FieldChange(field_label, before, after, CHANGED, kind))
    return changes


def _row_label(label, name: str) -> str:
    """A material, fee or question named in a change, e.g. 申请材料「居民身份证」."""
    return _("%(label)s「%(name)s」") % {"label": label, "name": name}


def _themes_change(old: ItemVersion, new: ItemVersion) -> list[FieldChange]:
    before = punctuation.join_list(sorted(theme.name for theme in old.themes.all()))
    after = punctuation.join_list(sorted(theme.name for theme in new.themes.all()))
    return [] if before == after else [FieldChange(_("主题"), before, after, CHANGED, "themes")]


def _form_summary(schema: dict, ui: dict) -> str:
    """The form's field titles in page order: PostgreSQL's jsonb does not keep the order of the schema's keys, the
    page list in the UI hints does."""
    properties = (schema or {}).get("properties") or {}
    on_pages = [name for page in (ui or {}).get("pages", []) for name in page.get("fields", [])]
    names = [name for name in on_pages if name in properties] + sorted(set(properties) - set(on_pages))
    return punctuation.join_list(
        properties[name].get("title") or name for name in names if isinstance(properties[name], dict)
    )


def _form_change(old: ItemVersion, new: ItemVersion) -> list[FieldChange]:
    if (old.form_schema, old.form_ui) == (new.form_schema, new.form_ui):
        return []
    before, after = _form_summary(old.form_schema, old.form_ui), _form_summary(new.form_schema, new.form_ui)
    if before == after:
        before, after = before + _("（修改前）"), after + _("（字段设置或页面有修改）")
    return [FieldChange(_("申请表"), before, after, CHANGED, "form")]


def _process_name(version: ItemVersion) -> str:
    """The process's name with the start of its content hash: two uploads of one name still read differently."""
    if not version.process_id:
        return ""
    return _("%(name)s（%(hash)s）") % {"name": version.process.name, "hash": version.process.content_hash[:8]}


def _process_change(old: ItemVersion, new: ItemVersion) -> list[FieldChange]:
    if old.process_id == new.process_id:
        return []
    return [FieldChange(_("办理流程定义"), _process_name(old), _process_name(new), CHANGED, "process")]


def version_diff(old: ItemVersion, new: ItemVersion) -> list[FieldChange]:
    """Every difference from `old` to `new`: guide elements in model order, then materials, fees, FAQs, themes,
    form and process. Empty when the two guides say the same."""
    return [
        *_element_changes(old, new),
        *_child_changes("materials", _("申请材料"), "name", old.materials.all(), new.materials.all()),
        *_child_changes("fees", _("收费项目"), "name", old.fees.all(), new.fees.all()),
        *_child_changes("faqs", _("常见问题"), "question", old.faqs.all(), new.faqs.all()),
        *_themes_change(old, new),
        *_form_change(old, new),
        *_process_change(old, new),
    ]
