"""Values kept per process (进程内保留): what is read from rows that never change, loaded once per worker process.

For rows the platform never changes once written (a stored process definition, a published item version's content),
a worker may keep what it read and skip the query next time. Saves and deletes of the named models in this process
clear everything kept, because the test suite reuses primary keys on SQLite; another process's writes do not reach
it, which is why only rows that never change belong here (decision 0013, point 8). For answers that do change, use
core.generation_cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.db.models.signals import post_delete, post_save

T = TypeVar("T")


class KeptPerProcess(Generic[T]):
    """A bounded dict of values by key (emptied when full), cleared by saves and deletes of `models` in this process.

    Callers must not change what get() returns: the next caller gets the same object.
    """

    def __init__(self, name: str, *models, size: int = 1000):
        self.name = name
        self.size = size
        self._values: dict[Hashable, T] = {}
        self._lock = threading.Lock()
        for model in models:
            uid = f"{name}-{model._meta.label_lower}"
            post_save.connect(self.clear, sender=model, dispatch_uid=uid, weak=False)
            post_delete.connect(self.clear, sender=model, dispatch_uid=uid, weak=False)

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The value kept under `key`, or load() kept now."""
        value = self._values.get(key)
        if value is None:
            value = load()
            with self._lock:
                if len(self._values) >= self.size:
                    self._values.clear()
                self._values[key] = value
        return value

    def clear(self, **_signal) -> None:
        self._values.clear()
