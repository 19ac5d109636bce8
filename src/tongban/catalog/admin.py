"""Admin for the catalogue. Items and their versions are read-only here: they change only through the review
workflow (catalog.services) in the workbench. Themes and search synonyms are maintained here, every edit audited."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import BasicItem, Faq, FeeItem, ImplementationItem, ItemVersion, Material, Synonym, Theme
from tongban.core.admin import AuditedAdmin, ReadOnlyAdmin


@admin.register(BasicItem)
class BasicItemAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "item_type", "source", "department_code"]
    list_filter = ["item_type", "source"]
    search_fields = ["code", "name"]


@admin.register(ImplementationItem)
class ImplementationItemAdmin(ReadOnlyAdmin):
    list_display = ["code", "basic_item", "organisation", "exercise_level", "published_version", "use_count"]
    list_filter = ["exercise_level", "organisation__region"]
    list_select_related = ["basic_item", "organisation", "published_version"]
    search_fields = ["code", "basic_item__name", "organisation__name"]


class ReadOnlyInline(admin.TabularInline):
    """Children of a version, shown with it and never changed here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MaterialInline(ReadOnlyInline):
    model = Material
    fields = ["order", "name", "material_type", "material_form", "necessity", "source", "acceptance_standard"]


class FeeInline(ReadOnlyInline):
    model = FeeItem
    fields = ["order", "name", "standard", "basis"]


class FaqInline(ReadOnlyInline):
    model = Faq
    fields = ["order", "question", "answer"]


@admin.register(ItemVersion)
class ItemVersionAdmin(ReadOnlyAdmin):
    list_display = ["item", "number", "name", "status", "author", "reviewer", "published_at"]
    list_filter = ["status", "item_type"]
    list_select_related = ["item", "author", "reviewer"]
    search_fields = ["item__code", "name"]
    inlines = [MaterialInline, FeeInline, FaqInline]


@admin.register(Theme)
class ThemeAdmin(AuditedAdmin):
    list_display = ["name", "code", "audience", "order"]
    list_filter = ["audience"]
    search_fields = ["name", "code"]


@admin.register(Synonym)
class SynonymAdmin(AuditedAdmin):
    list_display = ["phrase", "means"]
    search_fields = ["phrase", "means"]
    fieldsets = [
        (None, {"fields": ["phrase", "means"], "description": _("群众常用的说法及其对应的事项用语，多个用空格分隔")})
    ]
