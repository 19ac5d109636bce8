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
