"""Load the demo county's catalogue (catalog/demo_data.py) through the catalogue's own services.

Every item is created, drafted, given its materials, fees, FAQs, themes, form and process, submitted by the
department's catalogue editor and approved and published by the catalogue reviewer 周处长, so each published version
has passed validation.version_problems and every step is in the audit log. Idempotent: an item that is already
published is left as it is; themes, bundles, editors and synonyms that exist are not touched.

The demo county has one catalogue editor in the identity demo (钱老师, 卫生健康局); the other departments get one
editor each here (EDITORS), as a real county would have a 事项联络员 per department.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from tongban.accounts import services as accounts_services
from tongban.accounts.models import StaffRole, User, UserKind
from tongban.catalog import bpmn, codes, search
from tongban.catalog import services as catalog
from tongban.catalog.demo_data import BUNDLES, ITEMS, THEMES, BundleSpec, Field, ItemSpec
from tongban.catalog.models import BasicItem, Bundle, BundleItem, ImplementationItem, ItemVersion, Theme, VersionStatus
from tongban.core import audit
from tongban.core.models import Organisation
from tongban.demo import data as county

REVIEWER = "catreviewer_zhou"  # 周处长, catalogue reviewer over the whole county

# Department catalogue editors: organisation key -> (username, display name, phone). 钱老师 is in demo/data.py.
EDITORS = {
    "health": ("editor_qian", "钱老师", ""),
    "amr": ("editor_ma", "马老师", "13905710021"),
    "hrss": ("editor_lu", "陆老师", "13905710022"),
    "civil": ("editor_xu", "许老师", "13905710023"),
    "police": ("editor_gao", "高老师", "13905710024"),
    "housing": ("editor_tang", "唐老师", "13905710025"),
    "nrp": ("editor_fang", "方老师", "13905710026"),
    "medins": ("editor_yu", "余老师", "13905710027"),
    "tax": ("editor_jiang", "蒋老师", "13905710028"),
}
NEW_EDITOR_USERNAMES = [username for username, _name, phone in EDITORS.values() if phone]

# Field kinds of demo_data.Field as JSON Schema properties.
PATTERNS = {
    "id_number": (r"^\d{17}[\dXx]$", "请填写 18 位公民身份号码", 18),
    "phone": (r"^1\d{10}$", "请填写 11 位手机号码", 11),
    "uscc": (r"^[0-9A-HJ-NPQRTUWXY]{18}$", "请填写 18 位统一社会信用代码", 18),
}
TEXT_MAX_LENGTH = 100
TEXTAREA_MAX_LENGTH = 1000


# --- Forms ----------------------------------------------------------------------------------------------------------


def _property(spec: Field) -> dict:
    prop: dict = {"title": spec.title}
    if spec.kind == "number":
        return {**prop, "type": "number", "minimum": 0}
    prop["type"] = "string"
    if spec.kind == "date":
        return {**prop, "format": "date"}
    if spec.kind == "choice":
        return {**prop, "enum": list(spec.choices)}
    if spec.kind in PATTERNS:
        pattern, hint, length = PATTERNS[spec.kind]
        return {**prop, "pattern": pattern, "maxLength": length, "x-format-hint": hint}
    if spec.kind == "textarea":
        return {**prop, "maxLength": TEXTAREA_MAX_LENGTH}
    return {**prop, "maxLength": spec.max_length or TEXT_MAX_LENGTH}


def form_definition(pages: list[tuple[str, list[Field]]]) -> tuple[dict, dict]:
    """The JSON Schema and UI hints (catalog/forms_schema.py format) of a demo form given as titled pages."""
    fields = [spec for _title, specs in pages for spec in specs]
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {spec.name: _property(spec) for spec in fields},
        "required": [spec.name for spec in fields if spec.required],
        "additionalProperties": False,
    }
    ui = {
        "pages": [{"title": title, "fields": [spec.name for spec in specs]} for title, specs in pages],
        "help": {spec.name: spec.help for spec in fields if spec.help},
        "prefill": {spec.name: spec.prefill for spec in fields if spec.prefill},
    }
    return schema, ui


# --- Guide elements --------------------------------------------------------------------------------------------------


def guide_elements(spec: ItemSpec) -> dict:
    """Every guide element of the spec's first version, as ItemVersion field values."""
    organisation = county_organisation_spec(spec.organisation)
    statutory, statutory_unit, statutory_note = spec.statutory
    promised, promised_unit, promised_note = spec.promised
    result_type, result_name, result_licence = spec.result
    elements = {
        "name": spec.name,
        "item_type": spec.item_type,
        "legal_basis": spec.legal_basis,
        "service_object": spec.service_object,
        "acceptance_conditions": spec.acceptance_conditions,
        "procedure": spec.procedure,
        "statutory_limit": statutory,
        "statutory_limit_unit": statutory_unit,
        "statutory_limit_note": statutory_note,
        "promised_limit": promised,
        "promised_limit_unit": promised_unit,
        "promised_limit_note": promised_note,
        "case_type": spec.case_type,
        "hours": county.OFFICE_HOURS,
        "consultation": (
            f"{organisation.name}：{organisation.phone}；行政服务中心咨询导办窗口（5 号窗口）；12345 政务服务便民热线"
        ),
        "complaint": (
            "12345 政务服务便民热线；桐庐县行政服务中心监督投诉电话 0571-64210010；"
            f"来信来访：{county_organisation_spec('hall').address}（行政服务中心管理办公室）"
        ),
        "result_type": result_type,
        "result_name": result_name,
        "result_licence_type": result_licence,
        "min_real_name_level": 2,
    }
    return {**elements, **spec.elements}


def county_organisation_spec(key: str) -> county.DemoOrganisation:
    return next(spec for spec in county.ORGANISATIONS if spec.key == key)


