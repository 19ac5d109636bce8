"""The Celery application, configured from Django settings (CELERY_* names).

With no CELERY_BROKER_URL, CELERY_TASK_ALWAYS_EAGER is on: `.delay()` runs the task in-process, and
`manage.py scheduler` runs the periodic jobs. With a broker, run workers (`celery -A tongban worker`) and one beat
(`celery -A tongban beat`); beat's schedule is built from the same job registry (tongban.core.jobs).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")

app = Celery("tongban")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def install_beat_schedule(sender: Celery, **kwargs) -> None:
    """Fill beat_schedule from the periodic-job registry once Django is ready (beat finalizes after django.setup)."""
    from django.apps import apps

    if not apps.ready:
        return
    from tongban.core.jobs import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
