from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared foundation: regions, organisations, calendar, numbering, crypto, PII, audit, outbox, errors."""

    name = "tongban.core"
    label = "core"
    verbose_name = "平台基础"

    def ready(self):
        # The calendar's cache-invalidation signals must be connected in every process, not only where the admin
        # happens to import the calendar module.
        from tongban.core import calendar  # noqa: F401
