"""Bundles (一件事一次办): one application for several items across departments, one child case per item.

The person fills the bundle's shared fields once, then each item's remaining fields, and provides the union of the
items' materials with each material asked once: materials with the same source licence type (出生医学证明 from the
licence library) or, failing that, the same name are one *group*, and one upload serves every child case that asks
for it (the stored file is kept once, content-addressed).

Fan-out, and the choice made about acceptance: on submission the parent becomes 已接件 with its own number
("YJS" + bundle code + date + serial) and, in the same transaction, one child case per item is created at the item's
own organisation, 已接件, through the one-shot submission of cases/services.py (`_submit_in_one_go`), so each child
is numbered, deadlined, receipted and audited exactly as any case. There is no separate front-window acceptance of
the parent: acceptance (受理) is each competent department's own legal act with its own 5-working-day limit (行政许可法
art. 32), so each department pre-reviews its child on the ordinary pre-review pages (accept → review → decide; refuse;
supplement) and one department's refusal does not hold the others. "On acceptance it fans out" is therefore read as:
the application is received once and accepted by each department for its part.

The parent follows its children (`bundle_child_moved`, called by cases/steps.transition whenever a child changes
status): 已接件 while every child awaits pre-review, 办理中 once any child has been accepted or has ended, 已办结 (with
closed_at, the applicant told) once every child case has ended (FINAL_STATUSES). Notifications about a child link
to the parent's page (steps.tell), which shows each child's notices and the supplement form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.accounts.models import User
from tongban.cases import services
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    FINAL_STATUSES,
    PRE_REVIEW_STATUSES,
    BundleApplication,
    BundleStatus,
    Case,
    CaseStatus,
    Provision,
    Upload,
)
from tongban.catalog.forms_schema import FormPage, coerce_submission, form_pages, validate_submission
from tongban.catalog.models import Bundle, ItemVersion, Material, MaterialNecessity
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.numbering import next_serial
from tongban.notifications.services import notify

NUMBER_PREFIX = "YJS"
NUMBER_SERIAL_DIGITS = 4
SHARED = "shared"  # the key of the shared answers in BundleApplication.form_data
ITEMS = "items"  # item pk (as text) → that item's own answers
# The statuses of a child that still await pre-review (the parent stays 已接件 while all children are in them).
WAITING_STATUSES = (*PRE_REVIEW_STATUSES, CaseStatus.SUPPLEMENT)
_NECESSITY_RANK = {MaterialNecessity.OPTIONAL: 0, MaterialNecessity.DEFERRABLE: 1, MaterialNecessity.REQUIRED: 2}


def parent_link(public_id) -> str:
    return f"/cases/bundles/{public_id}/"


# ---------------------------------------------------------------------------------------------------------------
# The bundle as the person sees it: parts, pages, material groups


@dataclass(frozen=True)
class Part:
    """One item of the bundle with its published version."""

    order: int
    item: object  # catalog.ImplementationItem
    version: ItemVersion

    @property
    def key(self) -> str:
        return str(self.item.pk)


@dataclass
class MaterialGroup:
    """Materials of several items that are one and the same document, asked for once."""

    number: int
    key: str  # "licence:<type>" or "name:<name>": stable across versions, kept in the draft
    name: str
    necessity: str  # the strictest of the members
    members: list[tuple[Part, Material]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return f"group-{self.number}"

    @property
    def deferrable(self) -> bool:
        return self.necessity == MaterialNecessity.DEFERRABLE

    @property
    def item_names(self) -> list[str]:
        return [part.version.name for part, _material in self.members]


@dataclass(frozen=True)
class BundlePage:
    """One short page of the bundle's form: the shared fields (part None) or one item's own fields."""

    number: int
    page: FormPage
    part: Part | None
    schema: dict

    @property
    def key(self) -> str:
        return SHARED if self.part is None else self.part.key


def access_published_bundle(code: str) -> Bundle:
    bundle = Bundle.objects.filter(code=code, published=True).first()
    if bundle is None:
        raise DomainError(CaseError.BUNDLE_NOT_FOUND)
    return bundle


def bundle_parts(bundle: Bundle) -> list[Part]:
    """The bundle's items with their published versions, in order (one query); all must be published."""
    entries = bundle.entries.select_related("item__published_version", "item__organisation").order_by("order")
    parts = [Part(entry.order, entry.item, entry.item.published_version) for entry in entries]
    if not parts or any(part.version is None for part in parts):
        raise DomainError(CaseError.BUNDLE_NOT_FOUND)
    return parts


