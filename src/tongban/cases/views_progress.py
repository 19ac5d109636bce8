"""Progress pages (办件进度), mounted at /cases/: 我的办件, a case's detail with its timeline and documents, withdrawal,
answering a supplement request, and the anonymous progress lookup.

Views only parse, authorise (cases/access.py), call one service or selector and render. Every page works without
JavaScript. A DomainError that escapes becomes the Chinese error page (core.errors.DomainErrorMiddleware); pages
with a form catch it and show the message beside the form instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tongban.cases import access, delivery, selectors, services
from tongban.cases.document_files import document_response
from tongban.cases.errors import CaseError
from tongban.cases.forms_apply import MaterialFileForm
from tongban.cases.list_queries import CaseRow, SqlPaginator
from tongban.cases.models import WITHDRAWABLE_STATUSES, Case, CaseStatus, DocumentKind
from tongban.cases.uploads import upload_store
from tongban.core.errors import DomainError
from tongban.core.html import html_format, html_join
from tongban.core.middleware import client_ip
from tongban.core.views import see_other as _redirect

PER_PAGE = 20
TABS = (
    ("all", gettext_lazy("全部")),
    ("draft", gettext_lazy("草稿")),
    ("active", gettext_lazy("办理中")),
    ("done", gettext_lazy("已办结")),
)


def resume_url(case: Case | CaseRow) -> str:
    """Where 继续填写 takes a draft: the application pages' resume address (cases-apply:resume)."""
    try:
        return reverse("cases-apply:resume", args=[case.public_id])
    except NoReverseMatch:  # the application pages are mounted separately; the address is fixed by the contract
        return f"/cases/apply/draft/{case.public_id}/"


def _detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def _applicant_case(request, public_id) -> Case:
    return access.access_case_for_applicant(request.user, request.acting_identity, public_id)


# --- 我的办件 ---------------------------------------------------------------------------------------------------------


@login_required
def my_cases(request):
    """我的办件: the current identity's cases, newest first, in tabs 全部 / 草稿 / 办理中 / 已办结."""
    tab = request.GET.get("tab", "all")
    tab = tab if tab in selectors.TAB_STATUSES else "all"
    cases = selectors.my_cases(request.user, request.acting_identity, tab)
    page = SqlPaginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    rows = _mine_rows(list(page.object_list))
    context = {"page": page, "rows": rows, "rows_html": _mine_rows_html(rows), "tab": tab, "tabs": TABS}
    return render(request, "cases/progress/mine.html", context)


@dataclass(frozen=True)
class MineRow:
    """One case of 我的办件 as the page shows it: every label, date and address worked out, and its markup built
    (`html`, MINE_ROW_HTML), before rendering. The page is hot (issue 5): in the template, an include, a dozen
    {% translate %}s and date filters per row, then ~25 Python calls per value, were most of its time."""

    pk: int  # the case's
    title: str
    url: str  # the detail page; "" for a draft (its button resumes it instead)
    status: str
    number: str
    facts: list[tuple[str, str]]  # (label, value) of the <dl>
    resume_url: str
    documents: list[tuple[str, str]]  # (kind name, download address)

    def html(self, resume_label: str) -> SafeString:
        """The row's <li>, escaped: its title (a link but for drafts), status, facts, resume button and downloads."""
        title = html_format('<a href="{0}">{1}</a>', self.url, self.title) if self.url else self.title
        resume = html_format(MINE_RESUME_HTML, self.resume_url, resume_label, self.title) if self.resume_url else ""
        documents = html_join(MINE_DOCUMENT_HTML, ((url, kind, self.number) for kind, url in self.documents))
        return html_format(
            MINE_ROW_HTML,
            title=title,
            status=self.status,
            facts=html_join("<div><dt>{}</dt><dd>{}</dd></div>", self.facts),
            resume=resume,
            documents=html_format('<ul class="downloads">{0}</ul>', documents) if documents else "",
        )


# A row of 我的办件 (mine.html's list), built in Python because the page is hot (issue 5): in the template each value
# cost ~25 Python calls. The case number is read out after each download's name, to screen readers only.
MINE_ROW_HTML = (
    '<li>\n<h2 class="item-title">{title}<span class="tag">{status}</span></h2>\n<dl>{facts}</dl>\n{resume}{documents}'
    "</li>\n"
)
MINE_RESUME_HTML = '<p><a class="button" href="{0}">{1}<span class="visually-hidden">{2}</span></a></p>\n'
MINE_DOCUMENT_HTML = '<li><a href="{}">{}<span class="visually-hidden"> {}</span>（PDF）</a></li>'


def _mine_rows_html(rows: list[MineRow]) -> SafeString:
    resume_label = _("继续填写")
    return SafeString("".join(row.html(resume_label) for row in rows))


# Placeholder arguments for url_template.
UUID_SLOT = uuid.UUID(int=0)
ID_SLOT = 987654321
NUMBER_SLOT = "CASENUMBERSLOT"  # a case number (办件编号) in a URL


