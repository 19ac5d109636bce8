"""The search scenarios rotate over popular queries (bench/scenarios_search.py) instead of repeating one string."""

from collections import Counter

from bench.scenarios import SCENARIOS
from bench.scenarios_search import POPULAR, _prepare_popular, mix_misses, zipf_stream


def test_search_scenarios_are_prepared_by_the_search_module():
    for name in (*POPULAR, "search-miss", "search-mixed"):
        assert SCENARIOS[name].prepare == name
        assert SCENARIOS[name].prepare_module == "bench.scenarios_search"
    assert SCENARIOS["search-typo"].path == POPULAR["search-typo"][0]


def test_each_client_gets_its_own_zipf_stream_of_the_popular_queries():
    prepared = _prepare_popular("search-colloquial", clients=3)
    streams = [[step["path"] for step in request["sequence"]] for request in prepared["requests"]]
    assert len(streams) == 3 and streams[0] != streams[1]
    assert [request["path"] for request in prepared["requests"]] == [stream[0] for stream in streams]
    counts = Counter(zipf_stream(POPULAR["search-colloquial"], 20000, seed=7))
    first, second, last = (
        counts[path]
        for path in (POPULAR["search-colloquial"][0], POPULAR["search-colloquial"][1], POPULAR["search-colloquial"][-1])
    )
    assert first > second > last > 0
    assert zipf_stream(POPULAR["search-colloquial"], 50, seed=7) == zipf_stream(
        POPULAR["search-colloquial"], 50, seed=7
    )


def test_a_mixed_stream_replaces_a_share_of_the_popular_searches_with_never_seen_ones():
    popular = zipf_stream(POPULAR["search-typo"], 1000, seed=3)
    misses = [f"/miss/{number}" for number in range(1000)]
    stream = mix_misses(popular, misses, 0.3, seed=3)
    fresh = [path for path in stream if path.startswith("/miss/")]
    assert len(stream) == 1000 and 250 < len(fresh) < 350
    assert fresh == misses[: len(fresh)]  # in order, none repeated
    assert [path for path in stream if not path.startswith("/miss/")] == [
        path for path, kept in zip(popular, stream, strict=True) if kept == path
    ]
    short = mix_misses(popular, misses[:10], 0.3, seed=3)
    assert sum(path.startswith("/miss/") for path in short) == 10 and len(short) < 100
