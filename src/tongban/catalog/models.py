"""The service-item catalogue (事项管理): basic items, implementation items and their versioned guides, materials,
fees, FAQs, themes, forms, process definitions, bundles, synonyms and the search index."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.catalog import punctuation


class ItemType(models.TextChoices):
    """事项类型 with the national codes (DOMAIN.md)."""

    LICENSING = "01", _("行政许可")
    PENALTY = "02", _("行政处罚")
    ENFORCEMENT = "03", _("行政强制")
    LEVY = "04", _("行政征收")
    BENEFIT = "05", _("行政给付")
    INSPECTION = "06", _("行政检查")
    CONFIRMATION = "07", _("行政确认")
    REWARD = "08", _("行政奖励")
    ADJUDICATION = "09", _("行政裁决")
    OTHER_POWER = "10", _("其他行政权力")
    PUBLIC_SERVICE = "20", _("公共服务")


class ExerciseLevel(models.TextChoices):
    """行使层级: the level of government that carries the item out (one character of the implementation code)."""

    NATIONAL = "1", _("国家级")
    PROVINCE = "2", _("省级")
    CITY = "3", _("市级")
    COUNTY = "4", _("县级")
    TOWN = "5", _("镇（乡、街道）级")
    VILLAGE = "6", _("村（社区）级")


class BasicItem(models.Model):
    """A basic catalogue item (基本目录): what the item is, nationally or provincially, with its 12-digit basic code."""

    code = models.CharField(_("基本编码"), max_length=12, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=ItemType.choices)
    source = models.CharField(_("来源"), max_length=2, help_text=_("00 国家级；否则为省级行政区划代码前两位"))
    department_code = models.CharField(_("部门代码"), max_length=2)
    main_number = models.CharField(_("主项编号"), max_length=3)
    sub_number = models.CharField(_("子项编号"), max_length=3, default="000")
    legal_basis = models.TextField(_("设定依据"), blank=True)

    class Meta:
        verbose_name = _("基本目录事项")
        verbose_name_plural = _("基本目录事项")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name + punctuation.bracketed(self.code)


class ImplementationItem(models.Model):
    """An implementation item (实施清单): a basic item as one organisation carries it out, with its 31-char code.

    The stable identity that versions, cases and links point to; the guide itself lives in ItemVersion.
    """

    code = models.CharField(_("实施编码"), max_length=31, unique=True)
    basic_item = models.ForeignKey(
        BasicItem, verbose_name=_("基本目录事项"), on_delete=models.PROTECT, related_name="implementations"
    )
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("实施主体"), on_delete=models.PROTECT, related_name="catalog_items"
    )
    exercise_level = models.CharField(_("行使层级"), max_length=1, choices=ExerciseLevel.choices)
    published_version = models.OneToOneField(
        "ItemVersion",
        verbose_name=_("现行版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("对外公布、可以申请的版本；为空表示未公布或已取消"),
    )
    use_count = models.PositiveIntegerField(_("使用次数"), default=0, help_text=_("浏览与申请次数，用于排序"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("实施清单事项")
        verbose_name_plural = _("实施清单事项")
        ordering = ["code"]
        indexes = [models.Index(fields=["organisation", "code"])]

    def __str__(self) -> str:
        return self.code


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("审核通过")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被新版本替代")
    RETIRED = "retired", _("已取消")


class ServiceScope(models.TextChoices):
    """通办范围: where the item can be applied for (any hall in that area can accept it)."""

    COUNTY = "county", _("全县通办")
    CITY = "city", _("全市通办")
    PROVINCE = "province", _("全省通办")
    CROSS_PROVINCE = "cross_province", _("跨省通办")


class CaseType(models.TextChoices):
    INSTANT = "instant", _("即办件")
    PROMISED = "promised", _("承诺件")


class TimeUnit(models.TextChoices):
    WORKING_DAY = "working_day", _("工作日")
    NATURAL_DAY = "natural_day", _("自然日")


class ItemVersion(models.Model):
    """One version of an implementation item's guide (办事指南): every guide element, reviewed before it is published.

    Only a published version can be applied for; a case keeps the version it was made under.
    """

    item = models.ForeignKey(
        ImplementationItem, verbose_name=_("实施清单事项"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT)

    # 基本信息
    name = models.CharField(_("事项名称"), max_length=200)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=ItemType.choices)
    organisation_nature = models.CharField(_("实施主体性质"), max_length=50, default="法定机关")
    entrusted_department = models.CharField(_("委托部门"), max_length=200, blank=True)
    legal_basis = models.TextField(_("设定依据"))
    service_object = models.JSONField(_("服务对象"), default=list, help_text=_('["person"]、["enterprise"] 或两者'))
    acceptance_conditions = models.TextField(_("受理条件"))
    procedure = models.TextField(_("办理流程"))
    statutory_limit = models.PositiveIntegerField(_("法定办结时限"))
    statutory_limit_unit = models.CharField(
        _("法定时限单位"), max_length=20, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAY
    )
    statutory_limit_note = models.CharField(_("法定时限说明"), max_length=500, blank=True)
    promised_limit = models.PositiveIntegerField(_("承诺办结时限"))
    promised_limit_unit = models.CharField(
        _("承诺时限单位"), max_length=20, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAY
    )
    promised_limit_note = models.CharField(_("承诺时限说明"), max_length=500, blank=True)
    case_type = models.CharField(_("办件类型"), max_length=20, choices=CaseType.choices)
    handling_forms = models.JSONField(_("办理形式"), default=list, help_text=_('["window", "online", "mail"] 的子集'))
    online_depth = models.PositiveSmallIntegerField(
        _("网上办理深度"), help_text=_("1 信息公开（展示）… 4 全程网办"), default=1
    )
    visits = models.PositiveSmallIntegerField(_("到办事现场次数"), default=1)
    charges = models.BooleanField(_("是否收费"), default=False)
    charge_basis = models.TextField(_("收费依据"), blank=True)
    place = models.TextField(_("办理地点"))
    hours = models.TextField(_("办理时间"))
    consultation = models.TextField(_("咨询方式"))
    complaint = models.TextField(_("监督投诉方式"))
    result_type = models.CharField(_("审批结果类型"), max_length=50, blank=True)
    result_name = models.CharField(_("审批结果名称"), max_length=200, blank=True)
    result_sample = models.FileField(_("审批结果样本"), upload_to="catalog/samples/", blank=True)
    result_licence_type = models.CharField(
        _("结果证照类型代码"), max_length=50, blank=True, help_text=_("审批结果为电子证照时，填写证照类型代码")
    )
    special_procedures = models.TextField(_("特别程序"), blank=True)
    service_scope = models.CharField(
        _("通办范围"), max_length=20, choices=ServiceScope.choices, default=ServiceScope.COUNTY
    )
    appointment = models.BooleanField(_("支持预约办理"), default=False)
    online_payment = models.BooleanField(_("支持网上支付"), default=False)
    express_delivery = models.BooleanField(_("支持物流快递"), default=False)
    min_real_name_level = models.PositiveSmallIntegerField(_("申请所需最低实名等级"), default=2)
    themes = models.ManyToManyField("Theme", verbose_name=_("主题"), blank=True, related_name="versions")

    # Application form and process (办件 issues use them)
    form_schema = models.JSONField(_("申请表 JSON Schema"), default=dict, blank=True)
    form_ui = models.JSONField(_("申请表界面提示"), default=dict, blank=True)
    process = models.ForeignKey(
        "ProcessDefinition",
        verbose_name=_("办理流程定义"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="versions",
    )
    process_departments = models.JSONField(
        _("流程泳道对应部门"),
        default=dict,
        blank=True,
        help_text=_(
            '泳道括号中的部门名称 → 机构统一社会信用代码，如 {"协办部门": "11330122…"}；未列出的按本区划机构简称匹配'
        ),
    )
    allows_deferred_approval = models.BooleanField(
        _("允许容缺通过"),
        default=False,
        help_text=_("容缺受理的材料尚未补齐时，是否可以先作出准予决定（办结（容缺通过））"),
    )

    # Lifecycle
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("编辑人"), on_delete=models.PROTECT, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_comment = models.TextField(_("审核意见"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")
        ordering = ["item", "-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="uniq_item_version_number")]
        indexes = [models.Index(fields=["status", "item"])]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class MaterialNecessity(models.TextChoices):
    REQUIRED = "required", _("必要")
    DEFERRABLE = "deferrable", _("容缺")
    OPTIONAL = "optional", _("非必要")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("申请人自备")
    GOVERNMENT = "government", _("政府部门核发")


class Material(models.Model):
    """An application material (申请材料) of an item version, with how it is accepted and where it can come from."""

    version = models.ForeignKey(
        ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE, related_name="materials"
    )
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("材料名称"), max_length=200)
    material_type = models.CharField(
        _("材料类型"),
        max_length=20,
        choices=[("original", _("原件")), ("copy", _("复印件")), ("electronic", _("电子"))],
    )
    material_form = models.CharField(
        _("材料形式"),
        max_length=20,
        choices=[("paper", _("纸质")), ("electronic", _("电子")), ("either", _("纸质或电子"))],
    )
    necessity = models.CharField(_("必要性"), max_length=20, choices=MaterialNecessity.choices)
    paper_copies = models.PositiveSmallIntegerField(_("纸质份数"), default=0)
    paper_size = models.CharField(_("纸张规格"), max_length=20, blank=True)
    source = models.CharField(_("来源渠道"), max_length=20, choices=MaterialSource.choices)
    source_licence_type = models.CharField(
        _("来源证照类型代码"), max_length=50, blank=True, help_text=_("可从电子证照库获取时填写")
    )
    source_registry_field = models.CharField(
        _("来源基础库字段"),
        max_length=100,
        blank=True,
        help_text=_("可从人口/法人基础库获取时填写，如 population.name"),
    )
    blank_form = models.FileField(_("空白表格"), upload_to="catalog/forms/", blank=True)
    sample = models.FileField(_("示例样表"), upload_to="catalog/samples/", blank=True)
    acceptance_standard = models.TextField(_("受理标准"))
    notes = models.TextField(_("填报须知"), blank=True)
    legal_basis = models.TextField(_("材料依据"), blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.name


class FeeItem(models.Model):
    """A fee item (收费项目) of an item version."""

    version = models.ForeignKey(ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE, related_name="fees")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("收费项目名称"), max_length=200)
    standard = models.CharField(_("收费标准"), max_length=300)
    basis = models.TextField(_("收费依据"))
    reduction = models.TextField(_("减免政策"), blank=True)

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Faq(models.Model):
    """A frequently asked question (常见问题) of an item version."""

    version = models.ForeignKey(ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE, related_name="faqs")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    question = models.CharField(_("问题"), max_length=300)
    answer = models.TextField(_("解答"))

    class Meta:
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.question


class Theme(models.Model):
    """A theme (主题): a life event for people (e.g. 生育收养) or a business stage for enterprises (e.g. 开办企业)."""

    class Audience(models.TextChoices):
        PERSON = "person", _("个人")
        ENTERPRISE = "enterprise", _("法人")

    code = models.SlugField(_("代码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    audience = models.CharField(_("对象"), max_length=20, choices=Audience.choices)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("主题")
        verbose_name_plural = _("主题")
        ordering = ["audience", "order", "code"]

    def __str__(self) -> str:
        return self.name


class ProcessDefinition(models.Model):
    """A BPMN 2.0 process definition (办理流程定义), stored once however many versions use it (keyed by its hash)."""

    content_hash = models.CharField(_("内容摘要"), max_length=64, unique=True)
    process_id = models.CharField(_("流程标识"), max_length=200)
    name = models.CharField(_("名称"), max_length=200)
    template = models.CharField(_("来源模板"), max_length=50, blank=True, help_text=_("空表示上传的自定义流程"))
    bpmn_xml = models.TextField(_("BPMN XML"))
    outline = models.JSONField(_("流程概要"), default=dict, help_text=_("步骤、岗位、并联分支、时限，由 XML 解析而来"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("流程定义")
        verbose_name_plural = _("流程定义")

    def __str__(self) -> str:
        return self.name


class Bundle(models.Model):
    """A bundle (一件事): an ordered set of items across departments applied for once, with shared form fields."""

    code = models.SlugField(_("代码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"))
    audience = models.CharField(_("对象"), max_length=20, choices=Theme.Audience.choices)
    shared_fields = models.JSONField(_("共享表单字段"), default=list, help_text=_("各事项申请表共用的字段名"))
    published = models.BooleanField(_("已发布"), default=False)
    items = models.ManyToManyField(
        ImplementationItem, verbose_name=_("包含事项"), through="BundleItem", related_name="bundles"
    )

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleItem(models.Model):
    """One item's place in a bundle."""

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(ImplementationItem, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("一件事包含的事项")
        verbose_name_plural = _("一件事包含的事项")
        ordering = ["bundle", "order"]
        constraints = [models.UniqueConstraint(fields=["bundle", "item"], name="uniq_bundle_item")]

    def __str__(self) -> str:
        return f"{self.bundle} · {self.order}"


class Synonym(models.Model):
    """How people ask (同义词): a phrase people type and the catalogue words it means (开饭店 → 食品经营许可)."""

    phrase = models.CharField(_("群众说法"), max_length=50, unique=True)
    means = models.CharField(_("对应的事项用语"), max_length=200, help_text=_("多个用空格分隔"))

    class Meta:
        verbose_name = _("搜索同义词")
        verbose_name_plural = _("搜索同义词")
        ordering = ["phrase"]

    def __str__(self) -> str:
        return f"{self.phrase} → {self.means}"


class SearchDocument(models.Model):
    """The search index row of a published item (segmented words, pinyin initials, facets); rebuilt on publish."""

    item = models.OneToOneField(ImplementationItem, on_delete=models.CASCADE, related_name="search_document")
    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("事项名称"), max_length=200)
    terms = models.TextField(_("分词"), help_text=_("空格分隔的词，供全文检索"))
    initials = models.CharField(_("拼音首字母"), max_length=200, db_index=True)
    organisation = models.ForeignKey("core.Organisation", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    item_type = models.CharField(_("事项类型"), max_length=2)
    audience = models.CharField(_("服务对象"), max_length=30)
    use_count = models.PositiveIntegerField(_("使用次数"), default=0)

    class Meta:
        verbose_name = _("检索索引")
        verbose_name_plural = _("检索索引")
        indexes = [
            models.Index(fields=["organisation"]),
            models.Index(fields=["item_type"]),
        ]

    def __str__(self) -> str:
        return self.name


class Favourite(models.Model):
    """An item a person keeps in 我的收藏."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourite_items")
    item = models.ForeignKey(ImplementationItem, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("收藏")
        verbose_name_plural = _("收藏")
        constraints = [models.UniqueConstraint(fields=["user", "item"], name="uniq_favourite")]

    def __str__(self) -> str:
        return f"{self.user} ★ {self.item}"
