"""Pages of the personal centre (个人中心), enterprise identities and the window's in-person verification.

Thin: parse the form, load objects through the access functions, call one service, render or redirect. A refused
service's field errors go back onto the form with what the person typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tongban.accounts import acting, enterprises, realname
from tongban.accounts.forms_centre import (
    AgentForm,
    EnterpriseBindForm,
    FindPersonForm,
    InPersonRealNameForm,
    RealNameForm,
)
from tongban.accounts.models import RealNameLevel, UserKind
from tongban.core.errors import DomainError
from tongban.core.pii import mask_id_number, mask_phone

LEVELS = [
    (RealNameLevel.L1, gettext_lazy("L1 手机号注册"), gettext_lazy("可以查询办事指南、办件进度，预约和咨询。")),
    (
        RealNameLevel.L2,
        gettext_lazy("L2 在线实名核验"),
        gettext_lazy("可以在网上申请大多数事项，领取电子证照，以企业身份办事。"),
    ),
    (RealNameLevel.L3, gettext_lazy("L3 现场核验身份证件"), gettext_lazy("可以办理要求本人到现场核验身份的事项。")),
]


def _form_errors(form, error: DomainError) -> None:
    """Put a service's field errors on the form (unknown fields become form-wide errors)."""
    if not error.fields:
        form.add_error(None, error.message)
        return
    for name, field_messages in error.fields.items():
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)


def _security_url() -> str:
    try:
        return reverse("accounts:security")
    except NoReverseMatch:
        return ""


# ---------------------------------------------------------------------------------------------------------------
# Personal centre


def _centre_context(request, *, full_id_number: str = "") -> dict:
    user = request.user
    return {
        "profile_user": user,
        "masked_id_number": mask_id_number(user.id_number) if user.id_number else "",
        "full_id_number": full_id_number,
        "masked_phone": mask_phone(user.phone) if user.phone else "",
        "levels": LEVELS,
        "security_url": _security_url(),
        "is_person": user.kind == UserKind.PERSON,
        "identities": enterprises.acting_identities(user),
    }


@login_required
def centre(request):
    """个人中心: profile with masked ID number and phone, real-name level, links onward."""
    return render(request, "accounts/centre/centre.html", _centre_context(request))


@login_required
@require_POST
def id_number_reveal(request):
    """The owner sees their full ID number once (audited); reloading the page masks it again."""
    number = realname.id_number_reveal(actor=request.user, user=request.user)
    return render(request, "accounts/centre/centre.html", _centre_context(request, full_id_number=number))


@login_required
@require_http_methods(["GET", "POST"])
def realname_online(request):
    """实名核验: name + ID number against the population registry."""
    form = RealNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            realname.realname_verify_online(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("实名核验通过，您的实名等级为 L%(n)d。") % {"n": request.user.real_name_level})
            return redirect("accounts:centre")
    return render(request, "accounts/centre/realname.html", {"form": form, "levels": LEVELS})


# ---------------------------------------------------------------------------------------------------------------
# My enterprises


def _represented(user) -> list[tuple]:
    rows = []
    for identity in enterprises.acting_identities(user):
        if identity.role == enterprises.ActingRole.REPRESENTATIVE:
            authorisations = enterprises.live_authorisations(identity.enterprise).order_by("expires_on", "pk")
            rows.append((identity.enterprise, [(a, mask_phone(a.agent_phone)) for a in authorisations]))
    return rows


def _enterprises_page(request, bind_form, status=200):
    context = {
        "bind_form": bind_form,
        "represented": _represented(request.user),
        "agent_identities": [
            identity
            for identity in enterprises.acting_identities(request.user)
            if identity.role == enterprises.ActingRole.AGENT
        ],
        "verified": request.user.real_name_level >= RealNameLevel.L2 and request.user.kind == UserKind.PERSON,
    }
    return render(request, "accounts/centre/enterprises.html", context, status=status)


