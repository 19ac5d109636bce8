"""The case-submit preparation: which items it rotates over, the answers it sends, and each client's rotation."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import pytest
from django.utils import timezone

from bench import scenarios_cases
from bench.scenarios_cases import SERIALS_LEFT_MIN, SubmitItem, submit_answers, submit_items
from tongban.cases.models import Case
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.catalog.demo import PATTERNS
from tongban.catalog.forms_schema import validate_submission
from tongban.catalog.models import Material, MaterialNecessity
from tongban.core.models import SerialCounter
from tongban.core.numbering import CASE_SERIAL_MAX

PERSON = SimpleNamespace(real_name="叶英", phone="19905000002", id_number="330122199508196034")


def _patterned(kind: str, title: str) -> dict:
    pattern, hint, length = PATTERNS[kind]
    return {"type": "string", "title": title, "pattern": pattern, "maxLength": length, "x-format-hint": hint}


ELDERLY_FORM = {
    "type": "object",
    "properties": {
        "applicant_name": {"type": "string", "title": "申请人姓名", "maxLength": 50},
        "applicant_phone": _patterned("phone", "联系电话"),
        "elder_id_number": _patterned("id_number", "老年人身份证号码"),
        "enterprise_uscc": _patterned("uscc", "统一社会信用代码"),
        "relationship": {"type": "string", "title": "与老年人关系", "enum": ["本人", "子女"]},
    },
    "required": ["applicant_name", "applicant_phone", "elder_id_number", "enterprise_uscc", "relationship"],
    "additionalProperties": False,
}


def _item(**changes) -> SubmitItem:
    item = SubmitItem(
        code="11330122002500041X4330506021000",
        name="高龄津贴申领",
        schema=ELDERLY_FORM,
        template={
            "applicant_name": "申请人姓名（示例）",
            "applicant_phone": "联系电话（示例）",
            "elder_id_number": "老年人身份证号码（示例）",
            "enterprise_uscc": "统一社会信用代码（示例）",
            "relationship": "本人",
        },
        prefill={"applicant_name": "profile.real_name", "applicant_phone": "profile.phone"},
        materials=(1, 2, 3),
        serials_left=CASE_SERIAL_MAX,
    )
    return replace(item, **changes)


def test_answers_take_the_profile_where_prefilled_and_fit_every_patterned_field():
    answers = submit_answers(_item(), PERSON)
    assert answers == {
        "applicant_name": "叶英",
        "applicant_phone": "19905000002",
        "elder_id_number": "330122199508196034",
        "enterprise_uscc": scenarios_cases.BENCH_USCC,
        "relationship": "本人",
    }
    assert validate_submission(ELDERLY_FORM, answers) == {}


@pytest.fixture
def three_material_item(food_item):
    """The fixtures' 食品经营许可 with its deferrable material made optional: three materials to provide."""
    Material.objects.filter(version=food_item.published_version, necessity=MaterialNecessity.DEFERRABLE).update(
        necessity=MaterialNecessity.OPTIONAL
    )
    return food_item


def test_the_rotation_takes_items_of_three_materials_with_case_numbers_left_today(food_item):
    assert submit_items() == []  # three required and a deferrable one: four to provide
    Material.objects.filter(version=food_item.published_version, necessity=MaterialNecessity.DEFERRABLE).update(
        necessity=MaterialNecessity.OPTIONAL
    )
    required = list(
        Material.objects.filter(version=food_item.published_version, necessity=MaterialNecessity.REQUIRED)
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )
    [item] = submit_items()
    assert (item.code, item.materials, item.serials_left) == (food_item.code, tuple(required), CASE_SERIAL_MAX)

    today = timezone.localdate()
    counter = SerialCounter.objects.create(prefix=f"case:{food_item.code}", day=today, value=0)
    SerialCounter.objects.filter(pk=counter.pk).update(value=CASE_SERIAL_MAX - SERIALS_LEFT_MIN)
    assert [found.serials_left for found in submit_items()] == [SERIALS_LEFT_MIN]
    SerialCounter.objects.filter(pk=counter.pk).update(value=CASE_SERIAL_MAX - SERIALS_LEFT_MIN + 1)
    assert submit_items() == []  # fewer than SERIALS_LEFT_MIN left: the day's numbers are nearly used up
    assert "skip" in scenarios_cases.prepare("submit", 2)


def test_each_client_starts_its_turn_at_its_own_item(three_material_item, monkeypatch):
    real = submit_items()[0]
    other = replace(real, code="11330122002500041X4330506021000", name="高龄津贴申领")
    monkeypatch.setattr(scenarios_cases, "submit_items", lambda: [real, other])
    prepared = scenarios_cases._prepare_submit(3)

    assert prepared["unique_header"] == "Idempotency-Key"
    turns = [[json.loads(step["body"])["item"] for step in request["sequence"]] for request in prepared["requests"]]
    assert turns == [[real.code, other.code], [other.code, real.code], [real.code, other.code]]
    for request in prepared["requests"]:
        assert request["body"] == request["sequence"][0]["body"]  # what a client without sequences would send
        uploads = {row["upload"] for row in json.loads(request["body"])["materials"]}
        assert len(uploads) == 3  # three uploads of the client's own applicant, the same for every item
    assert "2 items" in prepared["rotation"]


def test_the_prepared_submissions_are_accepted_in_process(three_material_item, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    prepared = scenarios_cases.prepare("submit", 2)
    assert prepared["check"].startswith("POST /api/v1/cases → 201")
    assert Case.objects.filter(item=three_material_item, submitted_by__username__startswith="bench_s").count() == 2
