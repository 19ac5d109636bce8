import threading
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from tongban.core import audit
from tongban.core.middleware import RequestContextMiddleware
from tongban.core.models import AuditEntry


def _record(n: int, action: str = "test.write") -> list[AuditEntry]:
    with transaction.atomic():
        return [
            audit.record(actor=None, action=action, object_type="x", object_id=str(i), after={"n": i}) for i in range(n)
        ]


@contextmanager
def _triggers_bypassed():
    """What an attacker with direct database access does: drop the triggers, tamper, put them back."""
    audit.drop_triggers(connection)
    try:
        yield
    finally:
        audit.create_triggers(connection)


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_entries_chain_from_genesis_and_verify():
    with transaction.atomic():
        first = audit.record(actor=None, action="test.first", object_type="x", object_id="1", after={"a": 1})
        second = audit.record(actor=None, action="test.second", object_type="x", object_id="1", after={"a": 2})
    assert first.prev_hash == audit.GENESIS_HASH
    assert second.prev_hash == first.hash
    assert audit.verify_chain() == (2, None)
    assert AuditEntry.objects.get(pk=second.pk).actor_label == "系统"


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match=r"inside the service's transaction\.atomic block"):
        audit.record(actor=None, action="test.no_tx")
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_migration_installed_the_triggers():
    assert audit.triggers_installed(connection)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: AuditEntry.objects.filter(pk=e.pk).update(action="test.changed"),
        lambda e: AuditEntry.objects.filter(pk=e.pk).delete(),
        lambda e: _raw("UPDATE core_auditentry SET action = %s WHERE id = %s", ["test.changed", e.pk]),
        lambda e: _raw("DELETE FROM core_auditentry WHERE id = %s", [e.pk]),
        lambda e: _raw("DELETE FROM core_auditentry", []),
    ],
    ids=["orm-update", "orm-delete", "raw-update", "raw-delete", "raw-delete-all"],
)
def test_triggers_refuse_update_and_delete(tamper):
    entries = _record(3)
    before = list(AuditEntry.objects.order_by("id").values_list("id", "action", "hash"))
    with pytest.raises(DatabaseError, match="audit log is append-only"), transaction.atomic():
        tamper(entries[1])
    assert list(AuditEntry.objects.order_by("id").values_list("id", "action", "hash")) == before
    assert audit.verify_chain() == (3, None)


@pytest.mark.django_db
def test_audit_verify_passes_on_a_clean_chain():
    _record(5)
    output = _verify()
    assert "已校验 5 条审计记录，哈希链完整。" in output
    assert "防篡改触发器在位" in output


@pytest.mark.django_db
def test_audit_verify_passes_on_an_empty_log():
    assert "已校验 0 条审计记录" in _verify()


@pytest.mark.django_db
def test_audit_verify_names_an_entry_whose_action_was_altered():
    entries = _record(5)
    target = entries[3]
    with _triggers_bypassed():
        _raw("UPDATE core_auditentry SET action = %s WHERE id = %s", ["test.forged", target.pk])
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", "--batch-size", "2")
    message = str(failure.value)
    assert f"首个异常记录 #{target.pk}" in message
    assert "动作 test.forged" in message
    assert "该记录被改动" in message
    assert "此前 3 条记录校验通过" in message
    assert audit.verify_chain()[1].entry_id == target.pk


