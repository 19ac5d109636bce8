"""catalog_generate: N generated, published implementation items for the bench (A BENCH AND DEMO TOOL ONLY).

The items are realistic in shape, not in content: 40 common item names, each carried out by the matching department
of many counties (as in a real national catalogue, where one basic item has thousands of implementations), with
materials, an FAQ, themes and the four service scopes. They are written with bulk inserts straight into the tables,
bypassing the lifecycle services and the audit log, so this command is refused unless the environment is demo or
development. Organisations are created per county (credit codes with valid check digits, base "Q……"), reused on a
second run; a second run adds N more items.
"""

from __future__ import annotations

import random

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from tongban.catalog import codes, search
from tongban.catalog.models import (
    BasicItem,
    CaseType,
    ExerciseLevel,
    Faq,
    ImplementationItem,
    ItemVersion,
    Material,
    ServiceScope,
    Theme,
    VersionStatus,
)
from tongban.config import CONFIG
from tongban.core.models import Organisation, OrganisationKind, Region, RegionLevel
from tongban.demo.identifiers import credit_code

# (department key, department name, item name, item type, audience, materials)
TEMPLATES = [
    (
        "scjg",
        "市场监督管理局",
        "食品经营许可证核发",
        "01",
        "enterprise",
        ["食品经营许可申请书", "营业执照", "食品安全管理制度"],
    ),
    ("scjg", "市场监督管理局", "个体工商户设立登记", "07", "person", ["个体工商户登记申请书", "经营者身份证明"]),
    ("scjg", "市场监督管理局", "个体工商户变更登记", "07", "person", ["变更登记申请书", "营业执照正副本"]),
    ("scjg", "市场监督管理局", "个体工商户注销登记", "07", "person", ["注销登记申请书", "营业执照正副本"]),
    ("scjg", "市场监督管理局", "药品零售企业经营许可", "01", "enterprise", ["药品经营许可证申请表", "执业药师注册证"]),
    ("scjg", "市场监督管理局", "食品小作坊登记", "07", "person", ["小作坊登记申请表", "场所平面图"]),
    ("wjj", "卫生健康局", "公共场所卫生许可证核发", "01", "enterprise", ["卫生许可申请书", "卫生管理制度", "检测报告"]),
    ("wjj", "卫生健康局", "出生医学证明签发", "07", "person", ["父母身份证", "住院分娩记录"]),
    ("wjj", "卫生健康局", "医疗机构执业登记", "01", "enterprise", ["执业登记申请书", "设置批准书"]),
    ("wjj", "卫生健康局", "生育登记服务", "20", "person", ["夫妻双方身份证", "结婚证"]),
    (
        "zjj",
        "住房和城乡建设局",
        "建筑工程施工许可证核发",
        "01",
        "enterprise",
        ["施工许可申请表", "施工合同", "安全措施"],
    ),
    ("zjj", "住房和城乡建设局", "商品房预售许可", "01", "enterprise", ["预售许可申请表", "土地使用权证明"]),
    ("zjj", "住房和城乡建设局", "公共租赁住房资格审核", "07", "person", ["申请表", "收入证明", "住房情况证明"]),
    ("gaj", "公安局", "户口登记（出生）", "07", "person", ["出生医学证明", "父母户口簿", "父母身份证"]),
    ("gaj", "公安局", "居住证申领", "20", "person", ["居民身份证", "居住证明"]),
    ("gaj", "公安局", "居民身份证换领", "20", "person", ["原居民身份证", "户口簿"]),
    ("gaj", "公安局", "户口迁移", "07", "person", ["准予迁入证明", "户口簿"]),
    ("rsj", "人力资源和社会保障局", "失业登记", "20", "person", ["居民身份证", "劳动合同解除证明"]),
    ("rsj", "人力资源和社会保障局", "城乡居民基本养老保险参保登记", "20", "person", ["居民身份证", "户口簿"]),
    ("rsj", "人力资源和社会保障局", "城乡居民基本养老保险待遇申领", "05", "person", ["居民身份证", "社会保障卡"]),
    ("rsj", "人力资源和社会保障局", "社会保障卡申领", "20", "person", ["居民身份证", "近期照片"]),
    ("rsj", "人力资源和社会保障局", "就业困难人员认定", "07", "person", ["居民身份证", "就业困难证明"]),
    ("mzj", "民政局", "最低生活保障审批", "05", "person", ["低保申请书", "家庭收入证明", "户口簿"]),
    ("mzj", "民政局", "高龄津贴申领", "05", "person", ["居民身份证", "银行账户"]),
    ("mzj", "民政局", "特困人员认定", "05", "person", ["申请书", "家庭财产状况说明"]),
    ("mzj", "民政局", "婚姻登记", "07", "person", ["双方户口簿", "双方身份证", "照片"]),
    ("mzj", "民政局", "临时救助", "05", "person", ["救助申请书", "困难情况证明"]),
    ("slj", "水利局", "取水许可", "01", "enterprise", ["取水申请书", "水资源论证报告"]),
    ("slj", "水利局", "河道管理范围内建设项目审批", "01", "enterprise", ["申请书", "防洪评价报告"]),
    ("cgj", "综合行政执法局", "户外广告设施设置审批", "01", "enterprise", ["设置申请表", "设计图", "场地使用证明"]),
    ("cgj", "综合行政执法局", "城市建筑垃圾处置核准", "01", "enterprise", ["处置申请表", "运输合同"]),
    ("zrj", "自然资源局", "不动产登记", "07", "person", ["不动产登记申请书", "身份证明", "权属来源证明"]),
    ("zrj", "自然资源局", "建设用地规划许可证核发", "01", "enterprise", ["申请表", "用地批准文件"]),
    ("zrj", "自然资源局", "乡村建设规划许可", "01", "person", ["申请表", "宅基地证明"]),
    ("cl", "残疾人联合会", "残疾人证核发", "07", "person", ["居民身份证", "残疾评定表", "照片"]),
    ("cl", "残疾人联合会", "残疾人两项补贴申领", "05", "person", ["残疾人证", "申请表"]),
    ("jyj", "教育局", "教师资格认定", "07", "person", ["教师资格认定申请表", "学历证书", "体检表"]),
    ("jyj", "教育局", "民办学校设立审批", "01", "enterprise", ["申办报告", "章程", "资产证明"]),
    ("swj", "税务局", "发票领用", "20", "enterprise", ["营业执照", "经办人身份证"]),
    ("swj", "税务局", "个人所得税综合所得汇算", "04", "person", ["收入纳税明细", "专项附加扣除资料"]),
]
# Most items are valid in their county; some city- or province-wide; few 跨省通办 (about 1 in 100).
SCOPES = (
    [ServiceScope.COUNTY] * 85 + [ServiceScope.CITY] * 10 + [ServiceScope.PROVINCE] * 4 + [ServiceScope.CROSS_PROVINCE]
)
ITEMS_PER_COUNTY = len(TEMPLATES)
BATCH = 1000


