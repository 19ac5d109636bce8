"""The demo county (桐庐县, 330122): towns, villages, departments, the service hall, staff, people and enterprises.

Names of people are design personas (../shared/JOURNEYS.md); identifiers are computed with the real check algorithms
and belong to no one. Town and village codes follow the GB/T 2260 statistical pattern but are illustrative.
Later capabilities extend this file with their own demo data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tongban.demo.identifiers import credit_code, resident_id

COUNTY_CODE = "330122"
DEMO_PASSWORD = "Tongban@2026"  # noqa: S105 — the published demo password; printed by `make run`; demo_seed refuses to run in production mode

TOWNS = [
    ("330122001", "桐君街道"),
    ("330122101", "富春江镇"),
    ("330122102", "横村镇"),
]

VILLAGES = [
    ("330122001001", "梅林社区"),
    ("330122001201", "阆苑村"),
    ("330122101201", "芦茨村"),
    ("330122101202", "石舍村"),
    ("330122102201", "横村村"),
    ("330122102202", "孝门村"),
]

COUNTY_ADDRESS = "浙江省杭州市桐庐县"
OFFICE_HOURS = "周一至周五 上午 8:30-12:00，下午 13:30-17:00（法定节假日除外）"


@dataclass(frozen=True)
class DemoOrganisation:
    """One organisation of the demo county."""

    key: str
    name: str
    short_name: str
    kind: str
    region_code: str
    org_base8: str
    phone: str
    address: str
    parent_key: str = ""

    @property
    def uscc(self) -> str:
        return credit_code("11", COUNTY_CODE, self.org_base8)


def _department(key: str, name: str, short: str, base8: str, phone: str, street: str) -> DemoOrganisation:
    return DemoOrganisation(key, name, short, "department", COUNTY_CODE, base8, phone, f"{COUNTY_ADDRESS}{street}")


ORGANISATIONS = [
    _department("amr", "桐庐县市场监督管理局", "市场监管局", "00250001", "0571-64210001", "迎春南路 258 号"),
    _department("health", "桐庐县卫生健康局", "卫生健康局", "00250002", "0571-64210002", "白云源路 1001 号"),
    _department("hrss", "桐庐县人力资源和社会保障局", "人力社保局", "00250003", "0571-64210003", "学圣路 98 号"),
    _department("civil", "桐庐县民政局", "民政局", "00250004", "0571-64210004", "滨江路 120 号"),
    _department("police", "桐庐县公安局", "公安局", "00250005", "0571-64210005", "春江路 588 号"),
    _department("housing", "桐庐县住房和城乡建设局", "住建局", "00250006", "0571-64210006", "阳光大道 66 号"),
    _department("nrp", "桐庐县自然资源和规划局", "自然资源和规划局", "00250007", "0571-64210007", "迎春南路 100 号"),
    _department("medins", "桐庐县医疗保障局", "医保局", "00250008", "0571-64210008", "白云源路 999 号"),
    _department("tax", "国家税务总局桐庐县税务局", "税务局", "00250009", "0571-64210009", "学圣路 1 号"),
    DemoOrganisation(
        "hall",
        "桐庐县行政服务中心",
        "行政服务中心",
        "service_hall",
        COUNTY_CODE,
        "00250010",
        "0571-64210010",
        f"{COUNTY_ADDRESS}迎春南路 288 号",
    ),
    DemoOrganisation(
        "town_tongjun",
        "桐君街道便民服务中心",
        "桐君街道便民中心",
        "town_office",
        "330122001",
        "00250011",
        "0571-64210011",
        f"{COUNTY_ADDRESS}桐君街道白云源路 12 号",
    ),
    DemoOrganisation(
        "town_fuchunjiang",
        "富春江镇便民服务中心",
        "富春江镇便民中心",
        "town_office",
        "330122101",
        "00250012",
        "0571-64210012",
        f"{COUNTY_ADDRESS}富春江镇芦茨路 8 号",
    ),
    DemoOrganisation(
        "town_hengcun",
        "横村镇便民服务中心",
        "横村镇便民中心",
        "town_office",
        "330122102",
        "00250013",
        "0571-64210013",
        f"{COUNTY_ADDRESS}横村镇横村大道 30 号",
    ),
    *[
        DemoOrganisation(
            f"station_{code}",
            f"{name}便民服务站",
            f"{name}服务站",
            "village_station",
            code,
            f"0025{20 + index:04d}",
            f"0571-6421{20 + index:04d}",
            f"{COUNTY_ADDRESS}{name}村（居）委会",
            parent_key={"001": "town_tongjun", "101": "town_fuchunjiang", "102": "town_hengcun"}[code[6:9]],
        )
        for index, (code, name) in enumerate(VILLAGES)
    ],
]

HALL_WINDOWS = [
    ("01", "综合受理一号窗口", "acceptance"),
    ("02", "综合受理二号窗口", "acceptance"),
    ("03", "综合受理三号窗口（企业开办）", "acceptance"),
    ("04", "出件窗口", "result"),
    ("05", "咨询导办窗口", "consultation"),
]


@dataclass(frozen=True)
class DemoStaff:
    """A member of staff and the roles they hold."""

    username: str
    display_name: str
    phone: str
    roles: list[tuple[str, str, bool]] = field(default_factory=list)  # (organisation key, role, covers subtree)
    superuser: bool = False


STAFF = [
    DemoStaff("admin", "系统管理员", "13905710000", [("hall", "system_admin", True)], superuser=True),
    DemoStaff("clerk_wang", "王科员", "13905710001", [("town_fuchunjiang", "window_clerk", True)]),
    DemoStaff("clerk_he", "何科员", "13905710002", [("hall", "window_clerk", False)]),
    DemoStaff("reviewer_sun", "孙科员", "13905710003", [("amr", "reviewer", False)]),
    DemoStaff("approver_zhao", "赵科长", "13905710004", [("amr", "approver", False)]),
    DemoStaff("reviewer_zheng", "郑科员", "13905710005", [("civil", "reviewer", False)]),
    DemoStaff("approver_feng", "冯科长", "13905710006", [("civil", "approver", False)]),
    DemoStaff("editor_qian", "钱老师", "13905710007", [("health", "catalogue_editor", False)]),
    DemoStaff("catreviewer_zhou", "周处长", "13905710008", [("hall", "catalogue_reviewer", True)]),
    DemoStaff("supervisor_liu", "刘主任", "13905710009", [("hall", "supervisor", True)]),
    DemoStaff("hallmgr_chen", "陈经理", "13905710010", [("hall", "hall_manager", False)]),
]


@dataclass(frozen=True)
class DemoPerson:
    """A citizen account: the username is the mobile number."""

    phone: str
    name: str
    id_number: str
    real_name_level: int
    note: str


PEOPLE = [
    DemoPerson(
        "13805710001",
        "张秀英",
        resident_id("330122", "19540312", 1, female=True),
        1,
        "张阿姨（72 岁），芦茨村，为老伴申请高龄津贴",
    ),
    DemoPerson("13805710002", "王德福", resident_id("330122", "19460815", 3, female=False), 1, "张阿姨的老伴（80 岁）"),
    DemoPerson(
        "13805710003",
        "李建国",
        resident_id("330122", "19910520", 5, female=False),
        2,
        "李老板（35 岁），准备开小饭店",
    ),
    DemoPerson("13805710004", "陈志强", resident_id("330122", "19940611", 7, female=False), 2, "新手爸爸陈先生"),
    DemoPerson("13805710005", "周敏", resident_id("330122", "19951102", 9, female=True), 2, "新手妈妈周女士"),
    DemoPerson(
        "13805710006",
        "吴晓燕",
        resident_id("330122", "19980304", 11, female=True),
        2,
        "小吴，好味道餐饮有限公司的经办人",
    ),
    DemoPerson(
        "13805710007",
        "孙丽华",
        resident_id("330122", "19800909", 13, female=True),
        2,
        "好味道餐饮有限公司的法定代表人",
    ),
]


@dataclass(frozen=True)
class DemoEnterprise:
    """An enterprise account: the username is the unified social credit code."""

    name: str
    org_base8: str
    phone: str
    note: str

    @property
    def uscc(self) -> str:
        return credit_code("91", COUNTY_CODE, self.org_base8)


ENTERPRISES = [
    DemoEnterprise("桐庐县好味道餐饮有限公司", "MA2H3K7L", "13805710101", "法定代表人孙丽华，经办人小吴"),
    DemoEnterprise("桐庐富春山居民宿有限公司", "MA2J8P4Q", "13805710102", "富春江镇的民宿"),
]
