from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared foundation: regions, organisations, calendar, numbering, crypto, PII, audit, outbox, errors."""

    name = "tongban.core"
    label = "core"
    verbose_name = "平台基础"