def min_real_name_level(parts: list[Part]) -> int:
    """The level the bundle asks for: the highest of its items'."""
    return max(part.version.min_real_name_level for part in parts)


def _group_key(material: Material) -> str:
    return f"licence:{material.source_licence_type}" if material.source_licence_type else f"name:{material.name}"


def material_groups(parts: list[Part]) -> list[MaterialGroup]:
    """The union of the items' materials, each document once, in the order first asked (one query)."""
    by_version = {part.version.pk: part for part in parts}
    rank = {part.version.pk: index for index, part in enumerate(parts)}
    materials = sorted(
        Material.objects.filter(version_id__in=by_version), key=lambda m: (rank[m.version_id], m.order, m.pk)
    )
    groups: dict[str, MaterialGroup] = {}
    for material in materials:
        key = _group_key(material)
        group = groups.get(key)
        if group is None:
            group = groups[key] = MaterialGroup(len(groups) + 1, key, material.name, material.necessity)
        elif _NECESSITY_RANK[material.necessity] > _NECESSITY_RANK[group.necessity]:
            group.necessity = material.necessity
        group.members.append((by_version[material.version_id], material))
    return list(groups.values())


def _narrowed(schema: dict, names: list[str]) -> dict:
    return {
        "type": "object",
        "properties": {name: schema["properties"][name] for name in names},
        "required": [name for name in schema.get("required", []) if name in names],
    }


def bundle_pages(bundle: Bundle, parts: list[Part]) -> list[BundlePage]:
    """Page 1: the shared fields (each as the first item that has it defines it); then one page per item with the
    fields of its own form that are not shared (items with none get no page).

    Shared are the bundle's shared_fields and, beyond them, every field two or more items define identically (the
    applicant's name, ID number and phone that each item's form asks): one question, one answer for all."""
    shared_names = list(bundle.shared_fields or [])
    seen: dict[str, list[dict]] = {}
    for part in parts:
        schema, part_ui = part.version.form_schema or {}, part.version.form_ui or {}
        for page in form_pages(schema, part_ui):
            for form_field in page.fields:
                seen.setdefault(form_field.name, []).append(schema["properties"][form_field.name])
    shared_names += [
        name
        for name, props in seen.items()
        if name not in shared_names and len(props) > 1 and all(prop == props[0] for prop in props)
    ]
    shared_props: dict = {}
    required: set[str] = set()
    ui: dict = {"help": {}, "prefill": {}}
    for part in parts:
        schema, part_ui = part.version.form_schema or {}, part.version.form_ui or {}
        for name in shared_names:
            if name in schema.get("properties", {}):
                shared_props.setdefault(name, schema["properties"][name])
                ui["help"].setdefault(name, (part_ui.get("help") or {}).get(name, ""))
                ui["prefill"].setdefault(name, (part_ui.get("prefill") or {}).get(name, ""))
                if name in schema.get("required", []):
                    required.add(name)
    shared_names = [name for name in shared_names if name in shared_props]
    shared_schema = {"type": "object", "properties": shared_props, "required": sorted(required)}
    pages: list[BundlePage] = []
    if shared_names:
        ui["pages"] = [
            {"title": _("共同信息"), "help": _("以下信息各事项共用，只需填写一次。"), "fields": shared_names}
        ]
        pages.append(BundlePage(1, form_pages(shared_schema, ui)[0], None, shared_schema))
    for part in parts:
        schema, part_ui = part.version.form_schema or {}, part.version.form_ui or {}
        own = [f for page in form_pages(schema, part_ui) for f in page.fields if f.name not in shared_props]
        if not own:
            continue
        number = len(pages) + 1
        page = FormPage(number=number, title=part.version.name, help=_("该事项还需要的信息"), fields=own)
        pages.append(BundlePage(number, page, part, _narrowed(schema, [f.name for f in own])))
    return pages


def page_problems(page: BundlePage, raw: dict) -> dict[str, list[str]]:
    """This page's problems, field by field, in page order (validate_submission on the page's narrowed schema)."""
    answers = coerce_submission(page.schema, raw)
    return validate_submission(page.schema, answers, ui={"pages": [{"fields": [f.name for f in page.page.fields]}]})


def page_values(application: BundleApplication, page: BundlePage) -> dict:
    data = application.form_data or {}
    return data.get(SHARED, {}) if page.part is None else data.get(ITEMS, {}).get(page.key, {})


