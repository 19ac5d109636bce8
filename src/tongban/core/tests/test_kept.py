"""core.kept.KeptPerProcess: loaded once per key, bounded, cleared by saves and deletes of the named models."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.core.kept import KeptPerProcess
from tongban.core.models import SerialCounter


def _loader(calls: list, value):
    def load():
        calls.append(value)
        return value

    return load


def test_a_value_is_loaded_once_per_key():
    kept = KeptPerProcess("test-kept-once")
    calls: list = []
    assert kept.get(1, _loader(calls, "a")) == "a"
    assert kept.get(1, _loader(calls, "b")) == "a"  # kept: not loaded again
    assert kept.get(2, _loader(calls, "c")) == "c"
    assert calls == ["a", "c"]


def test_it_is_emptied_when_full():
    kept = KeptPerProcess("test-kept-size", size=2)
    calls: list = []
    for key in (1, 2, 3):  # the third empties it before it is kept
        kept.get(key, _loader(calls, key))
    kept.get(3, _loader(calls, "again"))
    kept.get(1, _loader(calls, "reloaded"))
    assert calls == [1, 2, 3, "reloaded"]


@pytest.mark.django_db
def test_saves_and_deletes_of_the_named_models_clear_it():
    kept = KeptPerProcess("test-kept-signals", SerialCounter)
    calls: list = []
    kept.get("k", _loader(calls, 1))
    counter = SerialCounter.objects.create(prefix="T", day=dt.date(2026, 11, 22))
    kept.get("k", _loader(calls, 2))  # the save cleared it
    kept.get("k", _loader(calls, 3))
    counter.delete()
    kept.get("k", _loader(calls, 4))  # so did the delete
    assert calls == [1, 2, 4]
