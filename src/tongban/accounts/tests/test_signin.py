"""Signing up and in by SMS code, password sign-in, staff hand-over to the second factor, password reset and change,
sign-out, and the pages that drive them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse

from tongban.accounts import signin
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import RealNameLevel, SignInAttempt, SmsCode, User, UserKind, UserSession
from tongban.accounts.password_validation import CharacterClassValidator
from tongban.accounts.services import user_create
from tongban.accounts.tests.signin_helpers import (
    CLIENT,
    OTHER_PHONE,
    PASSWORD,
    PHONE,
    T0,
    latest_code,
    send_code,
    wrong,
)
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _person(username="zhangsan", phone=PHONE, password=PASSWORD, **kwargs) -> User:
    return user_create(
        actor=None,
        kind=UserKind.PERSON,
        username=username,
        display_name="张三",
        password=password,
        phone=phone,
        **kwargs,
    )


def _staff() -> User:
    return user_create(
        actor=None, kind=UserKind.STAFF, username="clerk", display_name="李窗口", password=PASSWORD, phone=OTHER_PHONE
    )


def _landing() -> str:
    try:
        return reverse("accounts:centre")
    except NoReverseMatch:
        return "/"


def _signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


# ---------------------------------------------------------------------------------------------------------------
# Services


def test_sms_code_signs_up_a_new_person_at_l1(django_capture_on_commit_callbacks):
    code = send_code(django_capture_on_commit_callbacks)
    user = signin.sign_in_with_sms_code(phone=PHONE, code=code, client=CLIENT, now=T0 + timedelta(seconds=20))
    assert (user.kind, user.username, user.phone, user.real_name_level) == (
        UserKind.PERSON,
        PHONE,
        PHONE,
        RealNameLevel.L1,
    )
    assert user.display_name == "138****8000" and not user.has_usable_password()
    assert AuditEntry.objects.filter(action="user.create", object_id=str(user.pk)).count() == 1


def test_sms_code_signs_in_the_account_holding_the_number(django_capture_on_commit_callbacks):
    person = _person()
    code = send_code(django_capture_on_commit_callbacks)
    assert signin.sign_in_with_sms_code(phone=PHONE, code=code, client=CLIENT, now=T0) == person
    assert User.objects.count() == 1


def test_sms_sign_up_when_the_number_is_someone_elses_username(django_capture_on_commit_callbacks):
    _person(username=PHONE, phone="")
    code = send_code(django_capture_on_commit_callbacks)
    user = signin.sign_in_with_sms_code(phone=PHONE, code=code, client=CLIENT, now=T0)
    assert user.username == f"{PHONE}-2" and user.phone == PHONE


def test_wrong_code_creates_nothing_and_is_recorded(django_capture_on_commit_callbacks):
    code = send_code(django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as caught:
        signin.sign_in_with_sms_code(phone=PHONE, code=wrong(code), client=CLIENT, now=T0)
    assert caught.value.code is AccountsError.SMS_CODE_WRONG
    assert User.objects.count() == 0
    attempt = SignInAttempt.objects.get()
    assert (attempt.user, attempt.method, attempt.succeeded, attempt.reason) == (None, "sms", False, "code_wrong")
    entry = AuditEntry.objects.get(action="sign_in.refuse")
    assert entry.after == {
        "login": "138****8000",
        "method": "sms",
        "reason": "code_wrong",
        "refused": "accounts.sms_code_wrong",
    }


def test_disabled_account_cannot_sign_in_by_code(django_capture_on_commit_callbacks):
    person = _person()
    User.objects.filter(pk=person.pk).update(is_active=False)
    code = send_code(django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as caught:
        signin.sign_in_with_sms_code(phone=PHONE, code=code, client=CLIENT, now=T0)
    assert caught.value.code is AccountsError.ACCOUNT_DISABLED


@pytest.mark.parametrize("login_name", ["zhangsan", PHONE, "+86 138-0013-8000"])
def test_password_sign_in_by_username_or_phone(login_name):
    person = _person()
    assert signin.sign_in_with_password(login_name=login_name, password=PASSWORD, client=CLIENT, now=T0) == person


@pytest.mark.parametrize(
    ("login_name", "password"),
    [("zhangsan", "Wrong@2026x"), ("nobody", PASSWORD), (OTHER_PHONE, PASSWORD), ("inactive", PASSWORD)],
)
def test_any_password_failure_gives_the_one_message(login_name, password):
    _person()
    inactive = _person(username="inactive", phone="13700137000")
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    with pytest.raises(DomainError) as caught:
        signin.sign_in_with_password(login_name=login_name, password=password, client=CLIENT, now=T0)
    assert (caught.value.code, caught.value.message) == (AccountsError.SIGN_IN_FAILED, "手机号（用户名）或密码错误")
    assert SignInAttempt.objects.get().reason == "wrong_password"


def test_account_made_by_code_has_no_password_to_guess(django_capture_on_commit_callbacks):
    code = send_code(django_capture_on_commit_callbacks)
    signin.sign_in_with_sms_code(phone=PHONE, code=code, client=CLIENT, now=T0)
    with pytest.raises(DomainError) as caught:
        signin.sign_in_with_password(login_name=PHONE, password="", client=CLIENT, now=T0)
    assert caught.value.code is AccountsError.SIGN_IN_FAILED


def test_unknown_login_name_is_not_written_to_the_audit_log():
    with pytest.raises(DomainError):
        signin.sign_in_with_password(login_name="Secret#Password1", password="x", client=CLIENT, now=T0)
    assert AuditEntry.objects.get(action="sign_in.refuse").after["login"] == "（未知账号）"


# ---------------------------------------------------------------------------------------------------------------
# Password rules


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("abcdefghijkl", False),
        ("1234567890123", False),
        ("!!!!@@@@####", False),
        ("abcdefghij1", True),
        ("abc-def-ghi", True),
        ("通办通办通办通办abc", True),
    ],
)
def test_password_mixes_at_least_two_kinds_of_characters(password, ok):
    validator = CharacterClassValidator()
    if ok:
        validator.validate(password)
    else:
        with pytest.raises(ValidationError) as caught:
            validator.validate(password)
        assert caught.value.messages == ["密码须包含字母、数字、符号中的至少两种。"]


def test_password_strength_rules_apply_on_change():
    person = _person()
    with pytest.raises(DomainError) as caught:
        signin.password_change(actor=person, current_password=PASSWORD, new_password="short1!", keep_session_key=None)
    assert caught.value.code is AccountsError.WEAK_PASSWORD
    with pytest.raises(DomainError) as caught:
        signin.password_change(
            actor=person, current_password=PASSWORD, new_password="onlyletterslong", keep_session_key=None
        )
    assert caught.value.fields == {"password": ["密码须包含字母、数字、符号中的至少两种。"]}
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_password_change_needs_the_current_password():
    person = _person()
    with pytest.raises(DomainError) as caught:
        signin.password_change(
            actor=person, current_password="Nope@12345", new_password="New-pass-2026", keep_session_key=None
        )
    assert caught.value.code is AccountsError.CURRENT_PASSWORD_WRONG
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert AuditEntry.objects.filter(action="user.password_change.refuse").count() == 1
    signin.password_change(actor=person, current_password=PASSWORD, new_password="New-pass-2026", keep_session_key=None)
    person.refresh_from_db()
    assert person.check_password("New-pass-2026")
    assert AuditEntry.objects.filter(action="user.password_change").count() == 1


# ---------------------------------------------------------------------------------------------------------------
# Password reset by SMS


def test_password_reset_sets_the_password_and_ends_every_session(django_capture_on_commit_callbacks):
    person = _person()
    UserSession.objects.create(user=person, session_key="a" * 32, created_at=T0, last_seen_at=T0)
    code = send_code(django_capture_on_commit_callbacks, purpose="reset_password")
    user = signin.password_reset_with_sms_code(
        phone=PHONE, code=code, new_password="Reset-pass-2026", client=CLIENT, now=T0 + timedelta(seconds=30)
    )
    assert user == person
    person.refresh_from_db()
    assert person.check_password("Reset-pass-2026")
    assert UserSession.objects.get().ended_at == T0 + timedelta(seconds=30)
    assert AuditEntry.objects.get(action="user.password_reset").after == {"sessions_ended": 1}


def test_weak_new_password_keeps_the_code_usable(django_capture_on_commit_callbacks):
    _person()
    code = send_code(django_capture_on_commit_callbacks, purpose="reset_password")
    with pytest.raises(DomainError) as caught:
        signin.password_reset_with_sms_code(phone=PHONE, code=code, new_password="12345", client=CLIENT, now=T0)
    assert caught.value.code is AccountsError.WEAK_PASSWORD
    assert SmsCode.objects.get().used_at is None
    signin.password_reset_with_sms_code(phone=PHONE, code=code, new_password="Reset-pass-2026", client=CLIENT, now=T0)


def test_reset_for_a_number_without_account_is_told_only_to_the_code_holder(django_capture_on_commit_callbacks):
    code = send_code(django_capture_on_commit_callbacks, purpose="reset_password")  # sent like any other number
    with pytest.raises(DomainError) as caught:
        signin.password_reset_with_sms_code(
            phone=PHONE, code=wrong(code), new_password="Reset-pass-2026", client=CLIENT, now=T0
        )
    assert caught.value.code is AccountsError.SMS_CODE_WRONG  # without the code, nothing is learnt
    with pytest.raises(DomainError) as caught:
        signin.password_reset_with_sms_code(
            phone=PHONE, code=code, new_password="Reset-pass-2026", client=CLIENT, now=T0
        )
    assert caught.value.code is AccountsError.PASSWORD_RESET_NO_ACCOUNT
    assert User.objects.count() == 0


# ---------------------------------------------------------------------------------------------------------------
# Pages


def test_sign_in_page_offers_both_ways(client):
    page = client.get(reverse("accounts:sign_in")).content.decode()
    assert "验证码登录" in page and "密码登录" in page and 'name="phone"' in page
    page = client.get(reverse("accounts:sign_in") + "?method=password").content.decode()
    assert 'name="login"' in page and 'name="password"' in page and 'autocomplete="current-password"' in page


def test_person_signs_up_by_code_through_the_pages(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:sign_in_sms"), {"phone": "138 0013 8000", "next": "/accounts/security/"}
        )
    assert response.status_code == 302 and response["Location"] == reverse("accounts:sign_in_code")
    page = client.get(response["Location"]).content.decode()
    assert "138****8000" in page and "60 秒后可以重新获取验证码" in page and "验证码已发送至 138****8000" in page
    assert PHONE not in page

    response = client.post(reverse("accounts:sign_in_code"), {"code": wrong(latest_code())})
    assert response.status_code == 400 and "验证码不正确，还可以再试 4 次" in response.content.decode()
    assert _signed_in_user_id(client) is None

    response = client.post(reverse("accounts:sign_in_code"), {"code": latest_code()})
    assert response.status_code == 302 and response["Location"] == "/accounts/security/"
    user = User.objects.get()
    assert _signed_in_user_id(client) == str(user.pk)
    session = UserSession.objects.get()
    assert session.user == user and session.session_key == client.session.session_key and session.ip == "127.0.0.1"
    assert SignInAttempt.objects.filter(succeeded=True, method="sms", user=user).count() == 1
    assert AuditEntry.objects.filter(action="user.sign_in", actor=user).count() == 1


def test_resending_too_early_stays_on_the_code_page(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:sign_in_sms"), {"phone": PHONE})
    response = client.post(reverse("accounts:sign_in_resend"), follow=True)
    assert "秒后再重新获取" in response.content.decode()
    assert SmsCode.objects.count() == 1


def test_code_page_without_a_number_goes_back_to_sign_in(client):
    assert client.get(reverse("accounts:sign_in_code"))["Location"] == reverse("accounts:sign_in")


def test_invalid_phone_is_shown_on_the_field(client):
    response = client.post(reverse("accounts:sign_in_sms"), {"phone": "12345"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "手机号码应为 11 位数字，以 1 开头" in page and 'aria-invalid="true"' in page and 'value="12345"' in page


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_unsafe_next_is_ignored(client, next_url):
    _person()
    response = client.post(
        reverse("accounts:sign_in_password"), {"login": "zhangsan", "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == _landing()


def test_password_failure_page_shows_the_one_message_and_keeps_the_name(client):
    _person()
    for login_name in ("zhangsan", "nobody"):
        response = client.post(reverse("accounts:sign_in_password"), {"login": login_name, "password": "Wrong-2026x"})
        page = response.content.decode()
        assert response.status_code == 400
        assert "手机号（用户名）或密码错误" in page and f'value="{login_name}"' in page and "Wrong-2026x" not in page
    assert _signed_in_user_id(client) is None


def test_staff_password_leads_to_the_second_factor_not_a_session(client):
    staff = _staff()
    try:
        target = reverse("accounts:second_factor")
    except NoReverseMatch:
        with pytest.raises(NoReverseMatch):
            client.post(reverse("accounts:sign_in_password"), {"login": "clerk", "password": PASSWORD})
        assert UserSession.objects.count() == 0
        return
    response = client.post(
        reverse("accounts:sign_in_password"), {"login": "clerk", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == target
    assert _signed_in_user_id(client) is None
    assert client.session[signin.SECOND_FACTOR_USER] == staff.pk
    assert client.session[signin.SECOND_FACTOR_NEXT] == "/admin/"
    assert UserSession.objects.count() == 0


def test_sign_out_is_a_post_that_ends_the_session(client):
    _person()
    client.post(reverse("accounts:sign_in_password"), {"login": "zhangsan", "password": PASSWORD})
    assert client.get(reverse("accounts:sign_out")).status_code == 405
    response = client.post(reverse("accounts:sign_out"), follow=True)
    assert "您已退出登录。" in response.content.decode()
    assert _signed_in_user_id(client) is None
    assert UserSession.objects.get().ended_at is not None
    assert AuditEntry.objects.filter(action="user.sign_out").count() == 1


def test_header_shows_sign_in_or_the_signed_in_person(client):
    page = client.get("/").content.decode()
    assert f'href="{reverse("accounts:sign_in")}"' in page and "退出" not in page
    _person()
    client.post(reverse("accounts:sign_in_password"), {"login": "zhangsan", "password": PASSWORD})
    page = client.get("/").content.decode()
    assert "张三" in page and "个人中心" in page and f'action="{reverse("accounts:sign_out")}"' in page


def test_password_reset_through_the_pages(client, django_capture_on_commit_callbacks):
    person = _person()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"phone": PHONE})
    assert response["Location"] == reverse("accounts:password_reset_confirm")
    form = {"code": latest_code(), "new_password": "Reset-pass-2026", "new_password2": "Reset-pass-2027"}
    response = client.post(reverse("accounts:password_reset_confirm"), form)
    assert response.status_code == 400 and "两次输入的新密码不一致" in response.content.decode()
    form["new_password2"] = "Reset-pass-2026"
    response = client.post(reverse("accounts:password_reset_confirm"), form, follow=True)
    assert "密码已重新设置" in response.content.decode()
    person.refresh_from_db()
    assert person.check_password("Reset-pass-2026")


def test_security_page_sets_a_password_for_an_account_made_by_code(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:sign_in_sms"), {"phone": PHONE})
    client.post(reverse("accounts:sign_in_code"), {"code": latest_code()})
    page = client.get(reverse("accounts:security")).content.decode()
    assert "设置密码" in page and 'name="current_password"' not in page
    response = client.post(
        reverse("accounts:password_change"), {"new_password": "First-pass-2026", "new_password2": "First-pass-2026"}
    )
    assert response.status_code == 302
    assert User.objects.get().check_password("First-pass-2026")
    # Still signed in, and the session row follows the rotated key.
    assert client.get(reverse("accounts:security")).status_code == 200
    assert UserSession.objects.get(ended_at__isnull=True).session_key == client.session.session_key


def test_security_page_needs_sign_in(client):
    response = client.get(reverse("accounts:security"))
    assert response["Location"] == reverse("accounts:sign_in") + "?next=/accounts/security/"
