"""Accounts: the one user table for people, enterprise accounts and staff."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.pii import BlindIndexField, EncryptedCharField


class UserKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人（企业账号）")
    STAFF = "staff", _("工作人员")


class RealNameLevel(models.IntegerChoices):
    """How sure the platform is of who this is: L1 phone only, L2 verified online, L3 verified in person."""

    L1 = 1, _("L1 手机号注册")
    L2 = 2, _("L2 在线实名核验")
    L3 = 3, _("L3 现场核验身份证件")


class User(AbstractUser):
    """An account (账号): a natural person, an enterprise account, or a member of staff."""

    kind = models.CharField(_("账号类型"), max_length=20, choices=UserKind.choices, default=UserKind.PERSON)
    display_name = models.CharField(_("显示名称"), max_length=100, blank=True)
    real_name = models.CharField(
        _("实名姓名"), max_length=50, blank=True, help_text=_("经人口基础库核验的姓名（L2 及以上）；办事时以此为准")
    )
    phone = EncryptedCharField(_("手机号码"), blank=True, default="")
    phone_index = BlindIndexField(_("手机号码索引"), source="phone", purpose="phone")
    real_name_level = models.PositiveSmallIntegerField(
        _("实名等级"), choices=RealNameLevel.choices, default=RealNameLevel.L1
    )
    id_number = EncryptedCharField(_("证件号码"), blank=True, default="")
    id_number_index = BlindIndexField(_("证件号码索引"), source="id_number", purpose="id_number")
    real_name_verified_at = models.DateTimeField(_("实名核验时间"), null=True, blank=True)
    real_name_verified_by = models.ForeignKey(
        "self",
        verbose_name=_("现场核验人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("L3：查验身份证件的窗口工作人员"),
    )
    legal_representative = models.ForeignKey(
        "self",
        verbose_name=_("法定代表人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="represented_enterprises",
        help_text=_("仅企业账号：经实名核验的法定代表人"),
    )
    # Single sign-on: the OpenID Connect subject ("sub") department systems key their records on. Random rather than
    # the database id, so it reveals neither the id nor how many accounts exist, and never changes.
    subject_id = models.UUIDField(_("统一身份标识"), default=uuid.uuid4, unique=True, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class StaffRole(models.TextChoices):
    """What a member of staff may do; enforced by the access functions of each app."""

    WINDOW_CLERK = "window_clerk", _("窗口受理")
    REVIEWER = "reviewer", _("审查")
    APPROVER = "approver", _("审批/签发")
    CATALOGUE_EDITOR = "catalogue_editor", _("事项编辑")
    CATALOGUE_REVIEWER = "catalogue_reviewer", _("事项审核")
    HEAD = "head", _("机构负责人")
    SUPERVISOR = "supervisor", _("电子监察")
    HALL_MANAGER = "hall_manager", _("大厅管理")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")


class StaffAssignment(models.Model):
    """A role held by a member of staff in an organisation, optionally over the organisation's whole region subtree."""

    user = models.ForeignKey(User, verbose_name=_("工作人员"), on_delete=models.CASCADE, related_name="assignments")
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("所在机构"), on_delete=models.PROTECT, related_name="staff_assignments"
    )
    role = models.CharField(_("角色"), max_length=30, choices=StaffRole.choices)
    covers_region_subtree = models.BooleanField(
        _("覆盖下辖区划"),
        default=False,
        help_text=_("勾选后，该角色的权限覆盖机构所在区划及其所有下级区划，例如县级监察覆盖全县"),
    )
    created_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("岗位角色")
        verbose_name_plural = _("岗位角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="uniq_staff_role_per_org"),
        ]
        indexes = [models.Index(fields=["organisation", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


class SmsMessage(models.Model):
    """A text message as handed to the SMS sender; the local sender keeps every message here (本地短信记录)."""

    phone = EncryptedCharField(_("手机号码"))
    phone_index = BlindIndexField(_("手机号码索引"), source="phone", purpose="phone")
    # Encrypted: a message body carries a live verification code, which must not sit in the database as plain text.
    body = EncryptedCharField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=30)
    backend = models.CharField(_("发送通道"), max_length=100)
    outbox_id = models.BigIntegerField(
        _("发件箱编号"), null=True, blank=True, unique=True, help_text=_("发送它的发件箱消息；重复投递不会重复发送")
    )
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("短信记录")
        verbose_name_plural = _("短信记录")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.purpose}"


class SmsCodePurpose(models.TextChoices):
    SIGN_UP = "sign_up", _("注册")
    SIGN_IN = "sign_in", _("登录")
    RESET_PASSWORD = "reset_password", _("重置密码")


class SmsCode(models.Model):
    """A one-time SMS verification code (短信验证码): only its keyed hash is stored; valid 5 minutes, 5 tries."""

    phone_index = models.CharField(_("手机号码索引"), max_length=64)
    purpose = models.CharField(_("用途"), max_length=20, choices=SmsCodePurpose.choices)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    ip = models.GenericIPAddressField(_("请求 IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    failed_attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [
            models.Index(fields=["phone_index", "purpose", "created_at"]),
            models.Index(fields=["ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"


class SignInMethod(models.TextChoices):
    PASSWORD = "password", _("密码")
    SMS = "sms", _("短信验证码")
    TOTP = "totp", _("动态口令")
    RECOVERY_CODE = "recovery_code", _("恢复码")
    OIDC = "oidc", _("统一身份认证")


class SignInAttempt(models.Model):
    """One sign-in attempt, successful or not (登录记录): the history people see and the lock-out counts."""

    user = models.ForeignKey(
        User, verbose_name=_("账号"), null=True, blank=True, on_delete=models.CASCADE, related_name="sign_in_attempts"
    )
    account_key = models.CharField(_("账号索引"), max_length=64, help_text=_("登录名的键控摘要：账号不存在时也能计数"))
    method = models.CharField(_("方式"), max_length=20, choices=SignInMethod.choices)
    succeeded = models.BooleanField(_("成功"))
    reason = models.CharField(_("原因"), max_length=50, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=400, blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("登录记录")
        verbose_name_plural = _("登录记录")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account_key", "ip", "created_at"]),
            models.Index(fields=["user", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_method_display()} {'✓' if self.succeeded else '✗'}"


class UserSession(models.Model):
    """A signed-in browser session of a user, listed in 安全设置 so it can be revoked (会话)."""

    user = models.ForeignKey(User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="web_sessions")
    session_key = models.CharField(_("会话键"), max_length=40, unique=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=400, blank=True)
    created_at = models.DateTimeField(_("登录时间"))
    last_seen_at = models.DateTimeField(_("最近活动"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class PopulationRecord(models.Model):
    """A resident in the population registry (人口基础库) as mirrored locally for the local registry provider."""

    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedCharField(_("公民身份号码"))
    id_number_index = BlindIndexField(_("身份号码索引"), source="id_number", purpose="id_number", unique=True)
    alive = models.BooleanField(_("在世"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("人口基础库记录")
        verbose_name_plural = _("人口基础库记录")

    def __str__(self) -> str:
        return self.name


class LegalEntityRecord(models.Model):
    """A legal entity in the legal-entity registry (法人基础库) as mirrored locally for the local provider."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("存续")
        CANCELLED = "cancelled", _("注销")
        REVOKED = "revoked", _("吊销")

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    representative_name = models.CharField(_("法定代表人姓名"), max_length=50)
    representative_id_number = EncryptedCharField(_("法定代表人身份号码"))
    representative_id_number_index = BlindIndexField(
        _("法定代表人身份号码索引"), source="representative_id_number", purpose="id_number"
    )
    region_code = models.CharField(_("登记机关区划"), max_length=12, blank=True)
    status = models.CharField(_("登记状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("法人基础库记录")
        verbose_name_plural = _("法人基础库记录")

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class AgentAuthorisation(models.Model):
    """An enterprise's authorisation of an agent (经办人授权) by phone number: all items or listed ones, until expiry.

    Bound to the phone number, not to an account, so the representative learns nothing about who is registered;
    whoever signs in with that (verified) number acts under it.
    """

    enterprise = models.ForeignKey(
        User, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="agent_authorisations"
    )
    agent_phone = EncryptedCharField(_("经办人手机号码"))
    agent_phone_index = BlindIndexField(_("经办人手机号码索引"), source="agent_phone", purpose="phone")
    agent_name = models.CharField(_("经办人姓名"), max_length=50)
    all_items = models.BooleanField(_("全部事项"), default=False)
    item_codes = models.JSONField(_("授权事项编码"), default=list, blank=True)
    expires_on = models.DateField(_("有效期至"))
    granted_by = models.ForeignKey(User, verbose_name=_("授权人"), on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(_("授权时间"))
    revoked_by = models.ForeignKey(
        User, verbose_name=_("撤销人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("经办人授权")
        verbose_name_plural = _("经办人授权")
        indexes = [
            models.Index(fields=["agent_phone_index", "revoked_at"]),
            models.Index(fields=["enterprise", "revoked_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.agent_name}"


class TotpDevice(models.Model):
    """A staff member's time-based one-time password authenticator (动态口令, RFC 6238)."""

    user = models.OneToOneField(User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="totp_device")
    secret = EncryptedCharField(_("密钥"))
    confirmed_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    last_used_step = models.BigIntegerField(_("最近使用的时间步"), default=0, help_text=_("防止同一口令被重放"))

    class Meta:
        verbose_name = _("动态口令设备")
        verbose_name_plural = _("动态口令设备")

    def __str__(self) -> str:
        return str(self.user)


class RecoveryCode(models.Model):
    """A single-use recovery code for a lost authenticator; only its hash is stored."""

    user = models.ForeignKey(User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(_("恢复码摘要"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"
