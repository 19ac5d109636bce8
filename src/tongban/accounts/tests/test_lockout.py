"""Lock-out: 5 failures in 30 minutes for one login name and IP lock it for 60 minutes from the fifth, whether or not
the account exists; a locked attempt is recorded and never checked."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse

from tongban.accounts import signin
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import SignInAttempt, User, UserKind
from tongban.accounts.services import user_create
from tongban.accounts.tests.signin_helpers import CLIENT, PASSWORD, PHONE, T0, send_code, wrong
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LOCKED_60 = "登录失败次数过多，请 60 分钟后再试"


@pytest.fixture
def person():
    return user_create(
        actor=None, kind=UserKind.PERSON, username="zhangsan", display_name="张三", password=PASSWORD, phone=PHONE
    )


def _attempt(login_name, password, at, client=CLIENT) -> str:
    """The outcome of one password sign-in: "ok" or the error message."""
    try:
        signin.sign_in_with_password(login_name=login_name, password=password, client=client, now=at)
    except DomainError as error:
        return error.message
    return "ok"


def _fail_five(login_name, start=T0, spacing=timedelta(minutes=7)) -> list[str]:
    return [_attempt(login_name, "Wrong-pass-1", start + spacing * i) for i in range(5)]


def test_account_key_ignores_how_the_name_is_typed():
    assert (
        signin.account_key("+86 138 0013 8000")
        == signin.account_key(PHONE)
        == signin.account_key("１３８００１３８０００")
    )
    assert signin.account_key("ZhangSan") == signin.account_key(" zhangsan ")
    assert signin.account_key("zhangsan") != signin.account_key(PHONE)
    assert len(signin.account_key("x")) == 64


def test_fifth_failure_within_30_minutes_locks_for_60_minutes(person):
    # Failures at 0, 7, 14, 21 and 28 minutes: the fifth is within 30 minutes of the first.
    assert _fail_five("zhangsan") == ["手机号（用户名）或密码错误"] * 4 + [LOCKED_60]
    fifth = T0 + timedelta(minutes=28)
    with mock.patch.object(User, "check_password") as check:
        assert _attempt("zhangsan", PASSWORD, fifth + timedelta(minutes=1)) == "登录失败次数过多，请 59 分钟后再试"
        assert _attempt("zhangsan", PASSWORD, fifth + timedelta(minutes=59, seconds=59)) == (
            "登录失败次数过多，请 1 分钟后再试"
        )
    check.assert_not_called()  # a locked attempt never reaches the password
    locked = SignInAttempt.objects.filter(reason="locked")
    assert locked.count() == 2 and all(a.user == person and not a.succeeded for a in locked)
    assert AuditEntry.objects.filter(action="sign_in.refuse", after__reason="locked").count() == 2
    # Exactly 60 minutes after the fifth failure the right password works again.
    assert _attempt("zhangsan", PASSWORD, fifth + timedelta(minutes=60)) == "ok"


def test_failures_spread_over_30_minutes_or_more_do_not_lock(person):
    messages = _fail_five("zhangsan", spacing=timedelta(minutes=7, seconds=30))  # fifth at exactly +30:00
    assert messages == ["手机号（用户名）或密码错误"] * 5
    assert _attempt("zhangsan", PASSWORD, T0 + timedelta(minutes=31)) == "ok"


def test_unknown_account_locks_with_the_same_messages(person):
    known = _fail_five("zhangsan")
    unknown = _fail_five("lisi-does-not-exist")
    assert known == unknown
    later = T0 + timedelta(minutes=40)
    assert (
        _attempt("zhangsan", "x", later)
        == _attempt("lisi-does-not-exist", "x", later)
        == ("登录失败次数过多，请 48 分钟后再试")
    )


def test_lock_is_per_address(person):
    _fail_five("zhangsan")
    other = signin.Client(ip="198.51.100.20")
    assert _attempt("zhangsan", PASSWORD, T0 + timedelta(minutes=29), client=other) == "ok"


def test_success_starts_the_count_again(person):
    for i in range(4):
        _attempt("zhangsan", "Wrong-pass-1", T0 + timedelta(minutes=i))
    assert _attempt("zhangsan", PASSWORD, T0 + timedelta(minutes=5)) == "ok"
    # session_start records the success the count is reset by; the service itself only checks.
    signin._attempt_record(
        key=signin.account_key("zhangsan"),
        user=person,
        method="password",
        succeeded=True,
        reason="",
        client=CLIENT,
        now=T0 + timedelta(minutes=5),
    )
    assert _attempt("zhangsan", "Wrong-pass-1", T0 + timedelta(minutes=6)) == "手机号（用户名）或密码错误"


def test_wrong_sms_codes_count_and_lock_the_number_for_passwords_too(person, django_capture_on_commit_callbacks):
    code = send_code(django_capture_on_commit_callbacks)
    messages = []
    for i in range(5):
        try:
            signin.sign_in_with_sms_code(phone=PHONE, code=wrong(code), client=CLIENT, now=T0 + timedelta(seconds=i))
        except DomainError as error:
            messages.append(error.code)
    assert messages == [AccountsError.SMS_CODE_WRONG] * 4 + [AccountsError.SIGN_IN_LOCKED]
    assert _attempt(PHONE, PASSWORD, T0 + timedelta(minutes=1)) == "登录失败次数过多，请 60 分钟后再试"
    # A fresh code does not help while locked, and is not even looked at.
    fresh = send_code(django_capture_on_commit_callbacks, now=T0 + timedelta(minutes=2))
    with pytest.raises(DomainError) as caught:
        signin.sign_in_with_sms_code(phone=PHONE, code=fresh, client=CLIENT, now=T0 + timedelta(minutes=3))
    assert caught.value.code is AccountsError.SIGN_IN_LOCKED
    assert signin.SmsCode.objects.order_by("-id").first().used_at is None


def test_locked_page_reads_the_same_for_known_and_unknown_accounts(client, person):
    pages = {}
    for name in ("zhangsan", "nobody"):
        for _ in range(5):
            response = client.post(reverse("accounts:sign_in_password"), {"login": name, "password": "Wrong-pass-1"})
        summary = response.content.decode().split('<div class="error-summary"')[1].split("</div>")[0]
        pages[name] = summary
    assert pages["zhangsan"] == pages["nobody"]
    assert LOCKED_60 in pages["nobody"]
