from django.apps import AppConfig


class CasesConfig(AppConfig):
    """Applications (办件): drafts, submission, counter acceptance, pre-review, acceptance, supplement, progress.

    Outbox handlers (cases/outbox_handlers.py) and periodic jobs (cases/jobs.py) are discovered by core.
    """

    name = "tongban.cases"
    label = "cases"
    verbose_name = "办件管理"
