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
            name = ".".join(str(part) for part in err.get("loc", [])[1:]) or "body"
            fields.setdefault(name, []).append(err.get("msg", ""))
        return respond(request, DomainError(CoreError.INVALID_INPUT, fields=fields))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, DomainError(CoreError.NOT_FOUND))

    @api.exception_handler(PermissionDenied)
    def denied(request, exc):
        return respond(request, DomainError(CoreError.PERMISSION_DENIED))
