import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tongban import celery_app
from tongban.celery import install_beat_schedule
from tongban.core import jobs, outbox
from tongban.core.management.commands import scheduler as scheduler_command
from tongban.core.models import OutboxMessage

REPO_ROOT = Path(__file__).resolve().parents[4]


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _job(name: str, seconds: float, func) -> jobs.PeriodicJob:
    return jobs.PeriodicJob(name, timedelta(seconds=seconds), func)


def test_outbox_drain_is_registered_every_ten_seconds():
    job = jobs.get_job("outbox.drain")
    assert job.every == timedelta(seconds=10)
    assert job.func is jobs.drain_outbox


def test_beat_schedule_is_built_from_the_registry():
    schedule = jobs.beat_schedule()
    assert schedule["outbox.drain"] == {
        "task": "tongban.core.run_periodic_job",
        "schedule": 10.0,
        "args": ("outbox.drain",),
        "options": {"expires": 10.0},
    }
    assert set(schedule) == {job.name for job in jobs.registered_jobs()}
    install_beat_schedule(celery_app)
    assert celery_app.conf.beat_schedule == schedule
    celery_app.loader.import_default_modules()  # what a worker or beat does at start: autodiscover tasks modules
    assert "tongban.core.run_periodic_job" in celery_app.tasks


def test_periodic_rejects_a_second_job_with_the_same_name_and_a_bad_interval():
    with pytest.raises(ValueError, match="already registered"):
        jobs.periodic("outbox.drain", every=timedelta(seconds=5))(test_beat_schedule_is_built_from_the_registry)
    with pytest.raises(ValueError, match="positive interval"):
        jobs.periodic("test.never", every=timedelta(0))


def test_embedded_scheduler_runs_due_jobs_and_survives_a_failing_one():
    ran: list[str] = []

    def broken():
        ran.append("broken")
        raise RuntimeError("job failed")

    clock = FakeClock()
    scheduler = jobs.EmbeddedScheduler(
        [_job("fast", 10, lambda: ran.append("fast")), _job("broken", 30, broken)], clock=clock
    )
    assert scheduler.run_due() == {"fast": True, "broken": False}
    assert scheduler.seconds_until_next() == 10
    clock.now += 5
    assert scheduler.run_due() == {}
    assert scheduler.seconds_until_next() == 5
    clock.now += 5
    assert scheduler.run_due() == {"fast": True}
    clock.now += 20
    assert scheduler.run_due() == {"fast": True, "broken": False}
    assert ran == ["fast", "broken", "fast", "fast", "broken"]


def test_run_forever_stops_when_asked():
    stop = threading.Event()
    runs: list[int] = []

    def job():
        runs.append(1)
        if len(runs) == 3:
            stop.set()

    jobs.EmbeddedScheduler([_job("quick", 0.001, job)]).run_forever(stop)
    assert len(runs) == 3


@pytest.mark.django_db
def test_scheduler_once_drains_the_outbox(monkeypatch):
    seen = []
    monkeypatch.setitem(outbox._handlers, "test.scheduled", lambda message_id, payload: seen.append(message_id))
    message = OutboxMessage.objects.create(topic="test.scheduled", payload={}, available_at=timezone.now())
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    names = [job.name for job in jobs.registered_jobs()]
    assert "outbox.drain" in names
    assert out.getvalue().strip() == f"已运行 {len(names)} 个定时任务：{'、'.join(names)}"
    assert seen == [message.pk]
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.DONE


def test_scheduler_once_fails_when_a_job_fails(monkeypatch):
    def broken():
        raise RuntimeError("job failed")

    monkeypatch.setattr(scheduler_command, "registered_jobs", lambda: [_job("test.broken", 60, broken)])
    with pytest.raises(CommandError, match=r"以下定时任务运行失败（详见日志）：test\.broken"):
        call_command("scheduler", "--once", stdout=StringIO())


def _database_url() -> str:
    """The URL of the test database, for a child process (the configured URL with the test database's name)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return urlsplit(configured)._replace(path=f"/{quote(db['NAME'])}").geturl()
    auth = f"{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}@" if db["USER"] else ""
    return f"postgres://{auth}{db['HOST'] or ''}:{db['PORT'] or 5432}/{quote(db['NAME'])}"


@pytest.mark.django_db(transaction=True)
def test_scheduler_process_drains_then_stops_on_sigterm(tmp_path):
    # Created directly, not enqueued: nothing in this process may deliver it, only the scheduler process.
    message = OutboxMessage.objects.create(topic="test.no_handler_there", payload={}, available_at=timezone.now())
    env = {**os.environ, "DATABASE_URL": _database_url(), "TONGBAN_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("CELERY_BROKER_URL", None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "scheduler", "--skip-checks"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not OutboxMessage.objects.get(pk=message.pk).last_error and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert f"scheduler started with jobs: {'、'.join(job.name for job in jobs.registered_jobs())}" in output
    assert "scheduler stopped" in output
    message.refresh_from_db()
    assert message.attempts == 1
    assert "no outbox handler registered for topic 'test.no_handler_there'" in message.last_error
