"""core.db.rows: an object built from a written-out statement's row is the object the ORM would give."""

import pytest
from django.db import connection
from django.utils import timezone

from tongban.accounts.models import User
from tongban.core.db.rows import model_row
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
