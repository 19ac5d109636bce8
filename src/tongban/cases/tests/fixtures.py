"""Shared fixtures for cases: a published food-business item, applicants (a person, an enterprise and its agent),
clerks of the competent department and of halls, and ready-made uploads.

Use: `from tongban.cases.tests.fixtures import *` in a test module (pytest picks up the fixtures).
The item's basic code is 000117001000 (食品经营许可) so the agent's authorisation covers it.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tongban.accounts import enterprises
from tongban.accounts.models import StaffRole, User
from tongban.accounts.tests.identity_fixtures import (
    FOOD_LICENCE,
    HAOWEIDAO,
    LI_ID,
    SUN_ID,
    WU_ID,
    a_year_ahead,
    registries,
    verified,
)
from tongban.cases import services
from tongban.cases.models import Case, StoredFile, Upload
from tongban.catalog import bpmn
from tongban.catalog import services as catalog_services
from tongban.catalog.models import ExerciseLevel, ImplementationItem, ItemType
from tongban.catalog.tests.lifecycle_fixtures import COMPLETE_GUIDE, staff
from tongban.core import services as core_services
from tongban.core.models import HallWindow, Organisation, OrganisationKind, Region
from tongban.core.tests.identifiers import uscc

FORM_SCHEMA = {
    "type": "object",
    "properties": {
        "shop_name": {"type": "string", "title": "店铺名称", "maxLength": 50},
        "address": {"type": "string", "title": "经营场所", "maxLength": 100},
        "area": {"type": "number", "title": "经营面积（平方米）", "minimum": 1},
        "categories": {
            "type": "array",
            "title": "经营项目",
            "items": {"type": "string", "enum": ["预包装食品销售", "热食类食品制售", "冷食类食品制售"]},
            "minItems": 1,
        },
        "contact_phone": {"type": "string", "title": "联系电话", "maxLength": 20},
    },
    "required": ["shop_name", "address", "area", "categories", "contact_phone"],
}
FORM_UI = {
    "pages": [
        {"title": "店铺信息", "fields": ["shop_name", "address", "area"]},
        {"title": "经营项目", "fields": ["categories"]},
        {"title": "联系方式", "fields": ["contact_phone"]},
    ],
    "prefill": {"contact_phone": "profile.phone"},
}
GOOD_ANSWERS = {
    "shop_name": "李记小面馆",
    "address": "桐庐县桐君街道迎春南路 18 号",
    "area": 45,
    "categories": ["热食类食品制售"],
    "contact_phone": "13805710003",
}
MATERIALS = [
    {"name": "食品经营许可申请书", "necessity": "required"},
    {"name": "营业执照复印件", "necessity": "required"},
    {"name": "经营场所平面图", "necessity": "required"},
    {"name": "食品安全管理制度文本", "necessity": "deferrable"},
    {"name": "其他说明材料", "necessity": "optional"},
]
# The smallest valid PDF header: enough for content sniffing.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _material_fields(index: int, name: str, necessity: str) -> dict:
    return {
        "name": name,
        "order": index,
        "material_type": "original",
        "material_form": "either",
        "necessity": necessity,
        "paper_copies": 1,
        "source": "applicant",
        "acceptance_standard": "内容完整、清晰",
    }


def publish_food_item(organisation: Organisation, editor: User, reviewer: User, **overrides) -> ImplementationItem:
    """食品经营许可 of `organisation`, published with the form and materials above (process: a template key)."""
    process = overrides.pop("process", "single_department")
    basic = catalog_services.basic_item_create(
        actor=editor,
        source="00",
        item_type=ItemType.LICENSING,
        department_code="17",
        main_number="001",
        sub_number="000",
        name="食品经营许可",
        legal_basis="《中华人民共和国食品安全法》第三十五条",
    )
    item = catalog_services.item_create(
        actor=editor, basic_item=basic, organisation=organisation, exercise_level=ExerciseLevel.COUNTY
    )
    version = catalog_services.version_create(actor=editor, item=item, **{**COMPLETE_GUIDE, **overrides})
    for index, row in enumerate(MATERIALS):
        catalog_services.material_save(actor=editor, version=version, **_material_fields(index, **row))
    definition = bpmn.process_from_template(actor=editor, key=process)
    catalog_services.version_set_process(actor=editor, version=version, process=definition)
    catalog_services.version_set_form(actor=editor, version=version, schema=FORM_SCHEMA, ui=FORM_UI)
    catalog_services.version_submit(actor=editor, version=version)
    catalog_services.version_approve(actor=reviewer, version=version)
    catalog_services.version_publish(actor=reviewer, version=version)
    return ImplementationItem.objects.get(pk=item.pk)


@pytest.fixture
def county(db):
    """桐庐县 with a town (富春江镇) and a village under it; the market regulation bureau, civil affairs bureau,
    the county service hall and the town's service centre, each hall with an acceptance window."""
    regions = [
        ("330000", "浙江省"),
        ("330100", "杭州市"),
        ("330122", "桐庐县"),
        ("330122103", "富春江镇"),
        ("330127", "淳安县"),
    ]
    for code, name in regions:
        core_services.region_create(actor=None, code=code, name=name)
    county_region = Region.objects.get(code="330122")

    def org(key: int, name: str, kind=OrganisationKind.DEPARTMENT, region=county_region):
        return core_services.organisation_create(
            actor=None, name=name, uscc=uscc(f"113301227042963{key:02d}"), kind=kind, region=region
        )

    town, other_county = Region.objects.get(code="330122103"), Region.objects.get(code="330127")
    places = {
        "amr": org(2, "桐庐县市场监督管理局"),
        "civil": org(3, "桐庐县民政局"),
        "hall": org(4, "桐庐县政务服务中心", OrganisationKind.SERVICE_HALL),
        "town_hall": org(5, "富春江镇便民服务中心", OrganisationKind.TOWN_OFFICE, town),
        "other_county_hall": org(6, "淳安县政务服务中心", OrganisationKind.SERVICE_HALL, other_county),
    }
    for key in ("hall", "town_hall", "other_county_hall"):
        HallWindow.objects.create(hall=places[key], number="01", name="综合受理窗口", kind=HallWindow.Kind.ACCEPTANCE)
    return places


