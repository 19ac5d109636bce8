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
