"""Error codes of applying and acceptance (cases)."""

from django.utils.translation import gettext_lazy as _

from tongban.core.errors import ErrorCode


class CaseError(ErrorCode):
    """Why an action on an application was refused."""

    CASE_NOT_FOUND = 404, _("办件不存在，或您无权查看")
    CONFLICT = 409, _("该办件刚刚已被他人处理，页面已过时：请刷新查看最新状态，您的操作没有生效")
    WRONG_STATUS = 409, _("该办件当前状态下不能执行此操作")
    NOT_DRAFT = 409, _("该申请已提交，不能再修改")
    VERSION_CHANGED = 409, _("该事项的办事指南已更新，请按新版本重新核对后提交")
    SERVICE_OBJECT = 403, _("该事项不面向当前身份办理：请切换到个人或企业身份后再申请")
    INVALID_FORM = 400, _("申请表有误，请按提示修改")
    MATERIALS_MISSING = 400, _("申请材料不齐全，请按提示补充")
    MATERIAL_NOT_DEFERRABLE = 400, _("该材料不能容缺后补")
    MATERIAL_NOT_OF_ITEM = 400, _("该材料不属于本事项")
    UPLOAD_NOT_FOUND = 404, _("上传的文件不存在，或不是您上传的")
    FILE_TYPE = 400, _("只能上传 PDF、JPG、PNG 或 OFD 文件（按文件内容识别，而非文件名）")
    FILE_TOO_LARGE = 400, _("文件太大，请压缩后重新上传")
    FILE_EMPTY = 400, _("文件是空的，请重新选择")
    FILE_INFECTED = 400, _("文件未通过安全检查，未保存；请检查您的电脑后重新上传")
    SCANNER_UNAVAILABLE = 503, _("文件安全检查暂时不可用，请稍后再上传")
    REASON_REQUIRED = 400, _("请填写理由")
    SUPPLEMENT_EMPTY = 400, _("补正通知必须列明需要补正的每一项材料及问题")
    SUPPLEMENT_ALREADY = 409, _("补正材料应一次性告知：该办件已经发出过补正通知，不能再次要求补正")
    SUPPLEMENT_NOTHING = 400, _("请先提交补正材料，再确认补正完成")
    CLERK_REQUIRED = 403, _("您不是该办件办理机构的受理人员")
    WINDOW_CLERK_REQUIRED = 403, _("您不是该大厅的窗口受理人员")
    OUTSIDE_SCOPE = 403, _("该事项的通办范围不包括本大厅，不能在此受理")
    LOOKUP_FAILED = 404, _("没有找到该办件：请核对办件编号和查询密码（或申请人证件号码）")
    LOOKUP_TOO_MANY = 429, _("查询过于频繁，请一分钟后再试")
    # Counter acceptance (一窗受理, cases/counter.py)
    APPLICANT_NOT_FOUND = 404, _("没有找到该申请人的账号：请申请人先用手机号注册（可在窗口协助完成）后再办理")
    ENTERPRISE_NOT_FOUND = 404, _("没有找到该企业的账号：请企业法定代表人先在平台绑定企业后再办理")
    WINDOW_NOT_OF_HALL = 400, _("所选窗口不属于该大厅，或不是启用的受理窗口")
    AGENT_NAME_REQUIRED = 400, _("请填写经办人姓名，并核验其身份证件和授权委托书")
    # Progress and API (cases/api.py, views_progress.py)
    IDEMPOTENCY_KEY = 400, _("请在 Idempotency-Key 请求头中提供幂等键（1 至 64 个字符），重试时使用同一个键")
    SIGN_IN_REQUIRED = 401, _("请先登录，或在 Authorization 请求头中以 Bearer 方式提供访问令牌")
    CSRF_FAILED = 403, _("页面已过期（跨站请求校验未通过），请刷新页面后重试")
    WORKLIST_UNKNOWN = 400, _("没有这个工作清单：可选 pre_review（待预审）、supplement（待补正）、due_soon（即将超期）")
    # Documents (cases/document_files.py)
    DOCUMENT_UNAVAILABLE = 503, _("文书暂时无法生成，请稍后再下载；您的办件不受影响")
    # Online application (cases/views_apply.py)
    ONLINE_NOT_OFFERED = 409, _("该事项暂不支持网上申请，请带齐材料到办理地点办理")
    # Review and decision (cases/review.py, decisions.py, special.py, bundles.py)
    PROCESS_DEPARTMENT_UNKNOWN = (
        409,
        _("流程中的部门“%(department)s”对应不到本区划的机构：请事项编辑在流程泳道对应部门中设置"),
    )
    TASK_NOT_FOUND = 404, _("办理任务不存在，或您无权查看")
    TASK_CLOSED = 409, _("该步骤已经办理完毕（或已取消），您的操作没有生效：请刷新查看最新状态")
    TASK_TAKEN = 409, _("该步骤已由其他同事认领：请刷新页面；如需接手，请对方转办或由负责人改派")
    NOT_TASK_ROLE = 403, _("您不是该步骤所属机构和岗位的工作人员")
    ASSIGNEE_NOT_ELIGIBLE = 400, _("所选同事不在该机构的该岗位上，不能转交给他")
    OUTCOME_INVALID = 400, _("请选择办理结论")
    OPINION_REQUIRED = 400, _("不同意或不予许可时，请写明理由")
    DECISION_DURING_SPECIAL = 409, _("特别程序尚未结束：请先结束特别程序并记录结果，再作出决定")
    DEFERRED_OUTSTANDING = 409, _("容缺受理的材料尚未补齐，该事项不允许容缺通过：请待申请人补齐后再作出准予决定")
    # Decision, completion and delivery (cases/decisions.py, delivery.py — helper "decisions")
    RETRACT_DECIDED = 409, _("该办件已作出决定（或已结束），不能再撤回")
    REVOKE_NOT_ALLOWED = 403, _("只有办理机构的审批人员或机构负责人可以撤销准予许可决定")
    NOT_REVOCABLE = 409, _("只有已准予许可的办件可以撤销")
    DEFERRED_NOT_OWED = 400, _("该材料不是尚待补交的容缺材料，或已经补交")
    DEFERRED_CLOSED = 409, _("该办件当前状态下不能补交容缺材料")
    DELIVERY_STAFF_REQUIRED = 403, _("您不是该办件办理机构（或所选出件大厅）的工作人员，不能安排或登记送达")
    DELIVERY_NOT_DECIDED = 409, _("该办件尚未作出决定，还不能送达")
    DELIVERY_DONE = 409, _("该办件已经送达，送达记录不能再修改")
    DELIVERY_NOT_ARRANGED = 409, _("请先安排送达方式，再登记送达")
    DELIVERY_METHOD_INVALID = 400, _("请选择送达方式：窗口领取、邮寄送达或电子送达")
    RESULT_WINDOW_INVALID = 400, _("所选出件窗口不属于本事项通办范围内的大厅，或未启用")
    EXPRESS_DETAILS_REQUIRED = 400, _("邮寄送达请填写快递公司、运单号和收件地址")
    RECIPIENT_REQUIRED = 400, _("请填写签收人")
    # Time: special procedures, extensions (cases/special.py, extensions.py)
    TIME_NOT_ALLOWED = 403, _("您不是该办件的承办人员，也不是办理机构的审查、审批人员或负责人")
    SPECIAL_KIND_INVALID = 400, _("请选择特别程序的类型：听证、现场勘验、检验检测或专家评审")
    LEGAL_BASIS_REQUIRED = 400, _("请填写启动特别程序的法律依据")
    SPECIAL_END_INVALID = 400, _("请填写预计结束日期，且不能早于今天")
    SPECIAL_RESULT_REQUIRED = 400, _("请填写特别程序的结果")
    EXTENSION_DAYS_INVALID = 400, _("请填写延长的工作日数（至少 1 个工作日）")
    EXTENSION_OVER_LIMIT = (
        409,
        _("延长后超过法定上限：本办件最多可延长 %(limit)d 个工作日，已延长 %(used)d 个工作日"),
    )
    EXTENSION_PENDING = 409, _("该办件已有一份待负责人批准的延期申请，请待其批准或不批准后再申请")
    EXTENSION_HEAD_REQUIRED = 403, _("只有办理机构的负责人可以批准延期")
    EXTENSION_DECIDED = 409, _("该延期申请已经处理过了，您的操作没有生效：请刷新查看最新状态")
    EXTENSION_NOT_FOUND = 404, _("延期申请不存在，或您无权查看")
    # Bundles (一件事, cases/bundles.py)
    BUNDLE_NOT_FOUND = 404, _("该一件事不存在，或暂未开通网上办理")
    BUNDLE_APPLICATION_NOT_FOUND = 404, _("一件事申请不存在，或您无权查看")
    BUNDLE_ITEM_UNKNOWN = 400, _("申请内容中有不属于该一件事的事项编码")
    # Review workbench and its API (cases/views_review.py, api_review.py)
    REVIEW_WORKLIST_UNKNOWN = (
        400,
        _(
            "没有这个工作清单：可选 to_review（待审查）、to_approve（待审批）、special（特别程序中）、"
            "due_soon（即将超期）、overdue（已超期）、mine（我的待办）"
        ),
    )
