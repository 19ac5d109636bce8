"""Personal data fields: encryption at rest, blind index lookup, key rotation and masking."""

import base64
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tongban.accounts.models import User
from tongban.core.crypto import DecryptionError
from tongban.core.models import AuditEntry
from tongban.core.pii import (
    EncryptedLookupError,
    blind_index,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise,
)

OLD_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
NEW_KEY = bytes.fromhex("ffeeddccbbaa99887766554433221100")
ID_NUMBER = "330122199001011234"


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.TONGBAN_DATA_KEYS = {"k1": OLD_KEY}
    settings.TONGBAN_INDEX_KEY = bytes(range(32))


def raw_columns(user_id: int) -> tuple[str, str, str, str]:
    table = User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone, id_number, phone_index, id_number_index FROM {table} WHERE id = %s", [user_id])
        return cursor.fetchone()


def write_raw(user_id: int, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {User._meta.db_table} SET {column} = %s WHERE id = %s", [value, user_id])


@pytest.mark.django_db
def test_round_trip_stores_ciphertext_under_the_active_key():
    user = User.objects.create_user(username="zhangsan", phone="13812345678", id_number=ID_NUMBER)
    phone, id_number, phone_index, id_number_index = raw_columns(user.pk)
    assert phone.startswith("k1:") and id_number.startswith("k1:")
    assert "13812345678" not in phone and ID_NUMBER not in id_number
    assert len(base64.b64decode(id_number[3:])) == 12 + len(ID_NUMBER) + 16
    assert phone_index == blind_index("phone", "13812345678") and len(phone_index) == 64
    assert id_number_index == blind_index("id_number", ID_NUMBER)
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.phone, fresh.id_number) == ("13812345678", ID_NUMBER)
    assert user.phone == "13812345678"  # the saved instance still holds plain text: no double encryption
    user.save()
    assert User.objects.get(pk=user.pk).phone == "13812345678"
    assert User.objects.values_list("id_number", flat=True).get(pk=user.pk) == ID_NUMBER


@pytest.mark.django_db
def test_empty_values_stay_empty_and_are_queryable():
    user = User.objects.create_user(username="lisi")
    assert raw_columns(user.pk) == ("", "", "", "")
    assert list(User.objects.filter(phone="").values_list("username", flat=True)) == ["lisi"]
    assert User.objects.filter(id_number__isnull=True).count() == 0


@pytest.mark.django_db
def test_lookup_by_blind_index_tolerates_how_the_value_is_typed():
    User.objects.create_user(username="wangwu", phone="+86 138-1234-5678", id_number="33012219900101123x")
    User.objects.create_user(username="other", phone="13900000000", id_number="110101199003074477")
    assert User.objects.get(phone_index=blind_index("phone", "13812345678")).username == "wangwu"
    assert User.objects.get(id_number_index=blind_index("id_number", " 33012219900101123X")).username == "wangwu"
    assert (
        User.objects.get(id_number_index=blind_index("id_number", "３３０１２２１９９００１０１１２３Ｘ")).username
        == "wangwu"
    )


@pytest.mark.django_db
def test_index_follows_partial_saves():
    user = User.objects.create_user(username="zhao", phone="13812345678")
    user.phone = "13700001111"
    user.save(update_fields=["phone"])
    assert raw_columns(user.pk)[2] == blind_index("phone", "13700001111")
    assert User.objects.filter(phone_index=blind_index("phone", "13812345678")).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "hint"),
    [
        ({"phone": "13812345678"}, 'filter(phone_index=blind_index("phone", value))'),
        ({"phone__startswith": "138"}, 'filter(phone_index=blind_index("phone", value))'),
        ({"id_number__in": ["x"]}, 'filter(id_number_index=blind_index("id_number", value))'),
    ],
)
def test_searching_the_encrypted_column_is_refused_with_a_pointer_to_the_index(query, hint):
    with pytest.raises(EncryptedLookupError) as refused:
        list(User.objects.filter(**query))
    assert hint in str(refused.value)


def test_blind_index_is_keyed_and_domain_separated(settings):
    first = blind_index("phone", "13812345678")
    assert blind_index("id_number", "13812345678") != first
    settings.TONGBAN_INDEX_KEY = bytes(32)
    assert blind_index("phone", "13812345678") != first
    assert blind_index("phone", "") == ""


