"""Finished search results kept under a catalogue generation (搜索结果缓存).

Popular searches repeat (a few phrases make most of the traffic), and the catalogue changes only when an item is
published or retired, the index is rebuilt, use counts are copied into it or a synonym is edited. Every one of those
writes goes through catalog/search.py, which calls bump() on commit: a result is kept with the generation it was
built in and served only while that is the current one, so the next search after a change misses and finds the new
state at once; older entries are simply never served again and expire. RESULT_SECONDS is only a safety net (and
bounds how long a renamed organisation's old name shows, as the guide page's cache does).

Where the generation lives: in Django's cache when that cache is shared between processes (Redis,
TONGBAN_CACHE_URL), read together with the result in one round trip; with the per-process memory cache (the demo,
one machine) it is the modification stamp of a file in VAR_DIR, so every worker process on the machine sees a bump
at once (one stat() per search). A hit therefore costs one cache read and no SQL.

Rules that keep it honest:
- Only what decides a result is in the key (the caller names it: the search arguments, the synonym table's version)
  plus the language (labels are translated). Nothing about the person asking: a cached result
  holds published catalogue data only.
- Inside a transaction (a write, or a test) the cache is neither read nor written: what that transaction sees may be
  uncommitted or rolled back.
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

GENERATION_KEY = "catalog:search:generation"
GENERATION_FILE = "catalog-search-generation"  # in VAR_DIR/cache when the cache is per process
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
RESULT_SECONDS = 300  # a safety net: a change bumps the generation at once


def _cache():
    return caches["default"]  # a lookup in a per-thread registry: taken once per search


def _shared() -> bool:
    """Whether the cache is one for every process (Redis), not this process's memory."""
    return settings.CACHES["default"]["BACKEND"] != LOCMEM


def _stamp_path() -> str:
    # os.path, not pathlib: read on every search, and building a Path costs more than the stat() itself
    return os.path.join(settings.VAR_DIR, "cache", GENERATION_FILE)


def generation(store=None) -> int:
    """The catalogue's current generation (changes on every bump)."""
    if _shared():
        store = store or _cache()
        value = store.get(GENERATION_KEY)
        if value is None:
            # Lost (evicted, flushed) or never set: start from the clock, so no earlier generation comes back.
            store.add(GENERATION_KEY, time.time_ns(), timeout=None)
            value = store.get(GENERATION_KEY)
        return int(value)
    try:
        return os.stat(_stamp_path()).st_mtime_ns
    except FileNotFoundError:
        _bump_now()
        return os.stat(_stamp_path()).st_mtime_ns


def _bump_now() -> None:
    if _shared():
        store = _cache()
        try:
            store.incr(GENERATION_KEY)
        except ValueError:  # not there: any fresh value is a new generation
            store.set(GENERATION_KEY, time.time_ns(), timeout=None)
        return
    path = Path(_stamp_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        previous = path.stat().st_mtime_ns
    except FileNotFoundError:
        path.touch()
        previous = 0
    # Set explicitly rather than by writing: the file system's own clock may not tick between two quick bumps.
    stamp = max(time.time_ns(), previous + 1)
    os.utime(path, ns=(stamp, stamp))


def bump() -> None:
    """Start a new generation once the current transaction commits (at once outside one).

    Not before: another process could otherwise read the old rows under the new generation and keep them.
    """
    transaction.on_commit(_bump_now)


def _key(parts: tuple) -> str:
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()
    return f"catalog:search:{get_language()}:{digest}"


def _current_and_kept(store, key: str) -> tuple[int, tuple | None]:
    """The current generation and what is kept under `key` ((generation, value) or None): one round trip to a
    shared cache (both keys in one read)."""
    if not _shared():
        return generation(), store.get(key)
    found = store.get_many([GENERATION_KEY, key])
    current = found.get(GENERATION_KEY)
    return (int(current) if current is not None else generation(store)), found.get(key)


def remember(describe: Callable[[], tuple], build: Callable[[], T]) -> T:
    """build(), kept for RESULT_SECONDS under what describe() names and the language, valid while the generation it
    was built in is the current one.

    The generation is stored with the value rather than in the key, so that a shared cache answers both in one read;
    it is read before build(), so a result built across a change is kept under the older generation and never
    served. describe is called only when the cache is used (outside a transaction), so naming a result never costs a
    query inside one.
    """
    if connection.in_atomic_block:
        return build()
    store = _cache()
    key = _key(describe())
    current, kept = _current_and_kept(store, key)
    if kept is not None and kept[0] == current:
        return kept[1]
    value = build()
    store.set(key, (current, value), RESULT_SECONDS)
    return value
