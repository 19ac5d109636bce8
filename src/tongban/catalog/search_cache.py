"""Finished search results kept under a catalogue generation (搜索结果缓存), by the rule of core/generation_cache.py.

Popular searches repeat (a few phrases make most of the traffic), and the catalogue changes only when an item is
published or retired, the index is rebuilt, use counts are copied into it or a synonym is edited. Every one of those
writes goes through catalog/search.py, which calls bump() on commit, so the next search after a change finds the new
state at once. RESULT_SECONDS is only a safety net (and bounds how long a renamed organisation's old name shows, as
the guide page's cache does).

Only what decides a result is in the key (the caller names it: the search arguments, the synonym table's version)
plus the language. Nothing about the person asking: a cached result holds published catalogue data only.
"""

from __future__ import annotations

from tongban.core.generation_cache import GenerationCache

RESULT_SECONDS = 300  # a safety net: a change bumps the generation at once

SEARCH_RESULTS = GenerationCache("catalog:search", RESULT_SECONDS)

generation = SEARCH_RESULTS.generation
bump = SEARCH_RESULTS.bump
remember = SEARCH_RESULTS.remember