def child_answers(application: BundleApplication, part: Part) -> dict:
    """What the child case is submitted with: the shared answers its form has, merged with its own answers."""
    properties = (part.version.form_schema or {}).get("properties", {})
    data = application.form_data or {}
    merged = {**data.get(SHARED, {}), **data.get(ITEMS, {}).get(part.key, {})}
    return {name: value for name, value in merged.items() if name in properties}


# ---------------------------------------------------------------------------------------------------------------
# Drafts


def _lock(application: BundleApplication) -> BundleApplication:
    return BundleApplication.objects.select_for_update().select_related("bundle").get(pk=application.pk)


def _editable(application: BundleApplication) -> BundleApplication:
    application = _lock(application)
    if application.status != BundleStatus.DRAFT:
        raise DomainError(CaseError.NOT_DRAFT)
    return application


def require_may_apply(*, applicant: services.Applicant, parts: list[Part]) -> None:
    """Every item's rules (online, audience, real-name level — so the highest of them — and agent scope)."""
    for part in parts:
        services.require_may_apply(applicant=applicant, item=part.item)


@transaction.atomic
def bundle_draft_start(
    *, actor: User, applicant: services.Applicant, bundle: Bundle, prefill: dict | None = None
) -> BundleApplication:
    """Open a draft bundle application; `prefill` is {"shared": {...}, "items": {item pk: {...}}} from the profile."""
    parts = bundle_parts(bundle)
    require_may_apply(applicant=applicant, parts=parts)
    prefill = prefill or {}
    application = BundleApplication.objects.create(
        bundle=bundle,
        applicant=applicant.account,
        submitted_by=actor,
        applicant_name=services._applicant_fields(applicant)["applicant_name"],
        form_data={SHARED: dict(prefill.get(SHARED, {})), ITEMS: dict(prefill.get(ITEMS, {}))},
    )
    audit.record(actor=actor, action="cases.bundle.start", obj=application, after={"bundle": bundle.code})
    return application


@transaction.atomic
def bundle_draft_save(
    *, actor: User, application: BundleApplication, page: BundlePage, answers: dict, reached: int | None = None
) -> BundleApplication:
    """Keep one page's answers (typed per its schema, merged over earlier ones); validation is the page's and the
    submission's business, so half a page may be saved."""
    application = _editable(application)
    typed = coerce_submission(page.schema, answers)
    data = dict(application.form_data or {})
    if page.part is None:
        data[SHARED] = {**data.get(SHARED, {}), **typed}
    else:
        items = dict(data.get(ITEMS, {}))
        items[page.key] = {**items.get(page.key, {}), **typed}
        data[ITEMS] = items
    application.form_data = data
    fields = ["form_data", "updated_at"]
    if reached is not None:
        application.current_page = reached
        fields.append("current_page")
    application.save(update_fields=fields)
    audit.record(actor=actor, action="cases.bundle.save", obj=application, after={"page": page.key})
    return application


@transaction.atomic
def bundle_page_reached(*, actor: User, application: BundleApplication, reached: int) -> BundleApplication:
    """Remember the step the person reached (materials, check) so 继续填写 returns there."""
    application = _editable(application)
    application.current_page = reached
    application.save(update_fields=["current_page", "updated_at"])
    return application


@transaction.atomic
def bundle_material_set(
    *, actor: User, application: BundleApplication, group: MaterialGroup, provision: str, upload_id: int | None = None
) -> BundleApplication:
    """Provide one group's document for every item that asks for it: an upload of the person's, or 容缺."""
    application = _editable(application)
    if provision == Provision.DEFERRED and not group.deferrable:
        raise DomainError(CaseError.MATERIAL_NOT_DEFERRABLE)
    if provision not in (Provision.UPLOAD, Provision.DEFERRED):
        raise DomainError(CaseError.MATERIAL_NOT_OF_ITEM)
    choice: dict = {"provision": provision}
    if provision == Provision.UPLOAD:
        upload = Upload.objects.filter(pk=upload_id, uploaded_by=actor).first()
        if upload is None:
            raise DomainError(CaseError.UPLOAD_NOT_FOUND)
        choice |= {"upload": upload.pk, "file": upload.original_name}
    application.materials = {**(application.materials or {}), group.key: choice}
    application.save(update_fields=["materials", "updated_at"])
    audit.record(actor=actor, action="cases.bundle.material", obj=application, after={"group": group.key, **choice})
    return application


