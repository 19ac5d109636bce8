"""Celery tasks of the foundation (thin: they call outbox and jobs). Names are explicit so they survive refactors."""

from __future__ import annotations

from celery import shared_task

from tongban.core import jobs, outbox


@shared_task(name="tongban.core.deliver_outbox_message", ignore_result=True)
def deliver_outbox_message(message_id: int | list[int]) -> str:
    """Deliver an outbox message, or in order the messages one transaction recorded (dispatched after it commits)."""
    ids = message_id if isinstance(message_id, list) else [message_id]
    return ",".join(outbox.deliver(one).value for one in ids)


@shared_task(name="tongban.core.run_periodic_job", ignore_result=True)
def run_periodic_job(name: str) -> None:
    """Run one registered periodic job; celery beat sends this on each job's interval when a broker is configured."""
    jobs.run_job(name)
