"""Request context (request id, client IP, user agent) kept for the audit log and for log lines."""

from __future__ import annotations

import logging
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

REQUEST_ID_HEADER = "X-Request-ID"


@dataclass(frozen=True)
class RequestContext:
    """Who is asking, from where: what the audit log records beside the actor."""

    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""


_NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("tongban_request_context", default=None)


def current_request_context() -> RequestContext:
    """The current request's context; an empty one in commands, jobs and tasks."""
    return _current.get() or _NO_REQUEST


def client_ip(request) -> str | None:
    """The client address: REMOTE_ADDR, or the first X-Forwarded-For hop when a trusted proxy sets it."""
    from django.conf import settings

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def _valid_request_id(value: str) -> bool:
    return 0 < len(value) <= 64 and all(ch.isalnum() or ch in "-_." for ch in value)


class RequestContextMiddleware:
    """Give every request an id (or keep the proxy's), echo it in the response, and expose it to audit and logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _valid_request_id(incoming) else uuid.uuid4().hex
        context = RequestContext(
            request_id=request_id,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
        )
        request.request_id = request_id
        token = _current.set(context)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    """Add the current request id to every log record (empty outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_context().request_id or "-"
        return True
