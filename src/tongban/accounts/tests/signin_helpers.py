"""Helpers shared by the sign-in tests: fixed clocks, sending a code and reading it from the local sender."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tongban.accounts import signin
from tongban.accounts.models import SmsMessage

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=SHANGHAI)
PHONE = "13800138000"
OTHER_PHONE = "13900139000"
IP = "203.0.113.7"
CLIENT = signin.Client(ip=IP, user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile Safari/537.36")
PASSWORD = "Tongban@2026"

_CODE_RE = re.compile(r"验证码为 (\d{6})")


def latest_code(phone: str = PHONE) -> str:
    """The code in the newest message the local sender stored for `phone` (decrypted by the model)."""
    for message in SmsMessage.objects.order_by("-id"):
        if message.phone == phone:
            return _CODE_RE.search(message.body).group(1)
    raise AssertionError(f"no SMS for {phone}")


def send_code(capture, *, phone=PHONE, purpose="sign_in", client=CLIENT, now=T0) -> str:
    """Send a code and deliver it (the after-commit outbox path); return the code the phone received."""
    with capture(execute=True):
        signin.sms_code_send(phone=phone, purpose=purpose, client=client, now=now)
    return latest_code(phone)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"
