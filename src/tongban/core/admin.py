"""Admin for foundation data. Every edit goes through a service or writes an audit row; logs are read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tongban.core import audit, calendar, services
from tongban.core.models import (
    AuditEntry,
    CalendarDay,
    CalendarYear,
    HallWindow,
    Organisation,
    OutboxMessage,
    Region,
    SerialCounter,
)
from tongban.core.validators import normalize_uscc


class AuditedAdmin(admin.ModelAdmin):
    """Saves and deletes made in the admin leave an audit row (actor, before/after) in the same transaction."""

    def _action(self, verb: str) -> str:
        return f"{self.model._meta.model_name}.{verb}"

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action=self._action("update" if change else "create"),
            obj=obj,
            before=before,
            after=audit.snapshot(obj),
        )

    def delete_model(self, request, obj):
        before, pk, text = audit.snapshot(obj), obj.pk, str(obj)
        super().delete_model(request, obj)
        audit.record(
            actor=request.user,
            action=self._action("delete"),
            object_type=self.model._meta.label_lower,
            object_id=str(pk),
            object_repr=text,
            before=before,
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A view-only list: nobody adds, changes or deletes these rows here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------------------------------------------------------
# Regions


class RegionForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["code", "name", "active"]

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        problem = services.region_code_problem(code)
        if problem:
            raise forms.ValidationError(problem)
        return code


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    form = RegionForm
    list_display = ["code", "name", "level", "parent", "active"]
    list_filter = ["level", "active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        # The code fixes level and parent; changing it would silently move a whole subtree.
        return ["code", "level", "parent"] if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["code", "level", "parent", "name", "active"] if obj is not None else ["code", "name", "active"]

    def save_model(self, request, obj, form, change):
        if change:
            services.region_update(actor=request.user, region=obj, name=obj.name, active=obj.active)
            return
        created = services.region_create(actor=request.user, code=obj.code, name=obj.name, active=obj.active)
        obj.pk, obj.level, obj.parent_id = created.pk, created.level, created.parent_id


# ---------------------------------------------------------------------------------------------------------------
# Organisations and windows


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = list(services.ORGANISATION_EDITABLE)

    def clean_uscc(self):
        return normalize_uscc(self.cleaned_data["uscc"])

    def clean_region(self):
        region = self.cleaned_data["region"]
        if region is not None and not region.active and "region" in self.changed_data:
            raise forms.ValidationError(gettext("所选行政区划已撤销，不能选用"))
        return region


class HallWindowInline(admin.TabularInline):
    model = HallWindow
    extra = 0
    fields = ["number", "name", "kind", "active"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    form = OrganisationForm
    list_display = ["name", "kind", "region", "uscc", "phone", "active"]
    list_filter = ["kind", "active", "region__level"]
    search_fields = ["name", "short_name", "uscc", "region__name", "region__code"]
    autocomplete_fields = ["region", "parent"]
    list_select_related = ["region"]
    inlines = [HallWindowInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "uscc", "kind", "region", "parent", "active"]}),
        (_("办事信息"), {"fields": ["phone", "address", "opening_hours"]}),
    ]

    def save_model(self, request, obj, form, change):
        if change:
            values = {
                name: form.cleaned_data[name] for name in form.changed_data if name in services.ORGANISATION_EDITABLE
            }
            services.organisation_update(actor=request.user, organisation=obj, **values)
            return
        values = {name: form.cleaned_data[name] for name in services.ORGANISATION_EDITABLE}
        obj.pk = services.organisation_create(actor=request.user, **values).pk

    def save_formset(self, request, form, formset, change):
        """Windows edited inline are audited one by one, like windows edited on their own page."""
        existing = {f.instance.pk for f in formset.initial_forms if f.instance.pk is not None}
        before = {window.pk: audit.snapshot(window) for window in HallWindow.objects.filter(pk__in=existing)}
        deleted = [(f.instance.pk, str(f.instance)) for f in formset.deleted_forms if f.instance.pk in before]
        super().save_formset(request, form, formset, change)
        for window in formset.new_objects:
            audit.record(actor=request.user, action="hallwindow.create", obj=window, after=audit.snapshot(window))
        for window, _fields in formset.changed_objects:
            audit.record(
                actor=request.user,
                action="hallwindow.update",
                obj=window,
                before=before[window.pk],
                after=audit.snapshot(window),
            )
        for pk, text in deleted:
            audit.record(
                actor=request.user,
                action="hallwindow.delete",
                object_type="core.hallwindow",
                object_id=str(pk),
                object_repr=text,
                before=before[pk],
            )


@admin.register(HallWindow)
class HallWindowAdmin(AuditedAdmin):
    list_display = ["hall", "number", "name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["number", "name", "hall__name"]
    autocomplete_fields = ["hall"]
    list_select_related = ["hall"]


# ---------------------------------------------------------------------------------------------------------------
# Working-day calendar


class CalendarWarningMixin:
    """Warns on the changelist when next year's schedule is missing, since deadlines then count weekends only."""

    def changelist_view(self, request, extra_context=None):
        year = calendar.next_year_missing()
        if year is not None:
            messages.warning(
                request,
                gettext(
                    "%(year)d 年的节假日安排尚未录入：涉及该年的办理时限暂按仅周末休息计算（标记为“暂定”）。"
                    "国务院办公厅通知发布后，请录入该年的节假日和调休工作日，"
                    "并在“已发布节假日安排的年份”中添加 %(year)d。"
                )
                % {"year": year},
            )
        return super().changelist_view(request, extra_context)


class CalendarAdmin(CalendarWarningMixin, admin.ModelAdmin):
    """Calendar edits go through calendar.calendar_entry_save/delete: audited, and the cached calendar is cleared."""

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        calendar.calendar_entry_save(actor=request.user, obj=obj, before=before)

    def delete_model(self, request, obj):
        calendar.calendar_entry_delete(actor=request.user, obj=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarAdmin):
    list_display = ["date", "weekday", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "l")  # 星期四 / Thursday


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarAdmin):
    list_display = ["year", "source", "note"]
    search_fields = ["year", "source", "note"]
    ordering = ["-year"]


# ---------------------------------------------------------------------------------------------------------------
# Counters and logs: read-only


@admin.register(SerialCounter)
class SerialCounterAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "day", "value"]
    search_fields = ["prefix"]
    date_hierarchy = "day"
    ordering = ["-day", "prefix"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_type", "object_id", "object_repr", "actor_label", "request_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "topic", "status", "attempts", "available_at", "created_at", "done_at"]
    list_filter = ["status", "topic"]
    search_fields = ["topic", "last_error"]
    date_hierarchy = "created_at"