class Command(BaseCommand):
    help = "生成 N 个已发布的实施清单事项用于性能测试（仅限演示/开发环境；绕过审核与审计）"

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, required=True, help="要生成的事项数")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子")

    def handle(self, *args, items: int, seed: int, **options):
        if CONFIG.production:
            raise CommandError("catalog_generate 只用于演示和性能测试，生产环境拒绝执行")
        if items <= 0:
            raise CommandError("--items 必须大于 0")
        created = generate(
            items,
            rng=random.Random(seed),  # noqa: S311 — generated test data, not secrets
            say=self.stdout.write,
        )
        self.stdout.write(self.style.SUCCESS(f"已生成并索引 {created} 个事项"))


def generate(count: int, *, rng: random.Random, say=lambda _message: None) -> int:
    """Generate `count` published items across counties; the number created (all indexed)."""
    author = _author()
    basics = _basic_items()
    themes = list(Theme.objects.all())
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY, active=True).order_by("code"))
    if not counties:
        raise CommandError("没有县级行政区划：请先运行 demo_seed（它导入全国区划）")
    rng.shuffle(counties)
    existing_codes = set(ImplementationItem.objects.values_list("code", flat=True))
    pending, created, ids = [], 0, []
    for county in counties:
        organisations = _county_departments(county)
        for template in TEMPLATES:
            key, name = template[0], template[2]
            code = codes.implementation_code(organisations[key].uscc, ExerciseLevel.COUNTY, basics[name].code)
            if code not in existing_codes and created + len(pending) < count:
                existing_codes.add(code)
                pending.append((code, basics[name], organisations[key], template))
        if len(pending) >= BATCH or (pending and created + len(pending) >= count):
            ids += _write(pending, author, themes, rng)
            created += len(pending)
            pending = []
            say(f"  {created} / {count}")
        if created >= count:
            break
    if pending:
        ids += _write(pending, author, themes, rng)
        created += len(pending)
    say("  索引中 …")
    search.index_items(ids)
    return created


