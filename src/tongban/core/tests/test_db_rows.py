"""core.db.rows: an object built from a written-out statement's row is the object the ORM would give."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tongban.accounts.models import User
from tongban.core.db.rows import get_by_pk, get_by_unique, model_row
from tongban.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _read(model, pk: int, table: str = "") -> tuple:
    row = model_row(model)
    source = f"{model._meta.db_table} {table}" if table else model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {row.columns(table)} FROM {source} WHERE {table or source}.id = %s", [pk])
        return cursor.fetchone()


def _fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


@pytest.mark.parametrize("table", ["", "x"])
def test_a_built_user_is_the_orm_user_decrypted_and_typed(table):
    made = User.objects.create_user(
        username="wangwu", phone="13812345678", id_number="330122199001011234", is_staff=True, last_login=None
    )
    User.objects.filter(pk=made.pk).update(last_login=timezone.now())
    built = model_row(User).build(_read(User, made.pk, table))
    orm = User.objects.get(pk=made.pk)
    assert _fields(built) == _fields(orm)
    assert (built.phone, built.id_number, built.is_staff) == ("13812345678", "330122199001011234", True)
    assert timezone.is_aware(built.last_login) and built._state.adding is False and built._state.db == "default"


def test_json_and_datetimes_come_back_as_the_orm_gives_them():
    message = OutboxMessage.objects.create(topic="t.rows", payload={"件": [1, "二"]}, available_at=timezone.now())
    built = model_row(OutboxMessage).build(_read(OutboxMessage, message.pk))
    assert _fields(built) == _fields(OutboxMessage.objects.get(pk=message.pk))
    assert built.payload == {"件": [1, "二"]}


def test_an_outer_join_that_found_nothing_builds_nobody():
    row = model_row(User)
    values = [None] * row.width
    assert row.build_joined(values) is None
    assert row.columns("u").startswith('u."') and row.columns().startswith('"')


def test_get_by_pk_is_the_orms_get():
    made = User.objects.create_user(username="zhaoliu", phone="13812345679")
    assert _fields(get_by_pk(User, made.pk)) == _fields(User.objects.get(pk=made.pk))
    assert _fields(get_by_pk(User, str(made.pk))) == _fields(User.objects.get(pk=made.pk))  # a session's text id
    for missing in (made.pk + 1000, 2**70, -(2**70)):  # out of the column's range matches nothing, as in the ORM
        with pytest.raises(User.DoesNotExist):
            get_by_pk(User, missing)
        assert not User.objects.filter(pk=missing).exists()


def test_a_locking_read_says_for_update_where_the_database_locks_rows():
    made = User.objects.create_user(username="sunqi")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert get_by_pk(User, made.pk, lock=True).pk == made.pk
    assert queries[-1]["sql"].endswith("FOR UPDATE") is connection.features.has_select_for_update


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks (nor does the ORM ask there)")
def test_a_locking_read_outside_a_transaction_is_refused_as_the_orm_refuses_it():
    made = User.objects.create_user(username="zhouba")
    with pytest.raises(TransactionManagementError):
        get_by_pk(User, made.pk, lock=True)
    with pytest.raises(TransactionManagementError):
        User.objects.select_for_update().get(pk=made.pk)


def test_get_by_pk_takes_a_text_key_too():
    Session.objects.create(session_key="k" * 32, session_data="e30=", expire_date=timezone.now())
    assert get_by_pk(Session, "k" * 32).session_data == "e30="
    with pytest.raises(Session.DoesNotExist):
        get_by_pk(Session, "x" * 32)


def test_get_by_unique_is_the_orms_get_on_a_unique_column():
    made = User.objects.create_user(username="sunqi", phone="13812345670")

    assert _fields(get_by_unique(User, "username", "sunqi")) == _fields(User.objects.get(username="sunqi"))
    with pytest.raises(User.DoesNotExist):
        get_by_unique(User, "username", "nobody")
    with pytest.raises(ValueError, match=r"accounts\.User\.kind is not unique"):
        get_by_unique(User, "kind", made.kind)