@transaction.atomic
def bundle_material_clear(*, actor: User, application: BundleApplication, group: MaterialGroup) -> BundleApplication:
    application = _editable(application)
    materials = dict(application.materials or {})
    before = materials.pop(group.key, None)
    application.materials = materials
    application.save(update_fields=["materials", "updated_at"])
    audit.record(actor=actor, action="cases.bundle.material_clear", obj=application, before={group.key: before})
    return application


# ---------------------------------------------------------------------------------------------------------------
# Submission: the fan-out


def form_problems(application: BundleApplication, pages: list[BundlePage]) -> dict[str, list[str]]:
    """Every problem with the answers, keyed "<page number>:<field>" so the check page links to the page."""
    problems = {}
    for page in pages:
        for name, messages in page_problems(page, page_values(application, page)).items():
            problems[f"{page.number}:{name}"] = messages
    return problems


def missing_groups(application: BundleApplication, groups: list[MaterialGroup]) -> dict[str, list[str]]:
    chosen = application.materials or {}
    return {
        group.slug: [_("请提供“%(name)s”") % {"name": group.name}]
        for group in groups
        if group.necessity != MaterialNecessity.OPTIONAL and group.key not in chosen
    }


def _rows_for(part: Part, groups: list[MaterialGroup], chosen: dict) -> list[dict]:
    """The child's material rows: each group's choice for each of the part's materials in it (an optional material
    of a 容缺 group is simply not provided)."""
    rows = []
    for group in groups:
        choice = chosen.get(group.key)
        if choice is None:
            continue
        for member_part, material in group.members:
            if member_part is not part:
                continue
            if choice["provision"] == Provision.DEFERRED:
                if material.necessity == MaterialNecessity.DEFERRABLE:
                    rows.append({"material": material.pk, "provision": Provision.DEFERRED})
                continue
            rows.append({"material": material.pk, "provision": Provision.UPLOAD, "upload": choice["upload"]})
    return rows


def bundle_number(bundle: Bundle, day) -> str:
    code = bundle.code.upper()
    serial = next_serial(f"bundle:{bundle.code}"[:40], day)
    return f"{NUMBER_PREFIX}{code}{day:%Y%m%d}{serial:0{NUMBER_SERIAL_DIGITS}d}"


def application_for_idempotency_key(actor: User, key: str) -> BundleApplication | None:
    if not key:
        return None
    found = BundleApplication.objects.filter(submitted_by=actor, idempotency_key=key)
    return found.exclude(status=BundleStatus.DRAFT).first()


@transaction.atomic
def bundle_submit(*, actor: User, application: BundleApplication, idempotency_key: str = "") -> BundleApplication:
    """Submit the bundle: the parent 已接件 with its number and one child case per item, 已接件 at its organisation.

    Idempotent: an application already submitted (a double click, a replayed request) is returned unchanged. Nothing
    is saved when any part is wrong (a form error, a missing material, an item no longer published).
    """
    application = _lock(application)
    if application.status != BundleStatus.DRAFT:
        return application
    bundle = application.bundle
    parts = bundle_parts(bundle)
    applicant = services.Applicant(account=application.applicant, person=application.submitted_by)
    require_may_apply(applicant=applicant, parts=parts)
    problems = form_problems(application, bundle_pages(bundle, parts))
    if problems:
        raise DomainError(CaseError.INVALID_FORM, fields=problems)
    groups = material_groups(parts)
    missing = missing_groups(application, groups)
    if missing:
        raise DomainError(CaseError.MATERIALS_MISSING, fields=missing)
    now = timezone.now()
    application.number = bundle_number(bundle, timezone.localdate(now))
    application.status = BundleStatus.RECEIVED
    application.received_at = now
    application.idempotency_key = idempotency_key
    application.lock_version += 1
    application.save(update_fields=["number", "status", "received_at", "idempotency_key", "lock_version", "updated_at"])
    chosen = application.materials or {}
    children = [
        services._submit_in_one_go(
            actor,
            applicant,
            part.item,
            child_answers(application, part),
            _rows_for(part, groups, chosen),
            "",
            bundle_application=application,
        )
        for part in parts
    ]
    audit.record(
        actor=actor,
        action="cases.bundle.submit",
        obj=application,
        before={"status": BundleStatus.DRAFT},
        after={"status": application.status, "number": application.number, "cases": [c.number for c in children]},
    )
    _tell_parent(
        application,
        "bundle.received",
        _("一件事申请已提交"),
        _("您申请的“%(bundle)s”已接件，申请编号 %(number)s，共 %(count)d 个事项，各部门将分别受理办理。")
        % {"bundle": bundle.name, "number": application.number, "count": len(children)},
    )
    return application


