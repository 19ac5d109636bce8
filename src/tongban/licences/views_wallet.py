"""我的证照 (the holder's wallet) and 用证授权 (grants to view a licence), mounted under /licences/.

- The holder (a person, or an enterprise's representative; its agents within scope read but do not grant): the list
  (有效 / 已过期 / 已撤销 / 已变更, paginated), a licence's details and PDF, grants to a named organisation or by a
  link (the link is shown once), each grant's view log, and revoking a grant after a confirmation page.
- Whoever holds a link: the licence's details and PDF while the grant lives; a revoked or expired link says so.
- Staff of a granted organisation: the licences shared with their organisations, and each one's details and PDF.
Every view through a grant is logged (wallet.share_view_record). Thin: parse, load through access.py, call, render.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from tongban.accounts.views_staff import staff_page
from tongban.core.errors import DomainError
from tongban.core.middleware import client_ip
from tongban.core.models import Organisation
from tongban.core.pii import mask_id_number
from tongban.licences import access, selectors, wallet
from tongban.licences.errors import LicenceError
from tongban.licences.models import (
    HolderIdType,
    Licence,
    LicenceShare,
    LicenceStatus,
    LicenceView,
    RenderStatus,
    ShareKind,
    ViewedPart,
)
from tongban.licences.verification import licence_package

PER_PAGE = 20
VIEWS_PER_PAGE = 50
# The session key under which a new link's token waits to be shown once on the grant's page.
NEW_LINK_SESSION_KEY = "licences_new_share_link"
TABS = selectors.WALLET_TABS


def _identity(request):
    return getattr(request, "acting_identity", None)


@dataclass(frozen=True)
class WalletRow:
    """One licence of 我的证照 as the list shows it (worked out before rendering: the list is hot)."""

    title: str
    url: str
    status: str
    status_label: str
    facts: list[tuple[str, str]]


def _date(value) -> str:
    return value.isoformat() if value else _("长期")


def _wallet_rows(licences: list[Licence], today) -> list[WalletRow]:
    labels = {"issuer": _("颁证机构"), "number": _("证照标识"), "issued": _("颁证日期"), "until": _("有效期至")}
    rows = []
    for licence in licences:
        status = selectors.licence_status(licence, today)
        rows.append(
            WalletRow(
                title=licence.licence_type.name,
                url=reverse("licences:wallet_detail", args=[licence.identifier]),
                status=status,
                status_label=str(LicenceStatus(status).label),
                facts=[
                    (labels["issuer"], licence.issuer.name),
                    (labels["number"], licence.identifier),
                    (labels["issued"], licence.issued_on.isoformat()),
                    (labels["until"], _date(licence.valid_until)),
                ],
            )
        )
    return rows


@login_required
@require_GET
def wallet_list(request):
    """我的证照: the current identity's licences, newest first, by status."""
    tab = request.GET.get("tab", "all")
    tab = tab if tab in dict(TABS) else "all"
    today = timezone.localdate()
    licences = (
        access.wallet_licences(request.user, _identity(request))
        .filter(selectors.wallet_tab_filter(tab, today))
        .select_related("licence_type", "issuer")
        .order_by("-issued_on", "-id")
    )
    page = Paginator(licences, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": _wallet_rows(list(page.object_list), today), "tab": tab, "tabs": TABS}
    return render(request, "licences/wallet/list.html", context)


def _licence_context(licence: Licence) -> dict:
    status = selectors.licence_status(licence, timezone.localdate())
    return {
        "licence": licence,
        "status": status,
        "status_label": LicenceStatus(status).label,
        "holder_id_type_label": HolderIdType(licence.holder_id_type).label,
        "holder_id_masked": mask_id_number(licence.holder_id_number),
        "fields": [(label, value) for _name, label, value in selectors.all_fields(licence)],
        "pdf_ready": licence.render_status == RenderStatus.DONE and bool(licence.pdf),
    }


def _share_rows(shares, now) -> list[dict]:
    return [{"share": share, "state": selectors.share_state(share, now)} for share in shares]


@login_required
@require_GET
def wallet_detail(request, identifier: str):
    """A licence of the wallet: every field, issuer, dates, the ID masked, downloads, and its grants."""
    identity = _identity(request)
    licence = access.licence_for_wallet(request.user, identity, identifier)
    may_share = access.may_share(request.user, identity)
    shares = list(licence.shares.select_related("organisation")) if may_share else []
    context = _licence_context(licence) | {
        "may_share": may_share,
        "shares": _share_rows(shares, timezone.now()),
    }
    return render(request, "licences/wallet/detail.html", context)


def _pdf_response(licence: Licence) -> FileResponse:
    if licence.render_status != RenderStatus.DONE or not licence.pdf:
        raise DomainError(LicenceError.PDF_NOT_READY)
    response = FileResponse(licence.pdf.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{licence.identifier}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def wallet_pdf(request, identifier: str):
    """The licence's signed PDF, for the holder side."""
    return _pdf_response(access.licence_for_wallet(request.user, _identity(request), identifier))


@login_required
@require_GET
def wallet_package(request, identifier: str):
    """The data package (licence JSON, seal signature, certificate chain) for the holder side."""
    licence = access.licence_for_wallet(request.user, _identity(request), identifier)
    response = HttpResponse(licence_package(licence), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{licence.identifier}.zip"'
    return response


# ---------------------------------------------------------------------------------------------------------------
# Granting and revoking (用证授权)


class ShareForm(forms.Form):
    """Whom to let view the licence, why and for how long."""

    kind = forms.ChoiceField(
        label=gettext_lazy("授权给谁查看"),
        choices=[
            (ShareKind.ORGANISATION, gettext_lazy("指定的机构（该机构工作人员登录后可查看）")),
            (ShareKind.LINK, gettext_lazy("任何持有链接的人（生成一个有期限的查看链接）")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": LicenceError.SHARE_KIND_INVALID.message},
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("机构"),
        queryset=Organisation.objects.filter(active=True).order_by("region__code", "name"),
        required=False,
        empty_label=gettext_lazy("请选择机构"),
        help_text=gettext_lazy("仅在授权给指定机构时填写"),
        error_messages={"invalid_choice": LicenceError.SHARE_ORGANISATION_INVALID.message},
    )
    purpose = forms.CharField(
        label=gettext_lazy("用途"),
        max_length=wallet.PURPOSE_MAX_LENGTH,
        help_text=gettext_lazy("例如：办理银行开户、供货商资质审核"),
        error_messages={
            "required": LicenceError.SHARE_PURPOSE_REQUIRED.message,
            "max_length": LicenceError.SHARE_PURPOSE_REQUIRED.message,
        },
    )
    days = forms.IntegerField(
        label=gettext_lazy("授权有效天数"),
        min_value=1,
        max_value=wallet.MAX_SHARE_DAYS,
        initial=30,
        help_text=gettext_lazy("1 至 90 天，到期后自动失效；也可以随时撤销"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": LicenceError.SHARE_DAYS_INVALID.message,
            "invalid": LicenceError.SHARE_DAYS_INVALID.message,
            "min_value": LicenceError.SHARE_DAYS_INVALID.message,
            "max_value": LicenceError.SHARE_DAYS_INVALID.message,
        },
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ShareKind.ORGANISATION and not cleaned.get("organisation"):
            self.add_error("organisation", LicenceError.SHARE_ORGANISATION_INVALID.message)
        return cleaned


def _share_url(licence: Licence, share: LicenceShare) -> str:
    return reverse("licences:share_detail", args=[licence.identifier, share.public_id])


@login_required
@require_http_methods(["GET", "POST"])
def share_new(request, identifier: str):
    """授权他人查看: a named organisation or a time-limited link."""
    licence = access.licence_for_sharing(request.user, _identity(request), identifier)
    form = ShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = wallet.share_grant(
                actor=request.user,
                licence=licence,
                kind=data["kind"],
                purpose=data["purpose"],
                days=data["days"],
                organisation_id=data["organisation"].pk if data["organisation"] else None,
            )
        except DomainError as error:
            for name, errors in (error.fields or {"__all__": [error.message]}).items():
                for message in errors:
                    form.add_error(name if name in form.fields else None, message)
        else:
            if grant.token:
                request.session[NEW_LINK_SESSION_KEY] = {str(grant.share.public_id): grant.token}
            messages.success(request, _("已授权。"))
            return HttpResponseRedirect(_share_url(licence, grant.share))
    context = _licence_context(licence) | {"form": form}
    return render(request, "licences/wallet/share_new.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def share_detail(request, identifier: str, share_id):
    """One grant: whom, why, until when, the link (shown once, right after it is made) and who viewed the licence."""
    licence = access.licence_for_sharing(request.user, _identity(request), identifier)
    share = access.share_for_holder(licence, share_id)
    waiting = request.session.pop(NEW_LINK_SESSION_KEY, {})
    token = waiting.get(str(share.public_id), "")
    views = LicenceView.objects.filter(share=share).select_related("viewer").order_by("-viewed_at", "-id")
    page = Paginator(views, VIEWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "licence": licence,
        "share": share,
        "state": selectors.share_state(share, timezone.now()),
        "link": request.build_absolute_uri(reverse("licences:shared_link", args=[token])) if token else "",
        "page": page,
        "views": list(page.object_list),
    }
    return render(request, "licences/wallet/share_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def share_revoke(request, identifier: str, share_id):
    """Confirm, then withdraw a grant: it stops working at once."""
    licence = access.licence_for_sharing(request.user, _identity(request), identifier)
    share = access.share_for_holder(licence, share_id)
    if request.method == "POST":
        try:
            wallet.share_revoke(actor=request.user, share=share)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已撤销授权，对方从现在起不能再查看该证照。"))
        return HttpResponseRedirect(_share_url(licence, share))
    context = {"licence": licence, "share": share, "state": selectors.share_state(share, timezone.now())}
    return render(request, "licences/wallet/share_revoke.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Viewing through a grant: by link, or as staff of the granted organisation


def _denied(request, error: DomainError):
    """A link or grant that does not (or no longer) work: the clear reason, nothing logged."""
    return render(request, "licences/wallet/shared_denied.html", {"error": error}, status=error.code.status)


def _shared_page(request, share: LicenceShare, pdf_url: str, *, staff: bool):
    wallet.share_view_record(share=share, viewer=request.user, part=ViewedPart.PAGE, ip=client_ip(request))
    context = _licence_context(share.licence) | {"share": share, "pdf_url": pdf_url, "staff": staff}
    response = render(request, "licences/wallet/shared.html", context)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"  # a link's token is in the address; never pass it on
    return response


def _shared_pdf(request, share: LicenceShare):
    response = _pdf_response(share.licence)
    wallet.share_view_record(share=share, viewer=request.user, part=ViewedPart.PDF, ip=client_ip(request))
    return response


@require_GET
def shared_link(request, token: str):
    """A licence opened through a holder's link (no sign-in needed)."""
    try:
        share = access.share_by_token(token, timezone.now())
    except DomainError as error:
        return _denied(request, error)
    return _shared_page(request, share, reverse("licences:shared_link_pdf", args=[token]), staff=False)


@require_GET
def shared_link_pdf(request, token: str):
    try:
        share = access.share_by_token(token, timezone.now())
    except DomainError as error:
        return _denied(request, error)
    return _shared_pdf(request, share)


@staff_page
@require_GET
def shared_with_us(request):
    """Licences shared with the organisations the member of staff works in (live grants, newest first)."""
    shares = (
        access.shares_for_staff(request.user, timezone.now())
        .select_related("organisation", "licence__licence_type", "licence__issuer")
        .order_by("-created_at", "-id")
    )
    page = Paginator(shares, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "licences/wallet/shared_with_us.html", {"page": page, "shares": list(page.object_list)})


@staff_page
@require_GET
def shared_for_staff(request, share_id):
    try:
        share = access.share_for_staff(request.user, share_id, timezone.now())
    except DomainError as error:
        return _denied(request, error)
    return _shared_page(request, share, reverse("licences:shared_for_staff_pdf", args=[share.public_id]), staff=True)


@staff_page
@require_GET
def shared_for_staff_pdf(request, share_id):
    try:
        share = access.share_for_staff(request.user, share_id, timezone.now())
    except DomainError as error:
        return _denied(request, error)
    return _shared_pdf(request, share)
