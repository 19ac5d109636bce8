"""Whether an item version's guide (办事指南) is complete and consistent enough to be submitted for review.

`value_problems` checks what must hold even in a draft (a value that is there must be a valid one);
`version_problems` adds completeness: every element the public guide shows (DOMAIN.md), at least one material,
fees that agree with 是否收费, a process definition whose every lane department resolves to an organisation, and a
valid application form when the item is handled online. `lane_problems` is the part publishing checks again (an
organisation may have been deactivated since the version was submitted). All three return
{field name: [Chinese messages]}; empty means no problem.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from tongban.catalog import bpmn, forms_schema
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import (
    CaseType,
    ItemType,
    ItemVersion,
    MaterialSource,
    ServiceScope,
    TimeUnit,
)
from tongban.core.errors import DomainError
from tongban.core.models import Organisation

SERVICE_OBJECTS = ("person", "enterprise")
HANDLING_FORMS = ("window", "online", "mail")
ONLINE_DEPTHS = range(1, 5)
VISITS = range(0, 3)
REAL_NAME_LEVELS = range(1, 4)
# 网上办理深度 three (在线受理) and four (全程网办) take the application online, so they need the form.
FORM_REQUIRED_FROM_DEPTH = 3
FULLY_ONLINE_DEPTH = 4

# Text elements shown on the public guide that may not be left empty.
REQUIRED_TEXT = (
    "name",
    "organisation_nature",
    "legal_basis",
    "acceptance_conditions",
    "procedure",
    "place",
    "hours",
    "consultation",
    "complaint",
)


Problems = dict[str, list[str]]


def _add(problems: Problems, field: str, message: str) -> None:
    problems.setdefault(field, []).append(message)


def _label(field: str) -> str:
    return str(ItemVersion._meta.get_field(field).verbose_name)


def _check_choices(version: ItemVersion, problems: Problems) -> None:
    choices = {
        "item_type": ItemType.values,
        "statutory_limit_unit": TimeUnit.values,
        "promised_limit_unit": TimeUnit.values,
        "case_type": CaseType.values,
        "service_scope": ServiceScope.values,
    }
    for field, allowed in choices.items():
        value = getattr(version, field)
        if value and value not in allowed:
            _add(problems, field, _("%(label)s的取值不正确") % {"label": _label(field)})


def _check_list(version: ItemVersion, field: str, allowed: tuple[str, ...], problems: Problems) -> None:
    value = getattr(version, field)
    if not isinstance(value, list) or any(entry not in allowed for entry in value) or len(set(value)) != len(value):
        _add(
            problems,
            field,
            _("%(label)s只能从 %(allowed)s 中选择，不能重复") % {"label": _label(field), "allowed": "、".join(allowed)},
        )


def _check_ranges(version: ItemVersion, problems: Problems) -> None:
    if version.online_depth not in ONLINE_DEPTHS:
        _add(problems, "online_depth", _("网上办理深度应为 1-4 级"))
    if version.visits not in VISITS:
        _add(problems, "visits", _("到办事现场次数应为 0、1 或 2 次"))
    if version.min_real_name_level not in REAL_NAME_LEVELS:
        _add(problems, "min_real_name_level", _("申请所需最低实名等级应为 1-3 级"))


def _check_limits_agree(version: ItemVersion, problems: Problems) -> None:
    same_unit = version.statutory_limit_unit == version.promised_limit_unit
    if same_unit and version.statutory_limit and version.promised_limit > version.statutory_limit:
        _add(problems, "promised_limit", _("承诺办结时限不能长于法定办结时限"))


def _check_department_mapping(version: ItemVersion, problems: Problems) -> None:
    """流程泳道对应部门 is {lane department: USCC of an active organisation}."""
    mapping = version.process_departments
    if mapping in (None, ""):
        return
    well_formed = isinstance(mapping, dict) and all(
        isinstance(key, str) and key.strip() and isinstance(value, str) for key, value in mapping.items()
    )
    if not well_formed:
        _add(problems, "process_departments", _("流程泳道对应部门应为“部门名称 → 机构统一社会信用代码”的对应表"))
        return
    wanted = {value for value in mapping.values() if value}
    active = set(Organisation.objects.filter(uscc__in=wanted, active=True).values_list("uscc", flat=True))
    for message in unknown_mapped_organisations(mapping, active):
        _add(problems, "process_departments", message)


def unknown_mapped_organisations(mapping: dict, active: set[str]) -> list[str]:
    """A message for each lane department mapped to a USCC that is not among the `active` organisations' USCCs."""
    message = _("泳道部门“%(department)s”对应的机构（统一社会信用代码 %(uscc)s）不存在或已停用")
    return [
        message % {"department": department, "uscc": code}
        for department, code in mapping.items()
        if code and code not in active
    ]


