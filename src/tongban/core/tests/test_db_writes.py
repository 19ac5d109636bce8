"""core.db.writes: rows written with statements kept per model are the rows the ORM's create() and
save(update_fields=…) would write."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tongban.accounts.models import PopulationRecord, SmsMessage, User
from tongban.core.db.writes import insert, insert_many, update
from tongban.core.models import OutboxMessage
from tongban.core.pii import blind_index
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def _sms(**fields) -> SmsMessage:
    return SmsMessage(**{"phone": PHONE, "body": "验证码 123456", "purpose": "sign_in", "backend": "local", **fields})


def _raw(model, pk: int, columns: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()


def test_insert_writes_the_row_create_writes():
    by_orm = SmsMessage.objects.create(phone=PHONE, body="验证码 123456", purpose="sign_in", backend="local")
    with CaptureQueriesContext(connection) as queries:
        inserted = insert(_sms())
    assert len(queries) == 1 and queries[0]["sql"].startswith("INSERT INTO")
    assert inserted.pk is not None and inserted.pk != by_orm.pk
    assert inserted._state.adding is False and inserted._state.db == "default"
    fresh = SmsMessage.objects.get(pk=inserted.pk)
    assert (fresh.phone, fresh.body, fresh.purpose, fresh.backend) == (PHONE, "验证码 123456", "sign_in", "local")
    assert fresh.created_at == inserted.created_at is not None  # auto_now_add ran, as on create()
    # Encrypted at rest and indexed as the ORM does it (the ciphertexts differ: each has its own nonce).
    phone, index, outbox_id = _raw(SmsMessage, inserted.pk, "phone, phone_index, outbox_id")
    assert phone.startswith("k") and PHONE not in phone
    assert index == blind_index("phone", PHONE) == _raw(SmsMessage, by_orm.pk, "phone_index")[0]
    assert outbox_id is None
    assert inserted.phone == PHONE  # the instance keeps its plain value


def test_insert_adapts_json_and_keeps_model_defaults():
    payload = {"件": [1, "二"], "ok": True}
    message = insert(OutboxMessage(topic="t.insert", payload=payload, available_at=timezone.now()))
    fresh = OutboxMessage.objects.get(pk=message.pk)
    assert fresh.payload == payload
    assert (fresh.status, fresh.attempts, fresh.last_error) == (OutboxMessage.Status.PENDING, 0, "")


def test_insert_sends_the_save_signals_and_insert_many_none():
    seen = []

    def pre(sender, instance, **kwargs):
        seen.append(("pre", instance.pk, kwargs["raw"], kwargs["update_fields"]))

    def post(sender, instance, created, **kwargs):
        seen.append(("post", instance.pk, created))

    pre_save.connect(pre, sender=SmsMessage, weak=False)
    post_save.connect(post, sender=SmsMessage, weak=False)
    try:
        one = insert(_sms())
        insert_many([_sms(), _sms()])
    finally:
        pre_save.disconnect(pre, sender=SmsMessage)
        post_save.disconnect(post, sender=SmsMessage)
    assert seen == [("pre", None, False, None), ("post", one.pk, True)]


def test_insert_many_gives_each_object_its_own_row_in_order(monkeypatch):
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    rows = [_sms(purpose=f"p{index}", outbox_id=9000 + index) for index in range(5)]
    with CaptureQueriesContext(connection) as queries:
        returned = insert_many(rows)
    assert returned is rows and len(queries) == 3  # batches of 2, 2 and 1
    assert [SmsMessage.objects.get(pk=row.pk).purpose for row in rows] == [f"p{index}" for index in range(5)]
    assert [SmsMessage.objects.get(pk=row.pk).outbox_id for row in rows] == [9000 + index for index in range(5)]
    assert insert_many([]) == []


def test_a_failed_insert_marks_the_transaction_for_rollback():
    insert(_sms(outbox_id=77))
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            insert(_sms(outbox_id=77))
        assert connection.needs_rollback  # as after a failed create(): nothing more may run in this transaction
    assert SmsMessage.objects.filter(outbox_id=77).count() == 1


def test_refusals_change_nothing():
    before = SmsMessage.objects.count()
    saved = insert(_sms())
    with pytest.raises(ValueError, match="already has a primary key"):
        insert(saved)
    with pytest.raises(TypeError, match="not expressions"):
        insert(_sms(purpose=Value("x")))
    with pytest.raises(TypeError, match="one model"):
        insert_many([_sms(), OutboxMessage(topic="t", payload={}, available_at=timezone.now())])
    with pytest.raises(TypeError, match="auto primary key"):
        insert(Session(session_key="k" * 32, session_data="", expire_date=timezone.now()))
    with pytest.raises(ValueError, match="unsaved related object"):
        insert(Message(recipient=User(username="nobody"), topic="t", title="t", body="b"))
    assert SmsMessage.objects.count() == before + 1


def _resident(**fields) -> PopulationRecord:
    return PopulationRecord.objects.create(**{"name": "张三", "id_number": "330122199001011234", **fields})


def test_update_writes_only_the_named_fields_and_auto_now():
    record = _resident()
    PopulationRecord.objects.filter(pk=record.pk).update(updated_at=timezone.now() - dt.timedelta(days=1))
    record.name, record.alive = "改了名但不写", False
    with CaptureQueriesContext(connection) as queries:
        update(record, ["alive", "updated_at"])
    assert len(queries) == 1 and queries[0]["sql"].startswith("UPDATE")
    fresh = PopulationRecord.objects.get(pk=record.pk)
    assert (fresh.name, fresh.alive) == ("张三", False)
    assert timezone.now() - fresh.updated_at < dt.timedelta(minutes=1)  # auto_now, as save(update_fields) does


def test_update_of_a_personal_field_keeps_its_blind_index_as_save_does():
    record = _resident()
    record.id_number = "110101199003076713"
    update(record, ["id_number"])
    (index,) = _raw(PopulationRecord, record.pk, "id_number_index")
    assert index == blind_index("id_number", "110101199003076713")
    assert PopulationRecord.objects.get(pk=record.pk).id_number == "110101199003076713"


def test_update_sends_the_save_signals_with_its_fields():
    record = _resident()
    seen = []

    def pre(sender, instance, update_fields, **kwargs):
        seen.append(("pre", update_fields))

    def post(sender, instance, created, update_fields, **kwargs):
        seen.append(("post", created, update_fields))

    pre_save.connect(pre, sender=PopulationRecord, weak=False)
    post_save.connect(post, sender=PopulationRecord, weak=False)
    try:
        update(record, ["alive"])
    finally:
        pre_save.disconnect(pre, sender=PopulationRecord)
        post_save.disconnect(post, sender=PopulationRecord)
    assert seen == [("pre", frozenset({"alive"})), ("post", False, frozenset({"alive"}))]


def test_update_of_a_vanished_row_fails_as_save_fails_and_refuses_what_save_refuses():
    record = _resident()
    PopulationRecord.objects.filter(pk=record.pk).delete()
    with transaction.atomic():
        with pytest.raises(DatabaseError, match="did not affect any rows"):
            update(record, ["alive"])
        assert connection.needs_rollback
    kept = _resident(id_number="110101199003076713")
    for fields in (["nonexistent"], ["id"], ["alive", "nonexistent"]):
        with pytest.raises(ValueError, match="own concrete fields"):
            update(kept, fields)
    with CaptureQueriesContext(connection) as queries:
        update(kept, [])
    assert len(queries) == 0
