"""Read-only admin for keys, certificates and seals. Private keys are never shown: only what a key is and where it
lives. Everything is made by services (licences_init, rotation), never typed in here."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tongban.core.admin import ReadOnlyAdmin
from tongban.licences.models import Certificate, Seal, SigningKey


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["id", "algorithm", "backend", "master_key_id", "created_at"]
    list_filter = ["algorithm", "backend"]
    # The encrypted private key and the public key bytes stay out: nothing here exports key material.
    fields = ["algorithm", "backend", "master_key_id", "hsm_reference", "created_at"]
    readonly_fields = fields


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["subject", "purpose", "organisation", "serial_number", "not_after", "status"]
    list_filter = ["purpose", "status"]
    search_fields = ["subject", "serial_number", "sm3_fingerprint"]
    list_select_related = ["organisation"]
    fields = [
        "purpose",
        "organisation",
        "issuer",
        "subject",
        "serial_number",
        "sm3_fingerprint",
        "not_before",
        "not_after",
        "status",
        "created_at",
        "superseded_at",
        "pem_text",
    ]
    readonly_fields = fields

    @admin.display(description=_("证书（PEM）"))
    def pem_text(self, obj: Certificate):
        return format_html("<pre>{}</pre>", obj.pem())


@admin.register(Seal)
class SealAdmin(ReadOnlyAdmin):
    list_display = ["name", "es_id", "organisation", "valid_end", "status"]
    list_filter = ["status"]
    search_fields = ["name", "es_id"]
    list_select_related = ["organisation"]
    fields = [
        "organisation",
        "es_id",
        "name",
        "certificate",
        "maker_certificate",
        "valid_start",
        "valid_end",
        "status",
        "created_at",
        "superseded_at",
        "data",
    ]
    readonly_fields = fields
