"""Foundation data shared by every app: regions, organisations, the working-day calendar, serial counters,
the audit log and the outbox."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.validators import validate_region_code, validate_uscc


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省级")
    CITY = 2, _("市级")
    COUNTY = 3, _("县级")
    TOWN = 4, _("乡镇/街道")
    VILLAGE = 5, _("村/社区")


class Region(models.Model):
    """An administrative division (行政区划) with its GB/T 2260 code (6, 9 or 12 digits)."""

    code = models.CharField(_("区划代码"), max_length=12, unique=True, validators=[validate_region_code])
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    active = models.BooleanField(_("现行有效"), default=True, help_text=_("已撤销的区划保留历史，不再可选"))

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @staticmethod
    def level_for_code(code: str) -> int:
        """The level a GB/T 2260 code denotes: xx0000 province, xxxx00 city, other 6-digit county, 9 town, 12 village.

        Direct-controlled municipalities (北京 110000) use the city-level code 110100 (市辖区) for their districts;
        it is city level by this rule, and when a list omits it the districts hang directly under the province.
        """
        if len(code) == 12:
            return RegionLevel.VILLAGE
        if len(code) == 9:
            return RegionLevel.TOWN
        if code.endswith("0000"):
            return RegionLevel.PROVINCE
        if code.endswith("00"):
            return RegionLevel.CITY
        return RegionLevel.COUNTY

    @staticmethod
    def ancestor_codes(code: str) -> list[str]:
        """Codes that may be this code's ancestors, nearest first; the parent is the first of them that exists."""
        if len(code) == 12:
            return [code[:9], code[:6], *Region.ancestor_codes(code[:6])]
        if len(code) == 9:
            return [code[:6], *Region.ancestor_codes(code[:6])]
        level = Region.level_for_code(code)
        if level == RegionLevel.COUNTY:
            return [code[:4] + "00", code[:2] + "0000"]
        if level == RegionLevel.CITY:
            return [code[:2] + "0000"]
        return []


class OrganisationKind(models.TextChoices):
    DEPARTMENT = "department", _("政府部门")
    SERVICE_HALL = "service_hall", _("政务服务中心/大厅")
    TOWN_OFFICE = "town_office", _("乡镇（街道）便民服务中心")
    VILLAGE_STATION = "village_station", _("村（社区）便民服务站")


class Organisation(models.Model):
    """A government body that carries out items or receives people: department, hall, town office, village station."""

    name = models.CharField(_("名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    kind = models.CharField(_("类型"), max_length=20, choices=OrganisationKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="organisations"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    opening_hours = models.TextField(_("办公时间"), blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["region__code", "name"]
        indexes = [models.Index(fields=["region", "kind"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """An organisation cannot be its own ancestor (the tree must stay a tree)."""
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("上级机构不能是本机构或其下级机构")})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class HallWindow(models.Model):
    """A numbered window (窗口) of a service hall: general acceptance, result pick-up or consultation."""

    class Kind(models.TextChoices):
        ACCEPTANCE = "acceptance", _("综合受理窗口")
        RESULT = "result", _("出件窗口")
        CONSULTATION = "consultation", _("咨询导办窗口")

    hall = models.ForeignKey(Organisation, verbose_name=_("所属大厅"), on_delete=models.CASCADE, related_name="windows")
    number = models.CharField(_("窗口号"), max_length=10)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("大厅窗口")
        verbose_name_plural = _("大厅窗口")
        ordering = ["hall", "number"]
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="uniq_window_number_per_hall")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        """Windows belong to places that receive people, not to back-office departments."""
        if self.hall_id is None:
            return
        if self.hall.kind == OrganisationKind.DEPARTMENT:
            raise ValidationError({"hall": _("只有政务服务大厅、便民服务中心或便民服务站可以设置窗口")})
        taken = HallWindow.objects.filter(hall_id=self.hall_id, number=self.number).exclude(pk=self.pk)
        if taken.exists():
            raise ValidationError({"number": _("该大厅已有 %(number)s 号窗口") % {"number": self.number}})


class CalendarDay(models.Model):
    """A date that breaks the weekly pattern: a statutory holiday (法定节假日) or an adjusted working day (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("节假日（休息）")
        WORKDAY = "workday", _("调休工作日（上班）")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """A year whose official holiday schedule (国务院办公厅通知) has been loaded; other years are provisional."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("已发布节假日安排的年份")
        verbose_name_plural = _("已发布节假日安排的年份")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class SerialCounter(models.Model):
    """The last serial number handed out for a prefix on a day (daily serials for case numbers and documents)."""

    prefix = models.CharField(_("前缀"), max_length=64)
    day = models.DateField(_("日期"))
    value = models.PositiveIntegerField(_("当前值"), default=0)

    class Meta:
        verbose_name = _("流水号计数器")
        verbose_name_plural = _("流水号计数器")
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="uniq_serial_prefix_day")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.day} {self.value}"


class AuditEntry(models.Model):
    """One row of the append-only, SM3 hash-chained audit log (审计日志); database triggers refuse UPDATE/DELETE."""

    created_at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人"), max_length=200, blank=True)
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代表主体"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acting_for_label = models.CharField(_("代表主体"), max_length=200, blank=True)
    action = models.CharField(_("动作"), max_length=100)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=300, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=400, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("本条哈希"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"]),
            models.Index(fields=["actor", "id"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_repr}"


class OutboxMessage(models.Model):
    """A side effect (notification, push, rendering) recorded with the change that caused it, delivered after commit."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待投递")
        DONE = "done", _("已完成")

    topic = models.CharField(_("主题"), max_length=100)
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    available_at = models.DateTimeField(_("下次可投递时间"))
    locked_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发件箱消息")
        verbose_name_plural = _("发件箱消息")
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "available_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} {self.get_status_display()}"
