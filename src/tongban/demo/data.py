"""The demo county (桐庐县, 330122): towns, villages, departments, the service hall, staff, people and enterprises.

Names of people are design personas (../shared/JOURNEYS.md); identifiers are computed with the real check algorithms
and belong to no one. Town and village codes follow the GB/T 2260 statistical pattern but are illustrative.
Later capabilities extend this file with their own demo data.
"""

from __future__ import annotations

import hashlib
import hmac
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

# Town centres (便民服务中心) have a general acceptance window and a pick-up window (全县通办: any item in scope).
TOWN_WINDOWS = [
    ("01", "综合受理窗口", "acceptance"),
    ("02", "出件窗口", "result"),
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
    # Review and decision (审查与决定): 食品经营许可 is reviewed by 市场监管局 and 卫生健康局 in parallel.
    DemoStaff("reviewer_qin", "秦科员", "13905710011", [("amr", "reviewer", False)]),
    DemoStaff("head_yan", "严局长", "13905710012", [("amr", "head", False)]),
    DemoStaff("reviewer_jin", "金科员", "13905710013", [("health", "reviewer", False)]),
    DemoStaff("approver_xia", "夏科长", "13905710014", [("health", "approver", False)]),
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


# --- Identity registries, enterprise bindings and agents (accounts/registries.py, enterprises.py) -----------------


@dataclass(frozen=True)
class DemoRegistryPerson:
    """A resident who is in the population registry (人口基础库) but has no account."""

    name: str
    id_number: str
    alive: bool = True
    note: str = ""


REGISTRY_ONLY_PEOPLE = [
    DemoRegistryPerson("叶春华", resident_id("330122", "19760418", 17, female=True), note="富春山居民宿的法定代表人"),
    DemoRegistryPerson(
        "王老汉", resident_id("330122", "19300101", 21, female=False), alive=False, note="已死亡，核验不通过"
    ),
]

# Legal representative of each demo enterprise, by credit code: (name, ID number), as the legal-entity registry has it.
ENTERPRISE_REPRESENTATIVES = {
    ENTERPRISES[0].uscc: ("孙丽华", PEOPLE[6].id_number),
    ENTERPRISES[1].uscc: ("叶春华", REGISTRY_ONLY_PEOPLE[0].id_number),
}

# An enterprise the registry lists as cancelled (注销): binding it is refused.
CANCELLED_ENTERPRISE = DemoEnterprise("桐庐县老街茶馆有限公司", "MA2K9R3T", "", "已注销，不能绑定")

# Illustrative basic codes (基本编码) of licence items; the catalogue links them to real items.
FOOD_BUSINESS_LICENCE = "000117001000"  # 食品经营许可
FOOD_BUSINESS_LICENCE_RENEWAL = "000117001002"  # 食品经营许可（延续）
PUBLIC_PLACE_HYGIENE_LICENCE = "000113005000"  # 公共场所卫生许可


@dataclass(frozen=True)
class DemoAgent:
    """An agent (经办人) the representative authorises by phone, for listed items, for a year."""

    enterprise_uscc: str
    representative_phone: str
    phone: str
    name: str
    item_codes: list[str]
    days: int = 365


AGENTS = [
    DemoAgent(
        ENTERPRISES[0].uscc,
        "13805710007",
        "13805710006",
        "吴晓燕",
        [FOOD_BUSINESS_LICENCE, FOOD_BUSINESS_LICENCE_RENEWAL, PUBLIC_PLACE_HYGIENE_LICENCE],
    ),
]


# --- Single sign-on clients (accounts/oidc.py; docs/api-guide.md) -------------------------------------------------


@dataclass(frozen=True)
class DemoOidcClient:
    """A department system registered with the platform's OpenID Connect provider."""

    client_id: str
    name: str
    grant_type: str  # "authorization-code" (people sign in) or "client-credentials" (machine calls to /api/v1/)
    redirect_uris: str = ""
    post_logout_redirect_uris: str = ""
    skip_authorization: bool = False
    note: str = ""


DEMO_CALLBACK = "http://127.0.0.1:8765/callback"

OIDC_CLIENTS = [
    DemoOidcClient(
        "demo-gongan-huji",
        "公安局户籍业务系统",
        "authorization-code",
        DEMO_CALLBACK,
        "http://127.0.0.1:8765/",
        note="部门系统：授权码 + PKCE（S256），首次登录显示授权确认页",
    ),
    DemoOidcClient(
        "demo-tongban-app",
        "通办政务服务移动端",
        "authorization-code",
        DEMO_CALLBACK,
        "http://127.0.0.1:8765/",
        skip_authorization=True,
        note="平台自有应用：不显示授权确认页",
    ),
    DemoOidcClient(
        "demo-minzheng-jiuzhu",
        "民政局社会救助审核系统",
        "client-credentials",
        note="系统间调用：客户端凭证，范围 identity:read",
    ),
]


def demo_client_secret(client_id: str) -> str:
    """The demo secret of a client: derived from the published demo password, so `demo_accounts` can print it
    while the database keeps only DOT's hash, and re-seeding gives the same secret. Demo only (seeding refuses in
    production)."""
    return hmac.new(DEMO_PASSWORD.encode(), f"oidc-client:{client_id}".encode(), hashlib.sha256).hexdigest()[:40]
