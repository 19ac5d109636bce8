"""Admin for site messages: read-only (messages are written by notifications.services.notify)."""

from __future__ import annotations

from django.contrib import admin

from tongban.core.admin import ReadOnlyAdmin
from tongban.notifications.models import Message


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "topic", "title", "read_at"]
    list_filter = ["topic"]
    list_select_related = ["recipient"]
    search_fields = ["title"]
