"""Forms of the online application pages (cases/views_apply.py): whom the person applies for, one short page of the
item's application form, a material upload; and the helpers that turn the item's JSON Schema form into fields with
their values and errors.

The item's form is validated on the server with the same JSON Schema the catalogue checked
(catalog.forms_schema.validate_submission); a page validates only its own fields, the whole form is validated again at
submission (services.case_submit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.accounts.enterprises import ActingIdentity, ActingRole, acting_identities, authorisation_covers
from tongban.accounts.models import User
from tongban.cases.models import ApplicantKind
from tongban.cases.services import Applicant
from tongban.catalog.forms_schema import FormField, FormPage, coerce_submission, validate_submission
from tongban.catalog.models import ImplementationItem, ItemVersion

SELF = "self"
ENTERPRISE_PREFIX = "enterprise-"


# ---------------------------------------------------------------------------------------------------------------
# Whom the person applies for


@dataclass(frozen=True)
class IdentityOption:
    """One answer to "为谁申请": the person themselves or an enterprise they may act for, and whether it may apply."""

    value: str
    label: str
    enabled: bool
    hint: str = ""
    identity: ActingIdentity | None = None


def _audience_allows(version: ItemVersion, audience: str) -> bool:
    return not version.service_object or audience in version.service_object


def identity_options(user: User, item: ImplementationItem, version: ItemVersion) -> list[IdentityOption]:
    """The person, then each enterprise they represent or are agent of (two queries), each marked usable or not."""
    options = [
        IdentityOption(
            SELF,
            _("本人（%(name)s）") % {"name": user.real_name or user.display_name or user.username},
            _audience_allows(version, ApplicantKind.PERSON),
            "" if _audience_allows(version, ApplicantKind.PERSON) else _("该事项只面向企业办理"),
        )
    ]
    for identity in acting_identities(user):
        label = _("%(name)s（我是%(role)s）") % {"name": identity.enterprise, "role": identity.role_label}
        in_scope = identity.role == ActingRole.REPRESENTATIVE or authorisation_covers(identity.authorisation, item.code)
        if not _audience_allows(version, ApplicantKind.ENTERPRISE):
            hint = _("该事项只面向个人办理")
        elif not in_scope:
            hint = _("您的经办授权不包含该事项，请联系企业法定代表人")
        else:
            hint = ""
        options.append(IdentityOption(f"{ENTERPRISE_PREFIX}{identity.enterprise.pk}", label, not hint, hint, identity))
    return options


def enterprise_id_of(value: str) -> int | None:
    """The enterprise account id an option value names ("enterprise-12" → 12), None for the person themselves."""
    if not value.startswith(ENTERPRISE_PREFIX):
        return None
    return int(value.removeprefix(ENTERPRISE_PREFIX))


class IdentityForm(forms.Form):
    """为谁申请. Any of the person's own options is accepted here; the application rules (service object, agent
    scope, real-name level) are the service's to check, so a refusal is told and audited in one place."""

    applicant = forms.ChoiceField(
        label=gettext_lazy("您为谁申请"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择为谁申请"), "invalid_choice": gettext_lazy("请选择为谁申请")},
    )

    def __init__(self, *args, options: list[IdentityOption], **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        self.fields["applicant"].choices = [(option.value, option.label) for option in options]


class MaterialUploadForm(forms.Form):
    """One file for one material."""

    file = forms.FileField(
        label=gettext_lazy("选择文件"),
        error_messages={
            "required": gettext_lazy("请选择要上传的文件"),
            "empty": gettext_lazy("文件是空的，请重新选择"),
            "invalid": gettext_lazy("请选择要上传的文件"),
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# Prefill (form_ui["prefill"]: field → source in catalog.forms_schema.PREFILL_SOURCES)


def _id_gender(id_number: str) -> str:
    return (_("男") if int(id_number[16]) % 2 else _("女")) if len(id_number) == 18 and id_number[16].isdigit() else ""


def _id_birth_date(id_number: str) -> str:
    digits = id_number[6:14]
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}" if len(id_number) == 18 and digits.isdigit() else ""


def _profile_values(person: User) -> dict[str, str]:
    id_number = person.id_number or ""
    return {
        "profile.real_name": person.real_name,
        "profile.id_number": id_number,
        "profile.phone": person.phone,
        "profile.gender": _id_gender(id_number),
        "profile.birth_date": _id_birth_date(id_number),
    }


def _enterprise_values(enterprise: User) -> dict[str, str]:
    representative = enterprise.legal_representative
    return {
        "enterprise.name": enterprise.display_name or enterprise.username,
        "enterprise.uscc": enterprise.username,
        "enterprise.legal_representative": representative.real_name if representative else "",
    }


def prefill_answers(version: ItemVersion, applicant: Applicant) -> dict[str, Any]:
    """Answers filled in from the person's verified profile and the enterprise they apply for, where the form says so.

    The profile is the person filling in the form (for an enterprise: its representative or agent); sources with no
    value (the registries keep no address) are left for the person to type; a choice is filled only with one of its
    options.
    """
    sources = _profile_values(applicant.person)
    if applicant.is_enterprise:
        sources |= _enterprise_values(applicant.account)
    properties = version.form_schema.get("properties", {})
    prefill = (version.form_ui or {}).get("prefill", {})
    answers = {}
    for name, source in prefill.items():
        value = sources.get(source, "")
        choices = properties.get(name, {}).get("enum")
        if value and name in properties and (choices is None or value in choices):
            answers[name] = value
    return answers


# ---------------------------------------------------------------------------------------------------------------
# One page of the application form


@dataclass(frozen=True)
class FieldRow:
    """A field as the page draws it: the definition, the value to show (as typed), its errors, prefilled or not."""

    field: FormField
    value: Any
    errors: list[str]
    prefilled: bool

    @property
    def id(self) -> str:
        return f"field-{self.field.name}"

    @property
    def values(self) -> list[str]:
        """The ticked options of a multiple choice."""
        return [str(v) for v in self.value] if isinstance(self.value, list) else []


def page_raw_values(post: Mapping, page: FormPage) -> dict[str, Any]:
    """What the person typed on this page, as posted (lists for multiple choices); unticked boxes count as none."""
    return {
        field.name: post.getlist(field.name) if field.kind == "choices" else post.get(field.name, "")
        for field in page.fields
    }


def page_schema(schema: dict, page: FormPage) -> dict:
    """The item's schema narrowed to this page's fields (the page is checked alone; the whole form at submission)."""
    names = {field.name for field in page.fields}
    return {
        **schema,
        "properties": {name: prop for name, prop in schema.get("properties", {}).items() if name in names},
        "required": [name for name in schema.get("required", []) if name in names],
    }


def page_errors(version: ItemVersion, page: FormPage, raw: Mapping[str, Any]) -> dict[str, list[str]]:
    """Chinese messages for this page's fields, in page order (empty when the page is right)."""
    schema = page_schema(version.form_schema, page)
    answers = coerce_submission(schema, raw)
    return validate_submission(schema, answers, ui={"pages": [{"fields": [field.name for field in page.fields]}]})


def shown_value(value: Any) -> Any:
    """A stored answer as an input shows it: numbers as text, booleans as "true"/"false", lists unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return value
    return str(value)


def page_rows(page: FormPage, values: Mapping[str, Any], errors: Mapping[str, list[str]]) -> list[FieldRow]:
    """Each field of the page with its value (stored or as just typed) and errors; prefilled where the form says."""
    return [
        FieldRow(
            field=field,
            value=shown_value(values.get(field.name)),
            errors=list(errors.get(field.name, [])),
            prefilled=bool(field.prefill) and values.get(field.name) not in (None, "", []),
        )
        for field in page.fields
    ]


def answer_text(field: FormField, value: Any) -> str:
    """An answer as the check-your-answers page reads it."""
    if value in (None, "", []):
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


class MaterialFileForm(forms.Form):
    """One file for one material the applicant still owes: a supplement (补正) or a deferred material (容缺)."""

    material = forms.TypedChoiceField(coerce=int)
    file = forms.FileField(
        label=gettext_lazy("选择文件"),
        help_text=gettext_lazy("PDF、JPG、PNG 或 OFD 文件"),
        error_messages={"required": gettext_lazy("请选择要上传的文件")},
    )

    def __init__(self, *args, choices, material_label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["material"].choices = choices
        self.fields["material"].label = material_label
