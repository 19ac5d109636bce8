"""The issuing organisation's licence pages (证照管理), mounted at /workbench/licences/: search its licences, see one,
change it (变更), revoke or cancel it (撤销/注销, with a confirmation), and enter paper-era licences from a file
(纸质证照入库: upload, validation report, then import all or only the valid rows).

Staff pages (signed in, second factor passed). Licences and types are loaded only through lifecycle.py's access
functions, scoped to the organisations where the user is an approver (审批/签发); another organisation's licence
answers 404 and nothing changes. Views parse, authorise, call one service and render.
"""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from tongban.accounts.views_staff import staff_page
from tongban.core.errors import DomainError
from tongban.core.pii import mask_id_number
from tongban.core.views import see_other as _redirect
from tongban.licences import imports, lifecycle, selectors
from tongban.licences.errors import LicenceError
from tongban.licences.models import Licence, LicenceStatus, LicenceType

TEMPLATES = "licences/staff/"
PER_PAGE = 20
IMPORT_DIR = "licences/imports/"
PAGE_MAX_ROWS = 2000  # a page request seals every row before answering; bigger files go through the command
_TOKEN_LENGTH = 32


def detail_url(licence: Licence) -> str:
    return reverse("licences-staff:detail", args=[licence.identifier])


def _licence(request, identifier: str) -> Licence:
    try:
        return lifecycle.licence_for_issuer_staff(request.user, identifier)
    except DomainError as error:
        raise Http404(error.message) from None


# ---------------------------------------------------------------------------------------------------------------
# Search and detail


