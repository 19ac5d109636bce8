"""Admin for single sign-on clients: DOT's application pages, with every registration, change and removal audited
(imported by accounts/admin.py; DOT's own admin is registered first because oauth2_provider precedes accounts)."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from oauth2_provider.admin import ApplicationAdmin
from oauth2_provider.models import Application

from tongban.accounts.oidc import client_view
from tongban.core import audit

if admin.site.is_registered(Application):
    admin.site.unregister(Application)


@admin.register(Application)
class AuditedApplicationAdmin(ApplicationAdmin):
    """Department systems registered as OpenID Connect / OAuth clients (接入系统)."""

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        before = client_view(Application.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        action = "oidc_client.update" if change else "oidc_client.register"
        audit.record(actor=request.user, action=action, obj=obj, before=before, after=client_view(obj))

    @transaction.atomic
    def delete_model(self, request, obj):
        audit.record(actor=request.user, action="oidc_client.delete", obj=obj, before=client_view(obj))
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for application in queryset:
            audit.record(
                actor=request.user, action="oidc_client.delete", obj=application, before=client_view(application)
            )
        super().delete_queryset(request, queryset)
