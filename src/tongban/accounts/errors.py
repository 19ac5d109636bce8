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

    # Staff roles and the second factor (动态口令)
    ROLE_REQUIRED = 403, _("您没有办理此项工作所需的岗位角色")
    ADMIN_REQUIRES_SECOND_FACTOR = 403, _(
        "管理后台只对系统管理员开放，并且需要在本次登录中完成动态口令验证。请退出后用工作人员账号重新登录。"
    )
    TOTP_CODE_INVALID = 400, _("动态口令不正确或已过期，请输入验证器上显示的最新 6 位数字")
    TOTP_ALREADY_ENROLLED = 409, _("已经绑定了动态口令验证器；如手机丢失，请联系系统管理员重置")
    TOTP_NOT_ENROLLED = 409, _("尚未绑定动态口令验证器")
    RECOVERY_CODE_INVALID = 400, _("恢复码不正确或已经用过")
    SECOND_FACTOR_TOO_MANY_FAILURES = 429, _("验证码错误次数过多，本次登录已取消，请重新登录")
    SECOND_FACTOR_EXPIRED = 400, _("登录已超时或尚未输入密码，请重新登录")
