"""Admin for the identity registries' local mirrors and for agent authorisations (imported by accounts/admin.py).

Registry records are written through the registry services (audited, masked in the log). Agent authorisations are
read-only here: the representative grants and revokes them in 我的企业, where the rules are applied.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tongban.accounts.models import AgentAuthorisation, LegalEntityRecord, PopulationRecord
from tongban.accounts.registries import (
    legal_entity_record_put,
    legal_entity_record_view,
    population_record_put,
    population_record_view,
)
from tongban.core import audit
from tongban.core.pii import mask_id_number, mask_phone
from tongban.core.validators import validate_id_number, validate_uscc


def _checked(validator, value: str) -> str:
    try:
        validator(value)
    except ValidationError as exc:
        raise forms.ValidationError(exc.messages) from None
    return value


class PopulationRecordForm(forms.ModelForm):
    id_number_input = forms.CharField(label=_("公民身份号码"), max_length=30)

    class Meta:
        model = PopulationRecord
        fields = ["name", "alive"]

    def clean_id_number_input(self):
        return _checked(validate_id_number, self.cleaned_data["id_number_input"])


@admin.register(PopulationRecord)
class PopulationRecordAdmin(admin.ModelAdmin):
    """人口基础库 mirror: search by exact ID number is not offered (encrypted); the list shows masked numbers."""

    list_display = ["name", "masked_id_number", "alive", "updated_at"]
    list_filter = ["alive"]
    search_fields = ["name"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PopulationRecordForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["name", "id_number_input", "alive"] if obj is None else ["name", "masked_id_number", "alive"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["masked_id_number"]

    @admin.display(description=_("公民身份号码"))
    def masked_id_number(self, obj: PopulationRecord) -> str:
        return mask_id_number(obj.id_number)

    def save_model(self, request, obj, form, change):
        number = obj.id_number if change else form.cleaned_data["id_number_input"]
        saved = population_record_put(actor=request.user, name=obj.name, id_number=number, alive=obj.alive)
        obj.pk = saved.pk

    @transaction.atomic
    def delete_model(self, request, obj):
        audit.record(actor=request.user, action="population_record.delete", obj=obj, before=population_record_view(obj))
        obj.delete()

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class LegalEntityRecordForm(forms.ModelForm):
    representative_id_number_input = forms.CharField(label=_("法定代表人身份号码"), max_length=30)

    class Meta:
        model = LegalEntityRecord
        fields = ["uscc", "name", "representative_name", "region_code", "status"]

    def clean_uscc(self):
        return _checked(validate_uscc, self.cleaned_data["uscc"])

    def clean_representative_id_number_input(self):
        return _checked(validate_id_number, self.cleaned_data["representative_id_number_input"])


@admin.register(LegalEntityRecord)
class LegalEntityRecordAdmin(admin.ModelAdmin):
    """法人基础库 mirror."""

    form = LegalEntityRecordForm
    list_display = ["name", "uscc", "representative_name", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "uscc", "representative_name"]
    fields = ["uscc", "name", "representative_name", "representative_id_number_input", "region_code", "status"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form.base_fields["representative_id_number_input"].initial = obj.representative_id_number
        return form

    def save_model(self, request, obj, form, change):
        saved = legal_entity_record_put(
            actor=request.user,
            uscc=obj.uscc,
            name=obj.name,
            representative_name=obj.representative_name,
            representative_id_number=form.cleaned_data["representative_id_number_input"],
            status=obj.status,
            region_code=obj.region_code,
        )
        obj.pk = saved.pk

    @transaction.atomic
    def delete_model(self, request, obj):
        before = legal_entity_record_view(obj)
        audit.record(actor=request.user, action="legal_entity_record.delete", obj=obj, before=before)
        obj.delete()

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AgentAuthorisation)
class AgentAuthorisationAdmin(admin.ModelAdmin):
    """经办人授权, read-only: granted and revoked by the enterprise's representative in 我的企业."""

    list_display = ["enterprise", "agent_name", "masked_phone", "all_items", "expires_on", "revoked_at"]
    list_filter = ["all_items", "expires_on"]
    list_select_related = ["enterprise"]
    search_fields = ["agent_name", "enterprise__display_name", "enterprise__username"]
    fields = [
        "enterprise",
        "agent_name",
        "masked_phone",
        "all_items",
        "item_codes",
        "expires_on",
        "granted_by",
        "granted_at",
        "revoked_by",
        "revoked_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("经办人手机号码"))
    def masked_phone(self, obj: AgentAuthorisation) -> str:
        return mask_phone(obj.agent_phone)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
