"""Signing in (登录): SMS codes, sign-up or sign-in by code, password sign-in, password reset and change, sessions,
sign-in history and lock-out. Decisions and their reasons: docs/decisions/0004-sign-in-and-lockout.md.

Nothing here tells anyone whether a phone number or account is registered: a code is sent to any valid number, the
code flow signs in the account holding the number or creates one, a failed password sign-in always says
"手机号（用户名）或密码错误", and lock-out counts by a keyed hash of the login name typed, so unknown names lock
exactly like real ones.

A refusal that must leave a trace (a wrong code's try, a failed attempt, the audit row) is written in its own short
transaction and then raised, so the trace commits while the refused action changes nothing.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.accounts.errors import AccountsError
from tongban.accounts.models import (
    SignInAttempt,
    SignInMethod,
    SmsCode,
    SmsCodePurpose,
    User,
    UserKind,
    UserSession,
)
from tongban.accounts.services import MOBILE_RE, _checked_password, user_create
from tongban.accounts.sms import enqueue_sms
from tongban.core import audit
from tongban.core.crypto import hmac_sm3
from tongban.core.errors import CoreError, DomainError
from tongban.core.middleware import client_ip
from tongban.core.pii import blind_index, mask_phone, normalise

# SMS codes
CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
CODE_MAX_WRONG = 5  # the fifth wrong try kills the code
RESEND_INTERVAL = timedelta(seconds=60)  # per number and purpose
DAILY_CODES_PER_PHONE = 10  # per calendar day (Asia/Shanghai), all purposes
DAILY_CODES_PER_IP = 30

# Lock-out (per account key and IP)
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=30)  # the five failures fall within 30 minutes
LOCKOUT_DURATION = timedelta(minutes=60)  # counted from the fifth failure

HISTORY_LIMIT = 50
# How often the middleware re-reads a session's UserSession row and records its activity (最近活动 is shown to the
# minute but is only as fresh as this). Revoking deletes the session from the store, which signs out at once; this
# check is the backstop for stores that cannot delete. Each check writes the row and the session: 5 minutes keeps
# that off almost every page view (docs/performance.md, "The per-request stack").
SESSION_CHECK_INTERVAL = timedelta(minutes=5)
# Session keys: the middleware's last check, and the pending second factor the staff sign-in hands over.
SESSION_CHECKED_AT = "tongban_session_checked_at"
SECOND_FACTOR_USER = "second_factor_user_id"
SECOND_FACTOR_NEXT = "second_factor_next"

LOCKED_REASON = "locked"
# The backend a session started here names: it loads the session's user with one plain statement (accounts/backends.py).
SESSION_BACKEND = "tongban.accounts.backends.SessionUserBackend"

_SMS_BODIES = {
    SmsCodePurpose.SIGN_IN: "您的验证码为 {code}，5 分钟内有效，用于登录或注册。如非本人操作，请忽略本短信。",
    SmsCodePurpose.SIGN_UP: "您的验证码为 {code}，5 分钟内有效，用于注册。如非本人操作，请忽略本短信。",
    SmsCodePurpose.RESET_PASSWORD: "您的验证码为 {code}，5 分钟内有效，用于找回密码。切勿将验证码告诉他人。",
}


@dataclass(frozen=True)
class Client:
    """Where a request comes from: kept with codes and sign-in attempts, and the key of the per-IP limits."""

    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request) -> Client:
        return cls(ip=_valid_ip(client_ip(request)), user_agent=request.META.get("HTTP_USER_AGENT", "")[:400])


def _valid_ip(ip: str | None) -> str | None:
    try:
        validate_ipv46_address(ip or "")
    except ValidationError:
        return None
    return ip


# ---------------------------------------------------------------------------------------------------------------
# Phone numbers, keys, hashes


def checked_phone(raw: str) -> str:
    """The number as 11 digits (spaces, dashes, +86 and full-width digits accepted), or INVALID_PHONE."""
    phone = normalise("phone", raw or "")
    if not MOBILE_RE.match(phone):
        message = str(AccountsError.INVALID_PHONE.message)
        raise DomainError(AccountsError.INVALID_PHONE, fields={"phone": [message]})
    return phone


def account_key(login_name: str) -> str:
    """The lock-out key of a login name: a keyed hash, the same whether or not the account exists.

    A name that reads as a mobile number counts as that number (a person's username is their number); any other
    name is compared case-insensitively so "Admin" and "admin" share one count.
    """
    name = unicodedata.normalize("NFKC", login_name or "").strip()
    phone = normalise("phone", name)
    canonical = f"phone:{phone}" if MOBILE_RE.match(phone) else f"name:{name.casefold()}"
    return blind_index("sign-in-account", canonical)


def _code_key() -> bytes:
    return hmac_sm3(settings.TONGBAN_INDEX_KEY, b"tongban sms-code")


def code_hash(phone_index: str, purpose: str, code: str) -> str:
    """HMAC-SM3 of the code bound to its number and purpose; the only form in which a code is stored."""
    return hmac_sm3(_code_key(), f"{phone_index}|{purpose}|{code}".encode()).hex()


def _start_of_day(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def _seconds_left(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


# ---------------------------------------------------------------------------------------------------------------
# SMS codes


def sms_code_send(*, phone: str, purpose: str, client: Client, now: datetime | None = None) -> SmsCode:
    """Send a new 6-digit code to `phone` (after commit, through the outbox).

    Refused, with a typed error and an audit row, when the last code for this number and purpose is under 60 s old,
    or when today's codes reach 10 for the number or 30 for the IP address.
    """
    now = now or timezone.now()
    phone = checked_phone(phone)
    index = blind_index("phone", phone)
    with transaction.atomic():
        refusal = _send_refusal(index, purpose, client, now)
        if refusal is None:
            return _code_create(phone, index, purpose, client, now)
        _audit_code_refusal(phone, purpose, refusal)
    raise refusal


def _send_refusal(index: str, purpose: str, client: Client, now: datetime) -> DomainError | None:
    wait = sms_code_resend_wait(phone_index=index, purpose=purpose, now=now)
    if wait:
        return DomainError(
            AccountsError.SMS_RESEND_TOO_SOON,
            _("验证码已发送，请 %(seconds)s 秒后再重新获取") % {"seconds": wait},
        )
    today = SmsCode.objects.filter(created_at__gte=_start_of_day(now), created_at__lte=now)
    if today.filter(phone_index=index).count() >= DAILY_CODES_PER_PHONE:
        return DomainError(AccountsError.SMS_DAILY_LIMIT_PHONE)
    if today.filter(ip=client.ip).count() >= DAILY_CODES_PER_IP:
        return DomainError(AccountsError.SMS_DAILY_LIMIT_IP)
    return None


def sms_code_resend_wait(*, phone_index: str, purpose: str, now: datetime | None = None) -> int:
    """Seconds until a new code may be sent for this number and purpose (0: now)."""
    now = now or timezone.now()
    latest = (
        SmsCode.objects.filter(phone_index=phone_index, purpose=purpose, created_at__lte=now)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if latest is None or now - latest >= RESEND_INTERVAL:
        return 0
    return _seconds_left(RESEND_INTERVAL - (now - latest))


def _code_create(phone: str, index: str, purpose: str, client: Client, now: datetime) -> SmsCode:
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    sms_code = SmsCode.objects.create(
        phone_index=index,
        purpose=purpose,
        code_hash=code_hash(index, purpose, code),
        ip=client.ip,
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    enqueue_sms(phone=phone, body=_SMS_BODIES[purpose].format(code=code), purpose=purpose)
    audit.record(
        actor=None,
        action="sms_code.send",
        obj=sms_code,
        after={"phone": mask_phone(phone), "purpose": purpose, "expires_at": sms_code.expires_at},
    )
    return sms_code


def _audit_code_refusal(phone: str, purpose: str, error: DomainError, action: str = "sms_code.refuse") -> None:
    audit.record(
        actor=None,
        action=action,
        object_type="accounts.smscode",
        after={"phone": mask_phone(phone), "purpose": purpose, "refused": error.code.code, "message": error.message},
    )


def _code_check(index: str, purpose: str, code: str, now: datetime) -> tuple[DomainError | None, str]:
    """Use the latest code for the number and purpose, or count a wrong try. (error or None, reason)."""
    sms_code = (
        SmsCode.objects.select_for_update()
        .filter(phone_index=index, purpose=purpose, created_at__lte=now)
        .order_by("-created_at", "-id")
        .first()
    )
    if sms_code is None or sms_code.used_at or now >= sms_code.expires_at or sms_code.failed_attempts >= CODE_MAX_WRONG:
        return DomainError(AccountsError.SMS_CODE_DEAD), "code_dead"
    typed = unicodedata.normalize("NFKC", code or "").strip()
    if not hmac.compare_digest(sms_code.code_hash, code_hash(index, purpose, typed)):
        SmsCode.objects.filter(pk=sms_code.pk).update(failed_attempts=F("failed_attempts") + 1)
        left = CODE_MAX_WRONG - sms_code.failed_attempts - 1
        if left <= 0:
            return DomainError(AccountsError.SMS_CODE_DEAD, _("验证码错误次数过多，已失效，请重新获取")), "code_wrong"
        detail = _("验证码不正确，还可以再试 %(left)s 次") % {"left": left}
        return DomainError(AccountsError.SMS_CODE_WRONG, detail, fields={"code": [detail]}), "code_wrong"
    sms_code.used_at = now
    sms_code.save(update_fields=["used_at"])
    return None, ""


# ---------------------------------------------------------------------------------------------------------------
# Lock-out and attempts


def locked_until(*, key: str, ip: str | None, now: datetime | None = None) -> datetime | None:
    """When the lock on (account key, IP) ends, or None if it is not locked.

    Five failures within 30 minutes lock for 60 minutes from the fifth. A successful sign-in starts the count again;
    attempts made while locked are recorded but not counted (they were never checked).
    """
    now = now or timezone.now()
    rows = (
        SignInAttempt.objects.filter(
            account_key=key, ip=ip, created_at__gt=now - LOCKOUT_DURATION - LOCKOUT_WINDOW, created_at__lte=now
        )
        .order_by("created_at", "id")
        .values_list("created_at", "succeeded", "reason")
    )
    failures: list[datetime] = []
    until = None
    for at, succeeded, reason in rows:
        if succeeded:
            failures, until = [], None
        elif reason != LOCKED_REASON:
            failures.append(at)
            if len(failures) >= LOCKOUT_FAILURES and at - failures[-LOCKOUT_FAILURES] < LOCKOUT_WINDOW:
                until, failures = at + LOCKOUT_DURATION, []
    return until if until and until > now else None


def _locked_error(until: datetime, now: datetime) -> DomainError:
    minutes = math.ceil((until - now).total_seconds() / 60)
    if minutes >= LOCKOUT_DURATION.total_seconds() // 60:
        return DomainError(AccountsError.SIGN_IN_LOCKED)
    return DomainError(
        AccountsError.SIGN_IN_LOCKED, _("登录失败次数过多，请 %(minutes)s 分钟后再试") % {"minutes": minutes}
    )


def _attempt_record(
    *, key: str, user: User | None, method: str, succeeded: bool, reason: str, client: Client, now: datetime
) -> SignInAttempt:
    return SignInAttempt.objects.create(
        user=user,
        account_key=key,
        method=method,
        succeeded=succeeded,
        reason=reason,
        ip=client.ip,
        user_agent=client.user_agent,
        created_at=now,
    )


def _refuse_sign_in(
    *, key: str, user: User | None, login: str, method: str, reason: str, error: DomainError, client: Client, now
) -> DomainError:
    """Record a failed attempt and its audit row (caller's transaction); the error to raise, now maybe "locked"."""
    _attempt_record(key=key, user=user, method=method, succeeded=False, reason=reason, client=client, now=now)
    if reason != LOCKED_REASON:
        until = locked_until(key=key, ip=client.ip, now=now)
        if until:
            error = _locked_error(until, now)
    audit.record(
        actor=None,
        action="sign_in.refuse",
        obj=user,
        object_type="" if user else "accounts.user",
        after={"login": login, "method": method, "reason": reason, "refused": error.code.code},
    )
    return error


def _login_label(login_name: str, user: User | None) -> str:
    """What the audit row keeps of the name typed: a number masked; an unknown name not at all (it may be a
    password typed into the wrong box)."""
    phone = normalise("phone", login_name)
    if MOBILE_RE.match(phone):
        return mask_phone(phone)
    return user.username if user else "（未知账号）"


# ---------------------------------------------------------------------------------------------------------------
# Signing in


def sign_in_with_sms_code(*, phone: str, code: str, client: Client, now: datetime | None = None) -> User:
    """Check the sign-in code for `phone` and return the account holding the number, creating a person account
    (L1, username = the number) if none does. Locked, wrong, expired or used codes raise and count as failures.

    The caller finishes with session_start, or hands staff to the second factor.
    """
    now = now or timezone.now()
    phone = checked_phone(phone)
    with transaction.atomic():
        user, refused, error = _code_gate(phone, SmsCodePurpose.SIGN_IN, code, client, now)
        if error is None:
            if user is None:
                return _person_sign_up(phone)
            if user.is_active:
                return user
            error = _refuse_sign_in(reason="disabled", error=DomainError(AccountsError.ACCOUNT_DISABLED), **refused)
    raise error


def _code_gate(
    phone: str, purpose: str, code: str, client: Client, now: datetime
) -> tuple[User | None, dict, DomainError | None]:
    """The steps every sign-in by code shares: the lock-out, then the code. Returns the account holding the number
    (or None), the details a further refusal records, and the error to raise (already recorded) or None."""
    index, key = blind_index("phone", phone), account_key(phone)
    user = User.objects.filter(phone_index=index).order_by("pk").first()
    refused = {
        "key": key,
        "user": user,
        "login": mask_phone(phone),
        "method": SignInMethod.SMS,
        "client": client,
        "now": now,
    }
    until = locked_until(key=key, ip=client.ip, now=now)
    if until:
        return user, refused, _refuse_sign_in(reason=LOCKED_REASON, error=_locked_error(until, now), **refused)
    error, reason = _code_check(index, purpose, code, now)
    if error is not None:
        return user, refused, _refuse_sign_in(reason=reason, error=error, **refused)
    return user, refused, None


def _person_sign_up(phone: str) -> User:
    """A new person account for a number that proved itself with a code (注册)."""
    username = phone
    suffix = 1
    while User.objects.filter(username=username).exists():
        suffix += 1
        username = f"{phone}-{suffix}"
    return user_create(actor=None, kind=UserKind.PERSON, username=username, display_name=mask_phone(phone), phone=phone)


def _user_by_login_name(login_name: str) -> User | None:
    name = unicodedata.normalize("NFKC", login_name or "").strip()
    phone = normalise("phone", name)
    if MOBILE_RE.match(phone):
        user = User.objects.filter(phone_index=blind_index("phone", phone)).order_by("pk").first()
        if user is not None:
            return user
    return User.objects.filter(username=name).first() if name else None


def sign_in_with_password(*, login_name: str, password: str, client: Client, now: datetime | None = None) -> User:
    """The account for a phone number or username and its password, or SIGN_IN_FAILED / SIGN_IN_LOCKED.

    A locked attempt is recorded without looking at the password. The password is checked outside any transaction
    (hashing takes a while and must not hold the database's write lock); an unknown name is hashed too, so both
    take the same time.
    """
    now = now or timezone.now()
    key = account_key(login_name)
    user = _user_by_login_name(login_name)
    refused = {"key": key, "user": user, "login": _login_label(login_name, user), "method": SignInMethod.PASSWORD}
    until = locked_until(key=key, ip=client.ip, now=now)
    if until:
        with transaction.atomic():
            error = _refuse_sign_in(
                reason=LOCKED_REASON, error=_locked_error(until, now), client=client, now=now, **refused
            )
        raise error
    if _password_matches(user, password):
        return user
    with transaction.atomic():
        error = _refuse_sign_in(
            reason="wrong_password", error=DomainError(AccountsError.SIGN_IN_FAILED), client=client, now=now, **refused
        )
    raise error


def _password_matches(user: User | None, password: str) -> bool:
    if user is None or not user.has_usable_password():
        User().set_password(password)  # same work as a real check: timing tells nothing
        return False
    return user.check_password(password) and user.is_active


def second_factor_pending(request, user: User, next_url: str) -> None:
    """A member of staff gave the right password (or code): they are not signed in until the second factor passes."""
    request.session.cycle_key()
    request.session[SECOND_FACTOR_USER] = user.pk
    request.session[SECOND_FACTOR_NEXT] = next_url


def needs_second_factor(user: User) -> bool:
    from tongban.accounts.second_factor import second_factor_required

    return second_factor_required(user)


@transaction.atomic
def session_start(request, user: User, *, method: str, login_name: str = "") -> UserSession:
    """Finish a sign-in: Django login (new session key), a UserSession row, a successful attempt and the audit row.

    The one function every sign-in path ends with (code, password, second factor). `login_name` is the name typed,
    whose lock-out count a success clears; it defaults to the username.
    """
    for name in (SECOND_FACTOR_USER, SECOND_FACTOR_NEXT):
        request.session.pop(name, None)
    login(request, user, backend=SESSION_BACKEND)
    request.session.cycle_key()
    now = timezone.now()
    client = Client.from_request(request)
    user_session = UserSession.objects.create(
        user=user,
        session_key=request.session.session_key,
        ip=client.ip,
        user_agent=client.user_agent,
        created_at=now,
        last_seen_at=now,
    )
    _attempt_record(
        key=account_key(login_name or user.username),
        user=user,
        method=method,
        succeeded=True,
        reason="",
        client=client,
        now=now,
    )
    audit.record(actor=user, action="user.sign_in", obj=user, after={"method": method, "session": user_session.pk})
    request.session[SESSION_CHECKED_AT] = now.timestamp()
    return user_session


def sign_out(request) -> None:
    """End this browser's session (退出登录)."""
    user, key = request.user, request.session.session_key
    if user.is_authenticated:
        with transaction.atomic():
            ended = UserSession.objects.filter(session_key=key, ended_at__isnull=True).update(ended_at=timezone.now())
            audit.record(actor=user, action="user.sign_out", obj=user, after={"sessions_ended": ended})
    logout(request)


# ---------------------------------------------------------------------------------------------------------------
# Passwords


def password_reset_with_sms_code(
    *, phone: str, code: str, new_password: str, client: Client, now: datetime | None = None
) -> User:
    """Set a new password for the account holding `phone` after its reset code checks out (找回密码).

    Every session of the account ends. Only someone who received the code learns that the number has no account.
    """
    now = now or timezone.now()
    phone = checked_phone(phone)
    with transaction.atomic():
        user, _refused, error = _code_gate(phone, SmsCodePurpose.RESET_PASSWORD, code, client, now)
        if error is None:
            if user is not None and user.is_active:
                _password_set(user, new_password, now=now, keep_session_key=None, action="user.password_reset")
                return user
            error = DomainError(
                AccountsError.PASSWORD_RESET_NO_ACCOUNT if user is None else AccountsError.ACCOUNT_DISABLED
            )
            _audit_code_refusal(phone, SmsCodePurpose.RESET_PASSWORD, error, action="user.password_reset.refuse")
    raise error


def password_change(*, actor: User, current_password: str, new_password: str, keep_session_key: str | None) -> None:
    """Change (or, for an account made by SMS code, set) the password; every other session of the account ends."""
    if actor.has_usable_password() and not actor.check_password(current_password):
        error = DomainError(
            AccountsError.CURRENT_PASSWORD_WRONG,
            fields={"current_password": [str(AccountsError.CURRENT_PASSWORD_WRONG.message)]},
        )
        with transaction.atomic():
            audit.record(
                actor=actor, action="user.password_change.refuse", obj=actor, after={"refused": error.code.code}
            )
        raise error
    action = "user.password_change" if actor.has_usable_password() else "user.password_set"
    with transaction.atomic():
        _password_set(actor, new_password, now=timezone.now(), keep_session_key=keep_session_key, action=action)


def _password_set(user: User, password: str, *, now: datetime, keep_session_key: str | None, action: str) -> None:
    _checked_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    ended = _sessions_end(user, now=now, keep_session_key=keep_session_key)
    audit.record(actor=user, action=action, obj=user, after={"sessions_ended": ended})


# ---------------------------------------------------------------------------------------------------------------
# Sessions and history


def _session_store_delete(session_key: str) -> None:
    """Delete the Django session itself, so the browser holding it is signed out on its very next request."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore(session_key=session_key).delete(session_key)


def _sessions_end(user: User, *, now: datetime, keep_session_key: str | None) -> int:
    sessions = UserSession.objects.filter(user=user, ended_at__isnull=True)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    keys = list(sessions.values_list("session_key", flat=True))
    for key in keys:
        _session_store_delete(key)
    return sessions.update(ended_at=now)


def session_key_changed(old_key: str | None, new_key: str | None) -> None:
    """Follow a session whose key Django rotated (after a password change) so it stays listed and revocable."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key, ended_at__isnull=True).update(session_key=new_key)


def active_sessions(user: User, now: datetime | None = None) -> QuerySet[UserSession]:
    """The account's sessions that are neither ended nor past the session lifetime, most recently active first."""
    now = now or timezone.now()
    return UserSession.objects.filter(
        user=user, ended_at__isnull=True, last_seen_at__gte=now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    ).order_by("-last_seen_at", "-id")


def access_user_session(*, actor: User, session_id: int) -> UserSession:
    """One of the actor's own active sessions, or not found (someone else's session is "not found" too)."""
    session = (
        UserSession.objects.filter(pk=session_id, user=actor, ended_at__isnull=True).first()
        if actor.is_authenticated
        else None
    )
    if session is None:
        raise DomainError(CoreError.NOT_FOUND)
    return session


@transaction.atomic
def user_session_revoke(*, actor: User, user_session: UserSession, now: datetime | None = None) -> None:
    """Sign one of the actor's browsers out (下线): the session ends and the browser's next request is signed out."""
    now = now or timezone.now()
    updated = UserSession.objects.filter(pk=user_session.pk, ended_at__isnull=True).update(ended_at=now)
    if not updated:
        raise DomainError(CoreError.NOT_FOUND)
    _session_store_delete(user_session.session_key)
    audit.record(
        actor=actor,
        action="user_session.revoke",
        obj=user_session,
        after={"ip": user_session.ip, "device": device_summary(user_session.user_agent)},
    )


def sign_in_history(user: User) -> list[SignInAttempt]:
    """The account's last 50 sign-in attempts, newest first (登录记录)."""
    return list(SignInAttempt.objects.filter(user=user).order_by("-created_at", "-id")[:HISTORY_LIMIT])


def session_touch(request, now: datetime | None = None) -> None:
    """The middleware's check, at most once per SESSION_CHECK_INTERVAL per session: sign out a session that has
    been ended elsewhere, otherwise record that it is still in use (最近活动)."""
    now = now or timezone.now()
    checked = request.session.get(SESSION_CHECKED_AT)
    if isinstance(checked, (int, float)) and 0 <= now.timestamp() - checked < SESSION_CHECK_INTERVAL.total_seconds():
        return
    key = request.session.session_key
    row = UserSession.objects.filter(session_key=key).values_list("pk", "ended_at").first()
    if row is not None and row[1] is not None:
        logout(request)
        return
    if row is not None:
        UserSession.objects.filter(pk=row[0]).update(last_seen_at=now)
    request.session[SESSION_CHECKED_AT] = now.timestamp()


_BROWSERS = [
    ("MicroMessenger", "微信"),
    ("QQ/", "QQ"),
    ("Edg", "Edge"),
    ("Firefox", "Firefox"),
    ("HeadlessChrome", "Chrome"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
]
_SYSTEMS = [
    ("HarmonyOS", "鸿蒙"),
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
]
_CLIENTS = re.compile(r"^(python-requests|curl)/", re.IGNORECASE)


def device_summary(user_agent: str) -> str:
    """ "Chrome · Android" from a user-agent string; "未知设备" when nothing is recognised."""
    ua = user_agent or ""
    if _CLIENTS.match(ua):
        return ua.split(" ")[0]
    browser = next((name for token, name in _BROWSERS if token in ua), "")
    system = next((name for token, name in _SYSTEMS if token in ua), "")
    return " · ".join(part for part in (browser, system) if part) or _("未知设备")
