import os
import threading
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tongban import celery_app
from tongban.core import outbox, tasks
from tongban.core.models import OutboxMessage


class Boom(Exception):
    pass


@pytest.fixture
def calls(monkeypatch):
    """Register handlers for test topics (removed again after the test); returns the list of calls they saw."""
    seen: list[tuple[str, int, dict]] = []

    def record(topic):
        def handle(message_id, payload):
            seen.append((topic, message_id, payload))

        return handle

    monkeypatch.setitem(outbox._handlers, "test.ok", record("test.ok"))
    return seen


def _failing_then_ok(monkeypatch, failures: int, seen: list):
    state = {"left": failures}

    def handle(message_id, payload):
        if state["left"]:
            state["left"] -= 1
            raise Boom(f"下游系统不可用（剩余 {state['left']} 次）")
        seen.append(("test.flaky", message_id, payload))

    monkeypatch.setitem(outbox._handlers, "test.flaky", handle)


def _enqueue(topic: str, payload: dict) -> OutboxMessage:
    with transaction.atomic():
        return outbox.enqueue(topic, payload)


def _make_due(message: OutboxMessage) -> None:
    """Stand in for the backoff delay passing."""
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())


def test_celery_is_eager_without_a_broker(settings):
    assert settings.TONGBAN_BROKER_CONFIGURED is False
    assert celery_app.conf.task_always_eager is True
    assert tasks.deliver_outbox_message.name == "tongban.core.deliver_outbox_message"
    assert tasks.deliver_outbox_message.name in celery_app.tasks


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused(calls):
    with pytest.raises(RuntimeError, match=r"inside the service's transaction\.atomic block"):
        outbox.enqueue("test.ok", {"a": 1})
    assert OutboxMessage.objects.count() == 0
    assert calls == []


@pytest.mark.django_db
def test_rolled_back_message_is_neither_stored_nor_dispatched(calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom), transaction.atomic():
        outbox.enqueue("test.ok", {"a": 1})
        raise Boom
    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert calls == []


@pytest.mark.django_db
def test_dispatched_only_on_commit(calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = _enqueue("test.ok", {"licence": "L-1"})
        assert calls == []
    assert len(callbacks) == 1
    assert calls == [("test.ok", message.pk, {"licence": "L-1"})]


@pytest.mark.django_db(transaction=True)
def test_commit_delivers_in_process_through_eager_celery(calls):
    with transaction.atomic():
        message = outbox.enqueue("test.ok", {"licence": "L-2", "数量": 3})
        assert calls == []
    assert calls == [("test.ok", message.pk, {"licence": "L-2", "数量": 3})]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DONE
    assert message.attempts == 1
    assert message.done_at is not None
    assert message.locked_until is None
    assert message.last_error == ""


@pytest.mark.django_db(transaction=True)
def test_rollback_in_a_real_transaction_dispatches_nothing(calls):
    with pytest.raises(Boom), transaction.atomic():
        outbox.enqueue("test.ok", {"a": 1})
        raise Boom
    assert OutboxMessage.objects.count() == 0
    assert calls == []


@pytest.mark.django_db(transaction=True)
def test_broker_down_at_dispatch_keeps_the_message_for_the_drain(calls, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_outbox_message, "delay", broker_down)
    with transaction.atomic():
        message = outbox.enqueue("test.ok", {"a": 1})
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 0)
    assert outbox.drain() == outbox.DrainResult(done=1)
    assert calls == [("test.ok", message.pk, {"a": 1})]


@pytest.mark.django_db
def test_failing_handler_is_retried_with_backoff_until_it_succeeds(monkeypatch):
    seen: list = []
    _failing_then_ok(monkeypatch, failures=2, seen=seen)
    message = _enqueue("test.flaky", {"n": 1})

    before = timezone.now()
    assert outbox.drain() == outbox.DrainResult(retry=1)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert message.last_error == "Boom: 下游系统不可用（剩余 1 次）"
    assert message.locked_until is None
    assert timedelta(seconds=8) <= message.available_at - before <= timedelta(seconds=10, milliseconds=500)

    assert outbox.drain() == outbox.DrainResult()  # not due yet: nothing is attempted
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 1

    _make_due(message)
    before = timezone.now()
    assert outbox.drain() == outbox.DrainResult(retry=1)
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.last_error == "Boom: 下游系统不可用（剩余 0 次）"
    assert timedelta(seconds=16) <= message.available_at - before <= timedelta(seconds=20, milliseconds=500)

    _make_due(message)
    assert outbox.drain() == outbox.DrainResult(done=1)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxMessage.Status.DONE, 3, "")
    assert message.done_at is not None
    assert seen == [("test.flaky", message.pk, {"n": 1})]


