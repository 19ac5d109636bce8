"""The demo catalogue: items published through the lifecycle, complete and audited; seeding twice changes nothing."""

import pytest

from tongban.catalog import demo, demo_data, forms_schema, search, validation
from tongban.catalog.models import (
    BasicItem,
    Bundle,
    ImplementationItem,
    ItemVersion,
    Material,
    MaterialSource,
    ProcessDefinition,
    SearchDocument,
    Synonym,
    Theme,
    VersionStatus,
)
from tongban.core import audit
from tongban.core.models import AuditEntry
from tongban.demo.seed import seed_demo


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            BasicItem,
            ImplementationItem,
            ItemVersion,
            Material,
            Theme,
            Bundle,
            ProcessDefinition,
            Synonym,
            SearchDocument,
            AuditEntry,
        )
    )


@pytest.fixture
def seeded(db):
    seed_demo()
    return _counts()


def test_the_demo_catalogue(seeded):
    """One seeding (it takes seconds: 22 items through the whole lifecycle and the search index), many checks."""
    _check_every_demo_item_is_published_complete_and_reviewed_by_someone_else()
    _check_the_items_carry_the_rules_of_their_law()
    _check_materials_the_government_holds_name_where_they_come_from()
    _check_themes_and_bundles()
    _check_demo_forms_accept_a_good_application_and_name_a_bad_id_number()
    _check_people_find_items_in_their_own_words()


def _published(name: str) -> ItemVersion:
    return ImplementationItem.objects.get(published_version__name=name).published_version


def test_seeding_twice_changes_nothing(seeded):
    seed_demo()
    assert _counts() == seeded
    assert audit.verify_chain()[1] is None


def _check_every_demo_item_is_published_complete_and_reviewed_by_someone_else():
    items = ImplementationItem.objects.select_related("published_version", "organisation")
    assert items.count() == len(demo_data.ITEMS) >= 16
    reviewer = demo.REVIEWER
    for item in items:
        version = item.published_version
        assert version is not None, item
        assert version.status == VersionStatus.PUBLISHED
        assert validation.version_problems(version) == {}, version.name
        assert version.reviewer.username == reviewer
        assert version.author.username != reviewer
        assert version.author.username == demo.EDITORS[_org_key(item)][0]
        assert version.process is not None
        forms_schema.check_form(version.form_schema, version.form_ui)
        assert item.code == item.organisation.uscc + item.exercise_level + item.basic_item.code
    assert SearchDocument.objects.count() == items.count()
    names = set(ItemVersion.objects.values_list("name", flat=True))
    for required in (
        "食品经营许可证核发",
        "公共场所卫生许可证核发",
        "药品零售企业经营许可",
        "建筑工程施工许可证核发",
        "个体工商户设立登记",
        "户外广告设施设置审批",
        "取水许可",
        "不动产登记",
        "出生医学证明签发",
        "户口登记（出生）",
        "居住证申领",
        "失业登记",
        "城乡居民基本养老保险参保登记",
        "最低生活保障审批",
        "高龄津贴申领",
        "残疾人证核发",
    ):
        assert required in names


def _org_key(item: ImplementationItem) -> str:
    return next(spec.key for spec in demo.county.ORGANISATIONS if spec.uscc == item.organisation.uscc)


def _check_the_items_carry_the_rules_of_their_law():
    food = _published("食品经营许可证核发")
    assert (food.item_type, food.statutory_limit, food.statutory_limit_unit) == ("01", 20, "working_day")
    assert food.promised_limit < food.statutory_limit
    assert "《中华人民共和国食品安全法》第三十五条" in food.legal_basis
    assert not food.charges and not food.fees.exists()
    assert food.item.code.endswith("000117001000")  # the basic code the identity demo's agent is authorised for
    assert food.item.organisation.short_name == "市场监管局"

    estate = _published("不动产登记")
    assert estate.charges
    assert {(fee.name, fee.standard.split("（")[0]) for fee in estate.fees.all()} >= {
        ("住宅类不动产登记费", "80 元/件"),
        ("非住宅类不动产登记费", "550 元/件"),
    }

    permit = _published("居住证申领")
    assert not permit.charges and "首次申领不收费" in permit.charge_basis

    relief = _published("最低生活保障审批")
    assert (relief.item_type, relief.item.exercise_level) == ("05", "4")
    assert "镇" in relief.entrusted_department
    assert relief.item.organisation.short_name == "民政局"

    elder = _published("高龄津贴申领")
    assert elder.item_type == "05"
    assert _published("出生医学证明签发").result_licence_type == demo_data.LICENCE_BIRTH


