"""Typed errors: each app declares an ErrorCode enum; services raise DomainError(code); API and pages map it once.

A member's value is (HTTP status, message). Messages are lazy translations, Chinese by default.
"""

from __future__ import annotations

import enum
from typing import Any

from django.utils.translation import gettext_lazy as _


class ErrorCode(enum.Enum):
    """Base for the per-app error enums; subclass it in <app>/errors.py."""

    def __init__(self, status: int, message):
        self.status = status
        self.message = message

    @property
    def code(self) -> str:
        """Stable machine-readable code, e.g. "core.not_found"."""
        app = type(self).__module__.split(".")[1] if type(self).__module__.startswith("tongban.") else "app"
        return f"{app}.{self.name.lower()}"


class CoreError(ErrorCode):
    """Errors of the foundation (core) app."""

    NOT_FOUND = 404, _("您要找的内容不存在或已被删除")
    PERMISSION_DENIED = 403, _("您没有权限执行此操作")
    INVALID_INPUT = 400, _("提交的信息有误，请检查后重试")
    CONFLICT = 409, _("该记录已被他人修改，请刷新后重试")
    REGION_NOT_FOUND = 404, _("行政区划不存在")
    INVALID_REGION_FILE = 400, _("行政区划文件有误，未导入任何数据")
    CALENDAR_INVALID = 400, _("日期或天数不正确")
    SERIAL_EXHAUSTED = 409, _("今日编号已用完（每日最多 9999 号），请联系系统管理员")


class DomainError(Exception):
    """A business rule said no. Carries a typed code, an optional detail and field errors for forms."""

    def __init__(self, code: ErrorCode, detail: str | None = None, *, fields: dict[str, list[str]] | None = None):
        self.code = code
        self.detail = detail
        self.fields = fields or {}
        super().__init__(f"{code.code}: {detail or code.message}")

    @property
    def message(self) -> str:
        return str(self.detail or self.code.message)

    def as_body(self, request_id: str = "") -> dict[str, Any]:
        """The JSON body every API error uses."""
        body: dict[str, Any] = {"code": self.code.code, "message": self.message}
        if self.fields:
            body["fields"] = {name: [str(m) for m in msgs] for name, msgs in self.fields.items()}
        if request_id:
            body["request_id"] = request_id
        return body


def install_error_handlers(api) -> None:
    """Map DomainError, validation errors and 404/403 to the one error body on a NinjaAPI."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404
    from ninja.errors import ValidationError as NinjaValidationError

    def respond(request, error: DomainError):
        return api.create_response(request, error.as_body(getattr(request, "request_id", "")), status=error.code.status)

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return respond(request, exc)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(err.get("loc", [])), []).append(_field_message(err))
        return respond(request, DomainError(CoreError.INVALID_INPUT, fields=fields))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, DomainError(CoreError.NOT_FOUND))

    @api.exception_handler(PermissionDenied)
    def denied(request, exc):
        return respond(request, DomainError(CoreError.PERMISSION_DENIED))


# Chinese wording for the pydantic error types clients meet most; anything else gets the generic message.
_VALIDATION_MESSAGES = {
    "missing": _("此项为必填项"),
    "int_parsing": _("请输入整数"),
    "int_type": _("请输入整数"),
    "float_parsing": _("请输入数字"),
    "bool_parsing": _("请选择是或否"),
    "string_type": _("请输入文字"),
    "string_too_short": _("内容太短"),
    "string_too_long": _("内容太长"),
    "date_from_datetime_parsing": _("请输入正确的日期，如 2025-01-31"),
    "date_parsing": _("请输入正确的日期，如 2025-01-31"),
    "datetime_parsing": _("请输入正确的时间"),
    "enum": _("请从给定选项中选择"),
    "literal_error": _("请从给定选项中选择"),
    "greater_than_equal": _("数值太小"),
    "less_than_equal": _("数值太大"),
    "json_invalid": _("请求内容不是有效的 JSON"),
}


def _field_name(loc) -> str:
    """ "count" for ("body", "payload", "count"): drop the location and, for a body schema, the parameter name."""
    parts = [str(part) for part in loc]
    parts = parts[2:] if len(parts) > 2 and parts[0] == "body" else parts[1:]
    return ".".join(parts) or "body"


def _field_message(err: dict) -> str:
    """A Chinese message for a pydantic error; a validator's own message (ValueError text) is kept as written."""
    if err.get("type") == "value_error":
        return str(err.get("ctx", {}).get("error", "")) or err.get("msg", "")
    return str(_VALIDATION_MESSAGES.get(err.get("type", ""), _("格式不正确")))


class DomainErrorMiddleware:
    """Turn a DomainError that escapes a page view into a page: the 403/404 pages for those codes, otherwise an
    error page (with the error's HTTP status) carrying the Chinese message, field errors, the request id and a way
    back. Views that can do better (re-render a form with `error.fields`) catch DomainError themselves; the API maps
    errors in install_error_handlers and never reaches this.

    An htmx request gets the message alone, swapped into <main>: htmx does not swap 4xx responses, so it is sent
    with status 200 and the code in the X-Error-Code header.
    """

    STATUS_TEMPLATES = {403: "403.html", 404: "404.html"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        from django.shortcuts import render

        status = exception.code.status
        context = {
            "error_code": exception.code.code,
            "error_message": exception.message,
            "error_fields": {name: [str(m) for m in msgs] for name, msgs in exception.fields.items()},
            "request_id": getattr(request, "request_id", ""),
            "back_url": _safe_referer(request),
        }
        if getattr(request, "htmx", False):
            response = render(request, "core/_domain_error_alert.html", context)
            response["HX-Retarget"] = "#main"
            response["HX-Reswap"] = "innerHTML"
            response["X-Error-Code"] = exception.code.code
            return response
        template = self.STATUS_TEMPLATES.get(status, "core/domain_error.html")
        return render(request, template, context, status=status)


def _safe_referer(request) -> str:
    """The page the user came from, if it is on this site (never send them to another host)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return referer
    return ""
