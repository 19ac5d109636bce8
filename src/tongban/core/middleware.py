"""Request context (request id, client IP, user agent) kept for the audit log and for log lines."""

from __future__ import annotations

import logging
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

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


# The enterprise the signed-in person acts for in this request (以企业身份办事), set by accounts.acting's middleware;
# audit.record writes it on every entry whose caller names none. None outside requests and for personal identity.
_acting_for: ContextVar = ContextVar("tongban_acting_for", default=None)


def set_acting_for(user_or_none):
    """Make `user_or_none` (an enterprise account, or None) the acting-for of this context; returns a reset token."""
    return _acting_for.set(user_or_none)


def reset_acting_for(token) -> None:
    _acting_for.reset(token)


def current_acting_for():
    """The enterprise the current request acts for, or None."""
    return _acting_for.get()


def client_ip(request) -> str | None:
    """The client address: REMOTE_ADDR, or the first X-Forwarded-For hop when a trusted proxy sets it."""
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


class LanguageMiddleware:
    """Chinese unless the person chose English with the language switch (cookie); API clients may ask by header.

    Django's LocaleMiddleware follows the browser's Accept-Language, so a phone set to English, or a borrowed one,
    would show an elderly applicant an English page she never asked for. Pages follow only the explicit choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        translation.activate(chosen_language(request, honour_header=api))
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            # The worker thread goes on to serve other requests (and, in tests, other code): leave no language behind.
            translation.deactivate()
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Accept-Language",) if api else ("Cookie",))
        return response


def chosen_language(request, *, honour_header: bool) -> str:
    """The language cookie if it names a supported language, else (for API clients) Accept-Language, else Chinese."""
    supported = {code for code, _name in settings.LANGUAGES}
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in supported:
        return chosen
    if honour_header:
        from_header = translation.get_language_from_request(request)
        if from_header in supported:
            return from_header
    return settings.LANGUAGE_CODE
