"""Bulk maintenance pages for catalogue editors (批量导入导出): export, import upload, validation report, result.

Staff pages with the second factor (accounts' staff_page). The organisations offered are those the editor covers;
the transfer module checks the role again before it reads or writes anything. A file with errors is kept in a
private temporary directory, named by its SHA-256 hash, until the editor chooses "只导入无误的行"
(or uploads again); only the hash, organisation and file name go into the session.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tongban.accounts.access import organisations_where
from tongban.accounts.models import StaffRole
from tongban.accounts.views_staff import staff_page
from tongban.catalog import transfer
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import ImplementationItem
from tongban.core.errors import DomainError

TEMPLATES = "catalog/transfer/"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PENDING = "catalog_import_pending"
RESULT = "catalog_import_result"
PENDING_LIFETIME_SECONDS = 24 * 60 * 60
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _editor_organisations(user):
    return (
        organisations_where(user, StaffRole.CATALOGUE_EDITOR).select_related("region").order_by("region__code", "name")
    )


class ExportForm(forms.Form):
    """Which organisations' items, in which format."""

    file_format = forms.ChoiceField(
        label=gettext_lazy("文件格式"),
        choices=[
            ("xlsx", gettext_lazy("Excel（.xlsx），便于查看和批量修改")),
            ("json", gettext_lazy("JSON，便于系统间交换")),
        ],
        widget=forms.RadioSelect,
        initial="xlsx",
    )
    organisations = forms.ModelMultipleChoiceField(
        label=gettext_lazy("实施主体"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("导出所选机构的全部事项：已发布的导出现行版本，未发布的导出最新版本。"),
        error_messages={"required": gettext_lazy("请至少选择一个机构")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = _editor_organisations(user)


class ImportForm(forms.Form):
    """The organisation the file is for and the file itself."""

    organisation = forms.ModelChoiceField(
        label=gettext_lazy("实施主体"),
        queryset=None,
        empty_label=None,
        help_text=gettext_lazy("文件中事项的实施编码须以该机构的统一社会信用代码开头。"),
    )
    upload = forms.FileField(
        label=gettext_lazy("导入文件"),
        help_text=gettext_lazy("导出的 Excel（.xlsx）或 JSON 文件，不超过 10 MB。"),
        error_messages={"required": gettext_lazy("请选择要导入的文件")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _editor_organisations(user)

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件不能超过 10 MB"))
        data = upload.read()
        if not transfer.sniff_kind(data):
            raise forms.ValidationError(_("只能导入 JSON（.json）或 Excel（.xlsx）文件"))
        self.data_bytes = data
        return upload


def _require_editor_anywhere(user) -> None:
    if not organisations_where(user, StaffRole.CATALOGUE_EDITOR).exists():
        raise DomainError(CatalogError.EDITOR_REQUIRED)


@staff_page
@require_http_methods(["GET", "POST"])
def export(request):
    """导出事项: the editor's organisations' items as Excel or JSON."""
    _require_editor_anywhere(request.user)
    form = ExportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        return _export_response(form.cleaned_data["file_format"], form.cleaned_data["organisations"])
    status = 400 if form.errors else 200
    return render(request, TEMPLATES + "export.html", {"form": form}, status=status)


def _export_response(kind: str, organisations) -> HttpResponse:
    items = list(ImplementationItem.objects.filter(organisation__in=organisations))
    data = transfer.export_json(items) if kind == "json" else transfer.export_xlsx(items)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(data, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="catalog-{stamp}.{kind}"'
    return response


@staff_page
@require_http_methods(["GET", "POST"])
def import_upload(request):
    """导入事项: upload, check every row; import at once when the file has no errors, else show the report."""
    _require_editor_anywhere(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method != "POST" or not form.is_valid():
        status = 400 if form.errors else 200
        return render(request, TEMPLATES + "import.html", {"form": form}, status=status)
    organisation = form.cleaned_data["organisation"]
    data = form.data_bytes
    report = transfer.import_file(actor=request.user, data=data, organisation=organisation)
    if report.imported:
        return _finish(request, report, organisation)
    file_name = form.cleaned_data["upload"].name
    if report.valid_items:
        request.session[PENDING] = {
            "hash": _keep(data),
            "organisation_id": organisation.pk,
            "name": file_name,
        }
    return _report_page(request, report, organisation, file_name)


def _report_page(request, report, organisation, file_name: str, *, status: int = 200):
    rows = [[error.sheet, error.row, error.field, error.message] for error in report.errors]
    context = {"report": report, "report_rows": rows, "organisation": organisation, "file_name": file_name}
    return render(request, TEMPLATES + "report.html", context, status=status)


@staff_page
@require_http_methods(["POST"])
def import_valid_rows(request):
    """只导入无误的行: import the items without errors from the file kept after the report."""
    pending = request.session.get(PENDING) or {}
    data = _kept(pending.get("hash", ""))
    organisation = _editor_organisations(request.user).filter(pk=pending.get("organisation_id")).first()
    if data is None or organisation is None:
        request.session.pop(PENDING, None)
        raise DomainError(CatalogError.INVALID_IMPORT, _("待导入的文件已失效，请重新上传"))
    report = transfer.import_file(actor=request.user, data=data, organisation=organisation, import_valid_rows=True)
    _forget(pending["hash"])
    request.session.pop(PENDING, None)
    if not report.imported:
        return _report_page(request, report, organisation, pending.get("name", ""), status=400)
    return _finish(request, report, organisation)


def _finish(request, report, organisation):
    request.session[RESULT] = {
        "organisation": str(organisation),
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "skipped": report.skipped,
        "codes": report.codes,
        "errors": [[e.sheet, e.row, e.field, e.message] for e in report.errors],
    }
    return redirect(reverse("catalog_workbench:transfer_result"))


@staff_page
@require_http_methods(["GET"])
def import_result(request):
    """导入结果: what the last import created and updated (drafts to review), and the rows it left out."""
    result = request.session.get(RESULT)
    if result is None:
        return redirect(reverse("catalog_workbench:transfer_import"))
    return render(request, TEMPLATES + "result.html", {"result": result})


# ---------------------------------------------------------------------------------------------------------------
# The kept file (private temporary directory, never under MEDIA_ROOT)


def _pending_dir() -> Path:
    directory = Path(tempfile.gettempdir()) / "tongban-catalog-imports"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


def _keep(data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    directory = _pending_dir()
    _sweep(directory)
    (directory / digest).write_bytes(data)
    return digest


def _kept(digest: str) -> bytes | None:
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        return None
    path = _pending_dir() / digest
    if not path.is_file():
        return None
    data = path.read_bytes()
    return data if hashlib.sha256(data).hexdigest() == digest else None


def _forget(digest: str) -> None:
    (_pending_dir() / digest).unlink(missing_ok=True)


def _sweep(directory: Path) -> None:
    cutoff = time.time() - PENDING_LIFETIME_SECONDS
    for path in directory.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
