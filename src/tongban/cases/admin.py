"""Admin for cases: read-only. A case changes only through cases.services (applicants, clerks, jobs), so that every
change has its timeline event and audit row; the admin is for looking things up."""

from __future__ import annotations

from django.contrib import admin

from tongban.cases.models import Case, CaseDocument, CaseEvent, StoredFile
from tongban.catalog.admin import ReadOnlyInline
from tongban.core.admin import ReadOnlyAdmin


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["created_at", "code", "name", "organisation", "actor_label", "opinion", "public"]


class DocumentInline(ReadOnlyInline):
    model = CaseDocument
    fields = ["issued_at", "kind", "number", "organisation", "status"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "item", "applicant_name", "organisation", "status", "channel", "received_at"]
    list_filter = ["status", "channel", "acceptance_deemed", "supervision_flag"]
    list_select_related = ["item", "organisation"]
    search_fields = ["number"]
    # Encrypted fields (ID number, phone, query code) stay out of the admin: lookups go through the workbench.
    exclude = ["applicant_id_number", "applicant_id_index", "contact_phone", "query_code", "form_data"]
    inlines = [EventInline, DocumentInline]


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    list_display = ["sha256", "content_type", "size", "scan_status", "created_at"]
    list_filter = ["content_type", "scan_status"]
    search_fields = ["sha256"]
