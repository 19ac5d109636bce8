"""Periodic jobs: one registry, run by celery beat when a broker is configured, else by `manage.py scheduler`.

Register a job in `<app>/jobs.py` (every app's jobs module is imported on first use):

    @periodic("cases.deadline_reminders", every=timedelta(minutes=5))
    def deadline_reminders() -> None: ...

A job must be safe to run twice at once (two schedulers, a slow run overlapping the next): claim rows with
conditional updates, as the outbox drain does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connections
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A function run every `every` by whichever scheduler the deployment uses."""

    name: str
    every: timedelta
    func: Callable[[], object]


_registry: dict[str, PeriodicJob] = {}
_discovered = False
_discovery_lock = threading.Lock()


def periodic(name: str, *, every: timedelta) -> Callable[[Callable], Callable]:
    """Register the decorated function as the periodic job `name`."""
    if every <= timedelta(0):
        raise ValueError(f"periodic job {name!r} needs a positive interval")

    def register(func: Callable) -> Callable:
        existing = _registry.get(name)
        if existing is not None and _qualified(existing.func) != _qualified(func):  # a re-import is harmless
            raise ValueError(f"periodic job {name!r} is already registered")
        _registry[name] = PeriodicJob(name, every, func)
        return func

    return register


def _qualified(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def registered_jobs() -> list[PeriodicJob]:
    """Every registered job, after importing each app's jobs module once."""
    global _discovered
    if not _discovered:
        with _discovery_lock:
            if not _discovered:
                autodiscover_modules("jobs")
                _discovered = True
    return sorted(_registry.values(), key=lambda job: job.name)


def get_job(name: str) -> PeriodicJob:
    for job in registered_jobs():
        if job.name == name:
            return job
    raise KeyError(f"no periodic job named {name!r}")


def run_job(name: str) -> None:
    """Run one job by name (the Celery task's body); exceptions propagate to the caller."""
    job = get_job(name)
    started = time.monotonic()
    result = job.func()
    logger.debug("periodic job %s finished in %.2fs: %s", name, time.monotonic() - started, result)


def beat_schedule() -> dict[str, dict]:
    """The celery beat schedule built from the registry: each job is the run_periodic_job task with its name."""
    return {
        job.name: {
            "task": "tongban.core.run_periodic_job",
            "schedule": job.every.total_seconds(),
            "args": (job.name,),
            # A run that waited longer than one interval is superseded by the next one.
            "options": {"expires": job.every.total_seconds()},
        }
        for job in registered_jobs()
    }


@dataclass
class EmbeddedScheduler:
    """The no-broker scheduler (`manage.py scheduler`): runs due jobs in this process, one after another.

    Every job is due at start, then `every` after its previous run began. A failing job is logged and retried on its
    next interval; it never stops the loop.
    """

    jobs: list[PeriodicJob]
    clock: Callable[[], float] = time.monotonic
    next_run: dict[str, float] = field(default_factory=dict)

    def run_due(self) -> dict[str, bool]:
        """Run every job that is due now; return {job name: succeeded}."""
        outcomes = {}
        for job in self.jobs:
            now = self.clock()
            if self.next_run.get(job.name, now) > now:
                continue
            self.next_run[job.name] = now + job.every.total_seconds()
            outcomes[job.name] = self._run(job)
        return outcomes

    def seconds_until_next(self) -> float:
        now = self.clock()
        pending = [self.next_run.get(job.name, now) - now for job in self.jobs]
        return max(0.0, min(pending, default=60.0))

    def run_forever(self, stop: threading.Event) -> None:
        """Loop until `stop` is set (the command sets it on SIGTERM/SIGINT); finishes the running job first."""
        while not stop.is_set():
            self.run_due()
            stop.wait(self.seconds_until_next())

    @staticmethod
    def _run(job: PeriodicJob) -> bool:
        _recycle_connections()
        started = time.monotonic()
        try:
            result = job.func()
        except Exception:  # a failing job is logged and retried on its next interval; the loop keeps going
            logger.exception("periodic job %s failed", job.name)
            return False
        finally:
            _recycle_connections()
        logger.debug("periodic job %s finished in %.2fs: %s", job.name, time.monotonic() - started, result)
        return True


def _recycle_connections() -> None:
    """A long-lived process must not keep a connection the database (or a proxy) has dropped or that is too old."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:  # never under a caller's transaction (tests run jobs inside one)
            conn.close_if_unusable_or_obsolete()


# Registered jobs of the foundation.


@periodic("outbox.drain", every=timedelta(seconds=10))
def drain_outbox():
    """Deliver outbox messages that are due: never dispatched (broker down), or waiting for a retry."""
    from tongban.core import outbox

    result = outbox.drain()
    if result.done or result.retry:
        logger.info("outbox drain: %s delivered, %s failed and scheduled for retry", result.done, result.retry)
    return result
