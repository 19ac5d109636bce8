"""Shared test fixtures for the catalogue lifecycle: a county with two departments, catalogue staff, a complete draft.

Import the fixtures into a test module (`from tongban.catalog.tests.lifecycle_fixtures import *`) or call the
helpers directly. Identifiers come from their check-digit algorithms (core.tests.identifiers).
"""

from __future__ import annotations

import pytest

from tongban.accounts import services as account_services
from tongban.accounts.models import StaffRole, User, UserKind
from tongban.catalog import services
from tongban.catalog.models import ExerciseLevel, ItemType, ProcessDefinition
from tongban.core import services as core_services
from tongban.core.models import OrganisationKind, Region
from tongban.core.tests.identifiers import uscc

PASSWORD = "Qiang-Mima-2026"

COMPLETE_GUIDE = {
    "service_object": ["person", "enterprise"],
    "acceptance_conditions": "申请人具有与经营的食品品种、数量相适应的经营场所和设备。",
    "procedure": "申请→受理→审查→决定→送达",
    "statutory_limit": 20,
    "statutory_limit_unit": "working_day",
    "promised_limit": 5,
    "promised_limit_unit": "working_day",
    "case_type": "promised",
    "handling_forms": ["window", "online"],
    "online_depth": 3,
    "visits": 1,
    "charges": False,
    "place": "桐庐县政务服务中心二楼市场监管窗口",
    "hours": "工作日 9:00-12:00，13:30-17:00",
    "consultation": "0571-64612345",
    "complaint": "0571-12345",
    "result_type": "证照",
    "result_name": "食品经营许可证",
    "service_scope": "county",
    "min_real_name_level": 2,
}

MATERIAL = {
    "name": "食品经营许可申请书",
    "material_type": "original",
    "material_form": "either",
    "necessity": "required",
    "paper_copies": 1,
    "source": "applicant",
    "acceptance_standard": "内容完整，申请人签字",
}

FORM_SCHEMA = {
    "type": "object",
    "properties": {"shop_name": {"type": "string", "title": "店铺名称"}},
    "required": ["shop_name"],
}
FORM_UI = {"pages": [{"title": "经营信息", "fields": ["shop_name"]}]}


def staff(username: str, *grants) -> User:
    """A member of staff holding (organisation, role) grants, read back fresh (no cached roles)."""
    user = account_services.user_create(
        actor=None, kind=UserKind.STAFF, username=username, display_name=username, password=PASSWORD
    )
    for organisation, role in grants:
        account_services.staff_role_grant(actor=None, user=user, organisation=organisation, role=role)
    return User.objects.get(pk=user.pk)


def process_definition(key: str = "p1") -> ProcessDefinition:
    """A stored process definition row (its content does not matter to the lifecycle rules)."""
    return ProcessDefinition.objects.get_or_create(
        content_hash=key.ljust(64, "0"),
        defaults={"process_id": key, "name": "承办→审核→审批", "bpmn_xml": "<definitions/>"},
    )[0]


@pytest.fixture
def county(db):
    """桐庐县 with its market regulation bureau (amr) and civil affairs bureau (civil)."""
    for code, name in [("330000", "浙江省"), ("330100", "杭州市"), ("330122", "桐庐县")]:
        core_services.region_create(actor=None, code=code, name=name)
    region = Region.objects.get(code="330122")

    def org(key: int, name: str):
        return core_services.organisation_create(
            actor=None,
            name=name,
            uscc=uscc(f"113301227042963{key:02d}"),
            kind=OrganisationKind.DEPARTMENT,
            region=region,
        )

    return {"amr": org(2, "桐庐县市场监督管理局"), "civil": org(3, "桐庐县民政局")}


@pytest.fixture
def people(county):
    """Editors and reviewers of the market regulation bureau, one who is both, and people without catalogue roles."""
    amr = county["amr"]
    return {
        "editor": staff("editor", (amr, StaffRole.CATALOGUE_EDITOR)),
        "editor2": staff("editor2", (amr, StaffRole.CATALOGUE_EDITOR)),
        "reviewer": staff("reviewer", (amr, StaffRole.CATALOGUE_REVIEWER)),
        "reviewer2": staff("reviewer2", (amr, StaffRole.CATALOGUE_REVIEWER)),
        "both": staff("both", (amr, StaffRole.CATALOGUE_EDITOR), (amr, StaffRole.CATALOGUE_REVIEWER)),
        "civil_editor": staff("civil_editor", (county["civil"], StaffRole.CATALOGUE_EDITOR)),
        "civil_reviewer": staff("civil_reviewer", (county["civil"], StaffRole.CATALOGUE_REVIEWER)),
        "clerk": staff("clerk", (amr, StaffRole.WINDOW_CLERK)),
    }


@pytest.fixture
def item(county, people):
    """食品经营许可 as the county market regulation bureau carries it out (no version yet)."""
    basic = services.basic_item_create(
        actor=people["editor"],
        source="33",
        item_type=ItemType.LICENSING,
        department_code="07",
        main_number="001",
        sub_number="000",
        name="食品经营许可",
        legal_basis="《中华人民共和国食品安全法》第三十五条",
    )
    return services.item_create(
        actor=people["editor"], basic_item=basic, organisation=county["amr"], exercise_level=ExerciseLevel.COUNTY
    )


def civil_item_create(county, people):
    """高龄津贴发放 as the county civil affairs bureau carries it out (no version yet), created by its own editor."""
    basic = services.basic_item_create(
        actor=people["civil_editor"],
        source="33",
        item_type="05",
        department_code="12",
        main_number="001",
        sub_number="000",
        name="高龄津贴发放",
        legal_basis="《浙江省高龄津贴发放办法》",
    )
    return services.item_create(
        actor=people["civil_editor"],
        basic_item=basic,
        organisation=county["civil"],
        exercise_level=ExerciseLevel.COUNTY,
    )


def complete_draft(item, editor, **overrides):
    """A draft with every required element, one material, a process and a form: ready to submit."""
    version = services.version_create(actor=editor, item=item, **{**COMPLETE_GUIDE, **overrides})
    services.material_save(actor=editor, version=version, **MATERIAL)
    services.version_set_process(actor=editor, version=version, process=process_definition())
    return services.version_set_form(actor=editor, version=version, schema=FORM_SCHEMA, ui=FORM_UI)


def published(item, editor, reviewer, version=None):
    """Take a version (a complete first draft when None) through submit, approve and publish."""
    version = version or complete_draft(item, editor)
    services.version_submit(actor=editor, version=version)
    services.version_approve(actor=reviewer, version=version)
    return services.version_publish(actor=reviewer, version=version)
