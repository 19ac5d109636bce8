"""Answers kept under a generation (按版本失效的结果缓存): the one rule for keeping a finished answer between requests.

An answer that many requests ask for again (a popular search, a licence's verification) is kept with the generation
it was built in and served only while that generation is the current one. Every write that can change such an answer
calls bump() on commit, so the next request after a change misses and builds from the new state at once; older
entries are never served again and simply expire. The expiry (`seconds`) is only a safety net for what no write
announces (a renamed organisation shown in an answer).

Where a generation lives: in Django's cache when that cache is shared between processes (Redis, TONGBAN_CACHE_URL),
read together with the answer in one round trip; with the per-process memory cache (the demo, one machine) it is the
modification stamp of a file in VAR_DIR/cache, so every worker process on the machine sees a bump at once (one
stat() per request). A hit therefore costs one cache read and no SQL.

Rules that keep it honest (decision 0012):
- Only what decides an answer is in its key (the caller names it) plus the language (labels are translated).
- Inside a transaction (a write, or a test) the cache is neither read nor written: what that transaction sees may be
  uncommitted or rolled back.
- A generation is bumped only once the writing transaction commits: another process could otherwise read the old rows
  under the new generation and keep them.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.utils.translation import get_language

T = TypeVar("T")

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def _cache():
    return caches["default"]  # a lookup in a per-thread registry: taken once per request


def _shared() -> bool:
    """Whether the cache is one for every process (Redis), not this process's memory."""
    return settings.CACHES["default"]["BACKEND"] != LOCMEM


class GenerationCache:
    """Answers of one kind (`name`, e.g. "catalog:search"), kept for `seconds` under that kind's generation."""

    def __init__(self, name: str, seconds: int):
        self.name = name
        self.seconds = seconds
        self.generation_key = f"{name}:generation"
        self.stamp_file = f"{name.replace(':', '-')}-generation"  # in VAR_DIR/cache when the cache is per process

    def _stamp_path(self) -> str:
        # os.path, not pathlib: read on every request, and building a Path costs more than the stat() itself
        return os.path.join(settings.VAR_DIR, "cache", self.stamp_file)

    def generation(self, store=None) -> int:
        """The current generation (changes on every bump)."""
        if _shared():
            store = store or _cache()
            value = store.get(self.generation_key)
            if value is None:
                # Lost (evicted, flushed) or never set: start from the clock, so no earlier generation comes back.
                store.add(self.generation_key, time.time_ns(), timeout=None)
                value = store.get(self.generation_key)
            return int(value)
        try:
            return os.stat(self._stamp_path()).st_mtime_ns
        except FileNotFoundError:
            self.bump_now()
            return os.stat(self._stamp_path()).st_mtime_ns

    def bump_now(self) -> None:
        """Start a new generation now (bump() is what writes call)."""
        if _shared():
            store = _cache()
            try:
                store.incr(self.generation_key)
            except ValueError:  # not there: any fresh value is a new generation
                store.set(self.generation_key, time.time_ns(), timeout=None)
            return
        path = Path(self._stamp_path())
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            previous = path.stat().st_mtime_ns
        except FileNotFoundError:
            path.touch()
            previous = 0
        # Set explicitly rather than by writing: the file system's own clock may not tick between two quick bumps.
        stamp = max(time.time_ns(), previous + 1)
        os.utime(path, ns=(stamp, stamp))

    def bump(self) -> None:
        """Start a new generation once the current transaction commits (at once outside one)."""
        transaction.on_commit(self.bump_now)

    def _key(self, parts: tuple) -> str:
        digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()
        return f"{self.name}:{get_language()}:{digest}"

    def _current_and_kept(self, store, key: str) -> tuple[int, tuple | None]:
        """The current generation and what is kept under `key` ((generation, value) or None): one round trip to a
        shared cache (both keys in one read)."""
        if not _shared():
            return self.generation(), store.get(key)
        found = store.get_many([self.generation_key, key])
        current = found.get(self.generation_key)
        return (int(current) if current is not None else self.generation(store)), found.get(key)

    def remember(
        self,
        describe: Callable[[], tuple],
        build: Callable[[], T],
        keep: Callable[[T], bool] | None = None,
    ) -> T:
        """build(), kept for `seconds` under what describe() names and the language, valid while the generation it
        was built in is the current one; not kept when keep(value) says so (an answer that must not be repeated).

        The generation is stored with the value rather than in the key, so that a shared cache answers both in one
        read; it is read before build(), so an answer built across a change is kept under the older generation and
        never served. describe is called only when the cache is used (outside a transaction), so naming an answer
        never costs a query inside one. What build() raises is not kept.
        """
        if connection.in_atomic_block:
            return build()
        store = _cache()
        key = self._key(describe())
        current, kept = self._current_and_kept(store, key)
        if kept is not None and kept[0] == current:
            return kept[1]
        value = build()
        if keep is None or keep(value):
            store.set(key, (current, value), self.seconds)
        return value