@pytest.mark.parametrize(
    ("purpose", "typed", "canonical"),
    [
        ("phone", "+86 138 1234 5678", "13812345678"),
        ("phone", "86-13812345678", "13812345678"),
        ("phone", "0086 13812345678", "13812345678"),
        ("phone", "0571-86001234", "057186001234"),
        ("id_number", " 3301 2219 9001 01123x ", "33012219900101123X"),
        ("id_number", "３３０１２２１９９００１０１１２３ｘ", "33012219900101123X"),
    ],
)
def test_normalise(purpose, typed, canonical):
    assert normalise(purpose, typed) == canonical


@pytest.mark.django_db
def test_tampered_or_moved_ciphertext_raises():
    user = User.objects.create_user(username="qian", phone="13812345678", id_number=ID_NUMBER)
    phone, id_number, *_ = raw_columns(user.pk)
    blob = bytearray(base64.b64decode(id_number[3:]))
    blob[20] ^= 1
    write_raw(user.pk, "id_number", "k1:" + base64.b64encode(bytes(blob)).decode())
    with pytest.raises(DecryptionError):
        User.objects.get(pk=user.pk)
    write_raw(user.pk, "id_number", phone)  # a valid ciphertext, but of another column
    with pytest.raises(DecryptionError):
        User.objects.get(pk=user.pk)


@pytest.mark.django_db
def test_rotation_old_key_still_reads_and_command_reencrypts(settings):
    user = User.objects.create_user(username="sun", phone="13812345678", id_number=ID_NUMBER)
    empty = User.objects.create_user(username="zhou")
    settings.TONGBAN_DATA_KEYS = {"k2": NEW_KEY, "k1": OLD_KEY}
    assert User.objects.get(pk=user.pk).id_number == ID_NUMBER
    fresh = User.objects.create_user(username="wu", phone="13900000000")
    assert raw_columns(fresh.pk)[0].startswith("k2:")

    dry = io.StringIO()
    call_command("rotate_data_key", "--dry-run", stdout=dry)
    assert raw_columns(user.pk)[0].startswith("k1:")
    assert "试运行完成" in dry.getvalue()

    out = io.StringIO()
    call_command("rotate_data_key", "--batch-size", "1", stdout=out)
    phone, id_number, phone_index, _ = raw_columns(user.pk)
    assert phone.startswith("k2:") and id_number.startswith("k2:")
    assert phone_index == blind_index("phone", "13812345678")
    assert raw_columns(empty.pk)[:2] == ("", "")
    assert "accounts.User.phone：旧密钥数据 k1 1 条；已重新加密 1 条" in out.getvalue()
    assert "共重新加密 2 条" in out.getvalue()
    entry = AuditEntry.objects.get(action="core.data_key.rotate")
    assert entry.actor_id is None
    assert entry.after["rotated"] == {"accounts.User.phone": 1, "accounts.User.id_number": 1}
    assert entry.before == {"accounts.User.phone": {"k1": 1}, "accounts.User.id_number": {"k1": 1}}

    settings.TONGBAN_DATA_KEYS = {"k2": NEW_KEY}  # the old key can now be retired
    assert User.objects.get(pk=user.pk).phone == "13812345678"

    again = io.StringIO()
    call_command("rotate_data_key", stdout=again)
    assert "共重新加密 0 条" in again.getvalue()
    assert raw_columns(user.pk)[0] == phone


@pytest.mark.django_db
def test_rotation_reports_values_it_cannot_decrypt_and_exits_non_zero(settings):
    user = User.objects.create_user(username="zheng", phone="13812345678")
    ok = User.objects.create_user(username="feng", id_number=ID_NUMBER)
    settings.TONGBAN_DATA_KEYS = {"k2": NEW_KEY}  # k1 removed too early
    err = io.StringIO()
    with pytest.raises(CommandError, match="有 2 条数据无法解密"):
        call_command("rotate_data_key", stdout=io.StringIO(), stderr=err)
    assert f"主键 {user.pk}" in err.getvalue()
    assert raw_columns(user.pk)[0].startswith("k1:")
    assert raw_columns(ok.pk)[1].startswith("k1:")


def test_masks():
    assert mask_id_number(ID_NUMBER) == "3301**********1234"
    assert mask_id_number("33012219900101123x") == "3301**********123X"
    assert mask_id_number("") == ""
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "+86138****5678"
    assert mask_phone("86001234") == "****1234"
    assert mask_phone("") == ""
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("张") == "*"
