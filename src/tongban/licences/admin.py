"""Admin of licences. Keys, certificates, seals and licences are read-only: private keys are never shown (only what a
key is and where it lives), and everything is made by services (licences_init, rotation, licence_issue), never typed
in here. Licence types are configuration and are edited here, audited."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tongban.core.admin import AuditedAdmin, ReadOnlyAdmin
from tongban.core.pii import mask_id_number
from tongban.licences.models import Certificate, Licence, LicenceShare, LicenceType, LicenceView, Seal, SigningKey


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


@admin.register(LicenceType)
class LicenceTypeAdmin(AuditedAdmin):
    list_display = ["code", "name", "issuer", "validity_years", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    list_select_related = ["issuer"]
    autocomplete_fields = ["issuer"]


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = ["identifier", "licence_type", "holder_name", "issued_on", "status", "render_status"]
    list_filter = ["status", "render_status", "licence_type"]
    search_fields = ["identifier", "holder_name"]
    list_select_related = ["licence_type"]
    # The holder's ID number appears masked only; the sealed data and signature are for verification, not reading.
    fields = [
        "identifier",
        "licence_type",
        "issuer",
        "holder",
        "holder_name",
        "holder_id_type",
        "holder_id_masked",
        "fields",
        "issued_on",
        "valid_from",
        "valid_until",
        "region_code",
        "status",
        "revoked_at",
        "revocation_reason",
        "source_case",
        "seal",
        "signed_at",
        "data_sm3",
        "pdf",
        "pdf_sha256",
        "render_status",
        "render_error",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("持证主体证件号码"))
    def holder_id_masked(self, obj: Licence) -> str:
        return mask_id_number(obj.holder_id_number)


@admin.register(LicenceShare)
class LicenceShareAdmin(ReadOnlyAdmin):
    """Grants are the holder's to make and revoke (我的证照); here they are only read (the token digest stays out)."""

    list_display = ["licence", "kind", "organisation", "purpose", "expires_at", "revoked_at", "view_count"]
    list_filter = ["kind", "revoked_at"]
    list_select_related = ["licence__licence_type", "organisation"]
    fields = [
        "licence",
        "kind",
        "organisation",
        "purpose",
        "granted_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
        "view_count",
        "last_viewed_at",
    ]
    readonly_fields = fields


@admin.register(LicenceView)
class LicenceViewAdmin(ReadOnlyAdmin):
    list_display = ["share", "viewer", "part", "ip", "viewed_at"]
    list_filter = ["part"]
    list_select_related = ["share", "viewer"]
    fields = ["share", "viewer", "part", "ip", "viewed_at"]
    readonly_fields = fields