@pytest.fixture
def crew(county):
    """Staff: catalogue editor/reviewer, the bureau's pre-review clerk (孙), a clerk of the civil affairs bureau,
    window clerks of the county hall, the town centre and another county's hall."""
    amr = county["amr"]
    return {
        "editor": staff("editor", (amr, StaffRole.CATALOGUE_EDITOR)),
        "catreviewer": staff("catreviewer", (amr, StaffRole.CATALOGUE_REVIEWER)),
        "amr_clerk": staff("reviewer_sun", (amr, StaffRole.REVIEWER)),
        "amr_clerk2": staff("reviewer_qin", (amr, StaffRole.REVIEWER)),
        "civil_clerk": staff("reviewer_zheng", (county["civil"], StaffRole.REVIEWER)),
        "hall_clerk": staff("clerk_he", (county["hall"], StaffRole.WINDOW_CLERK)),
        "town_clerk": staff("clerk_wang", (county["town_hall"], StaffRole.WINDOW_CLERK)),
        "far_clerk": staff("clerk_far", (county["other_county_hall"], StaffRole.WINDOW_CLERK)),
    }


@pytest.fixture
def food_item(county, crew):
    """The published 食品经营许可 of the county market regulation bureau (county scope, L2, 5 materials)."""
    return publish_food_item(county["amr"], crew["editor"], crew["catreviewer"])


@pytest.fixture
def applicants(db):
    """李建国 (L2, applies for himself); 孙丽华 represents 好味道 and authorised 吴晓燕 for the food licence only."""
    registries()
    li = verified("13805710003", "李建国", LI_ID)
    sun = verified("13805710007", "孙丽华", SUN_ID)
    wu = verified("13805710006", "吴晓燕", WU_ID)
    firm = enterprises.enterprise_bind(actor=sun, uscc=HAOWEIDAO)
    enterprises.agent_authorise(
        actor=sun,
        enterprise=firm,
        phone="13805710006",
        name="吴晓燕",
        all_items=False,
        item_codes=[FOOD_LICENCE],
        expires_on=a_year_ahead(),
    )
    return {"li": li, "sun": sun, "wu": wu, "firm": firm}


def stored_upload(owner: User, content: bytes = PDF_BYTES, name: str = "申请书.pdf") -> Upload:
    """An upload by `owner` as cases/uploads.py would store it (content-addressed, already sniffed as PDF)."""
    digest = hashlib.sha256(content).hexdigest()
    stored = StoredFile.objects.filter(sha256=digest).first()
    if stored is None:
        storage_name = default_storage.save(f"cases/files/{digest[:2]}/{digest}.pdf", ContentFile(content))
        stored = StoredFile.objects.create(
            sha256=digest,
            size=len(content),
            content_type="application/pdf",
            extension="pdf",
            storage_name=storage_name,
            scan_status=StoredFile.ScanStatus.NOT_SCANNED,
        )
    return Upload.objects.create(file=stored, uploaded_by=owner, original_name=name)


def own(person: User) -> services.Applicant:
    return services.Applicant(account=person, person=person)


def complete_draft(person: User, item: ImplementationItem, applicant: services.Applicant | None = None) -> Case:
    """A draft with good answers and every required material uploaded (the deferrable one marked 容缺)."""
    case = services.draft_start(actor=person, applicant=applicant or own(person), item=item)
    services.draft_save_answers(actor=person, case=case, answers=GOOD_ANSWERS)
    for material in item.published_version.materials.all():
        if material.necessity == "required":
            upload = stored_upload(person, content=PDF_BYTES + material.name.encode())
            services.material_attach(
                actor=person, case=case, material_id=material.pk, provision="upload", upload_id=upload.pk
            )
        elif material.necessity == "deferrable":
            services.material_attach(actor=person, case=case, material_id=material.pk, provision="deferred")
    return Case.objects.get(pk=case.pk)


def submitted_case(person: User, item: ImplementationItem, applicant: services.Applicant | None = None) -> Case:
    """A case received (已接件) today."""
    return services.case_submit(actor=person, case=complete_draft(person, item, applicant))


def working_monday() -> dt.date:
    """A fixed ordinary Monday (2026-03-02) for deadline tests."""
    return dt.date(2026, 3, 2)