def url_template(name: str, *slots) -> str:
    """The named URL as a str.format template, so a list reverses once per page rather than once per row: each
    placeholder argument (UUID_SLOT, ID_SLOT, any distinctive text) becomes {0}, {1}… in order.

    Kept per process for each URLconf and script prefix: a reverse costs about 0.1 ms, and 我的办件, the worklists and
    every submission's answer need two or three (issue 5)."""
    return _url_template(name, slots, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=256)
def _url_template(name: str, slots: tuple, _prefix: str, _urlconf) -> str:
    url = reverse(name, args=slots)
    for index, slot in enumerate(slots):
        url = url.replace(str(slot), f"{{{index}}}")
    return url


def _day(value) -> str:
    return value.isoformat() if value else ""


def minute_text(value: dt.datetime | None, tz: dt.tzinfo) -> str:
    """A time as lists show it (YYYY-MM-DD HH:MM) in `tz`, the page's timezone read once for the page: reading the
    current timezone (timezone.localtime) costs an asgiref Local lookup, ~20 a list page."""
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _mine_rows(cases: list[CaseRow]) -> list[MineRow]:
    detail_url = url_template("cases:detail", UUID_SLOT)
    document_url = url_template("cases:document", UUID_SLOT, ID_SLOT)
    statuses, kinds = selectors.choice_labels(CaseStatus), selectors.choice_labels(DocumentKind)
    tz = timezone.get_current_timezone()
    labels = {
        "number": _("办件编号"),
        "organisation": _("办理机构"),
        "step": _("当前环节"),
        "saved": _("保存时间"),
        "kept": _("草稿保留至"),
        "received": _("接件时间"),
        "acceptance_due": _("受理期限"),
        "accepted": _("受理日期"),
        "promised": _("承诺办结日期"),
        "statutory": _("法定办结日期"),
    }
    return [
        MineRow(
            pk=case.pk,
            title=case.item_name,
            url="" if case.is_draft else detail_url.format(case.public_id),
            status=statuses.get(case.status, str(case.status)),
            number=case.number or "",
            facts=_mine_facts(case, labels, tz),
            resume_url=resume_url(case) if case.is_draft else "",
            documents=[
                (kinds.get(document.kind, document.kind), document_url.format(case.public_id, document.pk))
                for document in case.documents
            ],
        )
        for case in cases
    ]


def _mine_facts(case: CaseRow, labels: dict[str, str], tz: dt.tzinfo) -> list[tuple[str, str]]:
    """The row's <dl>: as the detail page's deadlines (_deadlines.html) for a submitted case, save times for a draft."""
    facts = [(labels["number"], case.number)] if case.number else []
    facts.append((labels["organisation"], case.organisation_name))
    if case.current_step:
        facts.append((labels["step"], gettext(case.current_step)))
    if case.is_draft:
        facts.append((labels["saved"], minute_text(case.updated_at, tz)))
        if case.draft_expires_at:
            facts.append((labels["kept"], _day(case.draft_expires_at.astimezone(tz).date())))
        return facts
    if case.received_at:
        facts.append((labels["received"], minute_text(case.received_at, tz)))
    if case.acceptance_due and case.status == CaseStatus.RECEIVED:
        due = _("%(due)s 前作出是否受理的决定") % {"due": _day(case.acceptance_due)}
        facts.append((labels["acceptance_due"], due))
    if case.accepted_on:
        deemed = _("（逾期视为受理）") if case.acceptance_deemed else ""
        facts.append((labels["accepted"], _day(case.accepted_on) + deemed))
    if case.promised_due:
        facts.append((labels["promised"], _day(case.promised_due)))
    if case.statutory_due:
        facts.append((labels["statutory"], _day(case.statutory_due)))
    return facts


@login_required
def case_detail(request, public_id):
    """One case: status, deadlines, the timeline, documents, and the actions open to the applicant now."""
    case = _applicant_case(request, public_id)
    if case.is_draft:
        return _redirect(resume_url(case))
    context = {"detail": selectors.case_detail(case), "case": case, "result": delivery.case_result(case)}
    return render(request, "cases/progress/detail.html", context)


@login_required
def case_document(request, public_id, document_id: int):
    """Download one of the case's documents (办件回执, 受理通知书 …) as PDF."""
    case = _applicant_case(request, public_id)
    document = selectors.case_document(case, document_id)
    if document is None:
        raise Http404
    return document_response(document)


