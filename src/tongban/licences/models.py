"""Keys, certificates and electronic seals (签名密钥、数字证书、电子印章).

The platform runs two certificate authorities: an SM2 one (SM2-with-SM3) for seal certificates and an ECDSA P-256
one for PDF-signing certificates (PAdES). Each organisation holds one current key + certificate per purpose and one
current seal; rotation marks the old ones superseded and keeps them, so what was signed before still verifies with
the certificate that was current then (docs/decisions/0009-seals-and-certificates.md).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongban.core.models import Organisation
from tongban.core.pii import BlindIndexField, EncryptedCharField


class KeyAlgorithm(models.TextChoices):
    SM2 = "sm2", "SM2"
    ECDSA_P256 = "ecdsa-p256", "ECDSA P-256"


class CertificatePurpose(models.TextChoices):
    SM2_CA = "sm2_ca", _("SM2 根证书（平台）")
    ECDSA_CA = "ecdsa_ca", _("ECDSA 根证书（平台）")
    SEAL = "seal", _("印章签名证书（SM2）")
    PDF = "pdf", _("PDF 签名证书（ECDSA）")


# Which key algorithm each purpose uses, and which CA purpose issues it (None: self-signed root).
PURPOSE_ALGORITHM = {
    CertificatePurpose.SM2_CA: KeyAlgorithm.SM2,
    CertificatePurpose.SEAL: KeyAlgorithm.SM2,
    CertificatePurpose.ECDSA_CA: KeyAlgorithm.ECDSA_P256,
    CertificatePurpose.PDF: KeyAlgorithm.ECDSA_P256,
}
ISSUER_PURPOSE = {
    CertificatePurpose.SM2_CA: None,
    CertificatePurpose.ECDSA_CA: None,
    CertificatePurpose.SEAL: CertificatePurpose.SM2_CA,
    CertificatePurpose.PDF: CertificatePurpose.ECDSA_CA,
}


class CredentialStatus(models.TextChoices):
    CURRENT = "current", _("当前使用")
    SUPERSEDED = "superseded", _("已更替")
    REVOKED = "revoked", _("已吊销")


class SigningKey(models.Model):
    """A private signing key (签名私钥): encrypted at rest by the local signer, or a handle into a hardware module.

    The private key never leaves this row in the clear: `encrypted_private_key` is SM4-GCM under a key derived from
    TONGBAN_MASTER_KEY (`master_key_id` names which), bound to the public key as associated data.
    """

    algorithm = models.CharField(_("算法"), max_length=16, choices=KeyAlgorithm.choices)
    backend = models.CharField(_("签名实现"), max_length=200, help_text=_("保管该私钥的签名实现（TONGBAN_SIGNER）"))
    public_key = models.BinaryField(_("公钥（SubjectPublicKeyInfo DER）"))
    encrypted_private_key = models.BinaryField(_("加密的私钥"), blank=True, default=b"", editable=False)
    master_key_id = models.CharField(_("主密钥标识"), max_length=32, blank=True)
    hsm_reference = models.CharField(_("密码设备中的密钥标识"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")

    def __str__(self) -> str:
        return f"{self.get_algorithm_display()} #{self.pk}"

    def __repr__(self) -> str:  # never put key material into logs or tracebacks
        return f"<SigningKey {self.pk} {self.algorithm}>"


class Certificate(models.Model):
    """An X.509 v3 certificate (数字证书) the platform made: a CA root or an organisation's seal / PDF certificate."""

    purpose = models.CharField(_("用途"), max_length=16, choices=CertificatePurpose.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("持有机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
        help_text=_("平台根证书为空"),
    )
    key = models.OneToOneField(SigningKey, verbose_name=_("签名密钥"), on_delete=models.PROTECT)
    issuer = models.ForeignKey(
        "self",
        verbose_name=_("签发者证书"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued",
    )
    serial_number = models.CharField(_("序列号（十六进制）"), max_length=64)
    subject = models.CharField(_("主体"), max_length=500)
    der = models.BinaryField(_("证书（DER）"))
    sm3_fingerprint = models.CharField(_("SM3 指纹"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("生效时间"))
    not_after = models.DateTimeField(_("失效时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=CredentialStatus.choices, default=CredentialStatus.CURRENT
    )
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("更替时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("数字证书")
        verbose_name_plural = _("数字证书")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "purpose"],
                condition=Q(status="current", organisation__isnull=False),
                name="licences_one_current_certificate_per_organisation_purpose",
            ),
            models.UniqueConstraint(
                fields=["purpose"],
                condition=Q(status="current", organisation__isnull=True),
                name="licences_one_current_platform_ca_per_purpose",
            ),
            models.UniqueConstraint(fields=["issuer", "serial_number"], name="licences_unique_serial_per_issuer"),
        ]
        indexes = [models.Index(fields=["organisation", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}：{self.subject}（{self.serial_number[:12]}）"

    @property
    def algorithm(self) -> str:
        return PURPOSE_ALGORITHM[self.purpose]

    def pem(self) -> str:
        """The certificate as PEM, the form `openssl verify` and pyHanko read."""
        from tongban.licences.x509 import certificate_pem

        return certificate_pem(bytes(self.der))


class Seal(models.Model):
    """An organisation's electronic seal (电子印章): a GB/T 38540 SESeal in DER, with a JSON mirror for display."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="seals"
    )
    es_id = models.CharField(_("印章编码（esID）"), max_length=64, unique=True)
    name = models.CharField(_("印章名称"), max_length=200)
    certificate = models.ForeignKey(
        Certificate, verbose_name=_("签章者证书"), on_delete=models.PROTECT, related_name="seals"
    )
    maker_certificate = models.ForeignKey(
        Certificate, verbose_name=_("制章者证书"), on_delete=models.PROTECT, related_name="made_seals"
    )
    der = models.BinaryField(_("印章数据（SESeal DER）"))
    data = models.JSONField(_("印章数据（解析）"), default=dict)
    picture = models.BinaryField(_("印章图片（PNG）"))
    valid_start = models.DateTimeField(_("有效期起"))
    valid_end = models.DateTimeField(_("有效期止"))
    status = models.CharField(
        _("状态"), max_length=16, choices=CredentialStatus.choices, default=CredentialStatus.CURRENT
    )
    created_at = models.DateTimeField(_("制作时间"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("更替时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("电子印章")
        verbose_name_plural = _("电子印章")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(status="current"), name="licences_one_current_seal"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.es_id}）"


# ---------------------------------------------------------------------------------------------------------------
# Licence types and licences (证照类型、电子证照), docs/decisions/0010-licence-data-and-verification.md


class LicenceType(models.Model):
    """A kind of licence an organisation issues (证照类型), e.g. 食品经营许可证; catalogue items name it by `code`."""

    code = models.CharField(
        _("证照类型代码"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-Z]+$", _("证照类型代码只能由数字和大写字母组成"))],
    )
    name = models.CharField(_("证照名称"), max_length=200)
    issuer = models.ForeignKey(
        Organisation, verbose_name=_("颁证机构"), on_delete=models.PROTECT, related_name="licence_types"
    )
    validity_years = models.PositiveSmallIntegerField(
        _("有效期（年）"), null=True, blank=True, help_text=_("为空表示长期有效")
    )
    field_definitions = models.JSONField(
        _("证照字段"),
        default=list,
        blank=True,
        help_text=_('照面字段列表：[{"name": "business_scope", "label": "经营项目", "required": true}]'),
    )
    layout = models.JSONField(
        _("版式"),
        default=dict,
        blank=True,
        help_text=_('版式提示，例如 {"title": "食品经营许可证", "subtitle": "副本"}'),
    )
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class HolderIdType(models.TextChoices):
    """The holder's certificate type (持证主体证件类型)."""

    RESIDENT_ID = "resident_id", _("居民身份证")
    USCC = "uscc", _("统一社会信用代码")


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已撤销")
    EXPIRED = "expired", _("已过期")
    SUPERSEDED = "superseded", _("已变更")


class RenderStatus(models.TextChoices):
    PENDING = "pending", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


class Licence(models.Model):
    """An electronic licence (电子证照): the sealed data is authoritative; the PDF is its signed rendering."""

    identifier = models.CharField(_("证照标识"), max_length=200, unique=True)
    licence_type = models.ForeignKey(
        LicenceType, verbose_name=_("证照类型"), on_delete=models.PROTECT, related_name="licences"
    )
    issuer = models.ForeignKey(Organisation, verbose_name=_("颁证机构"), on_delete=models.PROTECT, related_name="+")
    serial = models.CharField(_("流水号"), max_length=20)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("持证账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licences",
    )
    holder_name = models.CharField(_("持证主体"), max_length=200)
    holder_id_type = models.CharField(_("持证主体证件类型"), max_length=20, choices=HolderIdType.choices)
    holder_id_number = EncryptedCharField(_("持证主体证件号码"))
    holder_id_index = BlindIndexField(_("证件号码索引"), source="holder_id_number", purpose="id_number")
    fields = models.JSONField(_("照面信息"), default=dict)
    issued_on = models.DateField(_("颁证日期"))
    valid_from = models.DateField(_("有效期起始"))
    valid_until = models.DateField(_("有效期截止"), null=True, blank=True, help_text=_("为空表示长期有效"))
    region_code = models.CharField(_("行政区划代码"), max_length=12)
    status = models.CharField(_("状态"), max_length=16, choices=LicenceStatus.choices, default=LicenceStatus.VALID)
    source_case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("来源办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licences",
    )
    data = models.BinaryField(_("证照数据（规范化 JSON）"), help_text=_("签章覆盖的字节，原样保存"))
    data_sm3 = models.CharField(_("证照数据 SM3"), max_length=64)
    seal = models.ForeignKey(Seal, verbose_name=_("电子印章"), on_delete=models.PROTECT, related_name="licences")
    signature = models.BinaryField(_("电子签章（SES_Signature DER）"))
    signed_at = models.DateTimeField(_("签章时间"))
    pdf = models.FileField(_("PDF 文件"), upload_to="licences/pdf/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True, db_index=True)
    render_status = models.CharField(
        _("PDF 生成状态"), max_length=16, choices=RenderStatus.choices, default=RenderStatus.PENDING
    )
    render_error = models.CharField(_("PDF 生成错误"), max_length=500, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("颁证人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revocation_reason = models.CharField(_("撤销原因"), max_length=500, blank=True)
    # Lifecycle (licences/lifecycle.py): a change (变更) issues a new version that replaces this one.
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("变更前的证照"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    superseded_at = models.DateTimeField(_("变更时间"), null=True, blank=True)
    change_reason = models.CharField(_("变更原因"), max_length=500, blank=True)
    # Historical import (licences/imports.py): the paper licence's own number, and that it came from an import.
    licence_number = models.CharField(_("证照编号"), max_length=64, blank=True, help_text=_("纸质证照上的原编号"))
    imported = models.BooleanField(_("历史数据导入"), default=False)
    # The stored verification (licences/verification.py, verification_store): the signed bytes never change, so the seal
    # signature and its chain are checked once and the outcome kept here with the certificate it was checked against
    # and that certificate's status, beside what the public is shown of the licence's type, issuer and fields and the
    # holder's masked ID: verification then reads this one row. Database triggers (migration 0002) empty `checked_at`
    # whenever anything it was made from changes (the sealed bytes, the type's or issuer's names, the certificate's
    # status), so the next verification checks and assembles again: tampering and revocation show at once.
    checked_at = models.DateTimeField(_("签章核验时间"), null=True, blank=True, editable=False)
    check_result = models.JSONField(_("签章核验结果"), default=dict, blank=True, editable=False)
    check_certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("核验所用签章证书"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    public_id_number = models.CharField(_("持证主体证件号码（脱敏）"), max_length=40, blank=True, editable=False)
    check_shown = models.JSONField(_("核验展示信息"), default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "issuer", "serial", "version"], name="licences_unique_licence_number"
            ),
        ]
        indexes = [models.Index(fields=["holder", "status"]), models.Index(fields=["status", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.licence_type.name}（{self.identifier}）"


# ---------------------------------------------------------------------------------------------------------------
# The holder's wallet (我的证照): grants to view a licence (用证授权), their view log, expiry reminders


class ShareKind(models.TextChoices):
    ORGANISATION = "organisation", _("授权给机构")
    LINK = "link", _("凭链接查看")


class LicenceShare(models.Model):
    """A holder's grant to view one licence (用证授权): to a named organisation's staff, or to anyone holding a link.

    A link's token is shown to the holder once; only its SM3 digest is kept, so the table cannot give links away.
    """

    public_id = models.UUIDField(_("公开标识"), default=uuid.uuid4, unique=True, editable=False)
    licence = models.ForeignKey(Licence, verbose_name=_("电子证照"), on_delete=models.CASCADE, related_name="shares")
    kind = models.CharField(_("授权方式"), max_length=16, choices=ShareKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("被授权机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence_shares",
    )
    token_hash = models.CharField(_("链接令牌 SM3"), max_length=64, null=True, blank=True, unique=True)
    purpose = models.CharField(_("用途"), max_length=200)
    expires_at = models.DateTimeField(_("授权截止时间"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("授权人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    view_count = models.PositiveIntegerField(_("查看次数"), default=0)
    last_viewed_at = models.DateTimeField(_("最近查看时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用证授权")
        verbose_name_plural = _("用证授权")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="organisation", organisation__isnull=False, token_hash__isnull=True)
                | Q(kind="link", organisation__isnull=True, token_hash__isnull=False),
                name="licences_share_names_organisation_or_link",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "expires_at"]), models.Index(fields=["licence", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.licence_id}"


class ViewedPart(models.TextChoices):
    PAGE = "page", _("查看证照信息")
    PDF = "pdf", _("下载 PDF")


class LicenceView(models.Model):
    """One view of a shared licence (用证记录): through which grant, by whom (staff or a link), when, from where."""

    share = models.ForeignKey(LicenceShare, verbose_name=_("用证授权"), on_delete=models.CASCADE, related_name="views")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查看人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("凭链接查看且未登录时为空"),
    )
    part = models.CharField(_("查看内容"), max_length=8, choices=ViewedPart.choices)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    viewed_at = models.DateTimeField(_("查看时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("用证记录")
        verbose_name_plural = _("用证记录")
        ordering = ["-viewed_at", "-id"]
        indexes = [models.Index(fields=["share", "viewed_at"])]

    def __str__(self) -> str:
        return f"{self.share_id} · {self.viewed_at:%Y-%m-%d %H:%M}"


class LicenceReminder(models.Model):
    """An expiry reminder told to a licence's holder (证照到期提醒): at most one per licence and threshold."""

    licence = models.ForeignKey(Licence, verbose_name=_("电子证照"), on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField(_("提前天数"))
    sent_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证照到期提醒")
        verbose_name_plural = _("证照到期提醒")
        constraints = [
            models.UniqueConstraint(fields=["licence", "days_before"], name="licences_one_reminder_per_threshold")
        ]

    def __str__(self) -> str:
        return f"{self.licence_id} · {self.days_before}"
