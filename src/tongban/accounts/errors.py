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
    ADMIN_REQUIRES_SECOND_FACTOR = (
        403,
        _("管理后台只对系统管理员开放，并且需要在本次登录中完成动态口令验证。请退出后用工作人员账号重新登录。"),
    )
    TOTP_CODE_INVALID = 400, _("动态口令不正确或已过期，请输入验证器上显示的最新 6 位数字")
    TOTP_ALREADY_ENROLLED = 409, _("已经绑定了动态口令验证器；如手机丢失，请联系系统管理员重置")
    TOTP_NOT_ENROLLED = 409, _("尚未绑定动态口令验证器")
    RECOVERY_CODE_INVALID = 400, _("恢复码不正确或已经用过")
    SECOND_FACTOR_TOO_MANY_FAILURES = 429, _("验证码错误次数过多，本次登录已取消，请重新登录")
    SECOND_FACTOR_EXPIRED = 400, _("登录已超时或尚未输入密码，请重新登录")
    SECOND_FACTOR_REQUIRED = 403, _("工作人员页面需要在本次登录中完成动态口令验证，请退出后重新登录")

    # Real-name verification, enterprises, agents and acting for an enterprise (realname.py, enterprises.py, acting.py)
    REALNAME_MISMATCH = 400, _("姓名与身份证号码不一致，请核对后重新输入")
    REALNAME_UNUSABLE = 400, _("该身份信息无法用于核验，请携带身份证到政务服务窗口办理")
    REALNAME_ALREADY_VERIFIED = 409, _("您的账号已用其他身份信息完成实名核验；如需更改，请携带身份证到政务服务窗口办理")
    REALNAME_TOO_MANY_ATTEMPTS = 429, _("今天核验未通过的次数已达上限，请明天再试，或携带身份证到政务服务窗口办理")
    REALNAME_LEVEL_REQUIRED = 403, _("该事项要求更高的实名等级，请先完成实名核验")
    REALNAME_NAME_REQUIRED = 400, _("请输入姓名")
    REALNAME_HELD_ELSEWHERE = 409, _("该身份已由另一账号实名核验；核对证件无误后，可选择“收回该身份”再提交")
    REALNAME_PERSON_ONLY = 400, _("只有个人账号可以进行实名核验")
    REGISTRY_UNAVAILABLE = 503, _("核验服务暂时不可用，请稍后再试")
    NOT_WINDOW_CLERK = 403, _("只有窗口受理人员可以进行现场实名核验")
    INVALID_USCC = 400, _("统一社会信用代码无效")
    ENTITY_NOT_FOUND = 404, _("法人基础库中没有这个统一社会信用代码，请核对营业执照上的代码")
    ENTITY_NOT_ACTIVE = 400, _("该企业在法人基础库中的登记状态不是“存续”，不能绑定")
    NOT_REPRESENTATIVE = 403, _("您不是该企业登记的法定代表人，不能绑定。请由法定代表人绑定后授权您为经办人")
    NOT_ENTERPRISE_REPRESENTATIVE = 403, _("只有该企业的法定代表人可以管理经办人授权")
    AGENT_INVALID = 400, _("授权信息有误，请检查后重新提交")
    AGENT_ALREADY_AUTHORISED = 409, _("该手机号码已有本企业的有效授权；如需修改，请先撤销原授权")
    AGENT_NOT_LIVE = 409, _("该授权已撤销或已过期")
    ACTING_NOT_ALLOWED = 403, _("您不能以该企业身份办事：没有有效的法定代表人身份或经办授权")
    AGENT_OUT_OF_SCOPE = 403, _("您的经办授权不包含该事项，请联系企业法定代表人")

    # Single sign-on and API clients (oidc.py, api_auth.py)
    API_TOKEN_MISSING = 401, _("请在 Authorization 请求头中以 Bearer 方式提供访问令牌")
    API_TOKEN_INVALID = 401, _("访问令牌无效或已过期，请重新获取")
    API_SCOPE_MISSING = 403, _("该访问令牌未获授权访问此接口")
    IDENTITY_NOT_FOUND = 404, _("没有与该统一身份标识对应的有效账号")
    OIDC_CLIENT_INVALID = 400, _("接入系统的登记信息有误，请检查后重新提交")

    # SMS codes, sign-in, passwords, sessions and lock-out (signin.py). None says whether a number is registered.
    SMS_CODE_WRONG = 400, _("验证码不正确，请核对短信后重新输入")
    SMS_CODE_DEAD = 400, _("验证码已失效，请重新获取")
    SMS_RESEND_TOO_SOON = 429, _("验证码已发送，请稍后再重新获取")
    SMS_DAILY_LIMIT_PHONE = 429, _("该手机号码今天获取验证码的次数已达上限，请明天再试")
    SMS_DAILY_LIMIT_IP = 429, _("您今天获取验证码的次数过多，请明天再试")
    SIGN_IN_FAILED = 400, _("手机号（用户名）或密码错误")
    SIGN_IN_LOCKED = 429, _("登录失败次数过多，请 60 分钟后再试")
    ACCOUNT_DISABLED = 403, _("该账号已停用，请拨打 12345 咨询")
    PASSWORD_RESET_NO_ACCOUNT = 400, _("该手机号码尚未注册，无需找回密码：可直接用“验证码登录”注册并登录")
    CURRENT_PASSWORD_WRONG = 400, _("当前密码不正确")
    PASSWORDS_DIFFER = 400, _("两次输入的新密码不一致")
