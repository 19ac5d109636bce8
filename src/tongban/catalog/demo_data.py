"""The demo county's service-item catalogue (桐庐县 330122): themes, items with every guide element, bundles.

Pure data; `catalog/demo.py` loads it through the catalogue services. Legal bases, time limits and fees follow the
national and Zhejiang rules for each item; the implementing organisations are the demo county's bodies
(`demo/data.py`). What is illustrative and must not be taken for official data:

- Basic codes (基本编码): source ("00" national, "33" Zhejiang) + item type + a 2-digit department code chosen here
  (DEPARTMENT_CODES, consistent with the licence codes already in demo/data.py) + main and sub numbers chosen here.
  Real basic codes come from the national and provincial catalogues.
- Licence type codes (证照类型代码) in material sources and results are readable names the licence library maps.
- 取水许可 belongs to the water administration (水利局) and 残疾人证核发 to the disabled persons' federation (残联); the
  demo county has neither body, so the demo lists them under 自然资源和规划局 and 民政局 and says so in the guide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tongban.demo import data as county

# 2-digit department codes inside basic codes (illustrative; 17 and 13 match demo/data.py's licence codes).
DEPARTMENT_CODES = {
    "police": "05",  # 公安
    "civil": "06",  # 民政
    "hrss": "10",  # 人力资源和社会保障
    "nrp": "11",  # 自然资源
    "housing": "12",  # 住房和城乡建设（含城市管理）
    "health": "13",  # 卫生健康
    "water": "14",  # 水利（演示县由自然资源和规划局代列）
    "amr": "17",  # 市场监管（含药品监管）
    "tax": "20",  # 税务
    "medins": "22",  # 医疗保障
    "cdpf": "27",  # 残联（演示县由民政局代列）
}

# Illustrative licence type codes (证照类型代码) the licence library maps to licence types.
LICENCE_BUSINESS = "business_licence"  # 营业执照
LICENCE_BIRTH = "birth_medical_certificate"  # 出生医学证明
LICENCE_MARRIAGE = "marriage_certificate"  # 结婚证
LICENCE_HOUSEHOLD = "household_register"  # 居民户口簿
LICENCE_FOOD = "food_business_licence"  # 食品经营许可证
LICENCE_HYGIENE = "public_place_hygiene_licence"  # 公共场所卫生许可证
LICENCE_DRUG = "drug_business_licence"  # 药品经营许可证
LICENCE_CONSTRUCTION = "construction_permit"  # 建筑工程施工许可证
LICENCE_PLANNING = "construction_planning_permit"  # 建设工程规划许可证
LICENCE_LAND_PLANNING = "land_use_planning_permit"  # 建设用地规划许可证
LICENCE_REAL_ESTATE = "real_estate_certificate"  # 不动产权证书
LICENCE_RESIDENCE = "residence_permit"  # 居住证
LICENCE_DISABILITY = "disability_certificate"  # 残疾人证
LICENCE_WATER = "water_abstraction_licence"  # 取水许可证
LICENCE_SOCIAL_CARD = "social_security_card"  # 社会保障卡
LICENCE_ADVERT = "outdoor_advert_permit"  # 户外广告设施设置许可决定书

_ORGS = {spec.key: spec for spec in county.ORGANISATIONS}
HALL = _ORGS["hall"]


# --- Themes (主题) --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeSpec:
    """A life event (个人) or business stage (法人)."""

    code: str
    name: str
    audience: str
    order: int


THEMES = [
    ThemeSpec("birth", "生育收养", "person", 1),
    ThemeSpec("household", "户籍办理", "person", 2),
    ThemeSpec("employment", "就业创业", "person", 3),
    ThemeSpec("social-security", "社会保障", "person", 4),
    ThemeSpec("elderly", "养老服务", "person", 5),
    ThemeSpec("disability", "残疾人服务", "person", 6),
    ThemeSpec("housing", "住房保障", "person", 7),
    ThemeSpec("relief", "民政救助", "person", 8),
    ThemeSpec("startup", "开办企业", "enterprise", 1),
    ThemeSpec("permits", "经营许可", "enterprise", 2),
    ThemeSpec("construction", "工程建设", "enterprise", 3),
    ThemeSpec("tax", "税费办理", "enterprise", 4),
    ThemeSpec("exit", "注销退出", "enterprise", 5),
]


# --- Form fields (compiled to JSON Schema + UI hints by catalog/demo.py) --------------------------------------------


@dataclass(frozen=True)
class Field:
    """One form field: name, label, kind (text, textarea, date, id_number, phone, number, choice, uscc), options."""

    name: str
    title: str
    kind: str = "text"
    required: bool = True
    choices: tuple[str, ...] = ()
    prefill: str = ""
    help: str = ""
    max_length: int = 0


def _applicant_fields() -> list[Field]:
    return [
        Field("applicant_name", "申请人姓名", prefill="profile.real_name", max_length=50),
        Field("applicant_id_number", "申请人身份证号码", "id_number", prefill="profile.id_number"),
        Field("applicant_phone", "联系电话", "phone", prefill="profile.phone"),
    ]


def _enterprise_fields() -> list[Field]:
    return [
        Field("enterprise_name", "单位名称", prefill="enterprise.name", max_length=200),
        Field("enterprise_uscc", "统一社会信用代码", "uscc", prefill="enterprise.uscc"),
        Field("legal_representative_name", "法定代表人（负责人）姓名", max_length=50),
        Field("contact_phone", "联系电话", "phone", prefill="profile.phone"),
    ]


NEWBORN_FIELDS = [
    Field("newborn_name", "新生儿姓名", max_length=50, help="与出生医学证明上的姓名一致"),
    Field("newborn_sex", "新生儿性别", "choice", choices=("男", "女")),
    Field("newborn_birth_date", "出生日期", "date"),
    Field("father_id_number", "父亲身份证号码", "id_number"),
    Field("mother_id_number", "母亲身份证号码", "id_number"),
]
NEWBORN_SHARED = [f.name for f in NEWBORN_FIELDS]

STARTUP_FIELDS = [
    Field("enterprise_name", "企业名称", max_length=200, help="已通过名称自主申报的企业名称"),
    Field("legal_representative_name", "法定代表人姓名", max_length=50),
    Field("legal_representative_id_number", "法定代表人身份证号码", "id_number"),
    Field("registered_address", "住所（经营场所）", max_length=200),
    Field("contact_phone", "联系电话", "phone", prefill="profile.phone"),
]
STARTUP_SHARED = [f.name for f in STARTUP_FIELDS]


# --- Materials, fees, FAQs --------------------------------------------------------------------------------------------


def material(
    name: str,
    standard: str,
    *,
    material_type: str = "original",
    material_form: str = "either",
    necessity: str = "required",
    paper_copies: int = 0,
    paper_size: str = "",
    source: str = "applicant",
    licence: str = "",
    registry: str = "",
    notes: str = "",
    legal_basis: str = "",
) -> dict:
    """One application material as the fields of catalog.Material."""
    return {
        "name": name,
        "material_type": material_type,
        "material_form": material_form,
        "necessity": necessity,
        "paper_copies": paper_copies,
        "paper_size": paper_size,
        "source": source,
        "source_licence_type": licence,
        "source_registry_field": registry,
        "acceptance_standard": standard,
        "notes": notes,
        "legal_basis": legal_basis,
    }


def id_card(who: str = "申请人") -> dict:
    """A resident ID card, which the population registry confirms so the applicant need not hand it in online."""
    return material(
        f"{who}居民身份证",
        "在有效期内，姓名、号码与申请表一致；网上申请经实名认证后由人口基础库核验，免于提交",
        material_type="original",
        source="government",
        registry="population.id_number",
        notes="窗口办理时出示原件，当场核验后退还",
    )


def household_register(who: str = "申请人") -> dict:
    return material(
        f"{who}居民户口簿",
        "户主页和本人页齐全，信息与身份证一致；可由人口基础库核验",
        material_type="original",
        source="government",
        licence=LICENCE_HOUSEHOLD,
        registry="population.household",
        notes="窗口办理时出示原件，当场核验后退还",
    )


def business_licence() -> dict:
    return material(
        "营业执照",
        "登记状态为存续；可由电子证照库和法人基础库获取，免于提交",
        material_type="electronic",
        material_form="electronic",
        source="government",
        licence=LICENCE_BUSINESS,
        registry="legal_entity.uscc",
    )


def proxy_authorisation() -> dict:
    return material(
        "授权委托书及受托人身份证",
        "委托他人代办时提交；委托书载明委托事项和权限，由申请人签字（单位加盖公章）",
        material_type="original",
        material_form="paper",
        necessity="optional",
        paper_copies=1,
        paper_size="A4",
        notes="本人办理的无需提交；网上办理时可由法定代表人在线授权经办人",
    )


def photo(spec: str = "近期正面免冠彩色照片") -> dict:
    return material(
        spec,
        "白色背景，不着制式服装，头部占照片尺寸 2/3；也可在窗口现场采集",
        material_type="electronic",
        material_form="either",
        paper_copies=2,
        notes="网上申请时上传 JPG 格式电子照片",
    )


def fee(name: str, standard: str, basis: str, reduction: str = "") -> dict:
    return {"name": name, "standard": standard, "basis": basis, "reduction": reduction}


def faq(question: str, answer: str) -> dict:
    return {"question": question, "answer": answer}


# --- Items ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    """One implementation item of the demo county with its basic item and the guide of its first version."""

    key: str
    name: str
    item_type: str
    organisation: str  # demo/data.py organisation key
    department: str  # DEPARTMENT_CODES key (the basic code's department)
    main_number: str
    legal_basis: str
    service_object: list[str]
    acceptance_conditions: str
    procedure: str
    statutory: tuple[int, str, str]  # number, unit, note
    promised: tuple[int, str, str]
    case_type: str
    process: str  # bpmn.TEMPLATES key
    materials: list[dict]
    form: list[tuple[str, list[Field]]]  # pages: (title, fields)
    themes: list[str]
    faqs: list[dict]
    fees: list[dict] = field(default_factory=list)
    source: str = "00"
    sub_number: str = "000"
    exercise_level: str = "4"
    result: tuple[str, str, str] = ("", "", "")  # type, name, licence type code
    elements: dict = field(default_factory=dict)  # any other guide element (model field names)

    @property
    def basic_code(self) -> str:
        return f"{self.source}{self.item_type}{DEPARTMENT_CODES[self.department]}{self.main_number}{self.sub_number}"


def _uscc(organisation_key: str) -> str:
    return next(spec.uscc for spec in county.ORGANISATIONS if spec.key == organisation_key)


def _days(number: int, note: str = "", unit: str = "working_day") -> tuple[int, str, str]:
    return (number, unit, note)


def hall_place(window: str) -> str:
    return f"桐庐县行政服务中心（{HALL.address}）{window}"


TOWN_PLACES = "；".join(f"{spec.name}（{spec.address}）" for spec in county.ORGANISATIONS if spec.kind == "town_office")


def person_form(*extra: tuple[str, list[Field]]) -> list[tuple[str, list[Field]]]:
    return [("申请人信息", _applicant_fields()), *extra]


def enterprise_form(*extra: tuple[str, list[Field]]) -> list[tuple[str, list[Field]]]:
    return [("申请单位信息", _enterprise_fields()), *extra]


FOOD_SAFETY_LAW = "《中华人民共和国食品安全法》第三十五条"
FOOD_PERMIT_MEASURES = "《食品经营许可和备案管理办法》（国家市场监督管理总局令第 78 号）"
REGISTRATION_REGULATION = "《中华人民共和国市场主体登记管理条例》"
SOCIAL_INSURANCE_LAW = "《中华人民共和国社会保险法》"

ITEMS: list[ItemSpec] = [
    # ---------------------------------------------------------------------------------------------------- 市场监管局
    ItemSpec(
        key="food_business",
        name="食品经营许可证核发",
        item_type="01",
        organisation="amr",
        department="amr",
        main_number="001",
        legal_basis=f"{FOOD_SAFETY_LAW}：国家对食品生产经营实行许可制度。从事食品销售和餐饮服务，应当依法取得许可。\n"
        f"{FOOD_PERMIT_MEASURES}第二条、第十条。",
        service_object=["enterprise", "person"],
        acceptance_conditions=(
            "1. 已取得营业执照等合法主体资格；\n"
            "2. 具有与经营的食品品种、数量相适应的食品原料处理和食品加工、销售、贮存等场所，并与有毒、有害场所"
            "以及其他污染源保持规定的距离；\n"
            "3. 具有与经营的食品品种、数量相适应的经营设备或者设施；\n"
            "4. 有专职或者兼职的食品安全管理人员和保证食品安全的规章制度；\n"
            "5. 具有合理的设备布局和工艺流程，防止交叉污染；\n"
            "6. 法律、法规规定的其他条件。"
        ),
        procedure=(
            "1. 申请：网上或窗口提交申请材料；\n"
            "2. 受理：材料齐全、符合法定形式的予以受理，不齐全的一次性告知需要补正的全部内容；\n"
            "3. 并联审查：县市场监管局审查申请材料，县卫生健康局同时审查从业人员健康管理等卫生要求；需要现场核查的，"
            "由核查人员 2 人以上进行核查（特别程序，时间不计入时限）；\n"
            "4. 审查决定：符合条件的作出准予许可决定，不符合的作出不予许可决定并说明理由；\n"
            "5. 发证：自作出决定之日起 5 个工作日内颁发食品经营许可证（电子证照同步生成）。"
        ),
        statutory=_days(20, "自受理之日起 20 个工作日内作出决定；情况复杂的，经负责人批准可延长 10 个工作日"),
        promised=_days(5, "现场核查所需时间不计入承诺时限"),
        case_type="promised",
        process="parallel",  # 市场监管局 and 卫生健康局 review at the same time (并联审批)
        materials=[
            material(
                "食品经营许可申请书",
                "按要求填写完整，申请人签字或者盖章；网上申请时在线填写",
                material_type="original",
                paper_copies=1,
                paper_size="A4",
                legal_basis=FOOD_PERMIT_MEASURES + "第十三条",
            ),
            business_licence(),
            id_card("法定代表人（负责人）"),
            material(
                "与食品经营相适应的主要设备设施、经营布局、操作流程等文件",
                "平面布局图标明各功能区域和主要设备设施位置，与实际一致",
                material_type="copy",
                paper_copies=1,
                paper_size="A4",
            ),
            material(
                "食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等保证食品安全的规章制度",
                "制度齐全，与经营项目相适应",
                material_type="copy",
                paper_copies=1,
                paper_size="A4",
            ),
            material(
                "食品安全管理人员健康证明",
                "在有效期内；尚未取得的可先受理（容缺），在发证前补交",
                material_type="copy",
                necessity="deferrable",
                paper_copies=1,
            ),
            proxy_authorisation(),
        ],
        form=enterprise_form(
            (
                "经营信息",
                [
                    Field("business_address", "经营场所", max_length=200),
                    Field(
                        "business_type",
                        "主体业态",
                        "choice",
                        choices=("食品销售经营者", "餐饮服务经营者", "单位食堂"),
                    ),
                    Field("business_area", "经营场所面积（平方米）", "number"),
                    Field("food_safety_manager", "食品安全管理人员", max_length=50),
                    Field("business_items", "经营项目", "textarea", help="例如：热食类食品制售、冷食类食品制售"),
                ],
            ),
        ),
        themes=["permits", "startup"],
        faqs=[
            faq(
                "开小饭店要办哪些证？",
                "先办营业执照（个体工商户设立登记或企业设立登记），再办食品经营许可证。经营场所面积较大、"
                "属于公共场所的，还可能需要公共场所卫生许可证。",
            ),
            faq("食品经营许可证有效期多久？", "有效期为 5 年。需要延续的，应在有效期届满 30 个工作日前提出延续申请。"),
            faq("办理要收费吗？", "不收费。"),
        ],
        result=("证照", "食品经营许可证", LICENCE_FOOD),
        elements={
            # The parallel template's 协办部门 lane: the health bureau checks the staff health and hygiene rules.
            "process_departments": {"协办部门": _uscc("health")},
            # 健康证明 may still be owed when the approver decides (it is checked again before the licence is issued).
            "allows_deferred_approval": True,
            "handling_forms": ["window", "online", "mail"],
            "online_depth": 4,
            "visits": 0,
            "place": hall_place("3 号综合受理窗口（企业开办）"),
            "special_procedures": "现场核查：自受理之日起 10 个工作日内完成，时间不计入承诺时限。",
            "service_scope": "city",
            "appointment": True,
            "express_delivery": True,
        },
    ),
    ItemSpec(
        key="drug_retail",
        name="药品零售企业经营许可",
        item_type="01",
        organisation="amr",
        department="amr",
        main_number="021",
        legal_basis=(
            "《中华人民共和国药品管理法》第五十一条、第五十二条；\n"
            "《中华人民共和国药品管理法实施条例》第十二条；\n"
            "《药品经营和使用质量监督管理办法》（国家市场监督管理总局令第 84 号）第八条至第十四条。"
        ),
        service_object=["enterprise"],
        acceptance_conditions=(
            "1. 有依法经过资格认定的药师或者其他药学技术人员（执业药师）；\n"
            "2. 有与所经营药品相适应的营业场所、设备、仓储设施和卫生环境；\n"
            "3. 有与所经营药品相适应的质量管理机构或者人员；\n"
            "4. 有保证药品质量的规章制度，并符合药品经营质量管理规范要求。"
        ),
        procedure=(
            "1. 申请；2. 受理（一次性告知补正）；3. 现场检查（药品经营质量管理规范符合性检查）；"
            "4. 审查决定；5. 颁发药品经营许可证。"
        ),
        statutory=_days(20, "自受理之日起 20 个工作日内作出决定"),
        promised=_days(10, "现场检查时间不计入承诺时限"),
        case_type="promised",
        process="inspection",
        materials=[
            material("药品经营许可证申请表", "如实填写并由法定代表人签字、加盖公章", paper_copies=1, paper_size="A4"),
            business_licence(),
            id_card("法定代表人、企业负责人、质量负责人"),
            material(
                "执业药师注册证及劳动合同",
                "执业药师注册在本企业，注册证在有效期内",
                material_type="copy",
                paper_copies=1,
            ),
            material(
                "经营场所和仓库的平面布局图及产权证明或租赁协议",
                "标明面积和功能分区；租赁期不少于 1 年",
                material_type="copy",
                paper_copies=1,
                paper_size="A4",
            ),
            material(
                "药品质量管理制度文件和主要设施设备目录",
                "符合药品经营质量管理规范（GSP）",
                material_type="copy",
                paper_copies=1,
                paper_size="A4",
            ),
            proxy_authorisation(),
        ],
        form=enterprise_form(
            (
                "经营信息",
                [
                    Field("business_address", "经营地址", max_length=200),
                    Field("business_scope", "经营范围", "textarea", help="例如：中药饮片、中成药、化学药、生物制品"),
                    Field("pharmacist_name", "执业药师姓名", max_length=50),
                    Field("business_area", "营业面积（平方米）", "number"),
                ],
            ),
        ),
        themes=["permits"],
        faqs=[
            faq("开药店需要几名执业药师？", "经营处方药、甲类非处方药的，应配备至少 1 名执业药师，营业时间内在岗。"),
            faq(
                "药品经营许可证有效期多久？",
                "5 年。有效期届满需要继续经营的，应在届满前 6 个月至 2 个月期间申请重新发证。",
            ),
        ],
        result=("证照", "药品经营许可证", LICENCE_DRUG),
        elements={
            "handling_forms": ["window", "online"],
            "online_depth": 3,
            "visits": 1,
            "place": hall_place("3 号综合受理窗口（企业开办）"),
            "special_procedures": "现场检查：由县市场监管局组织，检查时间不计入办理时限。",
            "service_scope": "county",
            "express_delivery": True,
        },
    ),
    ItemSpec(
        key="individual_business",
        name="个体工商户设立登记",
        item_type="01",
        organisation="amr",
        department="amr",
        main_number="031",
        legal_basis=(
            f"{REGISTRATION_REGULATION}第三条、第十九条；\n《促进个体工商户发展条例》第八条；\n"
            "《中华人民共和国市场主体登记管理条例实施细则》。"
        ),
        service_object=["person"],
        acceptance_conditions="有经营能力的公民；经营场所真实、合法；经营范围不属于法律、行政法规禁止的。",
        procedure=(
            "1. 网上或窗口提交申请（名称可自主申报）；2. 登记机关当场审核；"
            "3. 材料齐全、符合法定形式的当场登记，核发营业执照（同步生成电子营业执照）。"
        ),
        statutory=_days(3, "不能当场登记的，自受理之日起 3 个工作日内予以登记"),
        promised=_days(1, "材料齐全的即来即办，网上申请 1 个工作日内办结"),
        case_type="instant",
        process="instant",
        materials=[
            material("个体工商户登记（备案）申请书", "经营者签字；网上申请时在线填写并电子签名", paper_copies=1),
            id_card("经营者"),
            material(
                "经营场所使用证明",
                "自有房产提交产权证明，租赁的提交租赁协议；已在不动产登记的可由不动产登记信息核验",
                material_type="copy",
                source="applicant",
                licence=LICENCE_REAL_ESTATE,
                paper_copies=1,
            ),
            proxy_authorisation(),
        ],
        form=person_form(
            (
                "经营信息",
                [
                    Field("business_name", "个体工商户名称", required=False, max_length=100, help="可以不起字号"),
                    Field("business_address", "经营场所", max_length=200),
                    Field("business_scope", "经营范围", "textarea"),
                    Field("capital", "资金数额（万元）", "number"),
                ],
            ),
        ),
        themes=["employment", "startup"],
        faqs=[
            faq("个体工商户和公司有什么不同？", "个体工商户由经营者个人承担无限责任，登记简便；公司以其财产承担责任。"),
            faq("登记要钱吗？", "不收费，营业执照和电子营业执照免费发放。"),
        ],
        result=("证照", "营业执照", LICENCE_BUSINESS),
        elements={
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": f"{hall_place('3 号综合受理窗口（企业开办）')}；各镇（街道）便民服务中心",
            "service_scope": "city",
            "express_delivery": True,
        },
    ),
    ItemSpec(
        key="company_registration",
        name="企业设立登记",
        item_type="01",
        organisation="amr",
        department="amr",
        main_number="030",
        legal_basis=(
            f"《中华人民共和国公司法》第二十九条、第三十条；\n{REGISTRATION_REGULATION}第三条、第十九条、第二十一条。"
        ),
        service_object=["person", "enterprise"],
        acceptance_conditions="股东（发起人）符合法定人数；有公司章程；有公司名称和住所；有符合要求的组织机构。",
        procedure=(
            "1. 名称自主申报；2. 提交设立登记申请（可同时选择印章刻制、发票申领、社保登记，即企业开办一件事）；"
            "3. 登记机关审核；4. 核发营业执照。"
        ),
        statutory=_days(3, "不能当场登记的，自受理之日起 3 个工作日内予以登记"),
        promised=_days(1, "企业开办全流程 1 个工作日内办结"),
        case_type="promised",
        process="single_department",
        materials=[
            material("公司登记（备案）申请书", "法定代表人签署；网上申请时电子签名", paper_copies=1, paper_size="A4"),
            material("公司章程", "全体股东签署", material_type="original", paper_copies=1, paper_size="A4"),
            id_card("股东、法定代表人"),
            material(
                "住所使用证明",
                "产权证明或租赁协议；已在不动产登记的可核验，免于提交",
                material_type="copy",
                licence=LICENCE_REAL_ESTATE,
                paper_copies=1,
            ),
            proxy_authorisation(),
        ],
        form=[
            ("企业信息", STARTUP_FIELDS),
            (
                "登记事项",
                [
                    Field("registered_capital", "注册资本（万元）", "number"),
                    Field("business_scope", "经营范围", "textarea"),
                    Field(
                        "company_type",
                        "企业类型",
                        "choice",
                        choices=("有限责任公司（自然人投资或控股）", "一人有限责任公司"),
                    ),
                ],
            ),
        ],
        themes=["startup"],
        faqs=[
            faq(
                "开公司一次能办完哪些事？",
                "通过“企业开办一件事”，一次申请即可办理设立登记、印章刻制、发票申领和社保登记。",
            ),
            faq("注册资本需要实缴吗？", "有限责任公司全体股东认缴的出资额应当自公司成立之日起 5 年内缴足。"),
        ],
        result=("证照", "营业执照", LICENCE_BUSINESS),
        elements={
            "handling_forms": ["window", "online", "mail"],
            "online_depth": 4,
            "visits": 0,
            "place": hall_place("3 号综合受理窗口（企业开办）"),
            "service_scope": "city",
            "express_delivery": True,
        },
    ),
    ItemSpec(
        key="company_deregistration",
        name="企业注销登记",
        item_type="01",
        organisation="amr",
        department="amr",
        main_number="032",
        legal_basis=(
            f"{REGISTRATION_REGULATION}第三十一条至第三十四条（含简易注销）；\n"
            "《中华人民共和国公司法》关于公司解散和清算的规定。"
        ),
        service_object=["enterprise"],
        acceptance_conditions=(
            "企业因解散、被宣告破产或者其他法定事由需要终止，已依法完成清算；未发生债权债务或者已将债权债务"
            "清偿完结、未开业或者无债权债务的，可申请简易注销（公示期 20 日）。"
        ),
        procedure=(
            "1. 网上或窗口提交注销申请（税务、社保、海关等清税清费信息一网获取）；2. 登记机关审查；"
            "3. 准予注销，收缴营业执照。"
        ),
        statutory=_days(3, "自受理之日起 3 个工作日内作出决定"),
        promised=_days(1, "简易注销公示期满后 1 个工作日内办结"),
        case_type="promised",
        process="single_department",
        materials=[
            material("企业注销登记申请书", "法定代表人或清算组负责人签署", paper_copies=1, paper_size="A4"),
            material(
                "清算报告或全体投资人承诺书",
                "一般注销提交经确认的清算报告；简易注销提交全体投资人承诺书",
                paper_copies=1,
                paper_size="A4",
            ),
            material(
                "清税信息",
                "由税务部门推送清税信息，免于提交清税证明",
                material_type="electronic",
                material_form="electronic",
                source="government",
                registry="tax.clearance",
            ),
            business_licence(),
        ],
        form=enterprise_form(
            (
                "注销信息",
                [
                    Field("deregistration_kind", "注销方式", "choice", choices=("一般注销", "简易注销")),
                    Field("reason", "注销原因", "choice", choices=("决议解散", "章程规定的营业期限届满", "其他")),
                    Field("liquidator", "清算组负责人", required=False, max_length=50),
                ],
            ),
        ),
        themes=["exit"],
        faqs=[
            faq("什么情况可以简易注销？", "未发生债权债务或者已将债权债务清偿完结、未开业或者无债权债务的企业。"),
            faq("注销前要先去税务局吗？", "不用。注销申请提交后，税务等部门的清税信息通过平台共享，无需另行提交证明。"),
        ],
        result=("文书", "准予注销登记通知书", ""),
        elements={
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": hall_place("3 号综合受理窗口（企业开办）"),
            "service_scope": "city",
        },
    ),
    # ---------------------------------------------------------------------------------------------------- 卫生健康局
    ItemSpec(
        key="public_place_hygiene",
        name="公共场所卫生许可证核发",
        item_type="01",
        organisation="health",
        department="health",
        main_number="005",
        legal_basis=(
            "《公共场所卫生管理条例》第八条：公共场所经营者取得卫生许可证后，方可向工商行政管理部门申请登记；\n"
            "《公共场所卫生管理条例实施细则》（原卫生部令第 80 号）第二十二条、第二十三条。"
        ),
        service_object=["enterprise", "person"],
        acceptance_conditions=(
            "从事住宿、沐浴、美容美发、游泳、文化娱乐等公共场所经营；场所布局、卫生设施符合卫生标准和要求；"
            "从业人员持有效健康合格证明。"
        ),
        procedure="1. 申请；2. 受理；3. 现场审查（可实行告知承诺，先发证后核查）；4. 审批决定；5. 发证。",
        statutory=_days(20, "自受理之日起 20 个工作日内作出决定"),
        promised=_days(3, "实行告知承诺的，当场作出决定"),
        case_type="promised",
        process="inspection",
        materials=[
            material("公共场所卫生许可申请表", "如实填写，申请人签字或盖章", paper_copies=1, paper_size="A4"),
            business_licence(),
            id_card("法定代表人（负责人）"),
            material(
                "公共场所地址方位示意图、平面图和卫生设施平面布局图",
                "标明卫生设施位置，与实际一致",
                material_type="copy",
                paper_copies=1,
                paper_size="A4",
            ),
            material(
                "公共场所卫生检测或者评价报告",
                "由有资质的检测机构出具；实行告知承诺的可在发证后 30 日内补交",
                material_type="copy",
                necessity="deferrable",
                paper_copies=1,
            ),
            material("卫生管理制度", "包括从业人员健康管理、清洗消毒等制度", material_type="copy", paper_copies=1),
            proxy_authorisation(),
        ],
        form=enterprise_form(
            (
                "场所信息",
                [
                    Field("place_address", "场所地址", max_length=200),
                    Field(
                        "place_type",
                        "场所类别",
                        "choice",
                        choices=("住宿场所", "沐浴场所", "美容美发场所", "游泳场所", "文化娱乐场所", "其他"),
                    ),
                    Field("place_area", "营业面积（平方米）", "number"),
                    Field("staff_count", "从业人员人数", "number"),
                ],
            ),
        ),
        themes=["permits"],
        faqs=[
            faq("哪些场所需要办卫生许可证？", "宾馆、民宿等住宿场所，沐浴、美容美发、游泳、歌舞厅等公共场所。"),
            faq("卫生许可证有效期多久？", "4 年，届满前 30 日申请延续。"),
        ],
        result=("证照", "公共场所卫生许可证", LICENCE_HYGIENE),
        elements={
            "handling_forms": ["window", "online", "mail"],
            "online_depth": 4,
            "visits": 0,
            "place": hall_place("1 号、2 号综合受理窗口"),
            "special_procedures": "现场审查：县卫生健康局组织，时间不计入承诺时限。",
            "service_scope": "city",
            "express_delivery": True,
        },
    ),
    ItemSpec(
        key="birth_certificate",
        name="出生医学证明签发",
        item_type="20",
        organisation="health",
        department="health",
        main_number="021",
        legal_basis=(
            "《中华人民共和国母婴保健法》第二十三条：医疗保健机构和从事家庭接生的人员按照国务院卫生行政部门的规定，"
            "出具统一制发的新生儿出生医学证明；\n"
            "《国家卫生计生委 公安部关于启用和规范管理新版〈出生医学证明〉的通知》（国卫妇幼发〔2013〕52 号）。"
        ),
        service_object=["person"],
        acceptance_conditions="在本县具有助产技术服务资质的医疗机构出生的新生儿，由父母或监护人申请首次签发。",
        procedure=(
            "1. 在分娩医院或网上提交申请；2. 签发机构核对分娩记录和父母身份信息；3. 当场签发（同步生成电子证照）。"
        ),
        statutory=_days(1, "核对无误的当场签发"),
        promised=_days(1, "当场签发"),
        case_type="instant",
        process="instant",
        materials=[
            material(
                "出生医学证明首次签发登记表",
                "父母双方签字；新生儿姓名与户口登记拟用名一致",
                paper_copies=1,
                paper_size="A4",
            ),
            id_card("父亲"),
            id_card("母亲"),
            material(
                "住院分娩记录",
                "由分娩医院内部调取，申请人无需提交",
                material_type="electronic",
                material_form="electronic",
                source="government",
                registry="health.delivery_record",
            ),
        ],
        form=[("新生儿信息", NEWBORN_FIELDS), ("申请人信息", _applicant_fields())],
        themes=["birth"],
        faqs=[
            faq(
                "出生医学证明在哪里领？",
                "在孩子出生的医院（签发机构）领取，也可以通过“新生儿出生一件事”网上申请后快递送达。",
            ),
            faq("证明上的名字写错了怎么办？", "凭原证明到原签发机构申请换发，须在办理户口登记前更正。"),
        ],
        result=("证照", "出生医学证明", LICENCE_BIRTH),
        elements={
            "entrusted_department": "桐庐县妇幼保健院及县内各助产机构（签发机构）",
            "handling_forms": ["window", "online", "mail"],
            "online_depth": 4,
            "visits": 0,
            "place": "新生儿出生的助产机构出生医学证明签发窗口；桐庐县妇幼保健院",
            "service_scope": "province",
            "express_delivery": True,
        },
    ),
    # ---------------------------------------------------------------------------------------------------- 住建局
    ItemSpec(
        key="construction_permit",
        name="建筑工程施工许可证核发",
        item_type="01",
        organisation="housing",
        department="housing",
        main_number="001",
        legal_basis=(
            "《中华人民共和国建筑法》第七条、第八条；\n"
            "《建筑工程施工许可管理办法》（住房和城乡建设部令第 18 号，2021 年修正）第二条至第五条。"
        ),
        service_object=["enterprise"],
        acceptance_conditions=(
            "1. 依法应当办理用地批准手续的，已经办理；\n2. 依法应当办理建设工程规划许可证的，已经取得；\n"
            "3. 施工场地已经基本具备施工条件；\n4. 已经确定施工企业；\n"
            "5. 有满足施工需要的资金安排、施工图纸及技术资料，施工图设计文件已按规定审查合格；\n"
            "6. 有保证工程质量和安全的具体措施。"
        ),
        procedure="1. 网上提交申请（工程建设项目审批管理系统）；2. 受理；3. 审查；4. 决定并核发施工许可证。",
        statutory=_days(7, "《建筑工程施工许可管理办法》第五条：自收到申请之日起 7 日内颁发"),
        promised=_days(3),
        case_type="promised",
        process="single_department",
        materials=[
            material("建筑工程施工许可证申请表", "建设单位盖章", paper_copies=1, paper_size="A4"),
            material(
                "建设工程规划许可证",
                "由电子证照库获取，免于提交",
                material_type="electronic",
                material_form="electronic",
                source="government",
                licence=LICENCE_PLANNING,
            ),
            material(
                "施工合同（中标通知书）",
                "依法必须招标的工程提交中标通知书",
                material_type="copy",
                paper_copies=1,
            ),
            material(
                "施工图设计文件审查合格书",
                "由施工图审查系统推送，免于提交",
                material_type="electronic",
                material_form="electronic",
                source="government",
                registry="construction.drawing_review",
            ),
            material(
                "建设资金已落实承诺书",
                "建设单位法定代表人签字并盖章",
                paper_copies=1,
                paper_size="A4",
            ),
            material(
                "保证工程质量和安全的具体措施", "施工组织设计中的质量安全措施", material_type="copy", paper_copies=1
            ),
        ],
        form=enterprise_form(
            (
                "工程信息",
                [
                    Field("project_name", "工程名称", max_length=200),
                    Field("project_address", "建设地址", max_length=200),
                    Field("construction_area", "建筑面积（平方米）", "number"),
                    Field("contract_price", "合同价格（万元）", "number"),
                    Field("contractor_name", "施工单位名称", max_length=200),
                    Field("start_date", "计划开工日期", "date"),
                ],
            ),
        ),
        themes=["construction"],
        faqs=[
            faq(
                "哪些工程可以不办施工许可证？",
                "工程投资额在 30 万元以下或者建筑面积在 300 平方米以下的建筑工程，可以不申请办理。",
            ),
            faq(
                "领证后多久必须开工？",
                "应当自领取施工许可证之日起 3 个月内开工；不能按期开工的可申请延期两次，每次不超过 3 个月。",
            ),
        ],
        result=("证照", "建筑工程施工许可证", LICENCE_CONSTRUCTION),
        elements={
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": hall_place("工程建设项目审批综合窗口（1 号窗口）"),
            "service_scope": "county",
            "express_delivery": True,
        },
    ),
    ItemSpec(
        key="outdoor_advert",
        name="户外广告设施设置审批",
        item_type="01",
        organisation="housing",
        department="housing",
        main_number="041",
        source="33",
        legal_basis=(
            "《城市市容和环境卫生管理条例》第十一条：大型户外广告的设置必须征得城市人民政府市容环境卫生行政主管部门"
            "同意后，按照有关规定办理审批手续；\n《浙江省城市市容和环境卫生管理条例》。"
        ),
        service_object=["enterprise", "person"],
        acceptance_conditions="设置地点符合户外广告设施设置规划；设施结构安全；不影响市容、交通和相邻权利人。",
        procedure="1. 申请；2. 受理；3. 现场踏勘；4. 审查决定；5. 送达许可决定书。",
        statutory=_days(20, "自受理之日起 20 个工作日内作出决定"),
        promised=_days(5, "现场踏勘时间不计入承诺时限"),
        case_type="promised",
        process="inspection",
        materials=[
            material("户外广告设施设置申请表", "申请人签字或盖章", paper_copies=1, paper_size="A4"),
            business_licence(),
            material(
                "设施效果图、尺寸和位置示意图",
                "标明设置地点、规格、材质、照明方式",
                material_type="copy",
                paper_copies=1,
                paper_size="A3",
            ),
            material(
                "场地或建筑物使用权证明",
                "业主同意书或租赁协议",
                material_type="copy",
                paper_copies=1,
            ),
            material(
                "结构安全检测报告",
                "大型设施提供有资质单位出具的结构设计或安全评估",
                material_type="copy",
                necessity="deferrable",
                paper_copies=1,
            ),
        ],
        form=enterprise_form(
            (
                "设施信息",
                [
                    Field("advert_address", "设置地点", max_length=200),
                    Field("advert_size", "规格（长×宽，米）", max_length=50),
                    Field("advert_kind", "设施类型", "choice", choices=("招牌", "墙面广告", "立柱广告", "其他")),
                    Field("period_months", "设置期限（月）", "number"),
                ],
            ),
        ),
        themes=["permits"],
        faqs=[
            faq("店招也要审批吗？", "设置在自有门店上、符合店招设置规范的招牌实行备案；大型户外广告须审批。"),
            faq("设置期限最长多久？", "一般不超过 3 年，期满需继续设置的应重新申请。"),
        ],
        result=("审批决定", "户外广告设施设置许可决定书", LICENCE_ADVERT),
        elements={
            "handling_forms": ["window", "online"],
            "online_depth": 3,
            "visits": 1,
            "place": hall_place("1 号、2 号综合受理窗口"),
            "special_procedures": "现场踏勘：由县住房和城乡建设局（城市管理）组织，时间不计入承诺时限。",
            "service_scope": "county",
        },
    ),
    # ------------------------------------------------------------------------------------------ 自然资源和规划局
    ItemSpec(
        key="water_abstraction",
        name="取水许可",
        item_type="01",
        organisation="nrp",
        department="water",
        main_number="001",
        legal_basis=(
            "《中华人民共和国水法》第七条、第四十八条：直接从江河、湖泊或者地下取用水资源的单位和个人，应当按照国家"
            "取水许可制度和水资源有偿使用制度的规定，向水行政主管部门或者流域管理机构申请领取取水许可证；\n"
            "《取水许可和水资源费征收管理条例》第二条、第十四条、第二十四条。"
        ),
        service_object=["enterprise", "person"],
        acceptance_conditions="取水符合水资源规划和用水总量控制指标；建设项目已进行水资源论证；退水符合要求。",
        procedure=(
            "1. 申请；2. 受理；3. 水资源论证报告书技术审查（专家评审）；4. 审批决定；"
            "5. 取水工程竣工验收后核发取水许可证。"
        ),
        statutory=_days(45, "《取水许可和水资源费征收管理条例》第二十四条：自受理之日起 45 个工作日内决定"),
        promised=_days(15, "专家评审时间不计入承诺时限"),
        case_type="promised",
        process="inspection",
        materials=[
            material("取水许可申请书", "申请人签字或盖章", paper_copies=1, paper_size="A4"),
            business_licence(),
            material(
                "建设项目水资源论证报告书（表）",
                "按《建设项目水资源论证导则》编制",
                material_type="original",
                paper_copies=3,
                paper_size="A4",
            ),
            material(
                "与第三者利害关系的相关说明",
                "有利害关系的，提交第三者的承诺书或者其他文件",
                material_type="original",
                necessity="optional",
                paper_copies=1,
            ),
        ],
        form=enterprise_form(
            (
                "取水信息",
                [
                    Field("water_source", "取水水源", "choice", choices=("地表水", "地下水")),
                    Field("intake_location", "取水地点", max_length=200),
                    Field("annual_volume", "年取水量（万立方米）", "number"),
                    Field("water_use", "取水用途", max_length=100),
                ],
            ),
        ),
        themes=["construction"],
        faqs=[
            faq(
                "家庭生活少量取水要办吗？",
                "不需要。农村家庭生活和零星散养、圈养畜禽饮用等少量取水的，不需要申请取水许可。",
            ),
            faq(
                "为什么由自然资源和规划局受理？",
                "取水许可由水行政主管部门（水利局）负责。演示县未设水利局，本演示指南列于自然资源和规划局。",
            ),
        ],
        result=("证照", "取水许可证", LICENCE_WATER),
        elements={
            "organisation_nature": "法定机关（演示：代水行政主管部门列示）",
            "handling_forms": ["window", "online"],
            "online_depth": 3,
            "visits": 1,
            "place": hall_place("工程建设项目审批综合窗口（1 号窗口）"),
            "special_procedures": "专家评审：水资源论证报告书技术审查，时间不计入办理时限。",
            "service_scope": "county",
        },
    ),
    ItemSpec(
        key="real_estate",
        name="不动产登记",
        item_type="07",
        organisation="nrp",
        department="nrp",
        main_number="011",
        legal_basis=(
            "《中华人民共和国民法典》第二百零九条、第二百一十条；\n"
            "《不动产登记暂行条例》第四条、第六条、第二十条；\n《不动产登记暂行条例实施细则》。"
        ),
        service_object=["person", "enterprise"],
        acceptance_conditions="不动产权属清楚、界址清晰；申请人为权利人或依法可以申请的其他人；材料齐全。",
        procedure=(
            "1. 申请（一窗受理，登记、交易、税收一并办理）；2. 受理；3. 审核（必要时实地查看）；4. 登簿；5. 发证。"
        ),
        statutory=_days(30, "《不动产登记暂行条例》第二十条：自受理登记申请之日起 30 个工作日内办结"),
        promised=_days(5, "一般登记 5 个工作日；抵押登记 1 个工作日"),
        case_type="promised",
        process="single_department",
        materials=[
            material("不动产登记申请书", "申请人签字或盖章", paper_copies=1, paper_size="A4"),
            id_card(),
            material(
                "不动产权属来源证明",
                "如购房合同、继承或赠与证明、法院判决书等",
                material_type="original",
                paper_copies=1,
            ),
            material(
                "原不动产权证书",
                "转移、变更登记时提供；可由电子证照库核验",
                material_type="original",
                necessity="optional",
                source="government",
                licence=LICENCE_REAL_ESTATE,
            ),
            material(
                "完税凭证",
                "由税务部门推送，免于提交",
                material_type="electronic",
                material_form="electronic",
                source="government",
                registry="tax.deed_tax_payment",
            ),
            proxy_authorisation(),
        ],
        form=person_form(
            (
                "不动产信息",
                [
                    Field(
                        "registration_type",
                        "登记类型",
                        "choice",
                        choices=("首次登记", "转移登记", "变更登记", "抵押登记", "注销登记"),
                    ),
                    Field("property_address", "不动产坐落", max_length=200),
                    Field("property_use", "用途", "choice", choices=("住宅", "非住宅")),
                    Field("property_area", "面积（平方米）", "number"),
                ],
            ),
        ),
        themes=["housing"],
        fees=[
            fee(
                "住宅类不动产登记费",
                "80 元/件（含第一本不动产权证书工本费）",
                "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559 号）",
                "小微企业（含个体工商户）免征；申请保障性住房登记等按规定减免",
            ),
            fee(
                "非住宅类不动产登记费",
                "550 元/件（含第一本不动产权证书工本费）",
                "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559 号）",
                "小微企业（含个体工商户）免征",
            ),
            fee(
                "不动产权证书工本费",
                "每增加一本证书加收 10 元",
                "《财政部 国家发展改革委关于不动产登记收费有关政策问题的通知》（财税〔2016〕79 号）",
            ),
        ],
        faqs=[
            faq(
                "买二手房怎么过户？", "买卖双方带身份证、原不动产权证书和买卖合同到登记窗口，交易、缴税、登记一窗办理。"
            ),
            faq("可以网上缴费吗？", "可以，受理后通过统一公共支付平台在线缴纳登记费。"),
        ],
        result=("证照", "不动产权证书", LICENCE_REAL_ESTATE),
        elements={
            "charges": True,
            "charge_basis": (
                "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559 号）"
            ),
            "handling_forms": ["window", "online", "mail"],
            "online_depth": 3,
            "visits": 1,
            "place": hall_place("不动产登记综合窗口"),
            "service_scope": "province",
            "appointment": True,
            "online_payment": True,
            "express_delivery": True,
        },
    ),
    # ---------------------------------------------------------------------------------------------------- 公安局
    ItemSpec(
        key="birth_household",
        name="户口登记（出生）",
        item_type="07",
        organisation="police",
        department="police",
        main_number="011",
        sub_number="001",
        legal_basis=(
            "《中华人民共和国户口登记条例》第七条：婴儿出生后一个月以内，由户主、亲属、抚养人或者邻居向婴儿常住地"
            "户口登记机关申报出生登记；\n《浙江省户口迁移和居民户口登记管理规定》。"
        ),
        service_object=["person"],
        acceptance_conditions="新生儿随父亲或母亲落户；父母一方在本县有常住户口。",
        procedure="1. 网上或窗口申报；2. 户籍民警审核出生医学证明和父母户籍；3. 当场登记，打印户口簿新生儿页。",
        statutory=_days(1, "材料齐全、符合条件的当场办理"),
        promised=_days(1, "当场办结；网上申报的 1 个工作日内办结"),
        case_type="instant",
        process="instant",
        materials=[
            material(
                "出生医学证明",
                "由电子证照库获取，免于提交",
                material_type="electronic",
                material_form="electronic",
                source="government",
                licence=LICENCE_BIRTH,
            ),
            household_register("父母"),
            id_card("父母"),
            material(
                "父母结婚证",
                "由婚姻登记信息核验；非婚生育的按规定提交其他证明",
                material_type="original",
                source="government",
                licence=LICENCE_MARRIAGE,
                registry="civil.marriage_record",
            ),
        ],
        form=[
            ("新生儿信息", NEWBORN_FIELDS),
            (
                "落户信息",
                [
                    Field("settle_with", "随父或随母落户", "choice", choices=("随父", "随母")),
                    Field("household_address", "落户地址", max_length=200),
                ],
            ),
            ("申报人信息", _applicant_fields()),
        ],
        themes=["birth", "household"],
        faqs=[
            faq("出生后多久要报户口？", "应当在出生后一个月以内申报出生登记。"),
            faq("可以异地办理吗？", "浙江省内实行新生儿出生登记全省通办，可在任一派出所或行政服务中心公安窗口申报。"),
        ],
        result=("证照", "居民户口簿（新生儿页）", LICENCE_HOUSEHOLD),
        elements={
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": f"{hall_place('公安户籍窗口')}；户籍所在地派出所户籍窗口",
            "service_scope": "province",
        },
    ),
    ItemSpec(
        key="residence_permit",
        name="居住证申领",
        item_type="07",
        organisation="police",
        department="police",
        main_number="031",
        legal_basis=("《居住证暂行条例》第二条、第九条、第十条、第十四条；\n《浙江省流动人口居住登记条例》。"),
        service_object=["person"],
        acceptance_conditions=(
            "离开常住户口所在地到本县居住半年以上，并符合有合法稳定就业、合法稳定住所、连续就读条件之一的公民；"
            "已办理居住登记。"
        ),
        procedure="1. 申请（网上或居住地派出所、服务站）；2. 受理并采集照片；3. 审核；4. 制证发放。",
        statutory=_days(15, "《居住证暂行条例》第十条：自受理之日起 15 日内制作发放居住证"),
        promised=_days(7),
        case_type="promised",
        process="single_department",
        materials=[
            id_card(),
            photo(),
            material(
                "合法稳定就业、住所或连续就读证明（任一）",
                "劳动合同、营业执照、房屋租赁合同或学校在读证明等",
                material_type="copy",
                paper_copies=1,
            ),
        ],
        form=person_form(
            (
                "居住信息",
                [
                    Field("residence_address", "居住地址", max_length=200),
                    Field("residence_since", "来桐居住日期", "date"),
                    Field("condition", "申领条件", "choice", choices=("合法稳定就业", "合法稳定住所", "连续就读")),
                ],
            ),
        ),
        themes=["household"],
        faqs=[
            faq("办居住证要钱吗？", "首次申领免费。换领、补领收取工本费 20 元。"),
            faq("暂住证还能办吗？", "暂住证已由居住证替代，请申领居住证。"),
        ],
        result=("证照", "浙江省居住证", LICENCE_RESIDENCE),
        elements={
            "charge_basis": "首次申领不收费（《居住证暂行条例》第十四条）；换领、补领按规定收取工本费",
            "handling_forms": ["window", "online", "mail"],
            "online_depth": 3,
            "visits": 1,
            "place": f"{hall_place('公安户籍窗口')}；居住地派出所及村（社区）便民服务站",
            "service_scope": "province",
            "express_delivery": True,
        },
    ),
    ItemSpec(
        key="seal_filing",
        name="印章刻制备案",
        item_type="10",
        organisation="police",
        department="police",
        main_number="051",
        legal_basis=(
            "《国务院关于第三批取消中央指定地方实施行政许可事项的决定》（国发〔2017〕7 号）"
            "：公章刻制审批改为备案管理；\n"
            "《浙江省印章刻制治安管理办法》。"
        ),
        service_object=["enterprise"],
        acceptance_conditions="已依法登记的企业，刻制公章、财务专用章、发票专用章等。",
        procedure="1. 企业选择刻章企业；2. 刻章企业通过系统办理备案；3. 备案信息即时生成，免费刻制首套印章。",
        statutory=_days(1, "即时备案"),
        promised=_days(1, "随企业开办一并办结"),
        case_type="instant",
        process="instant",
        materials=[
            business_licence(),
            id_card("法定代表人"),
            material(
                "印章式样",
                "在刻章企业现场确认",
                material_type="electronic",
                material_form="electronic",
                notes="由刻章企业上传",
            ),
        ],
        form=[
            ("企业信息", STARTUP_FIELDS),
            (
                "刻章信息",
                [
                    Field(
                        "seal_kinds", "刻制印章", "textarea", help="例如：公章、财务专用章、发票专用章、法定代表人名章"
                    ),
                    Field("engraver", "刻章企业", "choice", choices=("桐庐县诚信刻章有限公司", "桐庐县印信工艺社")),
                ],
            ),
        ],
        themes=["startup"],
        faqs=[
            faq("刻章要钱吗？", "新开办企业首套印章（公章、财务章、发票章、法人章、合同章）由政府购买服务，免费刻制。")
        ],
        result=("备案", "印章刻制备案信息", ""),
        elements={
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": hall_place("3 号综合受理窗口（企业开办）"),
            "service_scope": "city",
            "express_delivery": True,
        },
    ),
    # ---------------------------------------------------------------------------------------------------- 人力社保局
    ItemSpec(
        key="unemployment_registration",
        name="失业登记",
        item_type="20",
        organisation="hrss",
        department="hrss",
        main_number="011",
        legal_basis=(
            "《中华人民共和国就业促进法》第四十二条；\n"
            "《就业服务与就业管理规定》（劳动和社会保障部令第 28 号）第六十一条至第六十三条。"
        ),
        service_object=["person"],
        acceptance_conditions="法定劳动年龄内、有劳动能力、有就业要求、处于无业状态的城乡劳动者。",
        procedure="1. 网上或窗口申请；2. 核验身份和就业参保状态；3. 当场登记，发放就业创业证（电子）。",
        statutory=_days(1, "即时登记"),
        promised=_days(1, "当场办结"),
        case_type="instant",
        process="instant",
        materials=[
            id_card(),
            material(
                "解除或终止劳动关系证明",
                "原单位出具；可由社保参保信息核验，核验不到时提交",
                material_type="original",
                necessity="optional",
                source="government",
                registry="social_insurance.employment_status",
            ),
        ],
        form=person_form(
            (
                "就业情况",
                [
                    Field("last_employer", "原工作单位", required=False, max_length=200),
                    Field("unemployed_since", "失业日期", "date"),
                    Field("job_wanted", "求职意向", required=False, max_length=100),
                ],
            ),
        ),
        themes=["employment", "social-security"],
        faqs=[
            faq(
                "失业登记后能领失业金吗？", "失业前参加失业保险满 1 年、非因本人意愿中断就业的，可另行申领失业保险金。"
            ),
            faq("在哪里办？", "可在网上办，也可在行政服务中心或户籍所在地、常住地镇（街道）便民服务中心办理。"),
        ],
        result=("证照", "就业创业证", ""),
        elements={
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": f"{hall_place('人力社保窗口')}；{TOWN_PLACES}",
            "service_scope": "province",
        },
    ),
    ItemSpec(
        key="resident_pension",
        name="城乡居民基本养老保险参保登记",
        item_type="20",
        organisation="hrss",
        department="hrss",
        main_number="021",
        legal_basis=(
            f"{SOCIAL_INSURANCE_LAW}第二十条、第二十一条；\n"
            "《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8 号）。"
        ),
        service_object=["person"],
        acceptance_conditions=(
            "年满 16 周岁（不含在校学生），非国家机关和事业单位工作人员，不属于职工基本养老保险覆盖范围的户籍居民。"
        ),
        procedure="1. 网上或窗口申请；2. 核验户籍和参保状态；3. 当场登记，选择缴费档次。",
        statutory=_days(1, "即时登记"),
        promised=_days(1, "当场办结"),
        case_type="instant",
        process="instant",
        materials=[id_card(), household_register()],
        form=person_form(
            (
                "参保信息",
                [
                    Field(
                        "contribution_level",
                        "缴费档次（元/年）",
                        "choice",
                        choices=("100", "300", "500", "800", "1000", "1500", "2000", "3000", "5000"),
                    ),
                    Field("bank_account", "扣款银行账号", max_length=30),
                ],
            ),
        ),
        themes=["social-security", "elderly"],
        faqs=[
            faq("每年交多少？", "按年缴费，可自主选择缴费档次；政府按档次给予缴费补贴，多缴多得。"),
            faq("什么时候能领养老金？", "年满 60 周岁、累计缴费满 15 年的，可按月领取城乡居民基本养老金。"),
        ],
        elements={
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": f"{hall_place('人力社保窗口')}；{TOWN_PLACES}",
            "service_scope": "province",
        },
    ),
    ItemSpec(
        key="social_security_card",
        name="社会保障卡申领",
        item_type="20",
        organisation="hrss",
        department="hrss",
        main_number="031",
        legal_basis=f"{SOCIAL_INSURANCE_LAW}第五十八条；\n《社会保障卡管理办法》（人力资源社会保障部）。",
        service_object=["person"],
        acceptance_conditions="已参加社会保险或拟参保的人员（含新生儿），首次申领社会保障卡。",
        procedure="1. 网上或窗口申请，采集照片；2. 审核；3. 制卡（电子社保卡即时签发）；4. 领卡或邮寄。",
        statutory=_days(20, "实体卡制卡时间"),
        promised=_days(10, "电子社保卡即时签发"),
        case_type="promised",
        process="single_department",
        materials=[
            id_card("申领人或其监护人"),
            photo("近期正面免冠彩色照片（新生儿可免）"),
        ],
        form=[
            ("新生儿信息", NEWBORN_FIELDS),
            ("申请人信息", _applicant_fields()),
            (
                "领卡方式",
                [
                    Field("bank", "合作银行", "choice", choices=("中国农业银行", "中国工商银行", "浙江农商银行")),
                    Field("delivery", "领取方式", "choice", choices=("窗口领取", "邮寄到家")),
                ],
            ),
        ],
        themes=["birth", "social-security"],
        faqs=[faq("首次申领要钱吗？", "首次申领免费；补领、换领按规定收取工本费。")],
        result=("证照", "社会保障卡", LICENCE_SOCIAL_CARD),
        elements={
            "charge_basis": "首次申领不收费；补领、换领按规定收取工本费",
            "handling_forms": ["window", "online", "mail"],
            "online_depth": 4,
            "visits": 0,
            "place": f"{hall_place('人力社保窗口')}；各合作银行网点",
            "service_scope": "province",
            "express_delivery": True,
        },
    ),
    ItemSpec(
        key="employer_social_insurance",
        name="单位社会保险参保登记",
        item_type="20",
        organisation="hrss",
        department="hrss",
        main_number="041",
        legal_basis=(
            f"{SOCIAL_INSURANCE_LAW}第五十七条：用人单位应当自成立之日起三十日内申请办理社会保险登记，"
            "社会保险经办机构应当自收到申请之日起十五日内予以审核；\n《社会保险登记管理暂行办法》。"
        ),
        service_object=["enterprise"],
        acceptance_conditions="依法设立的用人单位，自成立之日起 30 日内申请。",
        procedure="1. 企业开办时一并申请或单独申请；2. 核验法人登记信息；3. 当场登记。",
        statutory=_days(15, "《社会保险法》第五十七条：自收到申请之日起 15 日内审核"),
        promised=_days(1, "当场办结"),
        case_type="instant",
        process="instant",
        materials=[business_licence(), id_card("法定代表人")],
        form=[
            ("企业信息", STARTUP_FIELDS),
            (
                "参保信息",
                [
                    Field("employee_count", "参保职工人数", "number"),
                    Field("bank_account", "缴费银行账号", max_length=30),
                ],
            ),
        ],
        themes=["startup"],
        faqs=[
            faq("新办企业多久内要登记？", "应当自成立之日起 30 日内办理社会保险登记，通过企业开办一件事可同步完成。")
        ],
        elements={
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": f"{hall_place('3 号综合受理窗口（企业开办）')}",
            "service_scope": "city",
        },
    ),
    # ---------------------------------------------------------------------------------------------------- 医保局
    ItemSpec(
        key="resident_medical_insurance",
        name="城乡居民基本医疗保险参保登记",
        item_type="20",
        organisation="medins",
        department="medins",
        main_number="011",
        legal_basis=(
            f"{SOCIAL_INSURANCE_LAW}第二十三条、第二十五条；\n"
            "《国务院关于整合城乡居民基本医疗保险制度的意见》（国发〔2016〕3 号）。"
        ),
        service_object=["person"],
        acceptance_conditions=(
            "本县户籍或持有本县居住证、未参加职工基本医疗保险的城乡居民；新生儿可在出生后 90 日内参保。"
        ),
        procedure="1. 网上或窗口申请；2. 核验户籍和参保状态；3. 当场登记，缴纳当年度个人缴费后享受待遇。",
        statutory=_days(1, "即时登记"),
        promised=_days(1, "当场办结"),
        case_type="instant",
        process="instant",
        materials=[
            id_card("参保人或其监护人"),
            material(
                "出生医学证明（新生儿）",
                "新生儿参保时由电子证照库获取，免于提交",
                material_type="electronic",
                material_form="electronic",
                necessity="optional",
                source="government",
                licence=LICENCE_BIRTH,
            ),
        ],
        form=[("新生儿信息", NEWBORN_FIELDS), ("申请人信息", _applicant_fields())],
        themes=["birth", "social-security"],
        faqs=[
            faq("新生儿出生当年要交费吗？", "出生后 90 日内参保的，自出生之日起享受待遇，出生当年个人缴费按规定减免。"),
            faq("参保费用怎么交？", "登记后通过统一公共支付平台或税务缴费渠道缴纳个人缴费。"),
        ],
        elements={
            "charge_basis": "参保登记不收费；个人缴费按年度筹资标准缴纳，不属于行政事业性收费",
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": f"{hall_place('医保窗口')}；{TOWN_PLACES}",
            "service_scope": "province",
        },
    ),
    # ---------------------------------------------------------------------------------------------------- 税务局
    ItemSpec(
        key="invoice",
        name="发票领用",
        item_type="10",
        organisation="tax",
        department="tax",
        main_number="011",
        legal_basis=(
            "《中华人民共和国发票管理办法》第十五条：需要领用发票的单位和个人，应当持设立登记证件或者税务登记证件，"
            "以及经办人身份证明，向主管税务机关办理发票领用手续；\n《中华人民共和国发票管理办法实施细则》。"
        ),
        service_object=["enterprise"],
        acceptance_conditions="已办理设立登记并完成税务信息确认的纳税人。",
        procedure=(
            "1. 新办纳税人套餐申请（企业开办一件事可一并申请）；2. 核定发票种类和数量；3. 开通数电发票，即时可用。"
        ),
        statutory=_days(5, "《中华人民共和国发票管理办法实施细则》规定的期限内"),
        promised=_days(1, "当场办结"),
        case_type="instant",
        process="instant",
        materials=[
            business_licence(),
            id_card("经办人"),
        ],
        form=[
            ("企业信息", STARTUP_FIELDS),
            (
                "发票信息",
                [
                    Field(
                        "invoice_kind",
                        "发票种类",
                        "choice",
                        choices=("数电发票（普通发票）", "数电发票（增值税专用发票）"),
                    ),
                    Field("taxpayer_kind", "纳税人类型", "choice", choices=("小规模纳税人", "一般纳税人")),
                ],
            ),
        ],
        themes=["startup", "tax"],
        result=("核定信息", "发票票种核定及数电发票开票额度", ""),
        faqs=[faq("新开办企业多久能开发票？", "通过企业开办一件事申请的，营业执照下发当日即可开具数电发票。")],
        elements={
            "organisation_nature": "法定机关（垂直管理）",
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": f"{hall_place('税务窗口')}；国家税务总局桐庐县税务局办税服务厅",
            "consultation": "12366 纳税缴费服务热线；国家税务总局桐庐县税务局：0571-64210009",
            "service_scope": "cross_province",
        },
    ),
    # ---------------------------------------------------------------------------------------------------- 民政局
    ItemSpec(
        key="minimum_living",
        name="最低生活保障审批",
        item_type="05",
        organisation="civil",
        department="civil",
        main_number="011",
        legal_basis=(
            "《社会救助暂行办法》第九条至第十五条；\n"
            "《最低生活保障审核确认办法》（民发〔2021〕57 号）；\n《浙江省社会救助条例》。"
        ),
        service_object=["person"],
        acceptance_conditions=(
            "共同生活的家庭成员人均收入低于本县最低生活保障标准，且家庭财产状况符合规定的本县户籍居民家庭。"
        ),
        procedure=(
            "1. 向户籍所在地镇（街道）便民服务中心申请（可网上申请）；2. 镇（街道）受理，入户调查、家庭经济状况核对、"
            "村（居）民主评议或公示；3. 镇（街道）提出审核意见；4. 县民政局审批确认；5. 公示并按月发放低保金。"
        ),
        statutory=_days(30, "镇（街道）审核和县民政局确认合计原则上不超过 30 个工作日；特殊情况可延长至 45 个工作日"),
        promised=_days(20, "入户调查和家庭经济状况核对时间不计入承诺时限"),
        case_type="promised",
        process="inspection",
        materials=[
            material(
                "最低生活保障申请书",
                "申请人签字；无法书面申请的可口头申请，由工作人员代为记录",
                paper_copies=1,
                paper_size="A4",
            ),
            id_card("家庭成员"),
            household_register(),
            material(
                "家庭经济状况核对授权书",
                "共同生活的家庭成员均签字授权",
                paper_copies=1,
                paper_size="A4",
            ),
            material(
                "家庭成员收入证明",
                "工资、经营、财产性收入等；可由有关部门信息核对的免于提交",
                material_type="copy",
                necessity="deferrable",
                paper_copies=1,
            ),
            material(
                "残疾人证或重病诊断证明",
                "家庭成员有残疾或重病的提交；残疾人证可由电子证照库获取",
                material_type="copy",
                necessity="optional",
                source="government",
                licence=LICENCE_DISABILITY,
            ),
        ],
        form=person_form(
            (
                "家庭情况",
                [
                    Field("household_address", "户籍地址", max_length=200),
                    Field("family_size", "共同生活家庭人口数", "number"),
                    Field("monthly_income", "家庭月总收入（元）", "number"),
                    Field("reason", "申请理由", "textarea", help="简要说明家庭困难情况"),
                    Field("bank_account", "低保金发放银行账号", max_length=30),
                ],
            ),
        ),
        themes=["relief"],
        result=("审批决定", "最低生活保障审批决定（按月发放低保金）", ""),
        faqs=[
            faq(
                "低保在哪里申请？",
                "向户籍所在地镇（街道）便民服务中心申请，也可网上申请；镇（街道）受理审核，县民政局审批。",
            ),
            faq("低保标准是多少？", "按本县当年公布的最低生活保障标准执行，以家庭人均收入与标准的差额发放。"),
        ],
        elements={
            "entrusted_department": "各镇人民政府、街道办事处（受理、入户调查、审核）",
            "handling_forms": ["window", "online"],
            "online_depth": 3,
            "visits": 1,
            "place": f"户籍所在地镇（街道）便民服务中心：{TOWN_PLACES}",
            "special_procedures": "入户调查、家庭经济状况核对、民主评议和公示（公示期 7 天），时间不计入承诺时限。",
            "service_scope": "county",
        },
    ),
    ItemSpec(
        key="longevity_allowance",
        name="高龄津贴申领",
        item_type="05",
        organisation="civil",
        department="civil",
        main_number="021",
        source="33",
        legal_basis=(
            "《中华人民共和国老年人权益保障法》第三十三条：国家鼓励地方建立八十周岁以上低收入老年人高龄津贴制度；\n"
            "《浙江省实施〈中华人民共和国老年人权益保障法〉办法》；\n"
            "《浙江省民政厅 浙江省财政厅关于建立高龄津贴制度的通知》。"
        ),
        service_object=["person"],
        acceptance_conditions="本县户籍、年满 80 周岁的老年人；本人或家属、委托代理人均可申请。",
        procedure=(
            "1. 网上或户籍所在地镇（街道）便民服务中心申请；2. 镇（街道）"
            "受理初审；3. 县民政局审核确认；4. 次月起按月发放。"
        ),
        statutory=_days(20, "自受理之日起 20 个工作日内"),
        promised=_days(10),
        case_type="promised",
        process="single_department",
        materials=[
            id_card("老年人"),
            household_register("老年人"),
            material(
                "老年人本人银行账户",
                "社会保障卡金融账户或本人名下银行卡",
                material_type="copy",
                necessity="required",
                source="applicant",
                licence=LICENCE_SOCIAL_CARD,
            ),
            material(
                "代办人身份证及关系说明",
                "家属或委托他人代办时提交",
                material_type="original",
                necessity="optional",
                source="government",
                registry="population.id_number",
            ),
        ],
        form=[
            (
                "老年人信息",
                [
                    Field("elder_name", "老年人姓名", max_length=50),
                    Field("elder_id_number", "老年人身份证号码", "id_number"),
                    Field("elder_address", "户籍地址", max_length=200),
                    Field("bank_account", "津贴发放银行账号", max_length=30),
                ],
            ),
            (
                "申请人（代办人）信息",
                [
                    *_applicant_fields(),
                    Field(
                        "relationship",
                        "与老年人关系",
                        "choice",
                        choices=("本人", "配偶", "子女", "其他亲属", "委托代理人"),
                    ),
                ],
            ),
        ],
        themes=["elderly"],
        result=("给付", "高龄津贴发放（按月打入本人账户）", ""),
        faqs=[
            faq("高龄津贴每月多少？", "按年龄段分档发放，具体标准以本县当年公布的为准。"),
            faq("老伴可以帮我办吗？", "可以。配偶、子女等家属可以代为申请，填写与老年人的关系并出示代办人身份证。"),
        ],
        elements={
            "entrusted_department": "各镇人民政府、街道办事处（受理、初审）",
            "handling_forms": ["window", "online"],
            "online_depth": 4,
            "visits": 0,
            "place": f"户籍所在地镇（街道）便民服务中心：{TOWN_PLACES}；村（社区）便民服务站可代办",
            "service_scope": "county",
        },
    ),
    ItemSpec(
        key="disability_certificate",
        name="残疾人证核发",
        item_type="20",
        organisation="civil",
        department="cdpf",
        main_number="011",
        legal_basis=(
            "《中华人民共和国残疾人保障法》第二条；\n《中华人民共和国残疾人证管理办法》（中国残疾人联合会）；\n"
            "《残疾人残疾分类和分级》（GB/T 26341-2010）。"
        ),
        service_object=["person"],
        acceptance_conditions="本县户籍，符合残疾标准的视力、听力、言语、肢体、智力、精神及多重残疾人。",
        procedure=(
            "1. 向户籍所在地镇（街道）提出申请；2. 到指定医院进行残疾评定；3. 县级审核；4. 公示后核发残疾人证"
            "（第二代智能化残疾人证）。"
        ),
        statutory=_days(20, "残疾评定时间不计入"),
        promised=_days(15),
        case_type="promised",
        process="inspection",
        materials=[
            material("残疾人证申请表", "申请人或监护人签字", paper_copies=1, paper_size="A4"),
            id_card("申请人或监护人"),
            household_register(),
            photo("近期 2 寸正面免冠白底彩色照片"),
            material(
                "残疾评定表",
                "由县指定评定医院出具，评定机构在系统中直接提交",
                material_type="electronic",
                material_form="electronic",
                source="government",
                registry="health.disability_assessment",
            ),
        ],
        form=person_form(
            (
                "残疾情况",
                [
                    Field(
                        "disability_kind",
                        "残疾类别",
                        "choice",
                        choices=("视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"),
                    ),
                    Field("household_address", "户籍地址", max_length=200),
                    Field("guardian_name", "监护人姓名", required=False, max_length=50),
                ],
            ),
        ),
        themes=["disability"],
        faqs=[
            faq("行动不便能上门评定吗？", "重度残疾、行动不便的，可申请评定医生上门评定。"),
            faq(
                "为什么由民政局办理？",
                "残疾人证由残疾人联合会核发。演示县未设残联，本演示指南列于民政局。",
            ),
        ],
        result=("证照", "中华人民共和国残疾人证", LICENCE_DISABILITY),
        elements={
            "organisation_nature": "法律法规授权组织（演示：代残疾人联合会列示）",
            "handling_forms": ["window", "online"],
            "online_depth": 3,
            "visits": 1,
            "place": f"户籍所在地镇（街道）便民服务中心：{TOWN_PLACES}",
            "special_procedures": "残疾评定：由县指定医院进行，时间不计入办理时限。",
            "service_scope": "province",
            "express_delivery": True,
        },
    ),
]


# --- Bundles (一件事) ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleSpec:
    """An ordered set of items applied for once, with the form fields they share."""

    code: str
    name: str
    description: str
    audience: str
    items: list[str]  # ItemSpec keys, in order
    shared_fields: list[str]


BUNDLES = [
    BundleSpec(
        "newborn",
        "新生儿出生一件事",
        "孩子出生后，一次申请同时办理出生医学证明、户口登记、城乡居民医保参保和社会保障卡申领，"
        "只填一张表，相关证照由部门共享，不用来回跑。",
        "person",
        ["birth_certificate", "birth_household", "resident_medical_insurance", "social_security_card"],
        NEWBORN_SHARED,
    ),
    BundleSpec(
        "business-startup",
        "企业开办一件事",
        "开办企业一次申请，同时办理企业设立登记、印章刻制备案、发票领用和单位社会保险参保登记，1 个工作日内办结。",
        "enterprise",
        ["company_registration", "seal_filing", "invoice", "employer_social_insurance"],
        STARTUP_SHARED,
    ),
]
