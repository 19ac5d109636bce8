"""Cases (办件): applications from draft to acceptance, their materials, timeline, documents and supplement requests.

A case is one application for one published item version. It is a draft (status 0, no number) while the applicant
fills it in, and from submission on it carries the national exchange status codes of DOMAIN.md (1 received,
2 withdrawn, 3 accepted, 5 refused, 6 supplement requested …). The timeline (CaseEvent) records every step with its
national event code; documents (CaseDocument) are the numbered notices rendered to PDF after commit.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tongban.core.pii import BlindIndexField, EncryptedCharField


class CaseStatus(models.IntegerChoices):
    """Where a case stands, as the national exchange status code (0 is our draft; never reported upward)."""

    DRAFT = 0, _("草稿")
    RECEIVED = 1, _("已接件")
    WITHDRAWN = 2, _("已撤件")
    ACCEPTED = 3, _("已受理")
    REFUSED = 5, _("不予受理")
    SUPPLEMENT = 6, _("待补正")
    IN_REVIEW = 8, _("办理中")
    SPECIAL_PROCEDURE = 9, _("特别程序中")
    APPROVED = 11, _("办结（通过）")
    APPROVED_DEFERRED = 12, _("办结（容缺通过）")
    DENIED = 13, _("办结（不通过）")
    RETRACTED = 14, _("已撤回")
    REVOKED = 15, _("已撤销")


# Statuses in which the competent organisation's clerk may still act on acceptance (预审).
PRE_REVIEW_STATUSES = (CaseStatus.RECEIVED,)
# Statuses from which the applicant may withdraw before acceptance (已撤件).
WITHDRAWABLE_STATUSES = (CaseStatus.RECEIVED, CaseStatus.SUPPLEMENT)
# Statuses that end a case: nothing more happens to it.
FINAL_STATUSES = (
    CaseStatus.WITHDRAWN,
    CaseStatus.REFUSED,
    CaseStatus.APPROVED,
    CaseStatus.APPROVED_DEFERRED,
    CaseStatus.DENIED,
    CaseStatus.RETRACTED,
    CaseStatus.REVOKED,
)


class EventCode(models.IntegerChoices):
    """A step on the timeline, as the national exchange event code (0 for our own steps not reported upward)."""

    LOCAL = 0, _("平台记录")
    RECEIVED = 1, _("接件")
    WITHDRAWN = 2, _("撤件")
    ACCEPTED = 3, _("受理")
    REFUSED = 5, _("不予受理")
    SUPPLEMENT_REQUESTED = 6, _("补正开始")
    SUPPLEMENT_RETURNED = 7, _("补正结束")
    REVIEW_STARTED = 8, _("部门开始办理")
    SPECIAL_STARTED = 9, _("特别程序开始")
    SPECIAL_ENDED = 10, _("特别程序结束")
    APPROVED = 11, _("办结（通过）")
    APPROVED_DEFERRED = 12, _("办结（容缺通过）")
    DENIED = 13, _("办结（不通过）")
    RETRACTED = 14, _("撤回")
    REVOKED = 15, _("撤销")


class Channel(models.TextChoices):
    """How the application reached the platform."""

    ONLINE = "online", _("网上申请")
    WINDOW = "window", _("窗口受理")


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人")


class IdType(models.TextChoices):
    """The applicant's certificate type (证件类型) as recorded on the case."""

    RESIDENT_ID = "resident_id", _("居民身份证")
    USCC = "uscc", _("统一社会信用代码")


