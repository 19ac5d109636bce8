"""Staff pages: the second factor after the password (动态口令: enrol or verify), and 我的岗位.

The password step (signin.second_factor_pending) leaves the account id and the page to return to in the session;
the member of staff is not signed in until a dynamic code or a recovery code checks out here. Five wrong codes end
the pending sign-in, and each wrong code also counts towards the account's sign-in lock-out.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from tongban.accounts import second_factor as factor
from tongban.accounts import signin
from tongban.accounts.access import second_factor_pending_user, staff_assignments_of
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import SignInMethod, User
from tongban.core.errors import DomainError

VERIFIED = "second_factor_verified"
FAILURES = "second_factor_failures"
STARTED = "second_factor_started_at"
MAX_FAILURES = 5  # wrong codes per pending sign-in
PENDING_LIFETIME_SECONDS = 10 * 60
TEMPLATES = "accounts/staff/"


def sign_in_url(next_url: str = "") -> str:
    """The platform's sign-in page, keeping where to go afterwards."""
    try:
        url = reverse("accounts:sign_in")
    except NoReverseMatch:  # the sign-in pages are not mounted (should not happen outside partial checkouts)
        url = reverse("home")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def second_factor_verified(request) -> bool:
    """Signed in, and the second factor passed in this session."""
    if not request.user.is_authenticated:
        return False
    return request.session.get(VERIFIED) is True


