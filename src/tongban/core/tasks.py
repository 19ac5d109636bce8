"""Celery tasks of the foundation (thin: they call outbox and jobs). Names are explicit so they survive refactors."""

from __future__ import annotations

from celery import shared_task

from tongban.core import jobs, outbox


@shared_task(name="tongban.core.deliver_outbox_message", ignore_result=True)
def deliver_outbox_message(message_id: int) -> str:
    """Deliver one outbox message (dispatched after the transaction that recorded it commits)."""
    return outbox.deliver(message_id).value


@shared_task(name="tongban.core.run_periodic_job", ignore_result=True)
def run_periodic_job(name: str) -> None:
    """Run one registered periodic job; celery beat sends this on each job's interval when a broker is configured."""
    jobs.run_job(name)
