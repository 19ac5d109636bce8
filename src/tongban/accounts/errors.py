"""Error codes of the accounts app."""

from django.utils.translation import gettext_lazy as _

from tongban.core.errors import ErrorCode


class AccountsError(ErrorCode):
    """Why an account change was refused."""

    USERNAME_TAKEN = 409, _("该用户名已被使用")
    PHONE_TAKEN = 409, _("该手机号码已注册")
    INVALID_PHONE = 400, _("手机号码应为 11 位数字，以 1 开头")
    INVALID_ID_NUMBER = 400, _("证件号码无效")
    WEAK_PASSWORD = 400, _("密码强度不足")
    NOT_STAFF = 400, _("只有工作人员账号可以授予岗位角色")
