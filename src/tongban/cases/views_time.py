"""Time pages of the review workbench, mounted at /workbench/review/cases/<number>/time/ (urls_time.py): special
procedures (特别程序) and extensions (延期).

The workbench case page includes `cases/review/_time_panel.html` (its data from the `case_time` template tag, which
calls `panel_context` here); its forms post to the views below. Success goes back to the case page; an invalid or
refused submission is shown on this module's own page (`time_page.html`) with the error summary beside the forms,
and nothing changed. Every form carries the case's lock_version, so of two people acting at once one wins and the
other sees CONFLICT. Views only parse, authorise (the case through access.access_case_for_reviewer), call one service
and render.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tongban.accounts.views_staff import staff_page
from tongban.cases import access, extensions, special
from tongban.cases.forms_workbench import DecisionForm as _Versioned
from tongban.cases.models import Case, SpecialProcedureKind
from tongban.core.errors import DomainError
from tongban.core.views import see_other as _redirect

TEMPLATES = "cases/review/"
FORM_NAMES = ("start", "end", "request", "decide")


def case_url(case: Case) -> str:
    return reverse("cases-review:case", args=[case.number]) + "#time-title"


# ---------------------------------------------------------------------------------------------------------------
# Forms


class SpecialStartForm(_Versioned):
    """Start a special procedure: what, why, on what basis, until when."""

    kind = forms.ChoiceField(
        label=gettext_lazy("特别程序类型"),
        choices=SpecialProcedureKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择特别程序的类型")},
    )
    reason = forms.CharField(
        label=gettext_lazy("原因"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("将载入特别程序告知书，告知申请人"),
        error_messages={"required": gettext_lazy("请填写理由")},
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("法律依据"),
        max_length=2000,
        help_text=gettext_lazy("例如：《中华人民共和国行政许可法》第四十七条"),
        error_messages={"required": gettext_lazy("请填写启动特别程序的法律依据")},
    )
    expected_end = forms.DateField(
        label=gettext_lazy("预计结束日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": gettext_lazy("请填写预计结束日期"),
            "invalid": gettext_lazy("请按 年-月-日 填写日期，例如 2026-10-12"),
        },
    )


class SpecialEndForm(_Versioned):
    result = forms.CharField(
        label=gettext_lazy("结果"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("例如：现场勘验合格；检验报告编号"),
        error_messages={"required": gettext_lazy("请填写特别程序的结果")},
    )


class ExtensionRequestForm(_Versioned):
    days = forms.IntegerField(
        label=gettext_lazy("延长工作日"),
        min_value=1,
        max_value=extensions.JOINT_MAXIMUM,
        error_messages={
            "required": gettext_lazy("请填写延长的工作日数（至少 1 个工作日）"),
            "invalid": gettext_lazy("请填写延长的工作日数（至少 1 个工作日）"),
            "min_value": gettext_lazy("请填写延长的工作日数（至少 1 个工作日）"),
            "max_value": gettext_lazy("最多可延长 15 个工作日"),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("延期理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("将载入延长办理期限告知书，告知申请人"),
        error_messages={"required": gettext_lazy("请填写理由")},
    )


class ExtensionDecideForm(_Versioned):
    decision = forms.ChoiceField(
        label=gettext_lazy("批示"),
        choices=[("approve", gettext_lazy("批准延期")), ("refuse", gettext_lazy("不批准"))],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择批准或不批准")},
    )
    note = forms.CharField(
        label=gettext_lazy("批示意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


FORMS = {
    "start": SpecialStartForm,
    "end": SpecialEndForm,
    "request": ExtensionRequestForm,
    "decide": ExtensionDecideForm,
}


def panel_context(case: Case, user, bound: dict | None = None) -> dict:
    """What the time panel shows this user on this case: the special procedures with their paused days, the
    extensions, the limit left, and the forms the user may use (unbound unless `bound` carries a submitted one)."""
    bound = bound or {}
    state = extensions.time_state(user, case)
    initial = {"lock_version": case.lock_version}
    forms_ = {name: bound.get(name) or FORMS[name](initial=initial, prefix=name) for name in FORM_NAMES}
    return {
        "procedures": state.procedures,
        "running": state.running,
        "extensions": state.extensions,
        "pending": state.pending,
        "limit": state.limit,
        "used": case.extended_days,
        "left": max(state.limit - case.extended_days, 0),
        "may_start": state.may_start,
        "may_end": state.may_end,
        "may_request": state.may_request,
        "may_decide": state.may_decide,
        "forms": forms_,
    }


# ---------------------------------------------------------------------------------------------------------------
# Views


def _field_errors(form: forms.Form, error: DomainError) -> None:
    for name, problems in (error.fields or {}).items():
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)


def _render_page(request, case: Case, name: str, form: forms.Form, *, error=None, status: int = 400):
    context = {
        "case": case,
        "form": form,
        "error": error,
        "time": panel_context(case, request.user, {name: form}),
    }
    return render(request, TEMPLATES + "time_page.html", context, status=status)


def _act(request, number: str, name: str, call, success: str):
    """Parse the posted form `name`, call the service with the cleaned data; success back to the case page."""
    case = access.access_case_for_reviewer(request.user, number)
    form = FORMS[name](request.POST, prefix=name)
    if not form.is_valid():
        return _render_page(request, case, name, form)
    try:
        success = call(case, form.cleaned_data) or success
    except DomainError as error:
        _field_errors(form, error)
        case.refresh_from_db()
        return _render_page(request, case, name, form, error=error, status=error.code.status)
    messages.success(request, success)
    return _redirect(case_url(case))


@staff_page
@require_http_methods(["GET"])
def time_page(request, number: str):
    """The time panel on its own page."""
    case = access.access_case_for_reviewer(request.user, number)
    context = {"case": case, "form": None, "error": None, "time": panel_context(case, request.user)}
    return render(request, TEMPLATES + "time_page.html", context)


@staff_page
@require_http_methods(["POST"])
def special_start(request, number: str):
    """Start a special procedure: the clock pauses; 特别程序告知书 to the applicant."""

    def call(case, data):
        special.special_procedure_start(
            actor=request.user,
            case=case,
            kind=data["kind"],
            reason=data["reason"],
            legal_basis=data["legal_basis"],
            expected_end=data["expected_end"],
            expected_version=data["lock_version"],
        )

    return _act(request, number, "start", call, _("特别程序已开始，办理时限暂停计算，特别程序告知书已出具。"))


@staff_page
@require_http_methods(["POST"])
def special_end(request, number: str):
    """End the running special procedure: the dates move by the working days paused."""

    def call(case, data):
        special.special_procedure_end(
            actor=request.user, case=case, result=data["result"], expected_version=data["lock_version"]
        )

    return _act(request, number, "end", call, _("特别程序已结束，承诺办结日期和法定办结日期已按暂停的工作日顺延。"))


@staff_page
@require_http_methods(["POST"])
def extension_request(request, number: str):
    """Ask the head for more working days."""

    def call(case, data):
        extensions.extension_request(
            actor=request.user,
            case=case,
            days=data["days"],
            reason=data["reason"],
            expected_version=data["lock_version"],
        )

    return _act(request, number, "request", call, _("延期申请已提交，待机构负责人批准。"))


@staff_page
@require_http_methods(["POST"])
def extension_decide(request, number: str, extension_id: int):
    """The head approves or refuses the pending extension."""

    def call(case, data):
        extension = extensions.access_extension(request.user, case, extension_id)
        approve = data["decision"] == "approve"
        extensions.extension_decide(
            actor=request.user,
            extension=extension,
            approve=approve,
            note=data["note"],
            expected_version=data["lock_version"],
        )
        if approve:
            return _("已批准延期，法定办结日期已顺延，延长办理期限告知书已出具。")
        return _("已不批准该延期申请，申请人（承办人）将收到通知。")

    return _act(request, number, "decide", call, "")