@pytest.mark.django_db
def test_audit_verify_names_an_entry_whose_after_was_altered():
    entries = _record(3)
    target = entries[0]
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with _triggers_bypassed():
        _raw(f"UPDATE core_auditentry SET after = %s{cast} WHERE id = %s", ['{"n": 999}', target.pk])
    assert AuditEntry.objects.get(pk=target.pk).after == {"n": 999}
    with pytest.raises(CommandError, match=rf"首个异常记录 #{target.pk}（时间 .*，动作 test.write）.*该记录被改动"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_audit_verify_detects_a_deleted_entry_and_names_the_next_one():
    entries = _record(4)
    with _triggers_bypassed():
        _raw("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    message = str(failure.value)
    assert f"首个异常记录 #{entries[2].pk}" in message
    assert f"与前一条记录（#{entries[0].pk}）的哈希不衔接" in message
    assert "此前 1 条记录校验通过" in message


@pytest.mark.django_db
def test_audit_verify_detects_a_deleted_first_entry():
    entries = _record(2)
    with _triggers_bypassed():
        _raw("DELETE FROM core_auditentry WHERE id = %s", [entries[0].pk])
    with pytest.raises(CommandError, match=rf"#{entries[1].pk}.*第一条记录不是从初始哈希开始"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_audit_verify_fails_when_the_triggers_are_missing_and_can_reinstall_them():
    _record(2)
    audit.drop_triggers(connection)
    assert not audit.triggers_installed(connection)
    with pytest.raises(CommandError, match="触发器缺失"):
        call_command("audit_verify")
    out = StringIO()
    call_command("audit_verify", "--install-triggers", stdout=out)
    assert audit.triggers_installed(connection)
    assert "防篡改触发器在位" in out.getvalue()


@pytest.mark.django_db
def test_recorded_addresses_are_stored_as_hashed(rf: RequestFactory):
    def view(request):
        with transaction.atomic():
            audit.record(actor=None, action="test.ip", object_type="x", object_id="1")
        return HttpResponse()

    RequestContextMiddleware(view)(rf.get("/", REMOTE_ADDR="2001:0db8:0000:0000:0000:0000:0000:0001"))
    RequestContextMiddleware(view)(rf.get("/", REMOTE_ADDR="not-an-address", HTTP_USER_AGENT="浏览器/1.0"))
    first, second = AuditEntry.objects.order_by("id")
    assert first.ip == "2001:db8::1"
    assert first.request_id and len(first.request_id) == 32
    assert second.ip is None
    assert second.user_agent == "浏览器/1.0"
    assert audit.verify_chain() == (2, None)


@pytest.mark.django_db(transaction=True)
def test_flush_between_transactional_tests_keeps_the_triggers():
    _record(3)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0
    assert audit.triggers_installed(connection)
    with pytest.raises(DatabaseError, match="append-only"):
        _record(1)[0].delete()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_linear():
    threads, per_thread, errors = 6, 8, []
    start = threading.Barrier(threads)

    def writer(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit.record(actor=None, action=f"test.thread{worker}", object_type="x", object_id=str(i))
        except Exception as exc:  # collected and asserted below; a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert errors == []
    assert audit.verify_chain() == (threads * per_thread, None)
    prev_hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(set(prev_hashes)) == threads * per_thread


# --- deferred(): the chain lock taken at the end of the block ---------------------------------------------------------


@pytest.mark.django_db
def test_deferred_entries_are_chained_in_order_when_the_block_ends():
    (head,) = _record(1)
    with transaction.atomic():
        with audit.deferred():
            first = audit.record(actor=None, action="test.first", object_type="x", object_id="1")
            second = audit.record(actor=None, action="test.second", object_type="x", object_id="1")
            assert (first.pk, second.pk, first.hash) == (None, None, "")
            assert AuditEntry.objects.count() == 1
        assert AuditEntry.objects.count() == 3
    assert (first.prev_hash, second.prev_hash) == (head.hash, first.hash)
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "test.write",
        "test.first",
        "test.second",
    ]
    assert audit.verify_chain() == (3, None)


@pytest.mark.django_db
def test_a_deferred_block_that_raises_writes_nothing_and_record_is_immediate_again():
    with pytest.raises(ValueError, match="boom"), transaction.atomic(), audit.deferred():
        audit.record(actor=None, action="test.lost", object_type="x", object_id="1")
        raise ValueError("boom")
    assert AuditEntry.objects.count() == 0
    with transaction.atomic():
        entry = audit.record(actor=None, action="test.now", object_type="x", object_id="1")
        assert entry.pk is not None
    assert audit.verify_chain() == (1, None)


@pytest.mark.django_db
def test_nested_deferred_blocks_write_once_at_the_outer_end():
    with transaction.atomic(), audit.deferred():
        audit.record(actor=None, action="test.outer", object_type="x", object_id="1")
        with audit.deferred():
            audit.record(actor=None, action="test.inner", object_type="x", object_id="1")
        assert AuditEntry.objects.count() == 0
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == ["test.outer", "test.inner"]
    assert audit.verify_chain() == (2, None)


@pytest.mark.django_db(transaction=True)
def test_deferred_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match=r"inside the service's transaction\.atomic block"), audit.deferred():
        pass


@pytest.mark.django_db(transaction=True)
def test_concurrent_deferred_and_immediate_writers_keep_the_chain_linear():
    threads, per_thread, errors = 6, 6, []
    start = threading.Barrier(threads)

    def writer(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    if worker % 2:
                        audit.record(actor=None, action=f"test.now{worker}", object_type="x", object_id=str(i))
                        continue
                    with audit.deferred():
                        for part in range(2):
                            audit.record(actor=None, action=f"test.later{worker}", object_type="x", object_id=str(part))
        except Exception as exc:  # collected and asserted below; a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    total = 3 * per_thread + 3 * per_thread * 2
    assert errors == []
    assert audit.verify_chain() == (total, None)
    assert len(set(AuditEntry.objects.values_list("prev_hash", flat=True))) == total