def value_problems(version: ItemVersion) -> Problems:
    """Values that are present but wrong (choices, ranges, lists, limits that contradict each other)."""
    problems: Problems = {}
    _check_department_mapping(version, problems)
    _check_choices(version, problems)
    _check_list(version, "service_object", SERVICE_OBJECTS, problems)
    _check_list(version, "handling_forms", HANDLING_FORMS, problems)
    _check_ranges(version, problems)
    _check_limits_agree(version, problems)
    return problems


def _check_required_text(version: ItemVersion, problems: Problems) -> None:
    for field in REQUIRED_TEXT:
        if not str(getattr(version, field) or "").strip():
            _add(problems, field, _("请填写%(label)s") % {"label": _label(field)})


def _check_required_choices(version: ItemVersion, problems: Problems) -> None:
    for field in ("item_type", "case_type", "service_scope"):
        if not getattr(version, field):
            _add(problems, field, _("请选择%(label)s") % {"label": _label(field)})
    if not version.service_object:
        _add(problems, "service_object", _("请选择服务对象（自然人、法人或两者）"))
    if not version.handling_forms:
        _add(problems, "handling_forms", _("请选择至少一种办理形式"))


def _check_type_matches_basic_item(version: ItemVersion, problems: Problems) -> None:
    basic_type = version.item.basic_item.item_type
    if version.item_type and version.item_type != basic_type:
        _add(
            problems,
            "item_type",
            _("事项类型应与基本目录一致（%(type)s）") % {"type": ItemType(basic_type).label},
        )


def _check_limits(version: ItemVersion, problems: Problems) -> None:
    if not version.statutory_limit:
        _add(problems, "statutory_limit", _("请填写法定办结时限（至少 1 个工作日或自然日）"))
    instant = version.case_type == CaseType.INSTANT
    if not version.promised_limit and not instant:
        _add(problems, "promised_limit", _("承诺件须填写承诺办结时限（至少 1 天）"))
    for field in ("statutory_limit_unit", "promised_limit_unit"):
        if not getattr(version, field):
            _add(problems, field, _("请选择%(label)s") % {"label": _label(field)})


def _check_online(version: ItemVersion, problems: Problems) -> None:
    online_application = version.online_depth >= FORM_REQUIRED_FROM_DEPTH
    if online_application and "online" not in (version.handling_forms or []):
        _add(problems, "handling_forms", _("网上办理深度为三级及以上时，办理形式应包含网上办理"))
    if version.online_depth == FULLY_ONLINE_DEPTH and version.visits != 0:
        _add(problems, "visits", _("全程网办（四级）的事项到办事现场次数应为 0 次"))


def _check_result(version: ItemVersion, problems: Problems) -> None:
    if version.item_type == ItemType.PUBLIC_SERVICE:
        return  # a public service may have no formal result (e.g. a consultation)
    if not version.result_type.strip():
        _add(problems, "result_type", _("请填写审批结果类型"))
    if not version.result_name.strip():
        _add(problems, "result_name", _("请填写审批结果名称"))


def _check_materials(version: ItemVersion, problems: Problems) -> None:
    materials = list(version.materials.all())
    if not materials:
        _add(problems, "materials", _("请至少填写一项申请材料"))
    for material in materials:
        for message in material_problems(material):
            _add(
                problems, "materials", _("材料「%(name)s」：%(message)s") % {"name": material.name, "message": message}
            )