def _organisation(key: str) -> Organisation:
    return Organisation.objects.select_related("region").get(uscc=county_organisation_spec(key).uscc)


# --- Staff ----------------------------------------------------------------------------------------------------------


def _editors() -> dict[str, User]:
    """The catalogue editor of each department (created with the role when missing)."""
    editors = {}
    for org_key, (username, name, phone) in EDITORS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = accounts_services.user_create(
                actor=None,
                kind=UserKind.STAFF,
                username=username,
                display_name=name,
                phone=phone,
                password=county.DEMO_PASSWORD,
            )
        accounts_services.staff_role_grant(
            actor=None, user=user, organisation=_organisation(org_key), role=StaffRole.CATALOGUE_EDITOR
        )
        editors[org_key] = user
    return editors


# --- Themes and bundles (no editor pages yet: audited here) ---------------------------------------------------------


@transaction.atomic
def theme_ensure(*, actor, code: str, name: str, audience: str, order: int) -> Theme:
    """The theme with this code, created (and audited) when missing."""
    theme = Theme.objects.filter(code=code).first()
    if theme is not None:
        return theme
    theme = Theme.objects.create(code=code, name=name, audience=audience, order=order)
    audit.record(
        actor=actor, action="theme.create", obj=theme, after={"code": code, "name": name, "audience": audience}
    )
    return theme


@transaction.atomic
def bundle_ensure(*, actor, spec: BundleSpec, items: list[ImplementationItem]) -> Bundle:
    """The published bundle with this code and its ordered items, created (and audited) when missing."""
    bundle = Bundle.objects.filter(code=spec.code).first()
    if bundle is not None:
        return bundle
    bundle = Bundle.objects.create(
        code=spec.code,
        name=spec.name,
        description=spec.description,
        audience=spec.audience,
        shared_fields=spec.shared_fields,
        published=True,
    )
    BundleItem.objects.bulk_create(
        [BundleItem(bundle=bundle, item=item, order=order) for order, item in enumerate(items, start=1)]
    )
    audit.record(
        actor=actor,
        action="bundle.create",
        obj=bundle,
        after={"code": spec.code, "items": [item.code for item in items], "shared_fields": spec.shared_fields},
    )
    return bundle


# --- Items ----------------------------------------------------------------------------------------------------------


def _implementation(spec: ItemSpec, editor: User) -> ImplementationItem:
    basic_code = spec.basic_code
    basic_item = BasicItem.objects.filter(code=basic_code).first() or catalog.basic_item_create(
        actor=editor,
        source=spec.source,
        item_type=spec.item_type,
        department_code=basic_code[4:6],
        main_number=spec.main_number,
        sub_number=spec.sub_number,
        name=spec.name,
        legal_basis=spec.legal_basis,
    )
    organisation = _organisation(spec.organisation)
    code = codes.implementation_code(organisation.uscc, spec.exercise_level, basic_item.code)
    return ImplementationItem.objects.filter(code=code).first() or catalog.item_create(
        actor=editor, basic_item=basic_item, organisation=organisation, exercise_level=spec.exercise_level
    )


def _draft(spec: ItemSpec, item: ImplementationItem, editor: User, themes: dict[str, Theme]) -> ItemVersion:
    version = catalog.version_create(actor=editor, item=item, **guide_elements(spec))
    catalog.version_replace_children(
        actor=editor, version=version, materials=spec.materials, fees=spec.fees, faqs=spec.faqs
    )
    catalog.version_set_themes(actor=editor, version=version, themes=[themes[code] for code in spec.themes])
    schema, ui = form_definition(spec.form)
    catalog.version_set_form(actor=editor, version=version, schema=schema, ui=ui)
    process = bpmn.process_from_template(actor=editor, key=spec.process)
    return catalog.version_set_process(actor=editor, version=version, process=process)


@transaction.atomic
def _publish_item(spec: ItemSpec, editor: User, reviewer: User, themes: dict[str, Theme]) -> bool:
    """Create and publish the item unless it is already published; whether anything was done."""
    item = _implementation(spec, editor)
    if item.published_version_id is not None:
        return False
    version = item.versions.order_by("-number").first()
    if version is None:
        version = _draft(spec, item, editor, themes)
    if version.status in (VersionStatus.DRAFT, VersionStatus.RETURNED):
        version = catalog.version_submit(actor=editor, version=version)
    if version.status == VersionStatus.SUBMITTED:
        version = catalog.version_approve(actor=reviewer, version=version, comment="要素齐全，同意发布")
    catalog.version_publish(actor=reviewer, version=version)
    return True


def seed_catalog(say: Callable[[str], None] = lambda _message: None) -> None:
    """Load the demo catalogue: themes, editors, every item published, bundles, synonyms (idempotent)."""
    with transaction.atomic():
        reviewer = User.objects.get(username=REVIEWER)
        editors = _editors()
        themes = {
            spec.code: theme_ensure(
                actor=None, code=spec.code, name=spec.name, audience=spec.audience, order=spec.order
            )
            for spec in THEMES
        }
        published = sum(_publish_item(spec, editors[spec.organisation], reviewer, themes) for spec in ITEMS)
        items = {spec.key: _implementation(spec, editors[spec.organisation]) for spec in ITEMS}
        for bundle in BUNDLES:
            bundle_ensure(actor=None, spec=bundle, items=[items[key] for key in bundle.items])
        synonyms = search.seed_synonyms()
    say(
        f"事项目录：新发布 {published} 项，共 {ImplementationItem.objects.exclude(published_version=None).count()} 项"
        f"已发布；一件事 {Bundle.objects.count()} 个；新增同义词 {synonyms} 条"
    )
