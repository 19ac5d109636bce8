"""Accounts: the one user table for people, enterprise accounts and staff."""

from __future__ import annotations

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
    phone = EncryptedCharField(_("手机号码"), blank=True, default="")
    phone_index = BlindIndexField(_("手机号码索引"), source="phone", purpose="phone")
    real_name_level = models.PositiveSmallIntegerField(
        _("实名等级"), choices=RealNameLevel.choices, default=RealNameLevel.L1
    )
    id_number = EncryptedCharField(_("证件号码"), blank=True, default="")
    id_number_index = BlindIndexField(_("证件号码索引"), source="id_number", purpose="id_number")

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
