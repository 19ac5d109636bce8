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