@login_required
def enterprise_list(request):
    """我的企业: bind an enterprise; as representative manage agents; as agent see scopes and switch."""
    return _enterprises_page(request, EnterpriseBindForm())


@login_required
@require_POST
def enterprise_bind(request):
    form = EnterpriseBindForm(request.POST)
    if form.is_valid():
        try:
            enterprise = enterprises.enterprise_bind(actor=request.user, uscc=form.cleaned_data["uscc"])
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("已绑定“%(name)s”，您是该企业的法定代表人。") % {"name": enterprise})
            return redirect("accounts:enterprises")
    return _enterprises_page(request, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def agent_add(request, enterprise_id: int):
    enterprise = enterprises.access_represented_enterprise(request.user, enterprise_id)
    form = AgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enterprises.agent_authorise(
                actor=request.user,
                enterprise=enterprise,
                phone=form.cleaned_data["phone"],
                name=form.cleaned_data["name"],
                all_items=form.all_items(),
                item_codes=form.codes(),
                expires_on=form.cleaned_data["expires_on"],
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("已授权 %(name)s 为经办人。") % {"name": form.cleaned_data["name"]})
            return redirect("accounts:enterprises")
    return render(request, "accounts/centre/agent_add.html", {"form": form, "enterprise": enterprise})


@login_required
@require_http_methods(["GET", "POST"])
def agent_revoke(request, authorisation_id: int):
    """Confirmation page (GET), then the revocation (POST)."""
    authorisation = enterprises.access_authorisation_for_representative(request.user, authorisation_id)
    if request.method == "POST":
        enterprises.agent_revoke(actor=request.user, authorisation=authorisation)
        messages.success(request, _("已撤销 %(name)s 的经办授权。") % {"name": authorisation.agent_name})
        return redirect("accounts:enterprises")
    context = {"authorisation": authorisation, "masked_phone": mask_phone(authorisation.agent_phone)}
    return render(request, "accounts/centre/agent_revoke.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Switching identity


@login_required
@require_POST
def identity_switch(request):
    """以企业身份办事."""
    try:
        enterprise_id = int(request.POST.get("enterprise", ""))
    except ValueError:
        enterprise_id = 0
    identity = acting.acting_switch(request, enterprise_id)
    messages.success(
        request,
        _("您现在以“%(name)s”（%(role)s）的身份办事。") % {"name": identity.enterprise, "role": identity.role_label},
    )
    return redirect("accounts:centre")


@login_required
@require_POST
def identity_personal(request):
    """Back to 个人身份."""
    acting.acting_switch_back(request)
    messages.success(request, _("您现在以个人身份办事。"))
    return redirect("accounts:centre")


# ---------------------------------------------------------------------------------------------------------------
# Window: in-person verification (现场实名核验)


@login_required
@require_http_methods(["GET", "POST"])
def counter_realname(request):
    """A window clerk finds the person by phone, checks the ID card and confirms (L3)."""
    realname.require_window_clerk(request.user)
    find_form = FindPersonForm(request.GET or None)
    person, searched = None, False
    if find_form.is_bound and find_form.is_valid():
        searched = True
        person = realname.access_person_by_phone(request.user, find_form.cleaned_data["phone"])
    form = InPersonRealNameForm(request.POST or None)
    if request.method == "POST" and person is not None and form.is_valid():
        try:
            realname.realname_verify_in_person(
                actor=request.user,
                user=person,
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
                reclaim=form.cleaned_data["reclaim"],
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("现场实名核验完成：%(name)s 的实名等级为 L3。") % {"name": person.real_name})
            return redirect("accounts:counter_realname")
    context = {
        "find_form": find_form,
        "form": form,
        "person": person,
        "searched": searched,
        "person_phone": mask_phone(person.phone) if person and person.phone else "",
        "person_id_number": mask_id_number(person.id_number) if person and person.id_number else "",
    }
    return render(request, "accounts/centre/counter_realname.html", context)