def _check_materials_the_government_holds_name_where_they_come_from():
    birth_household = _published("户口登记（出生）")
    certificate = birth_household.materials.get(name="出生医学证明")
    assert (certificate.source, certificate.source_licence_type) == (MaterialSource.GOVERNMENT, demo_data.LICENCE_BIRTH)
    id_cards = Material.objects.filter(name__endswith="居民身份证", version__status=VersionStatus.PUBLISHED)
    assert id_cards.exists()
    assert set(id_cards.values_list("source_registry_field", flat=True)) == {"population.id_number"}


def _check_themes_and_bundles():
    assert set(Theme.objects.filter(audience="person").values_list("name", flat=True)) == {
        "生育收养",
        "户籍办理",
        "就业创业",
        "社会保障",
        "养老服务",
        "残疾人服务",
        "住房保障",
        "民政救助",
    }
    assert set(Theme.objects.filter(audience="enterprise").values_list("name", flat=True)) == {
        "开办企业",
        "经营许可",
        "工程建设",
        "税费办理",
        "注销退出",
    }
    newborn = Bundle.objects.get(code="newborn")
    assert newborn.published
    assert [entry.item.published_version.name for entry in newborn.entries.order_by("order")] == [
        "出生医学证明签发",
        "户口登记（出生）",
        "城乡居民基本医疗保险参保登记",
        "社会保障卡申领",
    ]
    assert newborn.shared_fields == [
        "newborn_name",
        "newborn_sex",
        "newborn_birth_date",
        "father_id_number",
        "mother_id_number",
    ]
    for entry in newborn.entries.all():
        assert set(newborn.shared_fields) <= set(entry.item.published_version.form_schema["properties"])
    startup = Bundle.objects.get(code="business-startup")
    assert [entry.item.published_version.name for entry in startup.entries.order_by("order")] == [
        "企业设立登记",
        "印章刻制备案",
        "发票领用",
        "单位社会保险参保登记",
    ]
    organisations = {entry.item.organisation.short_name for entry in startup.entries.all()}
    assert organisations == {"市场监管局", "公安局", "税务局", "人力社保局"}


def _check_demo_forms_accept_a_good_application_and_name_a_bad_id_number():
    schema = _published("户口登记（出生）").form_schema
    good = {
        "newborn_name": "陈小宝",
        "newborn_sex": "男",
        "newborn_birth_date": "2026-03-01",
        "father_id_number": "33012219940611015X",
        "mother_id_number": "330122199511020188",
        "settle_with": "随父",
        "household_address": "桐庐县桐君街道梅林社区",
        "applicant_name": "陈志强",
        "applicant_id_number": "33012219940611015X",
        "applicant_phone": "13805710004",
    }
    assert forms_schema.validate_submission(schema, good) == {}
    problems = forms_schema.validate_submission(schema, {**good, "father_id_number": "12345"})
    assert problems == {"father_id_number": ["父亲身份证号码的格式不正确，请填写 18 位公民身份号码"]}


def _check_people_find_items_in_their_own_words():
    for query, expected in (
        ("开饭店", "食品经营许可证核发"),
        ("上户口", "户口登记（出生）"),
        ("低保", "最低生活保障审批"),
        ("spjy", "食品经营许可证核发"),
    ):
        assert search.search(query).items[0].name == expected, query