def material_problems(material) -> list[str]:
    """What is missing or contradictory in one material (also checked when it is saved)."""
    messages = []
    if not material.name.strip():
        messages.append(_("请填写材料名称"))
    if not material.acceptance_standard.strip():
        messages.append(_("请填写受理标准"))
    from_government = material.source == MaterialSource.GOVERNMENT
    if from_government and not (material.source_licence_type.strip() or material.source_registry_field.strip()):
        messages.append(_("来源为政府部门核发时，应填写来源证照类型代码或来源基础库字段"))
    return messages


def _check_fees(version: ItemVersion, problems: Problems) -> None:
    fee_count = version.fees.count()
    if version.charges and not fee_count:
        _add(problems, "fees", _("收费事项请至少填写一项收费项目"))
    if version.charges and not version.charge_basis.strip():
        _add(problems, "charge_basis", _("收费事项请填写收费依据"))
    if not version.charges and fee_count:
        _add(problems, "fees", _("不收费的事项不能有收费项目，请删除收费项目或改为收费"))


def _check_process(version: ItemVersion, problems: Problems) -> None:
    if version.process_id is None:
        _add(problems, "process", _("请上传或选择办理流程定义"))


def lane_departments(version: ItemVersion) -> list[dict]:
    """The lanes of the version's process that name another department than the competent one, each as
    {"lane": lane name, "department": department}, one per department, in the process's order."""
    from tongban.cases.review import OWN_DEPARTMENT_WORDS  # the routing owns what "the department itself" means

    if version.process_id is None:
        return []
    try:
        lanes = bpmn.outline(version.process).get("lanes", [])
    except DomainError:  # a stored definition that no longer parses is reported by the process check itself
        return []
    found: dict[str, dict] = {}
    for lane in lanes:
        department = (lane.get("department") or "").strip()
        if department not in OWN_DEPARTMENT_WORDS and department not in found:
            found[department] = {"lane": lane.get("name") or department, "department": department}
    return list(found.values())


def lane_problems(version: ItemVersion) -> Problems:
    """Every lane department must resolve to an organisation the way routing will resolve it when a case is
    accepted (the version's mapping, else an active organisation of the item's region with that short name or name);
    a mapping for a department no lane names is a leftover of an earlier process."""
    from tongban.cases.review import lane_organisation_for

    problems: Problems = {}
    lanes = lane_departments(version)
    for lane in lanes:
        try:
            lane_organisation_for(version.item.organisation, version, lane["department"])
        except DomainError:
            message = _(
                "泳道“%(lane)s”的部门“%(department)s”对应不到机构：请在流程页为它选择机构，"
                "或确认本区划有简称或名称为“%(department)s”的启用机构"
            )
            _add(problems, "process_departments", message % lane)
    if version.process_id is not None and isinstance(version.process_departments, dict):
        named = {lane["department"] for lane in lanes}
        for department in version.process_departments:
            if department not in named:
                message = _("流程中没有部门为“%(department)s”的泳道，请删除这项对应")
                _add(problems, "process_departments", message % {"department": department})
    return problems


def _check_lanes(version: ItemVersion, problems: Problems) -> None:
    for field, messages in lane_problems(version).items():
        for message in messages:
            if message not in problems.get(field, []):
                _add(problems, field, message)


def _check_form(version: ItemVersion, problems: Problems) -> None:
    if version.online_depth < FORM_REQUIRED_FROM_DEPTH:
        return
    if not version.form_schema:
        _add(problems, "form_schema", _("网上办理深度为三级及以上时，请设置申请表"))
        return
    try:
        forms_schema.check_form(version.form_schema, version.form_ui)
    except DomainError as error:
        if error.code is not CatalogError.INVALID_FORM_SCHEMA:
            raise
        messages = [str(m) for msgs in error.fields.values() for m in msgs] or [error.message]
        for message in messages:
            _add(problems, "form_schema", message)


def version_problems(version: ItemVersion) -> Problems:
    """Everything that stops this version being submitted for review; empty when the guide is complete."""
    problems = value_problems(version)
    _check_required_text(version, problems)
    _check_required_choices(version, problems)
    _check_type_matches_basic_item(version, problems)
    _check_limits(version, problems)
    _check_online(version, problems)
    _check_result(version, problems)
    _check_materials(version, problems)
    _check_fees(version, problems)
    _check_process(version, problems)
    _check_lanes(version, problems)
    _check_form(version, problems)
    return problems