def _author():
    from tongban.accounts.models import User
    from tongban.accounts.services import user_create

    user = User.objects.filter(username="bench_catalog_generator").first()
    if user is None:
        user = user_create(actor=None, kind="staff", username="bench_catalog_generator", display_name="性能测试生成器")
    return user


def _basic_items() -> dict[str, BasicItem]:
    basics = {}
    for number, (_key, _department, name, item_type, _audience, _materials) in enumerate(TEMPLATES, start=1):
        code = codes.basic_code("00", item_type, "99", f"{number:03d}", "000")
        basics[name], _created = BasicItem.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "item_type": item_type,
                "source": "00",
                "department_code": "99",
                "main_number": f"{number:03d}",
                "legal_basis": f"《{name}管理办法》",
            },
        )
    return basics


def _county_departments(county: Region) -> dict[str, Organisation]:
    departments = {}
    keys = list(dict.fromkeys((template[0], template[1]) for template in TEMPLATES))
    for index, (key, suffix) in enumerate(keys):
        base8 = f"Q{int(county.code) % 100000:05d}{index:02d}"
        uscc = credit_code("11", county.code, base8)
        departments[key], _created = Organisation.objects.get_or_create(
            uscc=uscc,
            defaults={
                "name": f"{county.name}{suffix}",
                "short_name": f"{county.name[:4]}{suffix[:2]}",
                "kind": OrganisationKind.DEPARTMENT,
                "region": county,
            },
        )
    return departments


@transaction.atomic
def _write(pending, author, themes, rng) -> list[int]:
    """One batch: items, published versions, materials, FAQs, themes; bulk inserts only."""
    now = timezone.now()
    items = ImplementationItem.objects.bulk_create(
        [
            ImplementationItem(
                code=code,
                basic_item=basic,
                organisation=organisation,
                exercise_level=ExerciseLevel.COUNTY,
                use_count=rng.randint(0, 5000),
            )
            for code, basic, organisation, _template in pending
        ]
    )
    versions = ItemVersion.objects.bulk_create(
        [_version(item, template, author, now, rng) for item, (*_rest, template) in zip(items, pending, strict=True)]
    )
    for item, version in zip(items, versions, strict=True):
        item.published_version = version
    ImplementationItem.objects.bulk_update(items, ["published_version"])
    Material.objects.bulk_create(
        [
            Material(
                version=version,
                order=order,
                name=name,
                material_type="original",
                material_form="either",
                necessity="required",
                paper_copies=1,
                source="applicant",
                acceptance_standard="内容完整、真实有效",
            )
            for version, (*_rest, template) in zip(versions, pending, strict=True)
            for order, name in enumerate(template[5], start=1)
        ]
    )
    Faq.objects.bulk_create(
        [
            Faq(
                version=version,
                question=f"办理{version.name}需要本人到场吗？",
                answer="可以委托他人代为办理，代办人需携带委托书和本人身份证。",
            )
            for version in versions
        ]
    )
    if themes:
        through = ItemVersion.themes.through
        through.objects.bulk_create(
            [through(itemversion_id=version.pk, theme_id=rng.choice(themes).pk) for version in versions]
        )
    return [item.pk for item in items]


def _version(item, template, author, now, rng) -> ItemVersion:
    _key, department, name, item_type, audience, _materials = template
    limit = rng.choice([1, 5, 10, 15, 20])
    return ItemVersion(
        item=item,
        number=1,
        status=VersionStatus.PUBLISHED,
        name=name,
        item_type=item_type,
        legal_basis=f"《{name}管理办法》第十条",
        service_object=[audience],
        acceptance_conditions=f"申请人符合{name}的法定条件，材料齐全、符合法定形式。",
        procedure="申请、受理、审查、决定、送达",
        statutory_limit=limit * 2,
        promised_limit=limit,
        case_type=CaseType.PROMISED if limit > 1 else CaseType.INSTANT,
        handling_forms=["window", "online"],
        online_depth=rng.randint(2, 4),
        visits=rng.randint(0, 1),
        place=f"{item.organisation.name}政务服务窗口",
        hours="工作日 9:00-12:00，13:30-17:00",
        consultation=f"{department}咨询电话 12345",
        complaint="12345 政务服务便民热线",
        service_scope=rng.choice(SCOPES),
        author=author,
        published_at=now,
        reviewed_at=now,
        submitted_at=now,
    )
