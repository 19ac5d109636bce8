"""Version diff: changed guide elements under their Chinese labels, and what happened to materials, fees, FAQs,
themes, the form and the process."""

from tongban.catalog import services
from tongban.catalog.diff import FieldChange, version_diff
from tongban.catalog.models import Theme
from tongban.catalog.tests.lifecycle_fixtures import *  # noqa: F403
from tongban.catalog.tests.lifecycle_fixtures import FORM_SCHEMA, FORM_UI, process_definition, published


def test_an_unchanged_copy_has_no_differences(item, people):
    v1 = published(item, people["editor"], people["reviewer"])
    v2 = services.version_new_draft(actor=people["editor"], item=item)
    assert version_diff(v1, v2) == []


def test_every_kind_of_change_is_listed_with_its_label(item, people):
    editor = people["editor"]
    v1 = published(item, editor, people["reviewer"])
    services.faq_save(
        actor=editor, version=services.version_new_draft(actor=editor, item=item), question="q", answer="a"
    )
    v2 = item.versions.get(number=2)
    services.version_update(
        actor=editor,
        version=v2,
        promised_limit=3,
        handling_forms=["window", "online", "mail"],
        express_delivery=True,
        charges=True,
        charge_basis="浙价费〔2020〕1号",
    )
    material = v2.materials.get()
    services.material_save(actor=editor, version=v2, material=material, acceptance_standard="签字并盖章")
    services.material_save(
        actor=editor,
        version=v2,
        name="营业执照",
        material_type="copy",
        material_form="paper",
        necessity="required",
        source="government",
        source_licence_type="yyzz",
        acceptance_standard="有效期内",
    )
    services.fee_save(actor=editor, version=v2, name="工本费", standard="10元/证", basis="浙价费〔2020〕1号")
    theme = Theme.objects.create(code="kaidian", name="开店", audience=Theme.Audience.ENTERPRISE)
    services.version_set_themes(actor=editor, version=v2, themes=[theme])
    schema = {
        **FORM_SCHEMA,
        "properties": {**FORM_SCHEMA["properties"], "address": {"type": "string", "title": "经营地址"}},
    }
    ui = {"pages": [{"title": "经营信息", "fields": ["shop_name", "address"]}]}
    services.version_set_form(actor=editor, version=v2, schema=schema, ui=ui)
    services.version_set_process(actor=editor, version=v2, process=process_definition("p9"))

    assert version_diff(v1, item.versions.get(number=2)) == [
        FieldChange("承诺办结时限", "5", "3", "changed", "promised_limit"),
        FieldChange("办理形式", "窗口办理、网上办理", "窗口办理、网上办理、邮寄办理", "changed", "handling_forms"),
        FieldChange("是否收费", "否", "是", "changed", "charges"),
        FieldChange("收费依据", "", "浙价费〔2020〕1号", "changed", "charge_basis"),
        FieldChange("支持物流快递", "否", "是", "changed", "express_delivery"),
        FieldChange("申请材料「营业执照」", "", "新增", "added", "materials"),
        FieldChange(
            "申请材料「食品经营许可申请书」受理标准", "内容完整，申请人签字", "签字并盖章", "changed", "materials"
        ),
        FieldChange("收费项目「工本费」", "", "新增", "added", "fees"),
        FieldChange("常见问题「q」", "", "新增", "added", "faqs"),
        FieldChange("主题", "", "开店", "changed", "themes"),
        FieldChange("申请表", "店铺名称", "店铺名称、经营地址", "changed", "form"),
        FieldChange("办理流程定义", "承办→审核→审批（p1000000）", "承办→审核→审批（p9000000）", "changed", "process"),
    ]


def test_removed_children_and_choice_labels(item, people):
    editor = people["editor"]
    v1 = published(item, editor, people["reviewer"])
    v2 = services.version_new_draft(actor=editor, item=item)
    services.material_delete(actor=editor, material=v2.materials.get())
    services.version_update(actor=editor, version=v2, case_type="instant", service_scope="city")
    services.version_set_form(
        actor=editor, version=v2, schema=FORM_SCHEMA, ui={**FORM_UI, "help": {"shop_name": "与招牌一致"}}
    )
    assert version_diff(v1, item.versions.get(number=2)) == [
        FieldChange("办件类型", "承诺件", "即办件", "changed", "case_type"),
        FieldChange("通办范围", "全县通办", "全市通办", "changed", "service_scope"),
        FieldChange("申请材料「食品经营许可申请书」", "原有", "删除", "removed", "materials"),
        FieldChange("申请表", "店铺名称（修改前）", "店铺名称（字段设置或页面有修改）", "changed", "form"),
    ]
