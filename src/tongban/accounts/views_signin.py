"""Pages for signing in and out, password reset and 安全设置: parse, call signin.py, render.

The code flows are two steps so each form has one button (Enter never resends a code by accident): the number, then
the code. The number waits in the session between them, never in the URL (it would reach logs and history).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from tongban.accounts import signin
from tongban.accounts.errors import AccountsError
from tongban.accounts.forms_signin import CodeForm, PasswordChangeForm, PasswordSignInForm, PhoneForm, ResetConfirmForm
from tongban.accounts.models import SignInMethod, SmsCodePurpose
from tongban.core.errors import DomainError
from tongban.core.pii import blind_index, mask_phone

SIGN_IN_PHONE = "sign_in_phone"
SIGN_IN_NEXT = "sign_in_next"
RESET_PHONE = "password_reset_phone"
HISTORY_PAGE_SIZE = 10


def _safe_next(request, candidate: str) -> str:
    """`candidate` if it is a path on this site ("/..."), else ""."""
    local = bool(candidate) and candidate.startswith("/") and not candidate.startswith(("//", "/\\"))
    if local and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure()):
        return candidate
    return ""


def _requested_next(request) -> str:
    return _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))


def _landing(request, next_url: str) -> str:
    """Where a signed-in person goes: the page they asked for, else the personal centre, else the home page."""
    if _safe_next(request, next_url):
        return next_url
    try:
        return reverse("accounts:centre")
    except NoReverseMatch:
        return "/"


def _finish(request, user, *, method: str, login_name: str, next_url: str):
    """Sign in, or hand staff over to the second factor."""
    if signin.needs_second_factor(user):
        signin.second_factor_pending(request, user, _safe_next(request, next_url))
        return redirect(reverse("accounts:second_factor"))
    signin.session_start(request, user, method=method, login_name=login_name)
    return redirect(_landing(request, next_url))


# ---------------------------------------------------------------------------------------------------------------
# 登录


@never_cache
def sign_in(request):
    """登录: two ways, by SMS code (also signs up) or by password; the tab is a link, so no script is needed."""
    next_url = _requested_next(request)
    if request.user.is_authenticated:
        return redirect(_landing(request, next_url))
    method = "password" if request.GET.get("method") == "password" else "sms"
    context = {"method": method, "next": next_url, "phone_form": PhoneForm(), "password_form": PasswordSignInForm()}
    return render(request, "accounts/signin/sign_in.html", context)


@require_POST
def sign_in_sms_send(request):
    """Step 1 of 验证码登录: send a code to the number typed."""
    next_url = _requested_next(request)
    form = PhoneForm(request.POST)
    if form.is_valid():
        phone = _send_code(request, form, SmsCodePurpose.SIGN_IN)
        if phone:
            request.session[SIGN_IN_PHONE] = phone
            request.session[SIGN_IN_NEXT] = next_url
            return redirect("accounts:sign_in_code")
    context = {"method": "sms", "next": next_url, "phone_form": form, "password_form": PasswordSignInForm()}
    return render(request, "accounts/signin/sign_in.html", context, status=400)


def _send_code(request, form: PhoneForm, purpose: str) -> str:
    """Send a code; the number on success (or when one was sent moments ago), "" with the form's errors otherwise."""
    try:
        phone = signin.checked_phone(form.cleaned_data["phone"])
        signin.sms_code_send(phone=phone, purpose=purpose, client=signin.Client.from_request(request))
    except DomainError as error:
        if error.code is AccountsError.SMS_RESEND_TOO_SOON:
            messages.info(request, error.message)
            return phone
        form.add_domain_error(error)
        return ""
    messages.success(request, _("验证码已发送至 %(phone)s，5 分钟内有效。") % {"phone": mask_phone(phone)})
    return phone