@pytest.mark.django_db
def test_done_message_is_not_delivered_again(calls):
    message = _enqueue("test.ok", {"a": 1})
    assert outbox.deliver(message.pk) is outbox.Outcome.DONE
    assert outbox.deliver(message.pk) is outbox.Outcome.SKIPPED
    assert outbox.drain() == outbox.DrainResult()
    assert len(calls) == 1
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 1


@pytest.mark.django_db
def test_a_claimed_message_cannot_be_claimed_again_until_its_lease_expires(calls):
    message = _enqueue("test.ok", {"a": 1})
    first = outbox._claim(message.pk)
    assert first is not None and first.attempts == 1
    assert outbox._claim(message.pk) is None
    assert outbox.deliver(message.pk) is outbox.Outcome.SKIPPED
    assert outbox.drain() == outbox.DrainResult()
    assert calls == []

    OutboxMessage.objects.filter(pk=message.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert outbox.deliver(message.pk) is outbox.Outcome.DONE  # a crashed worker's lease ran out
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 2
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_at_once_run_the_handler_once(monkeypatch):
    runs: list[int] = []

    def slow(message_id, payload):
        runs.append(message_id)
        time.sleep(0.3)

    monkeypatch.setitem(outbox._handlers, "test.slow", slow)
    with transaction.atomic():
        message = OutboxMessage.objects.create(topic="test.slow", payload={}, available_at=timezone.now())
    outcomes: list[outbox.Outcome] = []
    start = threading.Barrier(2)

    def worker():
        from django.db import connection

        try:
            start.wait()
            outcomes.append(outbox.deliver(message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.value for o in outcomes) == ["done", "skipped"]
    assert runs == [message.pk]
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 1


@pytest.mark.django_db
def test_unknown_topic_is_recorded_and_retried_until_a_handler_exists(monkeypatch):
    message = _enqueue("test.not_yet_deployed", {"a": 1})
    assert outbox.deliver(message.pk) is outbox.Outcome.RETRY
    message.refresh_from_db()
    assert message.last_error == "LookupError: no outbox handler registered for topic 'test.not_yet_deployed'"
    assert message.status == OutboxMessage.Status.PENDING

    seen = []
    monkeypatch.setitem(outbox._handlers, "test.not_yet_deployed", lambda mid, payload: seen.append(mid))
    _make_due(message)
    assert outbox.drain() == outbox.DrainResult(done=1)
    assert seen == [message.pk]


@pytest.mark.django_db
def test_long_errors_are_truncated(monkeypatch):
    def fail(message_id, payload):
        raise Boom("错" * 5000)

    monkeypatch.setitem(outbox._handlers, "test.long_error", fail)
    message = _enqueue("test.long_error", {})
    outbox.deliver(message.pk)
    assert len(OutboxMessage.objects.get(pk=message.pk).last_error) == outbox.LAST_ERROR_MAX


@pytest.mark.django_db
def test_drain_takes_oldest_due_first_and_respects_the_limit(calls):
    messages = [_enqueue("test.ok", {"n": n}) for n in range(3)]
    assert outbox.drain(limit=2) == outbox.DrainResult(done=2)
    assert [payload["n"] for _, _, payload in calls] == [0, 1]
    assert outbox.drain(limit=2) == outbox.DrainResult(done=1)
    assert [mid for _, mid, _ in calls] == [m.pk for m in messages]


def test_backoff_doubles_with_jitter_up_to_an_hour():
    for attempts, low, high in [(1, 8, 10), (2, 16, 20), (3, 32, 40), (9, 2048, 2560), (10, 2880, 3600)]:
        for _ in range(50):
            assert low <= outbox.backoff(attempts).total_seconds() <= high, attempts
    assert outbox.backoff(500) <= timedelta(hours=1)
    assert len({outbox.backoff(4) for _ in range(20)}) > 1


def test_a_topic_has_one_handler(monkeypatch):
    def first(message_id, payload):
        pass

    def second(message_id, payload):
        pass

    monkeypatch.setitem(outbox._handlers, "test.taken", first)
    assert outbox.handler("test.taken")(first) is first  # re-importing the same module is harmless
    with pytest.raises(ValueError, match=r"already has a handler: .*first"):
        outbox.handler("test.taken")(second)
    assert outbox.get_handler("test.taken") is first


def test_idempotency_key_is_stable_per_message():
    assert outbox.idempotency_key(42) == "tongban-outbox-42"
    assert outbox.idempotency_key(42, "sms") == "tongban-outbox-42-sms"


@pytest.mark.django_db
def test_enqueue_rejects_a_bad_topic_or_payload():
    with transaction.atomic():
        with pytest.raises(ValueError, match="1-100 characters"):
            outbox.enqueue("", {})
        with pytest.raises(ValueError, match="1-100 characters"):
            outbox.enqueue("t" * 101, {})
        with pytest.raises(TypeError, match="must be a dict"):
            outbox.enqueue("test.ok", ["not", "a", "dict"])
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_after_a_broker_failure_dispatch_pauses_and_the_drain_delivers(calls, monkeypatch):
    attempts = []

    def broker_down(message_id):
        attempts.append(message_id)
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_outbox_message, "delay", broker_down)
    for number in range(3):
        with transaction.atomic():
            outbox.enqueue("test.ok", {"n": number})
    assert len(attempts) == 1  # the first failure paused dispatching: no more connection attempts per request
    assert outbox.drain() == outbox.DrainResult(done=3)
    monkeypatch.setattr(outbox, "_broker_paused_until", 0.0)  # the pause is over
    with transaction.atomic():
        outbox.enqueue("test.ok", {"n": 3})
    assert len(attempts) == 2


@pytest.fixture
def publishes(monkeypatch):
    """Every publish to the broker (its argument), each delivered at once as the worker would."""
    seen: list = []

    def publish(argument):
        seen.append(argument)
        return tasks.deliver_outbox_message(argument)

    monkeypatch.setattr(tasks.deliver_outbox_message, "delay", publish)
    return seen


@pytest.mark.django_db(transaction=True)
def test_a_transactions_messages_go_to_the_broker_in_one_publish_in_order(calls, publishes):
    with transaction.atomic():
        first = outbox.enqueue("test.ok", {"n": 1})
        second = outbox.enqueue("test.ok", {"n": 2})
    with transaction.atomic():
        third = outbox.enqueue("test.ok", {"n": 3})
    assert publishes == [[first.pk, second.pk], third.pk]  # a lone message is published as before: its id
    assert calls == [("test.ok", first.pk, {"n": 1}), ("test.ok", second.pk, {"n": 2}), ("test.ok", third.pk, {"n": 3})]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.DONE}