# --- Withdrawal (撤件) ------------------------------------------------------------------------------------------------


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("撤回原因（选填）"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_withdraw(request, public_id):
    """Withdraw before acceptance: a confirmation page, then the withdrawal (已撤件)."""
    case = _applicant_case(request, public_id)
    if case.status not in WITHDRAWABLE_STATUSES:
        messages.error(request, CaseError.WRONG_STATUS.message)
        return _redirect(_detail_url(case))
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_withdraw(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("您已撤回该申请。"))
        return _redirect(_detail_url(case))
    return render(request, "cases/progress/withdraw.html", {"case": case, "form": form})


# --- Supplement (补正) ------------------------------------------------------------------------------------------------


def _supplement_upload_form(*args, choices):
    """The upload form for one of the materials named here."""
    return MaterialFileForm(*args, choices=choices, material_label=gettext_lazy("补正的材料"))


class SupplementConfirmForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("补充说明（选填）"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


def _material_choices(case: Case, request_items: list[dict]) -> list[tuple[int, str]]:
    """The materials named by the request first; when an entry names none, every material of the item after them."""
    named = [(entry["material"], entry["name"]) for entry in request_items if entry.get("material")]
    if all(entry.get("material") for entry in request_items):
        return named
    listed = {pk for pk, _name in named}
    others = [(m.pk, m.name) for m in case.version.materials.order_by("order", "pk") if m.pk not in listed]
    return named + others


@login_required
@require_http_methods(["GET", "POST"])
def case_supplement(request, public_id):
    """Answer the supplement request: upload a file for each listed material, remove a wrong one, then confirm."""
    case = _applicant_case(request, public_id)
    supplement = selectors.open_supplement(case)
    if supplement is None:
        messages.error(request, _("该办件当前不需要补正材料。"))
        return _redirect(_detail_url(case))
    choices = _material_choices(case, supplement.items)
    upload_form = _supplement_upload_form(choices=choices)
    confirm_form = SupplementConfirmForm()
    error, status = None, 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "upload":
                upload_form = _supplement_upload_form(request.POST, request.FILES, choices=choices)
                if upload_form.is_valid():
                    _supplement_upload(request, case, upload_form.cleaned_data)
                    messages.success(request, _("已上传，请继续上传其余材料，全部上传后确认提交补正。"))
                    return _redirect(request.path)
                status = 400
            elif action == "remove":
                _supplement_remove(request, case, supplement, request.POST.get("case_material", ""))
                messages.success(request, _("已移除该文件。"))
                return _redirect(request.path)
            elif action == "confirm":
                confirm_form = SupplementConfirmForm(request.POST)
                if confirm_form.is_valid():
                    services.case_supplement_return(
                        actor=request.user, case=case, note=confirm_form.cleaned_data["note"]
                    )
                    messages.success(request, _("补正材料已提交，办理机构将重新审查。"))
                    return _redirect(_detail_url(case))
                status = 400
            else:
                status = 400
        except DomainError as caught:
            error, status = caught, caught.code.status
    context = {
        "case": case,
        "supplement": supplement,
        "attached": selectors.supplement_materials(supplement),
        "upload_form": upload_form,
        "confirm_form": confirm_form,
        "error": error,
    }
    return render(request, "cases/progress/supplement.html", context, status=status)


def _supplement_upload(request, case: Case, data: dict) -> None:
    upload = upload_store(actor=request.user, file=data["file"])
    services.material_attach(
        actor=request.user, case=case, material_id=data["material"], provision="upload", upload_id=upload.pk
    )


def _supplement_remove(request, case: Case, supplement, case_material_id: str) -> None:
    attached = supplement.materials.filter(pk=int(case_material_id)).first() if case_material_id.isdigit() else None
    if attached is None:
        raise DomainError(CaseError.WRONG_STATUS)
    services.material_detach(actor=request.user, case_material=attached)


# --- Anonymous lookup (办件查询) ------------------------------------------------------------------------------------


class LookupForm(forms.Form):
    """A case number with its query code, or with the applicant's ID number."""

    number = forms.CharField(
        label=gettext_lazy("办件编号"),
        max_length=64,
        error_messages={"required": gettext_lazy("请输入办件编号")},
    )
    code = forms.CharField(
        label=gettext_lazy("查询密码"),
        required=False,
        max_length=16,
        help_text=gettext_lazy("办件回执上的 6 位数字"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "input-short"}),
    )
    id_number = forms.CharField(
        label=gettext_lazy("或：申请人证件号码"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("身份证号码或统一社会信用代码"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "input-medium"}),
    )

    def clean(self):
        data = super().clean()
        if not data.get("code", "").strip() and not data.get("id_number", "").strip():
            self.add_error("code", _("请输入查询密码，或申请人证件号码"))
        return data


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request):
    """Anyone may look up a case's status and timeline with its number and query code (or the applicant's ID)."""
    form = LookupForm(request.POST or None)
    failed = False
    if request.method == "POST":
        if not selectors.lookup_allowed(client_ip(request)):
            return render(request, "cases/progress/lookup_too_many.html", status=429)
        if form.is_valid():
            data = form.cleaned_data
            result = selectors.lookup(data["number"], code=data["code"], id_number=data["id_number"])
            if result is not None:
                return render(request, "cases/progress/lookup_result.html", {"result": result})
            failed = True
    context = {"form": form, "failed_message": CaseError.LOOKUP_FAILED.message if failed else ""}
    status = 404 if failed else 400 if form.errors else 200
    return render(request, "cases/progress/lookup.html", context, status=status)