def _code_page_context(request, phone: str, purpose: str, form) -> dict:
    wait = signin.sms_code_resend_wait(phone_index=blind_index("phone", phone), purpose=purpose)
    return {"form": form, "masked_phone": mask_phone(phone), "resend_wait": wait}


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request):
    """Step 2 of 验证码登录: the code. A new number signs up (L1) on the spot."""
    phone = request.session.get(SIGN_IN_PHONE)
    if not phone:
        return redirect("accounts:sign_in")
    next_url = request.session.get(SIGN_IN_NEXT, "")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = signin.sign_in_with_sms_code(
                phone=phone, code=form.cleaned_data["code"], client=signin.Client.from_request(request)
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            for name in (SIGN_IN_PHONE, SIGN_IN_NEXT):
                request.session.pop(name, None)
            return _finish(request, user, method=SignInMethod.SMS, login_name=phone, next_url=next_url)
    if request.method == "POST":
        status = 400
    context = _code_page_context(request, phone, SmsCodePurpose.SIGN_IN, form)
    context["resend_url"] = reverse("accounts:sign_in_resend")
    return render(request, "accounts/signin/sign_in_code.html", context, status=status)


@require_POST
def sign_in_resend(request):
    """获取新验证码 on step 2."""
    return _resend(request, SIGN_IN_PHONE, SmsCodePurpose.SIGN_IN, "accounts:sign_in_code", "accounts:sign_in")


def _resend(request, session_name: str, purpose: str, code_page: str, start_page: str):
    phone = request.session.get(session_name)
    if not phone:
        return redirect(start_page)
    try:
        signin.sms_code_send(phone=phone, purpose=purpose, client=signin.Client.from_request(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("新的验证码已发送至 %(phone)s，5 分钟内有效。") % {"phone": mask_phone(phone)})
    return redirect(code_page)


@require_POST
def sign_in_password(request):
    """密码登录."""
    next_url = _requested_next(request)
    form = PasswordSignInForm(request.POST)
    if form.is_valid():
        login_name = form.cleaned_data["login"]
        try:
            user = signin.sign_in_with_password(
                login_name=login_name,
                password=form.cleaned_data["password"],
                client=signin.Client.from_request(request),
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return _finish(request, user, method=SignInMethod.PASSWORD, login_name=login_name, next_url=next_url)
    context = {"method": "password", "next": next_url, "phone_form": PhoneForm(), "password_form": form}
    return render(request, "accounts/signin/sign_in.html", context, status=400)


@require_POST
def sign_out(request):
    """退出登录 (a POST, so no link or image on another site can sign anyone out)."""
    signin.sign_out(request)
    messages.success(request, _("您已退出登录。"))
    return redirect("/")


# ---------------------------------------------------------------------------------------------------------------
# 找回密码


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request):
    """找回密码 step 1: the number."""
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = _send_code(request, form, SmsCodePurpose.RESET_PASSWORD)
        if phone:
            request.session[RESET_PHONE] = phone
            return redirect("accounts:password_reset_confirm")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signin/password_reset.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request):
    """找回密码 step 2: the code and the new password."""
    phone = request.session.get(RESET_PHONE)
    if not phone:
        return redirect("accounts:password_reset")
    form = ResetConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signin.password_reset_with_sms_code(
                phone=phone,
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password"],
                client=signin.Client.from_request(request),
            )
        except DomainError as error:
            if error.code is AccountsError.WEAK_PASSWORD:
                error = DomainError(
                    error.code, error.message, fields={"new_password": error.fields.get("password", [])}
                )
            form.add_domain_error(error)
        else:
            request.session.pop(RESET_PHONE, None)
            messages.success(request, _("密码已重新设置，所有设备均已退出登录。请用新密码登录。"))
            return redirect(reverse("accounts:sign_in") + "?method=password")
    status = 400 if request.method == "POST" else 200
    context = _code_page_context(request, phone, SmsCodePurpose.RESET_PASSWORD, form)
    context["resend_url"] = reverse("accounts:password_reset_resend")
    return render(request, "accounts/signin/password_reset_confirm.html", context, status=status)


@require_POST
def password_reset_resend(request):
    return _resend(
        request,
        RESET_PHONE,
        SmsCodePurpose.RESET_PASSWORD,
        "accounts:password_reset_confirm",
        "accounts:password_reset",
    )


# ---------------------------------------------------------------------------------------------------------------
# 安全设置


def _security_context(request, password_form) -> dict:
    user = request.user
    current_key = request.session.session_key
    sessions = [
        (session, session.session_key == current_key, signin.device_summary(session.user_agent))
        for session in signin.active_sessions(user)
    ]
    history = Paginator(signin.sign_in_history(user), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    for attempt in history:
        attempt.device = signin.device_summary(attempt.user_agent)
    return {
        "password_form": password_form,
        "has_password": user.has_usable_password(),
        "sessions": sessions,
        "history": history,
    }


@never_cache
@login_required
def security(request):
    """安全设置: password, signed-in devices, sign-in history."""
    form = PasswordChangeForm(has_password=request.user.has_usable_password())
    return render(request, "accounts/signin/security.html", _security_context(request, form))


@login_required
@require_POST
def password_change(request):
    """修改密码 (or 设置密码 for an account made by SMS code): other devices are signed out, this one stays."""
    user = request.user
    form = PasswordChangeForm(request.POST, has_password=user.has_usable_password())
    if form.is_valid():
        try:
            signin.password_change(
                actor=user,
                current_password=form.cleaned_data.get("current_password", ""),
                new_password=form.cleaned_data["new_password"],
                keep_session_key=request.session.session_key,
            )
        except DomainError as error:
            if error.code is AccountsError.WEAK_PASSWORD:
                error = DomainError(
                    error.code, error.message, fields={"new_password": error.fields.get("password", [])}
                )
            form.add_domain_error(error)
        else:
            old_key = request.session.session_key
            update_session_auth_hash(request, user)
            signin.session_key_changed(old_key, request.session.session_key)
            messages.success(request, _("密码已保存。其他设备已退出登录。"))
            return redirect("accounts:security")
    return render(request, "accounts/signin/security.html", _security_context(request, form), status=400)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def session_revoke(request, session_id: int):
    """下线: sign one of your other devices out, after confirming."""
    user_session = signin.access_user_session(actor=request.user, session_id=session_id)
    if request.method == "POST":
        signin.user_session_revoke(actor=request.user, user_session=user_session)
        messages.success(request, _("该设备已退出登录。"))
        return redirect("accounts:security")
    context = {
        "user_session": user_session,
        "device": signin.device_summary(user_session.user_agent),
        "is_current": user_session.session_key == request.session.session_key,
    }
    return render(request, "accounts/signin/session_revoke.html", context)
