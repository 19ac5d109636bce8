"""The transactional outbox: side effects recorded with the change that causes them, delivered after commit.

A service calls `enqueue(topic, payload)` inside its transaction. The row commits or rolls back with the change, so
a side effect is never lost (broker down, process killed) and never sent for a change that did not happen. After
commit the transaction's messages are handed to Celery together (`tasks.deliver_outbox_message` with their ids,
delivered in the order they were recorded): a publish costs about a millisecond of CPU and a broker round trip, and a
submission records two messages (issue 5). With a broker, a process's publisher thread (`Publisher`) publishes them
with whatever else committed while its last publish was under way, so a busy worker publishes once per several
transactions. With no broker configured Celery runs eagerly, and the same delivery happens in-process, at commit.
Whatever is not done yet (failed, broker unreachable, worker killed) is picked up by the periodic `outbox.drain` job,
with exponential backoff between attempts, until done.

Handlers are registered per topic in `<app>/outbox_handlers.py` (imported on first use):

    @outbox.handler("cases.notify_applicant")
    def notify_applicant(message_id: int, payload: dict) -> None: ...

Delivery is at least once: a handler may run again for the same message (worker killed after the handler but
before the message was marked done, lease expired on a very slow handler). Handlers must therefore be idempotent
by the outbox id: store it on what they create (a unique column), or pass `idempotency_key(message_id)` to the
system they call.
"""

from __future__ import annotations

import atexit
import enum
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from tongban.core.db.writes import insert
from tongban.core.models import OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[int, dict], None]

# A claimed message is not offered to another worker for this long; a handler slower than this may run twice.
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(hours=1)
LAST_ERROR_MAX = 2000

# After the broker refused a message, stop offering it messages for this long: they wait in the table for the drain
# instead of each costing the request a connection timeout while the broker is down.
BROKER_PAUSE = timedelta(seconds=30)

_handlers: dict[str, Handler] = {}
_broker_paused_until = 0.0
_discovered = False
_discovery_lock = threading.Lock()
_jitter = random.SystemRandom()


class Outcome(enum.Enum):
    """What one delivery attempt did."""

    DONE = "done"
    RETRY = "retry"  # the handler failed (or none is registered); retried after the backoff
    SKIPPED = "skipped"  # already done, not due yet, or claimed by another worker


@dataclass(frozen=True)
class DrainResult:
    """Counts from one drain pass."""

    done: int = 0
    retry: int = 0
    skipped: int = 0


def handler(topic: str) -> Callable[[Handler], Handler]:
    """Register `func(message_id, payload)` as the one handler of `topic`."""

    def register(func: Handler) -> Handler:
        existing = _handlers.get(topic)
        if existing is not None and _qualified(existing) != _qualified(func):
            raise ValueError(f"outbox topic {topic!r} already has a handler: {_qualified(existing)}")
        _handlers[topic] = func
        return func

    return register


