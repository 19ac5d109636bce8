"""Text messages (短信): the sender interface, the local sender the demo uses, and an HTTP gateway sender.

Services never call a sender directly: they `enqueue_sms(...)` inside their transaction, and the outbox handler
(`accounts/outbox_handlers.py`) calls the configured sender after commit, so a code is only sent for a change that
committed, and a broker or gateway outage delays the message instead of losing it.

Which sender runs is the setting TONGBAN_SMS_BACKEND (a dotted path). A deployment plugs in its operator's gateway
by writing a class with the same `send` method, or by pointing HttpSmsGateway at a relay that speaks its protocol.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from tongban.core import outbox
from tongban.core.crypto import hmac_sm3
from tongban.core.pii import decrypt_text, encrypt_text, mask_phone

logger = logging.getLogger("tongban.sms")

SMS_TOPIC = "accounts.sms"
# The outbox payload is stored as JSON; the phone and the body (which holds a live code) go in encrypted.
_PAYLOAD_AAD = b"outbox.accounts.sms"


class SmsSendError(Exception):
    """The message could not be handed to the carrier; the outbox retries it with backoff."""


class SmsSender(Protocol):
    """What every SMS backend provides. `reference` is stable per message: use it to send each message once."""

    name: str

    def send(self, phone: str, body: str, purpose: str, *, reference: str = "") -> None: ...


def get_sender() -> SmsSender:
    """The sender named by settings.TONGBAN_SMS_BACKEND."""
    return import_string(settings.TONGBAN_SMS_BACKEND)()


def enqueue_sms(*, phone: str, body: str, purpose: str) -> int:
    """Schedule a text message in the caller's transaction; it is sent after commit. Returns the outbox id."""
    payload = {
        "phone": encrypt_text(phone, aad=_PAYLOAD_AAD),
        "body": encrypt_text(body, aad=_PAYLOAD_AAD),
        "purpose": purpose,
    }
    return outbox.enqueue(SMS_TOPIC, payload).id


def deliver_sms(message_id: int, payload: dict) -> None:
    """The outbox handler's work: decrypt the payload and hand it to the configured sender."""
    phone = decrypt_text(payload["phone"], aad=_PAYLOAD_AAD)
    body = decrypt_text(payload["body"], aad=_PAYLOAD_AAD)
    get_sender().send(phone, body, payload["purpose"], reference=outbox.idempotency_key(message_id, "sms"))


class LocalSmsSender:
    """The demo's sender: keeps each message in the SmsMessage table (admin can read it) and logs it to the console.

    Nothing leaves the machine. `make run` shows the line "[短信] 138****5678: 您的验证码为 123456 …" in its log, so
    whoever tries the demo can read the code; the admin's 短信记录 page shows the same messages.
    """

    name = "local"

    def send(self, phone: str, body: str, purpose: str, *, reference: str = "") -> None:
        from tongban.accounts.models import SmsMessage

        outbox_id = _outbox_id(reference)
        if outbox_id is not None and SmsMessage.objects.filter(outbox_id=outbox_id).exists():
            return  # delivered before (at-least-once outbox): keep one copy and one log line
        try:
            with transaction.atomic():
                SmsMessage.objects.create(
                    phone=phone, body=body, purpose=purpose, backend=self.name, outbox_id=outbox_id
                )
        except IntegrityError:
            if outbox_id is None:
                raise
            return  # a concurrent delivery of the same message won
        logger.info("[短信] %s: %s", mask_phone(phone), body)


_REFERENCE_RE = re.compile(r"^tongban-outbox-(\d+)-sms$")


def _outbox_id(reference: str) -> int | None:
    """The outbox message id inside the reference deliver_sms passes ("tongban-outbox-<id>-sms"); else None."""
    match = _REFERENCE_RE.match(reference)
    return int(match.group(1)) if match else None


class HttpSmsGateway:
    """Posts each message as JSON to an SMS relay (TONGBAN_SMS_GATEWAY_URL), signed with HMAC-SM3.

    Request: POST {"phone", "body", "purpose", "reference"} with headers
      X-Tongban-Timestamp: Unix seconds
      X-Tongban-Signature: hex HMAC-SM3(TONGBAN_SMS_GATEWAY_KEY, "<timestamp>\\n" + request body bytes)
      Idempotency-Key: the reference (the same message retried carries the same key; the relay sends it once)
    Any 2xx answer is success. Anything else, a timeout or a refused connection raises SmsSendError, and the outbox
    retries with backoff. Nothing is stored locally: the codes leave the platform only through the relay.
    """

    name = "http"
    timeout_seconds = 10

    def __init__(self, url: str | None = None, key: bytes | None = None):
        self.url = url or settings.TONGBAN_SMS_GATEWAY_URL
        self.key = key or settings.TONGBAN_SMS_GATEWAY_KEY
        if not self.url or not self.key:
            raise SmsSendError("TONGBAN_SMS_GATEWAY_URL 和 TONGBAN_SMS_GATEWAY_KEY 未配置")

    def signature(self, timestamp: str, body: bytes) -> str:
        return hmac_sm3(self.key, timestamp.encode("ascii") + b"\n" + body).hex()

    def send(self, phone: str, body: str, purpose: str, *, reference: str = "") -> None:
        data = json.dumps(
            {"phone": phone, "body": body, "purpose": purpose, "reference": reference}, ensure_ascii=False
        ).encode("utf-8")
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 — the URL is the operator's configured https relay
            self.url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Tongban-Timestamp": timestamp,
                "X-Tongban-Signature": self.signature(timestamp, data),
                "Idempotency-Key": reference,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise SmsSendError(f"短信网关拒绝了消息：HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsSendError(f"无法连接短信网关：{exc}") from None
        if not 200 <= status < 300:
            raise SmsSendError(f"短信网关返回 HTTP {status}")
        logger.info("sms to %s handed to the gateway (%s)", mask_phone(phone), reference)
