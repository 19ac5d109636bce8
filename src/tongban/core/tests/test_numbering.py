import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from tongban.core import numbering
from tongban.core.errors import DomainError
from tongban.core.models import SerialCounter
from tongban.core.tests.identifiers import uscc

DAY = dt.date(2026, 3, 9)
IMPLEMENTATION = uscc("11330106MA2CXYQ8P") + "1" + "000107001000"  # USCC + exercise level + basic code


def test_the_upsert_names_the_counter_table():
    assert SerialCounter._meta.db_table == "core_serialcounter"
    assert "INSERT INTO core_serialcounter " in numbering._TAKE_SERIAL


@pytest.mark.django_db
def test_serials_count_per_prefix_and_day():
    assert [numbering.next_serial("doc:受理", DAY) for _ in range(3)] == [1, 2, 3]
    assert numbering.next_serial("doc:受理", DAY + dt.timedelta(days=1)) == 1
    assert numbering.next_serial("doc:不予受理", DAY) == 1
    assert SerialCounter.objects.get(prefix="doc:受理", day=DAY).value == 3


@pytest.mark.django_db
def test_a_rolled_back_caller_gives_its_number_back():
    numbering.next_serial("p", DAY)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert numbering.next_serial("p", DAY) == 2
        raise RuntimeError
    assert numbering.next_serial("p", DAY) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "x" * 65])
def test_prefix_length(prefix):
    with pytest.raises(DomainError) as caught:
        numbering.next_serial(prefix, DAY)
    assert caught.value.message == "流水号前缀应为 1 至 64 个字符"
    assert SerialCounter.objects.count() == 0


@pytest.mark.django_db
def test_case_number_format():
    assert len(IMPLEMENTATION) == 31
    assert numbering.case_number(IMPLEMENTATION, DAY) == f"{IMPLEMENTATION}202603090001"
    assert numbering.case_number(IMPLEMENTATION, DAY) == f"{IMPLEMENTATION}202603090002"
    assert numbering.case_number(IMPLEMENTATION, DAY + dt.timedelta(days=1)) == f"{IMPLEMENTATION}202603100001"


@pytest.mark.django_db
@pytest.mark.parametrize("code", [IMPLEMENTATION[:30], IMPLEMENTATION + "1", IMPLEMENTATION.lower(), "-" * 31])
def test_case_number_needs_a_31_character_implementation_code(code):
    with pytest.raises(DomainError) as caught:
        numbering.case_number(code, DAY)
    assert (caught.value.code.code, caught.value.message) == ("core.invalid_input", "实施编码应为 31 位数字或大写字母")


@pytest.mark.django_db
def test_case_number_refuses_the_ten_thousandth_case_of_a_day():
    SerialCounter.objects.create(prefix=f"case:{IMPLEMENTATION}", day=DAY, value=9998)
    assert numbering.case_number(IMPLEMENTATION, DAY).endswith("9999")
    with pytest.raises(DomainError) as caught:
        numbering.case_number(IMPLEMENTATION, DAY)
    assert (caught.value.code.code, caught.value.code.status) == ("core.serial_exhausted", 409)
    assert caught.value.message == "今日编号已用完（每日最多 9999 号），请联系系统管理员"


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_get_distinct_serials():
    threads, per_thread = 8, 25
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)
    lock = threading.Lock()

    def take(in_transaction: bool):
        try:
            barrier.wait()
            for _ in range(per_thread):
                # Autocommit callers matter most on SQLite, where IMMEDIATE transactions already serialise the rest;
                # a read-then-write counter hands out duplicates here.
                if in_transaction:
                    with transaction.atomic():
                        value = numbering.next_serial("concurrent", DAY)
                else:
                    value = numbering.next_serial("concurrent", DAY)
                with lock:
                    results.append(value)
        except BaseException as error:  # reported below; a thread must not swallow it
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=take, args=(i % 2 == 0,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(results) == list(range(1, threads * per_thread + 1))
    assert SerialCounter.objects.get(prefix="concurrent", day=DAY).value == threads * per_thread