def _qualified(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def get_handler(topic: str) -> Handler | None:
    """The handler for `topic`, after importing every app's outbox_handlers module once."""
    global _discovered
    if not _discovered:
        with _discovery_lock:
            if not _discovered:
                autodiscover_modules("outbox_handlers")
                _discovered = True
    return _handlers.get(topic)


def idempotency_key(message_id: int, purpose: str = "") -> str:
    """A stable key for an external call made on behalf of this message (e.g. an Idempotency-Key header)."""
    return f"tongban-outbox-{message_id}" + (f"-{purpose}" if purpose else "")


def enqueue(topic: str, payload: dict) -> OutboxMessage:
    """Record a side effect in the caller's transaction; it is dispatched once the transaction commits."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox.enqueue must run inside the service's transaction.atomic block")
    if not topic or len(topic) > OutboxMessage._meta.get_field("topic").max_length:
        raise ValueError(f"outbox topic must be 1-100 characters: {topic!r}")
    if not isinstance(payload, dict):
        raise TypeError("outbox payload must be a dict of JSON values")
    message = insert(OutboxMessage(topic=topic, payload=payload, available_at=timezone.now()))
    _transaction_batch().append(message.id)
    return message


class _Batch(list):
    """The ids of the messages recorded in one transaction, in order; registered with on_commit, it dispatches them."""

    def __init__(self, savepoints: set):
        super().__init__()
        self.savepoints = savepoints  # the savepoints open when it was registered: it lives and dies with them
        self.dispatched = False

    def __call__(self) -> None:
        self.dispatched = True
        dispatch(*self)


def _transaction_batch() -> _Batch:
    """The batch of the current transaction, registered with on_commit by its first enqueue.

    A batch is shared only while every savepoint open at its registration is still open, so a message joins a batch
    that rolls back only if the message rolls back too: Django drops a callback registered inside a savepoint that
    rolls back. A message recorded in a deeper savepoint that rolls back leaves its id in the batch; `deliver` then
    finds no such message and skips it. A batch that has run (tests run callbacks without committing) is not reused.
    """
    open_now = set(connection.savepoint_ids)
    for _savepoints, callback, _robust in reversed(connection.run_on_commit):
        if isinstance(callback, _Batch) and not callback.dispatched and callback.savepoints <= open_now:
            return callback
    batch = _Batch(open_now)
    transaction.on_commit(batch)
    return batch


def dispatch(*message_ids: int) -> None:
    """Hand committed messages to Celery: with a broker, to this process's publisher thread, which publishes them with
    whatever else committed meanwhile; without one (eager Celery), at once in this thread.

    A broker failure is only logged: the messages are safely in the table and the periodic drain delivers them.
    """
    if not message_ids:
        return
    if settings.TONGBAN_BROKER_CONFIGURED:
        _publisher.add(message_ids)
    else:
        publish(list(message_ids))


def publish(message_ids: list[int]) -> None:
    """One publish of these messages, in order (one id goes as itself, as the task has always taken it)."""
    global _broker_paused_until
    from tongban.core.tasks import deliver_outbox_message

    if time.monotonic() < _broker_paused_until:
        return  # the broker failed a moment ago; the drain delivers these messages once it is back
    try:
        deliver_outbox_message.delay(message_ids[0] if len(message_ids) == 1 else message_ids)
    except Exception:  # the broker being down must not fail the request whose change already committed
        _broker_paused_until = time.monotonic() + BROKER_PAUSE.total_seconds()
        logger.warning(
            "outbox messages %s not dispatched; dispatch paused for %s s, the periodic drain will deliver them",
            message_ids,
            int(BROKER_PAUSE.total_seconds()),
            exc_info=True,
        )


class Publisher:
    """A process's publishing thread. Commits add their message ids and go on; the thread publishes everything added
    since its last publish as one task, in the order added.

    A publish costs about as much Python as the rest of a submission's commit (Celery builds the task message, kombu a
    Redis client for it) and a broker round trip. Under load, what commits while one publish is under way goes in the
    next one, so a busy worker publishes once per several transactions; an idle one publishes each at once, with no
    wait added. Ids not yet published when the process ends (killed, or its thread cut off at exit) are in the table:
    the periodic drain delivers them, as after a broker failure.
    """

    def __init__(self, publish_ids=None):
        self._publish = publish_ids or publish
        self._start()
        os.register_at_fork(after_in_child=self._start)  # a forked worker starts empty, with its own lock and thread

    def _start(self) -> None:
        self._lock = threading.Lock()
        self._added = threading.Condition(self._lock)
        self._pending: list[int] = []
        self._thread: threading.Thread | None = None

    def add(self, message_ids) -> None:
        with self._lock:
            self._pending.extend(message_ids)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tongban-outbox-publisher", daemon=True)
                self._thread.start()
            self._added.notify()

    def take(self, timeout: float | None = None) -> list[int]:
        """Everything added and not yet taken, waiting up to `timeout` seconds (None: until something is)."""
        with self._lock:
            self._added.wait_for(lambda: self._pending, timeout)
            taken, self._pending = self._pending, []
        return taken

    def flush(self) -> None:
        """Publish what is pending now, in the calling thread (at exit, so a clean stop loses no wait)."""
        taken = self.take(timeout=0)
        if taken:
            self._publish(taken)

    def _run(self) -> None:
        while True:
            taken = self.take()
            try:
                self._publish(taken)
            except Exception:  # never let the thread die: the drain delivers what this publish missed
                logger.exception("outbox publish of %s failed; the periodic drain will deliver them", taken)


_publisher = Publisher()
atexit.register(_publisher.flush)


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt: doubling from 10 s to a 1 h cap, minus up to 20% jitter so retries spread."""
    exponent = min(max(attempts, 1) - 1, 20)
    delay = min(BACKOFF_BASE * (2**exponent), BACKOFF_CAP)
    return delay * _jitter.uniform(0.8, 1.0)


