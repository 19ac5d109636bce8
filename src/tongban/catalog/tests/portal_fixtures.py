# ruff: noqa: F811 — lifecycle fixtures are imported to be used as fixture arguments
"""Published items for portal tests and journeys: 食品经营许可证核发 and 高龄津贴申领, through the lifecycle services.

Import `catalogue` (and the lifecycle fixtures it needs) into a test module.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.accounts import services as account_services
from tongban.accounts.models import UserKind
from tongban.catalog import search, services
from tongban.catalog.models import ExerciseLevel, ImplementationItem, ItemType, Theme
from tongban.catalog.tests.lifecycle_fixtures import (  # noqa: F401 — fixtures
    COMPLETE_GUIDE,
    FORM_SCHEMA,
    FORM_UI,
    MATERIAL,
    county,
    item,
    people,
    process_definition,
    published,
)
from tongban.core import services as core_services

PASSWORD = "Qiang-Mima-2026"


def _item(people, organisation, *, name, main, item_type=ItemType.LICENSING):
    basic = services.basic_item_create(
        actor=people["editor"],
        source="33",
        item_type=item_type,
        department_code="07" if organisation.name.endswith("市场监督管理局") else "12",
        main_number=main,
        sub_number="000",
        name=name,
        legal_basis="依据",
    )
    return services.item_create(
        actor=people["editor"], basic_item=basic, organisation=organisation, exercise_level=ExerciseLevel.COUNTY
    )


def _draft(item, editor, process, **overrides):
    """A complete draft like lifecycle_fixtures.complete_draft, sharing one stored process definition."""
    version = services.version_create(actor=editor, item=item, **{**COMPLETE_GUIDE, **overrides})
    services.material_save(actor=editor, version=version, **MATERIAL)
    services.version_set_process(actor=editor, version=version, process=process)
    services.version_set_form(actor=editor, version=version, schema=FORM_SCHEMA, ui=FORM_UI)
    return version


@pytest.fixture
def catalogue(county, people, item):
    """食品经营许可证核发 (with a blank form and a FAQ) and 高龄津贴申领 (theme 养老服务), both published; one draft."""
    search.seed_synonyms()
    town = core_services.region_create(actor=None, code="330122100", name="城南街道")
    elderly = Theme.objects.create(code="elderly", name="养老服务", audience=Theme.Audience.PERSON, order=1)
    Theme.objects.create(code="start-business", name="开办企业", audience=Theme.Audience.ENTERPRISE, order=1)

    process = process_definition()
    food_version = _draft(
        item,
        people["editor"],
        process,
        name="食品经营许可证核发",
        item_type=ItemType.LICENSING,
        legal_basis="《食品安全法》第三十五条",
    )
    services.material_save(
        actor=people["editor"],
        version=food_version,
        material=food_version.materials.get(),
        blank_form=SimpleUploadedFile("shenqingshu.docx", b"blank form bytes"),
    )
    services.faq_save(actor=people["editor"], version=food_version, question="要多少天？", answer="承诺 5 个工作日。")
    food = published(item, people["editor"], people["reviewer"], version=food_version)

    allowance_item = _item(people, county["amr"], name="高龄津贴申领", main="002", item_type=ItemType.BENEFIT)
    allowance_version = _draft(
        allowance_item,
        people["editor"],
        process,
        name="高龄津贴申领",
        item_type=ItemType.BENEFIT,
        legal_basis="《浙江省高龄津贴发放办法》",
        consultation="桐庐县民政局 0571-64221234",
        visits=0,
        service_object=["person"],
    )
    services.version_set_themes(actor=people["editor"], version=allowance_version, themes=[elderly])
    allowance = published(allowance_item, people["editor"], people["reviewer"], version=allowance_version)

    draft_item = _item(people, county["amr"], name="未公布的事项", main="003")
    _draft(draft_item, people["editor"], process, name="未公布的事项", item_type=ItemType.LICENSING)
    return {
        "food": ImplementationItem.objects.get(pk=food.item_id),
        "allowance": ImplementationItem.objects.get(pk=allowance.item_id),
        "draft": draft_item,
        "town": town,
        "elderly": elderly,
    }


def signed_up_person(username="lilaoban"):
    return account_services.user_create(
        actor=None, kind=UserKind.PERSON, username=username, display_name="李老板", password=PASSWORD
    )
