"""Decision pages: the staff side of delivery (送达) and revocation (撤销) under
/workbench/review/cases/<number>/decision/ (urls_decision.py), and the applicant's withdrawal (撤回) and deferred
materials (补交容缺材料) under /cases/mine/<public_id>/ (urls_progress.py).

The workbench case page shows the decision panel (`cases/review/_decision_panel.html`, its data from the
`case_decision` template tag); its forms post here. Success goes back to the case page; a refused or invalid
submission is shown on this module's own page with the error summary beside the form, and nothing changed. Every
staff form carries the case's lock_version, so of two people acting at once one wins and the other sees CONFLICT.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tongban.accounts.views_staff import staff_page
from tongban.cases import access, decisions, delivery
from tongban.cases.errors import CaseError
from tongban.cases.forms_apply import MaterialFileForm
from tongban.cases.forms_workbench import DecisionForm as _Versioned
from tongban.cases.models import Case, Delivery, DeliveryMethod
from tongban.cases.uploads import upload_store
from tongban.core.errors import DomainError
from tongban.core.views import see_other as _redirect

TEMPLATES = "cases/review/"


def case_url(case: Case) -> str:
    return reverse("cases-review:case", args=[case.number]) + "#decision-title"


# ---------------------------------------------------------------------------------------------------------------
# Forms


class ArrangeForm(_Versioned):
    """How the result reaches the applicant."""

    method = forms.ChoiceField(
        label=gettext_lazy("送达方式"),
        choices=DeliveryMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择送达方式")},
    )
    window = forms.TypedChoiceField(
        label=gettext_lazy("出件窗口"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy("窗口领取时选择：本事项通办范围内任一大厅的出件窗口"),
    )
    carrier = forms.CharField(label=gettext_lazy("快递公司"), required=False, max_length=50)
    tracking_number = forms.CharField(label=gettext_lazy("运单号"), required=False, max_length=50)
    address = forms.CharField(label=gettext_lazy("收件地址"), required=False, max_length=200)

    def __init__(self, *args, windows=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("请选择"))] + [(w.pk, f"{w.hall.name} {w.number} {w.name}") for w in windows]
        self.fields["window"].choices = choices


class RecordForm(_Versioned):
    """Who received the result."""

    recipient = forms.CharField(
        label=gettext_lazy("签收人"),
        max_length=50,
        help_text=gettext_lazy("领取人、快递签收人或电子送达的接收人姓名"),
        error_messages={"required": gettext_lazy("请填写签收人")},
    )


class RevokeForm(_Versioned):
    reasons = forms.CharField(
        label=gettext_lazy("撤销理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("写明撤销的事实和依据，将载入撤销决定书"),
        error_messages={"required": gettext_lazy("请写明撤销的理由")},
    )


def panel_forms(case: Case, windows) -> dict:
    """Unbound forms of the decision panel, drawn with the case's current version."""
    initial = {"lock_version": case.lock_version}
    existing = Delivery.objects.filter(case=case).first()
    arrange_initial = initial | (
        {
            "method": existing.method,
            "window": existing.window_id,
            "carrier": existing.carrier,
            "tracking_number": existing.tracking_number,
            "address": existing.address,
        }
        if existing
        else {}
    )
    return {
        "arrange": ArrangeForm(initial=arrange_initial, windows=windows, prefix="arrange"),
        "record": RecordForm(initial=initial | {"recipient": case.applicant_name}, prefix="record"),
        "revoke": RevokeForm(initial=initial, prefix="revoke"),
    }


def panel_context(case: Case, user) -> dict:
    """What the decision panel shows this user on this case: the outcome and the forms they may use."""
    result = delivery.case_result(case)
    may_deliver = (
        result.decided
        and not result.delivered
        and (delivery.is_delivery_staff(user, case) or delivery.is_result_window_clerk(user, result.delivery))
    )
    may_arrange = may_deliver and delivery.is_delivery_staff(user, case)
    windows = delivery.result_windows(case) if may_arrange else []
    licence = result.licence.licence if result.licence and result.licence.state == "issued" else None
    return {
        "result": result,
        "forms": panel_forms(case, windows),
        "may_arrange": may_arrange,
        "may_record": may_deliver and result.delivery is not None,
        "may_revoke": case.status in decisions.GRANTED_STATUSES and decisions.may_revoke(user, case),
        "licence_url": reverse("licences:verify", args=[licence.identifier]) if licence else "",
        # A result-window clerk records the pick-up without seeing the case in review (nor its files).
        "may_open": access.may_see_case_in_review(user, case),
    }


def _field_errors(form: forms.Form, error: DomainError) -> None:
    for name, problems in (error.fields or {}).items():
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)


# ---------------------------------------------------------------------------------------------------------------
# Staff: delivery and revocation


def _render_page(request, case: Case, *, form_name: str, form: forms.Form, error=None, status: int = 400):
    context = {
        "case": case,
        "form": form,
        "form_name": form_name,
        "error": error,
        "result": delivery.case_result(case),
    }
    return render(request, TEMPLATES + "decision_form.html", context, status=status)