class Case(models.Model):
    """An application for a service item (办件), from draft through acceptance and, later, decision."""

    public_id = models.UUIDField(_("公开标识"), default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("办件编号"), max_length=43, unique=True, null=True, blank=True)
    query_code = EncryptedCharField(_("查询密码"), blank=True, default="")
    status = models.PositiveSmallIntegerField(_("状态"), choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    lock_version = models.PositiveIntegerField(
        _("修改版本"), default=0, help_text=_("每次状态变化加一；两人同时操作时，后到者看到冲突提示")
    )

    item = models.ForeignKey(
        "catalog.ImplementationItem", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="cases"
    )
    version = models.ForeignKey(
        "catalog.ItemVersion", verbose_name=_("事项版本"), on_delete=models.PROTECT, related_name="cases"
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("办理机构"),
        on_delete=models.PROTECT,
        related_name="cases",
        help_text=_("有权决定的实施主体（受办分离：受理地可以不同）"),
    )

    # Whose application it is: the person's or enterprise's account; the person who filled it in may be an agent.
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人账号"), on_delete=models.PROTECT, related_name="cases"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="cases_handled",
        help_text=_("填写并提交申请的人：本人、企业的法定代表人或经办人，或代为登记的窗口人员"),
    )
    applicant_kind = models.CharField(_("申请人类型"), max_length=20, choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("申请人名称"), max_length=200)
    applicant_id_type = models.CharField(_("证件类型"), max_length=20, choices=IdType.choices)
    applicant_id_number = EncryptedCharField(_("证件号码"), blank=True, default="")
    applicant_id_index = BlindIndexField(_("证件号码索引"), source="applicant_id_number", purpose="id_number")
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    agent_name = models.CharField(_("经办人姓名"), max_length=50, blank=True)
    contact_phone = EncryptedCharField(_("联系电话"), blank=True, default="")

    channel = models.CharField(_("申请渠道"), max_length=20, choices=Channel.choices, default=Channel.ONLINE)
    accepting_hall = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("接件大厅"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    accepting_window = models.ForeignKey(
        "core.HallWindow", verbose_name=_("接件窗口"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    identity_checked = models.BooleanField(_("已现场核验身份证件"), default=False)

    form_data = models.JSONField(_("申请表内容"), default=dict, blank=True)
    current_page = models.PositiveSmallIntegerField(_("草稿填到第几页"), default=1)
    idempotency_key = models.CharField(
        _("幂等键"), max_length=64, blank=True, help_text=_("同一经办人用同一键重复提交时返回同一办件")
    )

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    draft_expires_at = models.DateTimeField(_("草稿失效时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("接件时间"), null=True, blank=True)
    materials_complete_on = models.DateField(
        _("材料齐全日"), null=True, blank=True, help_text=_("接件日，或补正材料收到之日；受理期限由此起算")
    )
    acceptance_due = models.DateField(_("受理期限"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True, help_text=_("视为受理时为材料齐全之日"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acceptance_deemed = models.BooleanField(_("逾期视为受理"), default=False)
    supervision_flag = models.BooleanField(_("督办标记"), default=False)
    promised_due = models.DateField(_("承诺办结日期"), null=True, blank=True)
    statutory_due = models.DateField(_("法定办结日期"), null=True, blank=True)
    deadline_provisional = models.BooleanField(
        _("期限按临时日历计算"), default=False, help_text=_("期限跨越尚未发布节假日安排的年份")
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    # Review and decision (审查与决定, cases/review.py, cases/decisions.py)
    paused_since = models.DateField(
        _("特别程序开始日"), null=True, blank=True, help_text=_("特别程序进行中时不计入办理时限")
    )
    extended_days = models.PositiveSmallIntegerField(_("已延长工作日"), default=0)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    bundle_application = models.ForeignKey(
        "BundleApplication",
        verbose_name=_("所属一件事申请"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        indexes = [
            # 我的办件: an applicant's cases, newest first.
            models.Index(fields=["applicant", "-created_at"], name="case_applicant_recent"),
            # Worklists: an organisation's cases in a status, in the list's whole order (soonest deadline, then
            # earliest received), so a page stops after its 20 rows even when hundreds share one deadline.
            models.Index(
                fields=["organisation", "status", "acceptance_due", "received_at", "id"], name="case_org_status_order"
            ),
            # The deemed-acceptance scan: received cases past their acceptance deadline.
            models.Index(fields=["status", "acceptance_due"], name="case_status_due"),
            models.Index(fields=["status", "draft_expires_at"], name="case_draft_expiry"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="uniq_case_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.DRAFT) | Q(number__isnull=False),
                name="case_number_once_submitted",
            ),
        ]

    def __str__(self) -> str:
        return self.number or _("草稿 %(id)s") % {"id": str(self.public_id)[:8]}

    @property
    def is_draft(self) -> bool:
        return self.status == CaseStatus.DRAFT


class StoredFile(models.Model):
    """An uploaded file kept once under its content hash, with the type sniffed from its bytes (never its name)."""

    class ScanStatus(models.TextChoices):
        CLEAN = "clean", _("未发现威胁")
        NOT_SCANNED = "not_scanned", _("未配置扫描")

    sha256 = models.CharField(_("内容摘要"), max_length=64, unique=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=50)
    extension = models.CharField(_("扩展名"), max_length=10)
    storage_name = models.CharField(_("存储名称"), max_length=200)
    scan_status = models.CharField(_("病毒扫描"), max_length=20, choices=ScanStatus.choices)
    scanner = models.CharField(_("扫描程序"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("首次上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("上传文件")
        verbose_name_plural = _("上传文件")

    def __str__(self) -> str:
        return f"{self.sha256[:12]}.{self.extension}"


class Upload(models.Model):
    """One person's upload of a stored file, under the name they gave it; attached to a case's material later."""

    file = models.ForeignKey(StoredFile, verbose_name=_("文件"), on_delete=models.PROTECT, related_name="uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    original_name = models.CharField(_("原文件名"), max_length=200, help_text=_("已去除路径，仅供显示"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("上传记录")
        verbose_name_plural = _("上传记录")
        indexes = [models.Index(fields=["uploaded_by", "-created_at"], name="upload_owner_recent")]

    def __str__(self) -> str:
        return self.original_name


class Provision(models.TextChoices):
    """How the applicant provides a required material."""

    UPLOAD = "upload", _("上传电子件")
    LICENCE = "licence", _("电子证照库调取")
    REGISTRY = "registry", _("部门共享数据")
    DEFERRED = "deferred", _("容缺后补")
    PAPER = "paper", _("窗口收取纸质材料")


class CaseMaterial(models.Model):
    """A material provided for a case: an uploaded file, a licence or registry reference, paper, or 容缺 (deferred)."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(
        "catalog.Material", verbose_name=_("申请材料"), on_delete=models.PROTECT, related_name="+"
    )
    provision = models.CharField(_("提供方式"), max_length=20, choices=Provision.choices)
    upload = models.ForeignKey(
        Upload, verbose_name=_("上传文件"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(
        _("引用"), max_length=200, blank=True, help_text=_("电子证照标识或共享数据项；上传与容缺时为空")
    )
    supplement = models.ForeignKey(
        "SupplementRequest",
        verbose_name=_("补正通知"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="materials",
        help_text=_("为响应哪次补正通知而提交"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["material__order", "added_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(provision="upload", upload__isnull=False) | ~Q(provision="upload"),
                name="case_material_upload_has_file",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.material_id}"


class SupplementRequest(models.Model):
    """A 补正材料通知: everything missing or defective, told once; answered when the applicant supplements."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="supplements")
    items = models.JSONField(
        _("补正内容"), help_text=_('[{"material": 材料 id 或 null, "name": 名称, "problem": 问题说明}]')
    )
    note = models.TextField(_("补充说明"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("通知人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("通知时间"))
    returned_at = models.DateTimeField(_("补正提交时间"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("补正提交人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("补正通知")
        verbose_name_plural = _("补正通知")
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"{self.case} · {self.requested_at:%Y-%m-%d}"


class CaseEvent(models.Model):
    """One step on a case's timeline: what happened, national event code, who, which organisation, when, opinion."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="events")
    code = models.PositiveSmallIntegerField(_("环节代码"), choices=EventCode.choices)
    name = models.CharField(_("环节"), max_length=100)
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("机构"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("办理人名称"), max_length=100, blank=True, help_text=_("系统自动处理时为“系统”"))
    opinion = models.TextField(_("意见"), blank=True)
    public = models.BooleanField(_("申请人可见"), default=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_event_timeline")]

    def __str__(self) -> str:
        return f"{self.case} · {self.name}"

    @property
    def display_name(self) -> str:
        """The step's name in the reader's language (stored in Chinese, the language of record)."""
        return gettext(self.name)


class DocumentKind(models.TextChoices):
    """The numbered documents a case produces (each rendered to PDF after commit)."""

    RECEIPT = "receipt", _("办件回执")
    ACCEPTANCE = "acceptance", _("受理通知书")
    REFUSAL = "refusal", _("不予受理通知书")
    SUPPLEMENT = "supplement", _("补正材料通知书")
    GRANT = "grant", _("准予许可决定书")
    DENIAL = "denial", _("不予许可决定书")
    EXTENSION = "extension", _("延长办理期限告知书")
    SPECIAL = "special", _("特别程序告知书")
    DELIVERY = "delivery", _("送达回证")
    REVOCATION = "revocation", _("撤销决定书")


class CaseDocument(models.Model):
    """A numbered, dated notice of a case; its data is fixed when issued, its PDF rendered afterwards."""

    class RenderStatus(models.TextChoices):
        PENDING = "pending", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("文书类型"), max_length=20, choices=DocumentKind.choices)
    number = models.CharField(_("文书编号"), max_length=60, unique=True)
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("出具机构"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("出具时间"))
    data = models.JSONField(_("文书内容"), default=dict, help_text=_("出具时固定的内容，PDF 由此生成"))
    supplement = models.OneToOneField(
        SupplementRequest,
        verbose_name=_("补正通知"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="document",
    )
    status = models.CharField(_("生成状态"), max_length=20, choices=RenderStatus.choices, default=RenderStatus.PENDING)
    file = models.FileField(_("PDF 文件"), upload_to="cases/documents/%Y/%m/", blank=True)
    sha256 = models.CharField(_("PDF 摘要"), max_length=64, blank=True)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件文书")
        verbose_name_plural = _("办件文书")
        ordering = ["issued_at", "pk"]
        indexes = [models.Index(fields=["case", "kind"], name="case_document_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


# ---------------------------------------------------------------------------------------------------------------
# Review and decision (审查与决定): process state, the task table, special procedures, extensions, delivery, bundles


class WorkflowState(models.Model):
    """The running SpiffWorkflow state of an accepted case, stored without its process definition (one copy per
    version lives in catalog.ProcessDefinition); deleted when the case completes, history stays in ReviewTask."""

    case = models.OneToOneField(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="workflow")
    definition = models.ForeignKey(
        "catalog.ProcessDefinition", verbose_name=_("流程定义"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.JSONField(_("流程运行状态"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("流程运行状态")
        verbose_name_plural = _("流程运行状态")

    def __str__(self) -> str:
        return str(self.case)


class TaskStatus(models.TextChoices):
    """Where a review task stands."""

    OPEN = "open", _("待办")
    DONE = "done", _("已办")
    CANCELLED = "cancelled", _("已取消")


class TaskOutcome(models.TextChoices):
    """The handler's conclusion on a step: an opinion for review steps, the decision for the deciding step."""

    AGREE = "agree", _("同意")
    DISAGREE = "disagree", _("不同意")
    GRANT = "grant", _("准予")
    DENY = "deny", _("不予")
    ACCEPTED = "accepted", _("已受理")
    CANCELLED = "cancelled", _("流程终止")


class ReviewTask(models.Model):
    """One step of a case's process for an organisation's role (办理任务), materialised from the BPMN user task so
    worklists are indexed queries that never load workflow state; the opinion and handler stay here for history."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="tasks")
    spiff_task_id = models.UUIDField(_("流程任务标识"))
    step_id = models.CharField(_("步骤标识"), max_length=100)
    step_name = models.CharField(_("步骤"), max_length=100)
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("办理机构"), on_delete=models.PROTECT, related_name="review_tasks"
    )
    role = models.CharField(_("岗位"), max_length=30)
    decides = models.BooleanField(_("作出决定的步骤"), default=False, help_text=_("完成该步骤即办结"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_tasks",
    )
    status = models.CharField(_("状态"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    lock_version = models.PositiveIntegerField(_("修改版本"), default=0)
    created_at = models.DateTimeField(_("开始时间"))
    due_on = models.DateField(_("步骤期限"), null=True, blank=True)
    due_provisional = models.BooleanField(_("期限按临时日历计算"), default=False)
    escalate_on = models.DateField(
        _("超时上报日"), null=True, blank=True, help_text=_("流程定时事件：到期转机构负责人")
    )
    escalated_at = models.DateTimeField(_("已上报负责人"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("标记超期时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(_("结论"), max_length=20, choices=TaskOutcome.choices, blank=True)
    opinion = models.TextField(_("意见"), blank=True)

    class Meta:
        verbose_name = _("办理任务")
        verbose_name_plural = _("办理任务")
        ordering = ["created_at", "pk"]
        indexes = [
            # Worklists 待审查 / 待审批: an organisation's open tasks for a role, opinion or decision, soonest due first
            # (partial: closed tasks, the great majority, are never in a worklist).
            models.Index(
                fields=["organisation", "role", "decides", "due_on", "created_at", "id"],
                condition=Q(status="open"),
                name="task_open_org_role_due",
            ),
            # 我的待办: a handler's claimed tasks.
            models.Index(fields=["assignee", "status", "due_on"], name="task_assignee_due"),
            # The overdue scan and the supervisors' overdue view.
            models.Index(fields=["status", "due_on"], name="task_status_due"),
            models.Index(fields=["case", "status"], name="task_case_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case", "spiff_task_id"], name="uniq_task_per_spiff_task"),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.step_name}"


class SpecialProcedureKind(models.TextChoices):
    """特别程序: the time they take is not counted in the statutory limit (行政许可法 art. 45)."""

    HEARING = "hearing", _("听证")
    INSPECTION = "inspection", _("现场勘验")
    TESTING = "testing", _("检验检测")
    EXPERT_REVIEW = "expert_review", _("专家评审")


class SpecialProcedure(models.Model):
    """A special procedure (特别程序) on a case: while it runs the case clock pauses; at its end the promised and
    statutory dates move by the working days it took (event codes 9 and 10)."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="special_procedures")
    kind = models.CharField(_("类型"), max_length=20, choices=SpecialProcedureKind.choices)
    reason = models.TextField(_("原因"))
    legal_basis = models.TextField(_("法律依据"))
    expected_end = models.DateField(_("预计结束日期"))
    started_on = models.DateField(_("开始日期"))
    started_at = models.DateTimeField(_("开始时间"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("启动人"), on_delete=models.PROTECT, related_name="+"
    )
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结束人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    result = models.TextField(_("结果"), blank=True)
    paused_working_days = models.PositiveSmallIntegerField(_("暂停的工作日"), default=0)

    class Meta:
        verbose_name = _("特别程序")
        verbose_name_plural = _("特别程序")
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(ended_at__isnull=True), name="one_open_special_procedure"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待负责人批准")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class Extension(models.Model):
    """A request to extend the statutory limit (延期), approved or refused by the organisation's head, within the
    legal maximum (行政许可法 art. 42: +10 working days; +15 for joint handling)."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延长工作日"))
    reason = models.TextField(_("理由"))
    status = models.CharField(
        _("状态"), max_length=20, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    decision_note = models.TextField(_("批示"), blank=True)
    previous_due = models.DateField(_("原法定办结日期"), null=True, blank=True)
    new_due = models.DateField(_("延长后法定办结日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"), name="one_pending_extension")
        ]

    def __str__(self) -> str:
        return f"{self.case} · +{self.days}"


class DeliveryMethod(models.TextChoices):
    """How the result reaches the applicant (送达方式)."""

    WINDOW = "window", _("窗口领取")
    EXPRESS = "express", _("邮寄送达")
    ELECTRONIC = "electronic", _("电子送达")


class Delivery(models.Model):
    """The delivery of a decided case's result (送达): where or how, and when it was received."""

    case = models.OneToOneField(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="delivery")
    method = models.CharField(_("送达方式"), max_length=20, choices=DeliveryMethod.choices)
    hall = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("领取大厅"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    window = models.ForeignKey(
        "core.HallWindow", verbose_name=_("出件窗口"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    carrier = models.CharField(_("快递公司"), max_length=50, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=50, blank=True)
    address = EncryptedCharField(_("收件地址"), blank=True, default="")
    recipient = models.CharField(_("签收人"), max_length=50, blank=True)
    arranged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("安排人"), on_delete=models.PROTECT, related_name="+"
    )
    arranged_at = models.DateTimeField(_("安排时间"))
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    delivered_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("送达登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("送达")
        verbose_name_plural = _("送达")

    def __str__(self) -> str:
        return f"{self.case} · {self.get_method_display()}"


class BundleStatus(models.IntegerChoices):
    """Where a bundle application stands as a whole (its items are ordinary cases with their own statuses)."""

    DRAFT = 0, _("草稿")
    RECEIVED = 1, _("已接件")
    IN_PROGRESS = 8, _("办理中")
    COMPLETED = 11, _("已办结")
    WITHDRAWN = 2, _("已撤件")


class BundleApplication(models.Model):
    """One application for a bundle (一件事): shared answers and materials given once; on acceptance it fans out
    into one child case per item at its department, and completes when every child case has ended."""

    public_id = models.UUIDField(_("公开标识"), default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("申请编号"), max_length=60, unique=True, null=True, blank=True)
    bundle = models.ForeignKey(
        "catalog.Bundle", verbose_name=_("一件事"), on_delete=models.PROTECT, related_name="applications"
    )
    status = models.PositiveSmallIntegerField(_("状态"), choices=BundleStatus.choices, default=BundleStatus.DRAFT)
    lock_version = models.PositiveIntegerField(_("修改版本"), default=0)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人账号"),
        on_delete=models.PROTECT,
        related_name="bundle_applications",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+"
    )
    applicant_name = models.CharField(_("申请人名称"), max_length=200)
    form_data = models.JSONField(_("共享申请内容"), default=dict, blank=True)
    materials = models.JSONField(
        _("共用材料"),
        default=dict,
        blank=True,
        help_text=_('草稿阶段的材料选择：{"材料组": {"provision": 提供方式, "upload": 上传 id}}；提交后落到各子办件'),
    )
    current_page = models.PositiveSmallIntegerField(_("草稿填到第几页"), default=1)
    idempotency_key = models.CharField(_("幂等键"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    received_at = models.DateTimeField(_("接件时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一件事申请")
        verbose_name_plural = _("一件事申请")
        indexes = [models.Index(fields=["applicant", "-created_at"], name="bundle_app_applicant_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="uniq_bundle_app_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return self.number or _("草稿 %(id)s") % {"id": str(self.public_id)[:8]}
