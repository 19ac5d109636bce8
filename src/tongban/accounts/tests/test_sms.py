"""SMS codes and the senders: 6 digits, hashed, 5 minutes, 5 tries, single use, 60 s resend, daily limits."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import connection

from tongban import config
from tongban.accounts import signin, sms
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import SmsCode, SmsCodePurpose, SmsMessage
from tongban.accounts.tests.signin_helpers import CLIENT, IP, OTHER_PHONE, PHONE, SHANGHAI, T0, latest_code, send_code
from tongban.core import outbox
from tongban.core.crypto import hmac_sm3
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, OutboxMessage
from tongban.core.pii import blind_index

pytestmark = pytest.mark.django_db

SIGN_IN = SmsCodePurpose.SIGN_IN
RESET = SmsCodePurpose.RESET_PASSWORD


def _refused(code, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        signin.sms_code_send(**kwargs)
    assert caught.value.code is code
    return caught.value


def test_code_is_six_digits_stored_only_as_keyed_hash_and_delivered_after_commit(
    django_capture_on_commit_callbacks, caplog
):
    with caplog.at_level(logging.INFO, logger="tongban.sms"):
        code = send_code(django_capture_on_commit_callbacks)
    row = SmsCode.objects.get()
    assert len(code) == 6 and code.isdigit()
    assert row.purpose == SIGN_IN and row.phone_index == blind_index("phone", PHONE)
    assert row.created_at == T0 and row.expires_at == T0 + timedelta(minutes=5)
    assert row.ip == IP and row.failed_attempts == 0 and row.used_at is None
    key = hmac_sm3(bytes(signin.settings.TONGBAN_INDEX_KEY), b"tongban sms-code")
    assert row.code_hash == hmac_sm3(key, f"{row.phone_index}|sign_in|{code}".encode()).hex()

    message = SmsMessage.objects.get()
    assert message.phone == PHONE and message.purpose == SIGN_IN and message.backend == "local"
    assert message.body == f"您的验证码为 {code}，5 分钟内有效，用于登录或注册。如非本人操作，请忽略本短信。"
    assert message.outbox_id == OutboxMessage.objects.get(topic="accounts.sms").pk
    assert [r.getMessage() for r in caplog.records if r.name == "tongban.sms"] == [
        f"[短信] 138****8000: {message.body}"
    ]

    # Neither the number nor the code is readable in the database: not in the message row, not in the outbox.
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, body FROM accounts_smsmessage")
        stored = " ".join(cursor.fetchone())
        cursor.execute("SELECT payload FROM core_outboxmessage")
        payload = cursor.fetchone()[0]
    for secret in (PHONE, code):
        assert secret not in stored and secret not in payload

    entry = AuditEntry.objects.get(action="sms_code.send")
    assert entry.after["phone"] == "138****8000" and entry.after["purpose"] == "sign_in"


def test_outbox_redelivery_sends_the_message_once(django_capture_on_commit_callbacks):
    send_code(django_capture_on_commit_callbacks)
    message = OutboxMessage.objects.get(topic="accounts.sms")
    sms.deliver_sms(message.pk, message.payload)
    sms.deliver_sms(message.pk, message.payload)
    assert SmsMessage.objects.count() == 1


def test_no_message_without_commit():
    signin.sms_code_send(phone=PHONE, purpose=SIGN_IN, client=CLIENT, now=T0)
    assert SmsCode.objects.count() == 1
    assert SmsMessage.objects.count() == 0  # on_commit never ran: the test transaction did not commit


def test_resend_waits_60_seconds_per_number_and_purpose():
    signin.sms_code_send(phone=PHONE, purpose=SIGN_IN, client=CLIENT, now=T0)
    error = _refused(
        AccountsError.SMS_RESEND_TOO_SOON, phone=PHONE, purpose=SIGN_IN, client=CLIENT, now=T0 + timedelta(seconds=59)
    )
    assert error.message == "验证码已发送，请 1 秒后再重新获取"
    error = _refused(
        AccountsError.SMS_RESEND_TOO_SOON, phone=PHONE, purpose=SIGN_IN, client=CLIENT, now=T0 + timedelta(seconds=15)
    )
    assert error.message == "验证码已发送，请 45 秒后再重新获取"
    assert SmsCode.objects.count() == 1
    refusals = AuditEntry.objects.filter(action="sms_code.refuse")
    assert [e.after["refused"] for e in refusals] == ["accounts.sms_resend_too_soon"] * 2
    assert refusals[0].after["phone"] == "138****8000"

    # Another purpose for the same number is its own 60 s; after 60 s the same purpose may send again.
    signin.sms_code_send(phone=PHONE, purpose=RESET, client=CLIENT, now=T0 + timedelta(seconds=1))
    signin.sms_code_send(phone=PHONE, purpose=SIGN_IN, client=CLIENT, now=T0 + timedelta(seconds=60))
    assert SmsCode.objects.count() == 3
    index = blind_index("phone", PHONE)
    assert signin.sms_code_resend_wait(phone_index=index, purpose=SIGN_IN, now=T0 + timedelta(seconds=61)) == 59


def test_daily_limit_per_number_is_10_and_resets_at_midnight():
    for i in range(signin.DAILY_CODES_PER_PHONE):
        signin.sms_code_send(phone=PHONE, purpose=SIGN_IN, client=CLIENT, now=T0 + timedelta(minutes=i))
    error = _refused(
        AccountsError.SMS_DAILY_LIMIT_PHONE, phone=PHONE, purpose=RESET, client=CLIENT, now=T0 + timedelta(minutes=11)
    )
    assert error.message == "该手机号码今天获取验证码的次数已达上限，请明天再试"
    assert SmsCode.objects.count() == 10
    midnight = T0.replace(hour=0, minute=0) + timedelta(days=1)
    signin.sms_code_send(phone=PHONE, purpose=SIGN_IN, client=CLIENT, now=midnight)
    assert SmsCode.objects.count() == 11


def test_daily_limit_per_ip_is_30():
    for i in range(signin.DAILY_CODES_PER_IP):
        signin.sms_code_send(phone=f"1370000{i:04d}", purpose=SIGN_IN, client=CLIENT, now=T0)
    error = _refused(AccountsError.SMS_DAILY_LIMIT_IP, phone=PHONE, purpose=SIGN_IN, client=CLIENT, now=T0)
    assert error.message == "您今天获取验证码的次数过多，请明天再试"
    assert SmsCode.objects.count() == 30
    signin.sms_code_send(phone=PHONE, purpose=SIGN_IN, client=signin.Client(ip="198.51.100.1"), now=T0)
    assert SmsCode.objects.count() == 31


def test_invalid_number_is_refused_and_nothing_is_created():
    error = _refused(AccountsError.INVALID_PHONE, phone="1234", purpose=SIGN_IN, client=CLIENT, now=T0)
    assert error.fields == {"phone": ["手机号码应为 11 位数字，以 1 开头"]}
    assert SmsCode.objects.count() == 0 and OutboxMessage.objects.count() == 0


def test_number_is_normalised_before_hashing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signin.sms_code_send(phone="+86 138 0013 8000", purpose=SIGN_IN, client=CLIENT, now=T0)
    assert SmsCode.objects.get().phone_index == blind_index("phone", PHONE)
    assert SmsMessage.objects.get().phone == PHONE


# ---------------------------------------------------------------------------------------------------------------
# Verifying (the sign-in flow uses these rules; sign-in specifics are in test_signin.py)


def _verify(code, now, client=CLIENT):
    return signin.sign_in_with_sms_code(phone=PHONE, code=code, client=client, now=now)


def _verify_error(code, now, client=CLIENT) -> DomainError:
    with pytest.raises(DomainError) as caught:
        _verify(code, now, client)
    return caught.value


def test_code_expires_exactly_5_minutes_after_sending(django_capture_on_commit_callbacks):
    code = send_code(django_capture_on_commit_callbacks)
    error = _verify_error(code, T0 + timedelta(minutes=5))
    assert (error.code, error.message) == (AccountsError.SMS_CODE_DEAD, "验证码已失效，请重新获取")
    assert SmsCode.objects.get().used_at is None
    user = _verify(code, T0 + timedelta(minutes=5) - timedelta(microseconds=1))
    assert user.phone == PHONE


def test_five_wrong_tries_kill_the_code(django_capture_on_commit_callbacks):
    code = send_code(django_capture_on_commit_callbacks)
    bad = f"{(int(code) + 1) % 1_000_000:06d}"
    # Each try from another address, so lock-out (5 failures per number and IP) stays out of the way here.
    tries = [signin.Client(ip=f"198.51.100.{i}") for i in range(7)]
    messages = [_verify_error(bad, T0 + timedelta(seconds=10 + i), tries[i]).message for i in range(5)]
    assert messages == [
        "验证码不正确，还可以再试 4 次",
        "验证码不正确，还可以再试 3 次",
        "验证码不正确，还可以再试 2 次",
        "验证码不正确，还可以再试 1 次",
        "验证码错误次数过多，已失效，请重新获取",
    ]
    assert SmsCode.objects.get().failed_attempts == 5
    error = _verify_error(code, T0 + timedelta(seconds=20), tries[6])  # the right code, after five wrong ones
    assert (error.code, error.message) == (AccountsError.SMS_CODE_DEAD, "验证码已失效，请重新获取")


def test_code_works_once(django_capture_on_commit_callbacks):
    code = send_code(django_capture_on_commit_callbacks)
    _verify(code, T0 + timedelta(seconds=30))
    assert SmsCode.objects.get().used_at == T0 + timedelta(seconds=30)
    error = _verify_error(code, T0 + timedelta(seconds=31))
    assert error.code is AccountsError.SMS_CODE_DEAD


def test_only_the_newest_code_counts(django_capture_on_commit_callbacks):
    first = send_code(django_capture_on_commit_callbacks)
    second = send_code(django_capture_on_commit_callbacks, now=T0 + timedelta(seconds=60))
    if first != second:
        assert _verify_error(first, T0 + timedelta(seconds=61)).code is AccountsError.SMS_CODE_WRONG
    assert _verify(second, T0 + timedelta(seconds=62)).phone == PHONE


def test_code_for_one_purpose_does_not_work_for_another(django_capture_on_commit_callbacks):
    code = send_code(django_capture_on_commit_callbacks, purpose=RESET)
    assert _verify_error(code, T0 + timedelta(seconds=5)).code is AccountsError.SMS_CODE_DEAD


def test_registered_and_unknown_numbers_get_the_same_message(django_capture_on_commit_callbacks):
    send_code(django_capture_on_commit_callbacks, phone=PHONE)
    _verify(latest_code(PHONE), T0 + timedelta(seconds=1))  # PHONE now has an account
    send_code(django_capture_on_commit_callbacks, phone=PHONE, now=T0 + timedelta(minutes=2))
    send_code(django_capture_on_commit_callbacks, phone=OTHER_PHONE, now=T0 + timedelta(minutes=2))
    bodies = [m.body.replace(latest_code(m.phone), "######") for m in SmsMessage.objects.order_by("-id")[:2]]
    assert bodies[0] == bodies[1]


# ---------------------------------------------------------------------------------------------------------------
# The HTTP gateway, against a real local HTTP server


class _Relay(BaseHTTPRequestHandler):
    status = 200
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def relay():
    _Relay.received, _Relay.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), _Relay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", _Relay
    server.shutdown()
    server.server_close()


KEY = bytes.fromhex("00112233445566778899aabbccddeeff")


def test_gateway_posts_signed_json_with_idempotency_key(relay):
    url, handler = relay
    sms.HttpSmsGateway(url=url, key=KEY).send(PHONE, "您的验证码为 123456", "sign_in", reference="tongban-outbox-7-sms")
    [(headers, body)] = handler.received
    assert json.loads(body) == {
        "phone": PHONE,
        "body": "您的验证码为 123456",
        "purpose": "sign_in",
        "reference": "tongban-outbox-7-sms",
    }
    timestamp = headers["X-Tongban-Timestamp"]
    assert headers["X-Tongban-Signature"] == hmac_sm3(KEY, timestamp.encode() + b"\n" + body).hex()
    assert headers["Idempotency-Key"] == "tongban-outbox-7-sms"
    assert headers["Content-Type"] == "application/json; charset=utf-8"


def test_gateway_failure_raises_so_the_outbox_retries(relay):
    url, handler = relay
    handler.status = 503
    with pytest.raises(sms.SmsSendError, match="HTTP 503"):
        sms.HttpSmsGateway(url=url, key=KEY).send(PHONE, "x", "sign_in")
    with pytest.raises(sms.SmsSendError, match="无法连接短信网关"):
        sms.HttpSmsGateway(url="http://127.0.0.1:9/sms", key=KEY).send(PHONE, "x", "sign_in")


def test_outbox_retries_a_failed_gateway_send(relay, settings, django_capture_on_commit_callbacks):
    url, handler = relay
    handler.status = 500
    settings.TONGBAN_SMS_BACKEND = "tongban.accounts.sms.HttpSmsGateway"
    settings.TONGBAN_SMS_GATEWAY_URL, settings.TONGBAN_SMS_GATEWAY_KEY = url, KEY
    with django_capture_on_commit_callbacks(execute=True):
        signin.sms_code_send(phone=PHONE, purpose=SIGN_IN, client=CLIENT, now=T0)
    message = OutboxMessage.objects.get(topic="accounts.sms")
    assert message.status == OutboxMessage.Status.PENDING and "HTTP 500" in message.last_error
    handler.status = 200
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=T0)
    assert outbox.deliver(message.pk) is outbox.Outcome.DONE
    assert len(handler.received) == 2 and SmsMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"TONGBAN_SMS_BACKEND": "not a path"}, "TONGBAN_SMS_BACKEND"),
        ({"TONGBAN_SMS_BACKEND": config.SMS_HTTP_BACKEND}, "TONGBAN_SMS_GATEWAY_URL"),
        (
            {"TONGBAN_SMS_BACKEND": config.SMS_HTTP_BACKEND, "TONGBAN_SMS_GATEWAY_URL": "https://sms.example"},
            "TONGBAN_SMS_GATEWAY_KEY",
        ),
    ],
)
def test_sms_configuration_is_checked(monkeypatch, tmp_path, env, error):
    monkeypatch.setenv("TONGBAN_VAR_DIR", str(tmp_path))
    for name in ("TONGBAN_SMS_BACKEND", "TONGBAN_SMS_GATEWAY_URL", "TONGBAN_SMS_GATEWAY_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigurationError, match=error):
        config.load_config()


def test_default_sender_is_local(monkeypatch, tmp_path):
    monkeypatch.setenv("TONGBAN_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("TONGBAN_SMS_BACKEND", raising=False)
    assert config.load_config().sms["backend"] == "tongban.accounts.sms.LocalSmsSender"
    assert SHANGHAI.key == "Asia/Shanghai"