@staff_page
@require_http_methods(["POST"])
def delivery_arrange(request, number: str):
    """Arrange delivery: window pick-up, express or electronic."""
    case = delivery.access_case_for_delivery(request.user, number)
    windows = delivery.result_windows(case)
    form = ArrangeForm(request.POST, windows=windows, prefix="arrange")
    if not form.is_valid():
        return _render_page(request, case, form_name="arrange", form=form)
    data = form.cleaned_data
    try:
        delivery.delivery_arrange(
            actor=request.user,
            case=case,
            method=data["method"],
            window_id=data["window"],
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            address=data["address"],
            expected_version=data["lock_version"],
        )
    except DomainError as error:
        _field_errors(form, error)
        return _render_page(request, case, form_name="arrange", form=form, error=error, status=error.code.status)
    messages.success(request, _("已安排送达，申请人将收到通知。"))
    return _redirect(case_url(case))


@staff_page
@require_http_methods(["POST"])
def delivery_record(request, number: str):
    """Record 送达; the 送达回证 is issued."""
    case = delivery.access_case_for_delivery(request.user, number)
    form = RecordForm(request.POST, prefix="record")
    if not form.is_valid():
        return _render_page(request, case, form_name="record", form=form)
    try:
        delivery.delivery_record(
            actor=request.user,
            case=case,
            recipient=form.cleaned_data["recipient"],
            expected_version=form.cleaned_data["lock_version"],
        )
    except DomainError as error:
        _field_errors(form, error)
        return _render_page(request, case, form_name="record", form=form, error=error, status=error.code.status)
    messages.success(request, _("已登记送达，送达回证已出具。"))
    if access.may_see_case_in_review(request.user, case):
        return _redirect(case_url(case))
    return _redirect(reverse("cases-decision:page", args=[case.number]))


@staff_page
@require_http_methods(["GET"])
def decision_page(request, number: str):
    """The decision panel on its own page (for a result-window clerk who does not see the case in review)."""
    case = delivery.access_case_for_delivery(request.user, number)
    return render(request, TEMPLATES + "decision_page.html", {"case": case})


@staff_page
@require_http_methods(["GET", "POST"])
def case_revoke(request, number: str):
    """Revoke a grant (撤销): a confirmation page with the reasons, then the revocation."""
    case = access.access_case_for_reviewer(request.user, number)
    if not decisions.may_revoke(request.user, case):
        raise DomainError(CaseError.REVOKE_NOT_ALLOWED)
    if case.status not in decisions.GRANTED_STATUSES:
        messages.error(request, CaseError.NOT_REVOCABLE.message)
        return _redirect(case_url(case))
    form = RevokeForm(request.POST or None, initial={"lock_version": case.lock_version}, prefix="revoke")
    error, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                decisions.case_revoke(
                    actor=request.user,
                    case=case,
                    reasons=form.cleaned_data["reasons"],
                    expected_version=form.cleaned_data["lock_version"],
                )
            except DomainError as caught:
                _field_errors(form, caught)
                error, status = caught, caught.code.status
            else:
                messages.success(request, _("已撤销准予许可决定，撤销决定书已出具，申请人将收到通知。"))
                return _redirect(case_url(case))
        else:
            status = 400
    context = {"case": case, "form": form, "error": error, "result": delivery.case_result(case)}
    return render(request, TEMPLATES + "decision_revoke.html", context, status=status)


# ---------------------------------------------------------------------------------------------------------------
# Applicant: 撤回 and 补交容缺材料


def _applicant_case(request, public_id) -> Case:
    return access.access_case_for_applicant(request.user, request.acting_identity, public_id)


def _detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


class RetractForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("撤回原因（选填）"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_retract(request, public_id):
    """Withdraw an accepted case before the decision (撤回): a confirmation page, then the withdrawal."""
    case = _applicant_case(request, public_id)
    if case.status not in decisions.UNDECIDED_STATUSES:
        messages.error(request, CaseError.RETRACT_DECIDED.message)
        return _redirect(_detail_url(case))
    form = RetractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decisions.case_retract(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("您已撤回该申请，办理机构将停止办理。"))
        return _redirect(_detail_url(case))
    return render(request, "cases/progress/retract.html", {"case": case, "form": form})


def _deferred_upload_form(*args, choices):
    """The upload form for one of the materials named here."""
    return MaterialFileForm(*args, choices=choices, material_label=gettext_lazy("补交的材料"))


@login_required
@require_http_methods(["GET", "POST"])
def case_deferred(request, public_id):
    """Supply the materials deferred at acceptance (补交容缺材料), one upload at a time."""
    case = _applicant_case(request, public_id)
    owed = decisions.owed_materials(case)
    if not owed or case.status not in decisions.DEFERRED_SUPPLY_STATUSES:
        messages.error(request, _("该办件当前没有需要补交的容缺材料。"))
        return _redirect(_detail_url(case))
    choices = [(material.pk, material.name) for material in owed]
    form = _deferred_upload_form(request.POST or None, request.FILES or None, choices=choices)
    error, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                upload = upload_store(actor=request.user, file=form.cleaned_data["file"])
                decisions.deferred_supply(
                    actor=request.user, case=case, material_id=form.cleaned_data["material"], upload_id=upload.pk
                )
            except DomainError as caught:
                error, status = caught, caught.code.status
            else:
                messages.success(request, _("已补交，办理机构将收到通知。"))
                remaining = len(owed) - 1
                return _redirect(request.path if remaining else _detail_url(case))
        else:
            status = 400
    context = {"case": case, "owed": owed, "form": form, "error": error}
    return render(request, "cases/progress/deferred.html", context, status=status)
