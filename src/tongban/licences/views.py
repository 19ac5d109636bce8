"""Licence verification pages (证照核验): anyone may check a licence by identifier (the QR code opens this page) or
upload a PDF; the holder downloads the data package. Thin: parse, load through access.py, verify, render."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from tongban.core.errors import DomainError
from tongban.licences import access, selectors
from tongban.licences.lifecycle import current_version
from tongban.licences.models import LicenceStatus
from tongban.licences.pdf import SHORT_DIGEST_LENGTH
from tongban.licences.summary import problem_labels, public_verification
from tongban.licences.verification import licence_package, pdf_report

UPLOAD_MAX_BYTES = 20 * 1024 * 1024


class PdfUploadForm(forms.Form):
    """The PDF a visitor wants checked."""

    pdf = forms.FileField(label=_("证照 PDF 文件"), help_text=_("不超过 20 MB"))

    def clean_pdf(self):
        upload = self.cleaned_data["pdf"]
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("文件超过 20 MB"))
        return upload


@require_GET
def verify(request, identifier: str):
    """The verification result of one licence (public; the holder's ID masked)."""
    try:
        summary = public_verification(identifier)
    except DomainError as error:
        context = {"error": error, "identifier": identifier, "form": PdfUploadForm()}
        return render(request, "licences/verify_missing.html", context, status=error.code.status)
    licence = summary.licence
    digest = request.GET.get("d", "")[:SHORT_DIGEST_LENGTH]
    context = {
        "summary": summary,
        "licence": licence,
        "problems": problem_labels(summary.seal.problems),
        "digest_given": bool(digest),
        "digest_matches": bool(digest) and licence.data_sm3.startswith(digest.lower()),
        "is_holder": request.user.is_authenticated and licence.holder_id == request.user.pk,
        "current": current_version(licence) if summary.status == LicenceStatus.SUPERSEDED else None,
    }
    return render(request, "licences/verify.html", context)


@require_http_methods(["GET", "POST"])
def verify_upload(request):
    """Upload a licence PDF: is the PAdES signature intact, over the whole file, from a platform certificate, and is
    the file a licence in the library?"""
    form = PdfUploadForm(request.POST, request.FILES) if request.method == "POST" else PdfUploadForm()
    report, status = None, None
    if request.method == "POST" and form.is_valid():
        report = pdf_report(form.cleaned_data["pdf"].read())
        status = selectors.licence_status(report.licence, timezone.localdate()) if report.licence else None
    context = {
        "form": form,
        "report": report,
        "problems": problem_labels(report.problems) if report else [],
        "licence_status": status,
        "licence_status_label": LicenceStatus(status).label if status else "",
        "licence_valid": status == LicenceStatus.VALID,
    }
    return render(request, "licences/verify_upload.html", context, status=400 if form.errors else 200)


@require_GET
def package(request, identifier: str):
    """The licence's data package (licence JSON, seal signature, certificate chain) for its holder."""
    licence = access.licence_for_holder(request.user, identifier)
    response = HttpResponse(licence_package(licence), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{licence.identifier}.zip"'
    return response
