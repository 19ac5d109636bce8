"""Guide validation: every element the public guide shows is required, and the elements must agree with each other."""

import pytest

from tongban.catalog import services, validation
from tongban.catalog.models import ExerciseLevel, ItemType, ItemVersion
from tongban.catalog.tests.lifecycle_fixtures import *  # noqa: F403
from tongban.catalog.tests.lifecycle_fixtures import MATERIAL, complete_draft


@pytest.fixture
def draft(item, people):
    return complete_draft(item, people["editor"])


def problems_after(version: ItemVersion, **changes) -> dict:
    ItemVersion.objects.filter(pk=version.pk).update(**changes)
    return validation.version_problems(ItemVersion.objects.get(pk=version.pk))


def test_a_complete_draft_has_no_problems(draft):
    assert validation.version_problems(draft) == {}


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("name", "请填写事项名称"),
        ("organisation_nature", "请填写实施主体性质"),
        ("legal_basis", "请填写设定依据"),
        ("acceptance_conditions", "请填写受理条件"),
        ("procedure", "请填写办理流程"),
        ("place", "请填写办理地点"),
        ("hours", "请填写办理时间"),
        ("consultation", "请填写咨询方式"),
        ("complaint", "请填写监督投诉方式"),
    ],
)
def test_each_text_element_is_required(draft, field, message):
    assert problems_after(draft, **{field: "  "}) == {field: [message]}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"case_type": ""}, {"case_type": ["请选择办件类型"]}),
        ({"service_scope": ""}, {"service_scope": ["请选择通办范围"]}),
        ({"service_object": []}, {"service_object": ["请选择服务对象（自然人、法人或两者）"]}),
        ({"service_object": ["alien"]}, {"service_object": ["服务对象只能从 person、enterprise 中选择，不能重复"]}),
        (
            {"handling_forms": ["online", "online"]},
            {"handling_forms": ["办理形式只能从 window、online、mail 中选择，不能重复"]},
        ),
        ({"online_depth": 5}, {"online_depth": ["网上办理深度应为 1-4 级"]}),
        ({"visits": 3}, {"visits": ["到办事现场次数应为 0、1 或 2 次"]}),
        ({"min_real_name_level": 0}, {"min_real_name_level": ["申请所需最低实名等级应为 1-3 级"]}),
        ({"min_real_name_level": 4}, {"min_real_name_level": ["申请所需最低实名等级应为 1-3 级"]}),
        ({"statutory_limit": 0}, {"statutory_limit": ["请填写法定办结时限（至少 1 个工作日或自然日）"]}),
        ({"promised_limit": 0}, {"promised_limit": ["承诺件须填写承诺办结时限（至少 1 天）"]}),
        ({"promised_limit": 21}, {"promised_limit": ["承诺办结时限不能长于法定办结时限"]}),
        ({"item_type": ItemType.BENEFIT}, {"item_type": ["事项类型应与基本目录一致（行政许可）"]}),
        ({"case_type": "maybe"}, {"case_type": ["办件类型的取值不正确"]}),
        ({"result_type": ""}, {"result_type": ["请填写审批结果类型"]}),
        ({"result_name": ""}, {"result_name": ["请填写审批结果名称"]}),
        ({"process": None}, {"process": ["请上传或选择办理流程定义"]}),
    ],
)
def test_each_rule_names_its_field(draft, changes, expected):
    assert problems_after(draft, **changes) == expected


def test_limits_in_different_units_are_not_compared(draft):
    assert problems_after(draft, promised_limit=25, promised_limit_unit="natural_day") == {}


def test_an_instant_item_may_promise_zero_days(draft):
    assert problems_after(draft, case_type="instant", promised_limit=0) == {}


def test_online_application_needs_the_online_handling_form_and_a_form(draft):
    assert problems_after(draft, handling_forms=["window"]) == {
        "handling_forms": ["网上办理深度为三级及以上时，办理形式应包含网上办理"]
    }
    assert problems_after(draft, handling_forms=["window", "online"], form_schema={}) == {
        "form_schema": ["网上办理深度为三级及以上时，请设置申请表"]
    }
    # Depth 2 (forms to download) takes no application online: no form needed.
    assert problems_after(draft, online_depth=2, handling_forms=["window"]) == {}


def test_an_invalid_form_is_reported_by_the_forms_module(draft):
    problems = problems_after(draft, form_schema={"type": "object", "properties": {}})
    assert list(problems) == ["form_schema"]
    assert problems["form_schema"] == ["申请表至少要有一个字段（properties）"]


def test_fully_online_means_no_visit(draft):
    assert problems_after(draft, online_depth=4, visits=1) == {
        "visits": ["全程网办（四级）的事项到办事现场次数应为 0 次"]
    }
    assert problems_after(draft, online_depth=4, visits=0) == {}


def test_fees_agree_with_charges(draft, people):
    assert problems_after(draft, charges=True) == {
        "fees": ["收费事项请至少填写一项收费项目"],
        "charge_basis": ["收费事项请填写收费依据"],
    }
    ItemVersion.objects.filter(pk=draft.pk).update(charges=True, charge_basis="浙价费〔2020〕1号")
    services.fee_save(actor=people["editor"], version=draft, name="工本费", standard="10元", basis="浙价费〔2020〕1号")
    assert validation.version_problems(ItemVersion.objects.get(pk=draft.pk)) == {}
    assert problems_after(draft, charges=False) == {"fees": ["不收费的事项不能有收费项目，请删除收费项目或改为收费"]}


def test_materials_are_required_and_government_ones_name_their_source(draft, people):
    draft.materials.all().delete()
    assert validation.version_problems(draft) == {"materials": ["请至少填写一项申请材料"]}
    services.material_save(actor=people["editor"], version=draft, **MATERIAL)
    draft.materials.create(**{**MATERIAL, "name": "营业执照", "source": "government"})
    assert validation.version_problems(draft) == {
        "materials": ["材料「营业执照」：来源为政府部门核发时，应填写来源证照类型代码或来源基础库字段"]
    }
    draft.materials.filter(name="营业执照").update(source_registry_field="legal_entity.licence")
    assert validation.version_problems(draft) == {}


def test_a_public_service_may_have_no_result(people, county):
    basic = services.basic_item_create(
        actor=people["editor"],
        source="33",
        item_type=ItemType.PUBLIC_SERVICE,
        department_code="07",
        main_number="002",
        sub_number="000",
        name="食品安全咨询",
    )
    item = services.item_create(
        actor=people["editor"], basic_item=basic, organisation=county["amr"], exercise_level=ExerciseLevel.COUNTY
    )
    version = complete_draft(item, people["editor"], legal_basis="《食品安全法》", result_type="", result_name="")
    assert validation.version_problems(version) == {}


def test_value_problems_leave_a_partial_draft_alone(item, people):
    version = services.version_create(actor=people["editor"], item=item)
    assert validation.value_problems(version) == {}
    assert "acceptance_conditions" in validation.version_problems(version)