@pytest.mark.django_db(transaction=True)
def test_a_message_rolled_back_with_its_savepoint_is_skipped_and_the_rest_delivered(calls, publishes):
    with transaction.atomic():
        kept = outbox.enqueue("test.ok", {"n": 1})
        with pytest.raises(Boom), transaction.atomic():
            dropped = outbox.enqueue("test.ok", {"n": 2})
            raise Boom
        after = outbox.enqueue("test.ok", {"n": 3})
    assert publishes == [[kept.pk, dropped.pk, after.pk]]
    assert calls == [("test.ok", kept.pk, {"n": 1}), ("test.ok", after.pk, {"n": 3})]  # no such message: skipped
    assert OutboxMessage.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_batch_rolled_back_with_its_savepoint_does_not_take_later_messages_with_it(calls, publishes):
    with transaction.atomic():
        with pytest.raises(Boom), transaction.atomic():
            outbox.enqueue("test.ok", {"n": 1})
            raise Boom
        with transaction.atomic():
            inner = outbox.enqueue("test.ok", {"n": 2})  # a savepoint released: its batch is not shared after it
        outer = outbox.enqueue("test.ok", {"n": 3})
    assert publishes == [inner.pk, outer.pk]
    assert calls == [("test.ok", inner.pk, {"n": 2}), ("test.ok", outer.pk, {"n": 3})]