class SearchForm(forms.Form):
    """What the search page filters by."""

    q = forms.CharField(label=gettext_lazy("证照标识、证照编号或持证主体名称"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部")), *LicenceStatus.choices]
    )


@staff_page
@require_GET
def licence_list(request):
    """The licences of the user's organisations, newest first, filtered by identifier / number / holder and status."""
    form = SearchForm(request.GET or None)
    licences = lifecycle.staff_licences(request.user).select_related("licence_type", "issuer")
    if form.is_valid():
        text = form.cleaned_data["q"].strip()
        if text:
            licences = licences.filter(
                Q(identifier=text.upper()) | Q(licence_number=text) | Q(holder_name__icontains=text)
            )
        if form.cleaned_data["status"]:
            licences = licences.filter(status=form.cleaned_data["status"])
    page = Paginator(licences.order_by("-created_at", "-id"), PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        {
            "licence": licence,
            "url": detail_url(licence),
            "status_label": LicenceStatus(selectors.licence_status(licence, today)).label,
        }
        for licence in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "may_import": lifecycle.staff_licence_types(request.user).exists(),
    }
    return render(request, TEMPLATES + "list.html", context)


def _versions(licence: Licence) -> list[Licence]:
    """The licence's versions, oldest first (a short chain: one query per version)."""
    chain, current = [licence], licence
    while current.replaces_id is not None and len(chain) < 50:
        current = Licence.objects.get(pk=current.replaces_id)
        chain.insert(0, current)
    newest = lifecycle.current_version(licence)
    if newest.pk != licence.pk:
        following = licence
        while following.pk != newest.pk and len(chain) < 100:
            following = Licence.objects.get(replaces=following)
            chain.append(following)
    return chain


@staff_page
@require_GET
def licence_detail(request, identifier: str):
    """One licence: its data (the holder's ID masked), status, versions, and the actions open to it."""
    licence = _licence(request, identifier)
    status = selectors.licence_status(licence, timezone.localdate())
    context = {
        "licence": licence,
        "status": status,
        "status_label": LicenceStatus(status).label,
        "holder_id_masked": mask_id_number(licence.holder_id_number),
        "fields": [
            (item.get("label") or item["name"], licence.fields.get(item["name"], ""))
            for item in licence.licence_type.field_definitions or []
        ],
        "versions": _versions(licence),
        "may_change": status == LicenceStatus.VALID,
        "may_revoke": status in (LicenceStatus.VALID, LicenceStatus.EXPIRED),
    }
    return render(request, TEMPLATES + "detail.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Revoke (撤销/注销) and change (变更)


class RevokeForm(forms.Form):
    """The kind of revocation and its reason; the confirmation page posts `confirmed`."""

    kind = forms.ChoiceField(
        label=gettext_lazy("处理方式"),
        choices=[(key, label) for key, label in lifecycle.REVOCATION_KINDS.items()],
        widget=forms.RadioSelect,
        help_text=gettext_lazy("撤销：许可依法被撤销或吊销；注销：持证主体终止经营、许可有效期届满未延续等依法注销"),
    )
    reason = forms.CharField(
        label=gettext_lazy("原因"), max_length=450, widget=forms.Textarea(attrs={"rows": 4}), strip=True
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


@staff_page
@require_http_methods(["GET", "POST"])
def licence_revoke(request, identifier: str):
    """撤销/注销: a form, a confirmation page that says what will happen, then the revocation."""
    licence = _licence(request, identifier)
    form = RevokeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data["confirmed"]:
            return render(request, TEMPLATES + "revoke_confirm.html", {"licence": licence, "form": form})
        try:
            lifecycle.licence_withdraw(
                actor=request.user,
                licence=licence,
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(
                request,
                _("证照已%(kind)s，核验结果即时显示为已撤销。")
                % {"kind": lifecycle.REVOCATION_KINDS[form.cleaned_data["kind"]]},
            )
            return _redirect(detail_url(licence))
    status = 400 if form.errors or error else 200
    context = {"licence": licence, "form": form, "error": error}
    return render(request, TEMPLATES + "revoke.html", context, status=status if request.method == "POST" else 200)


def change_form_class(licence_type: LicenceType) -> type[forms.Form]:
    """A form with the holder's name, each field of the licence type, and the reason for the change."""
    attributes = {
        "holder_name": forms.CharField(label=gettext_lazy("持证主体名称"), max_length=200),
    }
    for item in licence_type.field_definitions or []:
        attributes[f"field_{item['name']}"] = forms.CharField(
            label=item.get("label") or item["name"],
            required=bool(item.get("required")),
            max_length=1000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
    attributes["reason"] = forms.CharField(
        label=gettext_lazy("变更原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    return type("LicenceChangeForm", (forms.Form,), attributes)


@staff_page
@require_http_methods(["GET", "POST"])
def licence_change(request, identifier: str):
    """变更: the licence's data prefilled; saving issues a new version and supersedes this one."""
    licence = _licence(request, identifier)
    form_class = change_form_class(licence.licence_type)
    initial = {"holder_name": licence.holder_name} | {f"field_{k}": v for k, v in licence.fields.items()}
    form = form_class(request.POST or None, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            item["name"]: data[f"field_{item['name']}"]
            for item in licence.licence_type.field_definitions or []
            if data.get(f"field_{item['name']}")
        }
        try:
            new = lifecycle.licence_change(
                actor=request.user,
                licence=licence,
                fields=fields,
                reason=data["reason"],
                holder_name=data["holder_name"],
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("已变更，新版本证照正在生成 PDF，原证照已标记为已变更。"))
            return _redirect(detail_url(new))
    status = 400 if request.method == "POST" else 200
    return render(request, TEMPLATES + "change.html", {"licence": licence, "form": form, "error": error}, status=status)


# ---------------------------------------------------------------------------------------------------------------
# Historical import (纸质证照入库)


class ImportUploadForm(forms.Form):
    """The licence type and the file to check."""

    licence_type = forms.ModelChoiceField(label=gettext_lazy("证照类型"), queryset=LicenceType.objects.none())
    file = forms.FileField(
        label=gettext_lazy("导入文件"), help_text=gettext_lazy("Excel（.xlsx）或 CSV 文件，首行为列名，不超过 20 MB")
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["licence_type"].queryset = lifecycle.staff_licence_types(user).filter(active=True)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(_("文件超过 20 MB"))
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("请上传 .xlsx 或 .csv 文件"))
        return upload


def _held_name(token: str, name: str) -> str:
    return f"{IMPORT_DIR}{token}{'.xlsx' if name.lower().endswith('.xlsx') else '.csv'}"


def _held_file(token: str) -> tuple[str, bytes] | None:
    """A checked file kept between the report and the import, by its random token (never a user-chosen path)."""
    if len(token) != _TOKEN_LENGTH or not token.isalnum():
        return None
    for suffix in (".xlsx", ".csv"):
        name = f"{IMPORT_DIR}{token}{suffix}"
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as handle:
                return name, handle.read()
    return None


@staff_page
@require_http_methods(["GET", "POST"])
def licence_import(request):
    """Upload a file: the validation report names every bad row and column; then import all rows (a clean file) or
    only the valid rows (the operator's choice), or correct the file and upload it again."""
    types = lifecycle.staff_licence_types(request.user).filter(active=True)
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    context = {"form": form, "types": types, "report": None, "error": None}
    if request.method == "POST" and request.POST.get("token"):
        return _import_run(request, context)
    if request.method == "POST" and form.is_valid():
        upload, licence_type = form.cleaned_data["file"], form.cleaned_data["licence_type"]
        content = upload.read()
        try:
            report = imports.import_check(licence_type=licence_type, name=upload.name, content=content)
            if report.total > PAGE_MAX_ROWS:
                raise DomainError(LicenceError.IMPORT_TOO_MANY_ROWS)
        except DomainError as exc:
            context["error"] = exc
        else:
            token = secrets.token_hex(_TOKEN_LENGTH // 2)
            default_storage.save(_held_name(token, upload.name), ContentFile(content))
            context |= {"report": report, "token": token, "licence_type": licence_type, "file_name": upload.name}
    status = 400 if request.method == "POST" and (form.errors or context["error"]) else 200
    return render(request, TEMPLATES + "import.html", context, status=status)


def _import_run(request, context: dict):
    held = _held_file(request.POST["token"])
    licence_type = lifecycle.staff_licence_types(request.user).filter(pk=request.POST.get("licence_type")).first()
    if held is None or licence_type is None:
        context["error"] = DomainError(LicenceError.IMPORT_FILE_INVALID, _("导入文件已失效，请重新上传"))
        return render(request, TEMPLATES + "import.html", context, status=400)
    name, content = held
    try:
        report = imports.licences_import(
            actor=request.user,
            licence_type=licence_type,
            name=request.POST.get("file_name", name)[:200],
            content=content,
            valid_rows_only=request.POST.get("valid_rows_only") == "on",
        )
    except DomainError as exc:
        context["error"] = exc
        return render(request, TEMPLATES + "import.html", context, status=400)
    default_storage.delete(name)
    return render(request, TEMPLATES + "import_done.html", {"report": report, "licence_type": licence_type})


@staff_page
@require_GET
def import_template(request, code: str):
    """An empty import file for one of the user's licence types (the header row only)."""
    licence_type = lifecycle.staff_licence_types(request.user).filter(code=code.upper()).first()
    if licence_type is None:
        raise Http404(_("没有该证照类型"))
    response = HttpResponse(imports.template_csv(licence_type), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="licence-import-{licence_type.code}.csv"'
    return response