def staff_page(view):
    """Staff pages: signed in with the second factor; anyone else is sent to sign in or refused."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), sign_in_url())
        if not factor.second_factor_required(request.user):
            raise DomainError(AccountsError.ROLE_REQUIRED)
        if not second_factor_verified(request):
            raise DomainError(AccountsError.SECOND_FACTOR_REQUIRED)
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request, candidate) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return reverse("accounts:staff_roles")


# ---------------------------------------------------------------------------------------------------------------
# The pending sign-in


def _drop_pending(request) -> None:
    for name in (signin.SECOND_FACTOR_USER, signin.SECOND_FACTOR_NEXT, FAILURES, STARTED):
        request.session.pop(name, None)


def _pending_user(request) -> User | None:
    user = second_factor_pending_user(request.session.get(signin.SECOND_FACTOR_USER))
    if user is None:
        return None
    started = request.session.setdefault(STARTED, time.time())
    if time.time() - started > PENDING_LIFETIME_SECONDS:
        _drop_pending(request)
        return None
    return user


def _restart(request, error: DomainError):
    """The pending sign-in is over (expired, too many wrong codes, locked): say why and offer to sign in again."""
    next_url = request.session.get(signin.SECOND_FACTOR_NEXT, "")
    _drop_pending(request)
    context = {"error": error, "sign_in_url": sign_in_url(next_url)}
    return render(request, TEMPLATES + "second_factor_restart.html", context, status=error.code.status)


def _lock_error(request, user: User) -> DomainError | None:
    client = signin.Client.from_request(request)
    now = timezone.now()
    until = signin.locked_until(key=signin.account_key(user.username), ip=client.ip, now=now)
    return signin._locked_error(until, now) if until else None


def _count_failure(request, user: User, error: DomainError, method: str) -> DomainError | None:
    """Record the wrong code as a failed sign-in (lock-out and history); the error that ends the pending sign-in,
    or None while tries remain."""
    with transaction.atomic():
        recorded = signin._refuse_sign_in(
            key=signin.account_key(user.username),
            user=user,
            login=user.username,
            method=method,
            reason="second_factor_wrong",
            error=error,
            client=signin.Client.from_request(request),
            now=timezone.now(),
        )
    failures = request.session.get(FAILURES, 0) + 1
    request.session[FAILURES] = failures
    if recorded.code is AccountsError.SIGN_IN_LOCKED:
        return recorded
    if failures >= MAX_FAILURES:
        return DomainError(AccountsError.SECOND_FACTOR_TOO_MANY_FAILURES)
    return None


def _finish(request, user: User, method: str) -> str:
    """Sign in for real; the page to go to next."""
    next_url = _safe_next(request, request.session.get(signin.SECOND_FACTOR_NEXT))
    _drop_pending(request)
    signin.session_start(request, user, method=method)
    request.session[VERIFIED] = True
    return next_url


def _tries_left(request) -> int:
    return MAX_FAILURES - request.session.get(FAILURES, 0)


@require_http_methods(["GET", "POST"])
def second_factor(request):
    """After the password: bind an authenticator on first sign-in, otherwise enter its code (or a recovery code)."""
    user = _pending_user(request)
    if user is None:
        return _restart(request, DomainError(AccountsError.SECOND_FACTOR_EXPIRED))
    locked = _lock_error(request, user)
    if locked is not None:
        return _restart(request, locked)
    if not factor.has_confirmed_device(user):
        return _enrol(request, user)
    return _verify(request, user)


def _enrol(request, user: User):
    enrolment = factor.totp_pending_enrolment(user)
    if request.method == "GET" or enrolment is None:
        enrolment = enrolment or factor.totp_enrol_start(actor=user)
        return render(request, TEMPLATES + "second_factor_enrol.html", {"enrolment": enrolment, "pending_user": user})
    code = request.POST.get("code", "")
    try:
        codes = factor.totp_enrol_confirm(actor=user, code=code)
    except DomainError as error:
        ended = _count_failure(request, user, error, SignInMethod.TOTP)
        if ended is not None:
            return _restart(request, ended)
        context = {
            "enrolment": enrolment,
            "pending_user": user,
            "error": error,
            "code": code,
            "tries_left": _tries_left(request),
        }
        return render(request, TEMPLATES + "second_factor_enrol.html", context, status=error.code.status)
    next_url = _finish(request, user, SignInMethod.TOTP)
    context = {"codes": codes, "next_url": next_url, "first_time": True}
    return render(request, TEMPLATES + "recovery_codes.html", context)


def _verify(request, user: User):
    method = "recovery" if request.GET.get("method") == "recovery" else "totp"
    context = {"method": method, "pending_user": user}
    if request.method == "GET":
        return render(request, TEMPLATES + "second_factor_verify.html", context)
    code = request.POST.get("code", "")
    try:
        if method == "recovery":
            factor.recovery_code_use(user=user, code=code)
        else:
            factor.totp_verify(user=user, code=code)
    except DomainError as error:
        sign_in_method = SignInMethod.RECOVERY_CODE if method == "recovery" else SignInMethod.TOTP
        ended = _count_failure(request, user, error, sign_in_method)
        if ended is not None:
            return _restart(request, ended)
        context |= {"error": error, "code": code, "tries_left": _tries_left(request)}
        return render(request, TEMPLATES + "second_factor_verify.html", context, status=error.code.status)
    return redirect(_finish(request, user, SignInMethod.RECOVERY_CODE if method == "recovery" else SignInMethod.TOTP))


# ---------------------------------------------------------------------------------------------------------------
# Signed-in staff pages


@staff_page
@require_http_methods(["GET"])
def staff_roles(request):
    """我的岗位: the roles the signed-in member of staff holds, where, and over which area; and the second factor."""
    assignments = staff_assignments_of(request.user)
    context = {
        "assignments": assignments,
        "role_codes": {assignment.role for assignment in assignments},
        "recovery_codes_remaining": factor.recovery_codes_remaining(request.user),
    }
    return render(request, TEMPLATES + "staff_roles.html", context)


@staff_page
@require_http_methods(["POST"])
def recovery_codes_regenerate(request):
    """New recovery codes (the old ones stop working), shown once."""
    codes = factor.recovery_codes_regenerate(actor=request.user)
    context = {"codes": codes, "next_url": reverse("accounts:staff_roles"), "first_time": False}
    return render(request, TEMPLATES + "recovery_codes.html", context)