def _due(now) -> Q:
    # What "due" means; _CLAIM_SQL below says the same in SQL, for the one message being claimed.
    return Q(status=OutboxMessage.Status.PENDING, available_at__lte=now) & (
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    )


# The claim as one statement that also returns what delivery needs (UPDATE … RETURNING, PostgreSQL and SQLite 3.35+):
# it replaced an ORM UPDATE followed by a SELECT of the row, a round trip and a compiled query per message.
_CLAIM_SQL = (
    "UPDATE core_outboxmessage SET locked_until = %s, attempts = attempts + 1 "
    "WHERE id = %s AND status = %s AND available_at <= %s AND (locked_until IS NULL OR locked_until < %s) "
    "RETURNING topic, payload, attempts"
)


def _claim(message_id: int) -> OutboxMessage | None:
    """Take a lease on a due message with one conditional UPDATE, so two workers never run it at once."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_SQL, [adapt(now + LEASE), message_id, OutboxMessage.Status.PENDING, adapt(now), adapt(now)]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    topic, payload, attempts = row
    payload = OutboxMessage._meta.get_field("payload").from_db_value(payload, None, connection)
    return OutboxMessage(id=message_id, topic=topic, payload=payload, attempts=attempts)


def deliver(message_id: int) -> Outcome:
    """Run one message's handler if it is due and unclaimed; mark it done, or schedule a retry with backoff.

    Call it outside a transaction: the claim must commit before the handler runs, and the handler (which may call
    other systems) must not run under a database lock. The handler opens its own transactions.
    """
    message = _claim(message_id)
    if message is None:
        return Outcome.SKIPPED
    try:
        func = get_handler(message.topic)
        if func is None:
            raise LookupError(f"no outbox handler registered for topic {message.topic!r}")
        func(message.id, message.payload)
    except Exception as exc:  # any handler failure is recorded on the message and retried; never lost
        _schedule_retry(message, exc)
        return Outcome.RETRY
    OutboxMessage.objects.filter(pk=message.id, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.DONE, done_at=timezone.now(), locked_until=None, last_error=""
    )
    return Outcome.DONE


def _schedule_retry(message: OutboxMessage, exc: Exception) -> None:
    delay = backoff(message.attempts)
    error = f"{type(exc).__name__}: {exc}"[:LAST_ERROR_MAX]
    logger.warning(
        "outbox message %s (%s) failed on attempt %s; retrying in %ss: %s",
        message.id,
        message.topic,
        message.attempts,
        int(delay.total_seconds()),
        error,
        exc_info=not isinstance(exc, LookupError),
    )
    # Only while the lease is still ours (attempts unchanged): a worker that re-claimed after expiry owns it now.
    OutboxMessage.objects.filter(pk=message.id, status=OutboxMessage.Status.PENDING, attempts=message.attempts).update(
        last_error=error, locked_until=None, available_at=timezone.now() + delay
    )


def drain(limit: int = 100) -> DrainResult:
    """Deliver up to `limit` due messages, oldest first (the periodic job and tests call this)."""
    ids = list(
        OutboxMessage.objects.filter(_due(timezone.now()))
        .order_by("available_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    counts = dict.fromkeys(Outcome, 0)
    for message_id in ids:
        counts[deliver(message_id)] += 1
    return DrainResult(done=counts[Outcome.DONE], retry=counts[Outcome.RETRY], skipped=counts[Outcome.SKIPPED])