def _tell_parent(application: BundleApplication, topic: str, title: str, body: str) -> None:
    people = [application.applicant, application.submitted_by]
    notify(recipients=people, topic=topic, title=title, body=body, link=parent_link(application.public_id))


# ---------------------------------------------------------------------------------------------------------------
# The parent follows its children


def parent_status(statuses: list[int]) -> int:
    """The parent's status from its children's: all ended → 已办结; all waiting for pre-review → 已接件; else 办理中."""
    if statuses and all(status in FINAL_STATUSES for status in statuses):
        return BundleStatus.COMPLETED
    if all(status in WAITING_STATUSES for status in statuses):
        return BundleStatus.RECEIVED
    return BundleStatus.IN_PROGRESS


def bundle_child_moved(case: Case) -> None:
    """A child case changed status (inside its transaction): bring the parent along; on completion tell the person.

    The child is already locked by the caller; the parent is locked after it (children before parent, always), so
    two departments ending their children at once serialise on the parent and exactly one of them completes it.
    """
    application = BundleApplication.objects.select_for_update().filter(pk=case.bundle_application_id).first()
    if application is None or application.status in (BundleStatus.DRAFT, BundleStatus.WITHDRAWN):
        return
    statuses = list(Case.objects.filter(bundle_application=application).values_list("status", flat=True))
    status = parent_status(statuses)
    if status == application.status:
        return
    before = {"status": application.status, "lock_version": application.lock_version}
    application.status = status
    application.lock_version += 1
    fields = ["status", "lock_version", "updated_at"]
    if status == BundleStatus.COMPLETED:
        application.closed_at = timezone.now()
        fields.append("closed_at")
    application.save(update_fields=fields)
    audit.record(
        actor=None,
        action="cases.bundle.follow",
        obj=application,
        before=before,
        after={"status": status, "lock_version": application.lock_version, "child": case.number},
    )
    if status == BundleStatus.COMPLETED:
        _tell_parent(
            application,
            "bundle.completed",
            _("一件事已办结"),
            _("您申请的“%(bundle)s”（申请编号 %(number)s）各事项均已办结，请查看各事项的结果。")
            % {"bundle": application.bundle.name, "number": application.number},
        )


# ---------------------------------------------------------------------------------------------------------------
# One call (the API): draft, answers, materials and submission in one transaction


def bundle_submit_new(
    *,
    actor: User,
    applicant: services.Applicant,
    bundle: Bundle,
    answers: dict,
    materials: list[dict],
    idempotency_key: str,
) -> tuple[BundleApplication, bool]:
    """Apply for a bundle in one call: returns (application, created); a repeated key returns the first application.

    `answers` is {"shared": {...}, "items": {item code: {...}}}; `materials` are {"group": group key, "provision":
    "upload" | "deferred", "upload": id}. Nothing is saved when any part is wrong.
    """
    existing = application_for_idempotency_key(actor, idempotency_key)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _submit_new(actor, applicant, bundle, answers, materials, idempotency_key), True
    except IntegrityError:
        existing = application_for_idempotency_key(actor, idempotency_key)
        if existing is None:
            raise
        return existing, False


def _submit_new(actor, applicant, bundle, answers: dict, materials: list[dict], key: str) -> BundleApplication:
    parts = bundle_parts(bundle)
    by_code = {part.item.code: part for part in parts}
    unknown = set(answers.get(ITEMS, {})) - set(by_code)
    if unknown:
        raise DomainError(CaseError.BUNDLE_ITEM_UNKNOWN, fields={ITEMS: sorted(unknown)})
    application = bundle_draft_start(actor=actor, applicant=applicant, bundle=bundle)
    for page in bundle_pages(bundle, parts):
        given = answers.get(SHARED, {}) if page.part is None else answers.get(ITEMS, {}).get(page.part.item.code, {})
        names = {f.name for f in page.page.fields}
        application = bundle_draft_save(
            actor=actor, application=application, page=page, answers={k: v for k, v in given.items() if k in names}
        )
    groups = {group.key: group for group in material_groups(parts)}
    for row in materials:
        group = groups.get(row.get("group"))
        if group is None:
            raise DomainError(CaseError.MATERIAL_NOT_OF_ITEM)
        application = bundle_material_set(
            actor=actor,
            application=application,
            group=group,
            provision=row.get("provision", Provision.UPLOAD),
            upload_id=row.get("upload"),
        )
    return bundle_submit(actor=actor, application=application, idempotency_key=key)