class _Recorder:
    """A publish that records each batch and the thread it ran in; `hold` keeps the first publish waiting."""

    def __init__(self, hold: bool = False):
        self.batches: list[tuple[list[int], str]] = []
        self.release = threading.Event()
        self.busy = threading.Event()
        self.hold = hold

    def __call__(self, ids: list[int]) -> None:
        self.busy.set()
        if self.hold and not self.batches:
            assert self.release.wait(10)
        self.batches.append((list(ids), threading.current_thread().name))

    def wait_for(self, count: int) -> list[tuple[list[int], str]]:
        deadline = time.monotonic() + 10
        while len(self.batches) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.batches


def test_a_busy_publisher_sends_what_was_added_meanwhile_in_one_publish_in_order():
    recorder = _Recorder(hold=True)
    publisher = outbox.Publisher(recorder)
    publisher.add([1])
    assert recorder.busy.wait(10)  # the thread took [1] and is publishing it
    publisher.add([2, 3])
    publisher.add([4])
    recorder.release.set()
    assert recorder.wait_for(2) == [([1], "tongban-outbox-publisher"), ([2, 3, 4], "tongban-outbox-publisher")]
    publisher.flush()  # nothing left: no publish
    assert len(recorder.batches) == 2


def test_flush_publishes_what_is_pending_in_the_calling_thread():
    recorder = _Recorder()
    publisher = outbox.Publisher(recorder)
    publisher._thread = threading.current_thread()  # as if its thread were busy elsewhere: nothing takes the ids
    publisher.add([7, 8])
    publisher.flush()
    assert recorder.batches == [([7, 8], threading.current_thread().name)]


def test_a_failing_publish_does_not_stop_the_thread():
    seen = []

    def flaky(ids):
        seen.append(ids)
        if len(seen) == 1:
            raise ConnectionError("broker gone")

    publisher = outbox.Publisher(flaky)
    publisher.add([1])
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.005)
    publisher.add([2])
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert seen == [[1], [2]]


@pytest.mark.django_db(transaction=True)
def test_with_a_broker_commits_go_to_the_publisher_thread_and_rollbacks_nowhere(settings, monkeypatch):
    settings.TONGBAN_BROKER_CONFIGURED = True
    recorder = _Recorder()
    monkeypatch.setattr(outbox, "_publisher", outbox.Publisher(recorder))
    with transaction.atomic():
        first = outbox.enqueue("test.ok", {"n": 1})
        second = outbox.enqueue("test.ok", {"n": 2})
    with pytest.raises(Boom), transaction.atomic():
        outbox.enqueue("test.ok", {"n": 3})
        raise Boom
    assert recorder.wait_for(1) == [([first.pk, second.pk], "tongban-outbox-publisher")]
    time.sleep(0.05)
    assert len(recorder.batches) == 1


def test_a_forked_process_starts_with_its_own_empty_publisher():
    recorder = _Recorder(hold=True)
    publisher = outbox.Publisher(recorder)
    publisher.add([1])
    assert recorder.busy.wait(10)
    publisher.add([2])  # pending in the parent when it forks
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its copy must hold nothing of the parent's and publish with a thread of its own
        try:
            os.close(read_end)
            child_recorder = _Recorder()
            publisher._publish = child_recorder
            pending_at_fork = publisher.take(timeout=0)
            publisher.add([9])
            batches = child_recorder.wait_for(1)
            os.write(write_end, repr((pending_at_fork, batches)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        answer = pipe.read()
    os.waitpid(child, 0)
    recorder.release.set()
    assert answer == repr(([], [([9], "tongban-outbox-publisher")]))
    assert recorder.wait_for(2) == [([1], "tongban-outbox-publisher"), ([2], "tongban-outbox-publisher")]
