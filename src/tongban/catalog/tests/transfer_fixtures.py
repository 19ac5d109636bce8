"""Fixtures for the import/export tests: a published 食品经营许可 with every kind of child, and helpers to compare."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tongban.catalog import services, transfer
from tongban.catalog.models import ExerciseLevel, ItemType, Theme
from tongban.catalog.tests.lifecycle_fixtures import (
    FORM_SCHEMA,
    FORM_UI,
    MATERIAL,
    complete_draft,
    county,
    item,
    people,
    published,
)

GOVERNMENT_MATERIAL = {
    "name": "营业执照",
    "material_type": "electronic",
    "material_form": "electronic",
    "necessity": "required",
    "paper_copies": 0,
    "source": "government",
    "source_licence_type": "11100000000000000X",
    "acceptance_standard": "在有效期内",
}
FEE = {"name": "工本费", "standard": "每证 10 元", "basis": "浙价费〔2020〕1 号", "reduction": "小微企业免收"}
FAQ = {"question": "可以网上申请吗？", "answer": "可以，在通办平台在线办理。"}


@pytest.fixture
def themes(db):
    return {
        "open_business": Theme.objects.create(code="open-business", name="开办企业", audience="enterprise", order=1),
        "catering": Theme.objects.create(code="catering", name="餐饮经营", audience="enterprise", order=2),
    }


@pytest.fixture
def food(item, people, themes):
    """The food licence, published, with two materials, a fee, an FAQ, two themes, a form and a process."""
    editor = people["editor"]
    version = complete_draft(item, editor, charges=True, charge_basis="浙价费〔2020〕1 号")
    services.material_save(actor=editor, version=version, order=2, **GOVERNMENT_MATERIAL)
    services.fee_save(actor=editor, version=version, order=1, **FEE)
    services.faq_save(actor=editor, version=version, order=1, **FAQ)
    services.version_set_themes(actor=editor, version=version, themes=list(themes.values()))
    published(item, editor, people["reviewer"], version)
    item.refresh_from_db()
    return item


@pytest.fixture
def second_basic(people):
    """Another basic item (公共场所卫生许可) the county bureau has no implementation of yet."""
    return services.basic_item_create(
        actor=people["editor"],
        source="33",
        item_type=ItemType.LICENSING,
        department_code="07",
        main_number="002",
        sub_number="000",
        name="公共场所卫生许可",
        legal_basis="《公共场所卫生管理条例》第八条",
    )


def new_code(organisation, basic) -> str:
    return organisation.uscc + ExerciseLevel.COUNTY + basic.code


def state(version) -> dict:
    """Everything the exchange carries about a version, minus its number and status."""
    record = transfer.item_record(version.item, version)
    for key in ("version", "status", "code", "basic_code", "exercise_level"):
        record.pop(key)
    for kind in ("materials", "fees", "faqs"):
        record[kind] = sorted(record[kind], key=lambda child: (child["order"], repr(sorted(child.items()))))
    record["themes"] = sorted(record["themes"])
    return record


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def saved(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def column(sheet, header: str) -> int:
    """1-based column index of a header in the first row."""
    for cell in sheet[1]:
        if cell.value == header:
            return cell.column
    raise KeyError(header)


__all__ = [
    "FAQ",
    "FEE",
    "FORM_SCHEMA",
    "FORM_UI",
    "GOVERNMENT_MATERIAL",
    "MATERIAL",
    "column",
    "county",
    "food",
    "item",
    "new_code",
    "people",
    "saved",
    "second_basic",
    "state",
    "themes",
    "workbook",
]
