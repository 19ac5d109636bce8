"""Error codes of keys, certificates, seals and licences."""

from django.utils.translation import gettext_lazy as _

from tongban.core.errors import ErrorCode


class LicenceError(ErrorCode):
    """Why a key, certificate or seal could not be made or used."""

    CA_MISSING = 409, _("平台证书认证机构尚未建立，请先执行 manage.py licences_init")
    KEYS_MISSING = 409, _("该机构尚未签发密钥和证书")
    ORGANISATION_INACTIVE = 409, _("该机构已停用，不能签发证书或制作印章")
    MASTER_KEY_MISMATCH = 500, _("签名私钥无法解密：主密钥（TONGBAN_MASTER_KEY）与加密时不同")
    SIGNER_UNAVAILABLE = 500, _("签名服务不可用，请联系系统管理员")
    LICENCE_TYPE_INACTIVE = 409, _("该证照类型已停用，不能颁发")
    FIELDS_INVALID = 400, _("证照照面信息不完整或有误")
    HOLDER_INCOMPLETE = 400, _("持证主体的名称、证件类型和证件号码不能为空")
    IDENTIFIER_INVALID = 400, _("证照标识格式不正确或校验位错误")
    LICENCE_NOT_FOUND = 404, _("电子证照库中没有该证照")
    NOT_REVOCABLE = 409, _("该证照当前状态不能撤销")
    REASON_REQUIRED = 400, _("请填写撤销原因")
    PDF_INVALID = 400, _("上传的文件不是有效的 PDF")
    PACKAGE_INVALID = 400, _("证照数据包格式不正确")
    # The wallet (我的证照) and grants to view a licence (用证授权)
    PDF_NOT_READY = 409, _("证照 PDF 正在生成，请稍后再试")
    SHARE_NOT_ALLOWED = 403, _("只有持证人本人或企业的法定代表人可以授权他人查看证照")
    SHARE_LICENCE_NOT_VALID = 409, _("只有有效的证照可以授权他人查看")
    SHARE_KIND_INVALID = 400, _("请选择授权方式")
    SHARE_ORGANISATION_INVALID = 400, _("请选择一个启用中的机构")
    SHARE_DAYS_INVALID = 400, _("授权有效期须为 1 至 90 天")
    SHARE_PURPOSE_REQUIRED = 400, _("请填写用途（不超过 200 字）")
    SHARE_NOT_FOUND = 404, _("该授权不存在，或链接不完整。请向持证人确认链接")
    SHARE_REVOKED = 410, _("持证人已撤销该授权，不能再查看此证照")
    SHARE_EXPIRED = 410, _("该授权已过期，不能再查看此证照。如需查看，请联系持证人重新授权")
    SHARE_ALREADY_REVOKED = 409, _("该授权已经撤销")
    # Reuse as application material (凡是电子证照库已有材料的不再要求申办人提交)
    MATERIAL_LICENCE_INVALID = 400, _("所选证照不能作为该材料：证照须属于申请人、在有效期内且类型相符")
    MATERIAL_CONSENT_REQUIRED = 400, _("请确认同意调取该证照作为申请材料")
    # Lifecycle (licences/lifecycle.py): change, revocation by the issuer; historical import (licences/imports.py)
    NOT_ISSUER_STAFF = 403, _("只有颁证机构的审批人员可以变更、撤销或导入该类证照")
    NOT_CHANGEABLE = 409, _("只有有效的证照可以变更；该证照已被变更、撤销或已过期")
    CHANGE_REASON_REQUIRED = 400, _("请填写变更原因")
    CHANGE_NOTHING = 400, _("变更后的照面信息与原证照相同，无需变更")
    REVOCATION_KIND_INVALID = 400, _("请选择撤销或注销")
    IMPORT_FILE_INVALID = 400, _("无法读取导入文件：请上传 .xlsx 或 .csv（UTF-8 或 GBK 编码）文件，首行为列名")
    IMPORT_HAS_ERRORS = 400, _("导入文件中有错误的行，未导入任何证照。请更正后重新上传，或选择只导入正确的行")
    IMPORT_EMPTY = 400, _("导入文件中没有可以导入的证照")
    IMPORT_TOO_MANY_ROWS = 400, _("页面上一次最多导入 2000 行；更大的文件请由系统管理员用 licence_import 命令导入")
