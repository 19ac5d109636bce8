"""Bench scenarios for catalogue search (issue 4) that rotate over realistic queries instead of repeating one string.

Searches are cached per query under a catalogue generation (catalog/search_cache.py), so one repeated string would
measure a single cache entry. Here each simulated client sends its own stream of queries drawn from a set of popular
searches of one kind with Zipf weights (the k-th most popular asked 1/k as often as the first), as a portal's
traffic is: after the first few requests these are cache hits, and the figures say what popular searches cost.
`search-miss` says what a search the cache has never seen costs: every request is a new (query, county) pair over
the counties the generated catalogue covers, so none repeats within a run. `search-mixed` is the two together: each
client's stream is the popular API searches of every kind (Zipf) with MIXED_MISS_SHARE of its requests replaced by
never-seen ones, so the figure does not rest on every search being a hit.

The preparation runs like the other prepared scenarios (`python -m bench.scenarios_search prepare <name> --clients N
--out FILE`, started by the runner in the server's environment); only search-miss reads the database (the counties).
"""

from __future__ import annotations

import random
import sys
from urllib.parse import urlencode

from bench import prepare_cli

DEMO_COUNTY = "330122"
STEPS_PER_CLIENT = 4000  # more than a 12-second run at 16 clients sends per client; a client then starts again

# Popular searches of each kind, most popular first (Zipf weights follow the order).
COLLOQUIAL = (
    "我想开个小饭馆",
    "开饭店",
    "生孩子",
    "上户口",
    "办执照",
    "低保",
    "开药店",
    "退休金",
    "暂住证",
    "盖房子",
    "失业了",
    "房产证",
    "老人补贴",
    "残疾证",
    "开公司",
    "理发店",
    "交社保",
    "宝宝出生",
    "广告牌",
    "打井",
)
INITIALS = (
    "spjy",
    "gtgsh",
    "bdcdj",
    "hkdj",
    "jzz",
    "sydj",
    "zdshbz",
    "gljt",
    "cjrz",
    "jzgc",
    "ypls",
    "ggcs",
    "qsxk",
    "hwgg",
    "csyxzm",
)
TYPOS = (  # one wrong character each, nationwide (no region): the widest matches
    "食品经荣许可",
    "个体工商户设立登纪",
    "公共场所卫生许科",
    "药品零售企业经营许何",
    "建筑工程施工许克",
    "户外广告设施设置审枇",
    "取水许克",
    "不动产登计",
)


def _api(q: str, region: str = "") -> str:
    return "/api/v1/catalog/items?" + urlencode({"q": q, **({"region": region} if region else {})})


def _page(q: str) -> str:
    return "/services/search/?" + urlencode({"q": q})


# name → (the popular paths, most popular first); the Scenario fields are built in bench/scenarios.py.
POPULAR = {
    "search-colloquial": tuple(_api(q, DEMO_COUNTY) for q in COLLOQUIAL),
    "search-initials": tuple(_api(q, DEMO_COUNTY) for q in INITIALS),
    "search-typo": tuple(_api(q) for q in TYPOS),
    "search-page": tuple(_page(q) for q in COLLOQUIAL[1:]),
}


def zipf_stream(paths: tuple[str, ...], count: int, seed: int) -> list[str]:
    """`count` paths drawn with weight 1/rank, the same for the same seed (each client has its own)."""
    weights = [1 / rank for rank in range(1, len(paths) + 1)]
    return random.Random(seed).choices(paths, weights=weights, k=count)


def _sequence_requests(streams: list[list[str]]) -> list[dict]:
    return [
        {"method": "GET", "path": stream[0], "headers": {}, "sequence": [{"path": path} for path in stream]}
        for stream in streams
    ]


def _prepare_popular(name: str, clients: int) -> dict:
    paths = POPULAR[name]
    return {"requests": _sequence_requests([zipf_stream(paths, STEPS_PER_CLIENT, seed) for seed in range(clients)])}


def _counties() -> list[str]:
    """The county codes that hold indexed items (the generated catalogue's counties)."""
    from tongban.catalog.models import SearchDocument

    codes = SearchDocument.objects.order_by().values_list("region_code", flat=True).distinct()
    return sorted(code for code in codes if len(code) == 6 and not code.endswith("00"))


def _prepare_miss(clients: int) -> dict:
    counties = _counties()
    pairs = [(q, county) for county in counties for q in (*COLLOQUIAL, *INITIALS)]
    needed = clients * STEPS_PER_CLIENT // 4
    if len(pairs) < needed:
        return {"skip": f"不重复的搜索不足 {needed} 个（{len(counties)} 个县）：请先运行 catalog_generate"}
    random.Random().shuffle(pairs)  # a new order every run: the last run's searches may still be cached
    per_client = len(pairs) // clients
    streams = [[_api(q, county) for q, county in pairs[i * per_client : (i + 1) * per_client]] for i in range(clients)]
    return {"requests": _sequence_requests(streams)}


MIXED_MISS_SHARE = 0.3  # of a mixed stream's requests: searches nobody made before in the run


def mix_misses(popular: list[str], misses: list[str], share: float, seed: int) -> list[str]:
    """The popular stream with about `share` of its requests replaced by the next never-seen search, in order; it
    ends where the never-seen searches run out, so none of them repeats."""
    rng, fresh, stream = random.Random(seed), iter(misses), []
    for path in popular:
        if rng.random() < share:
            path = next(fresh, None)
            if path is None:
                break
        stream.append(path)
    return stream


def _prepare_mixed(clients: int) -> dict:
    miss = _prepare_miss(clients)
    if miss.get("skip"):
        return miss
    paths = (*POPULAR["search-colloquial"], *POPULAR["search-initials"], *POPULAR["search-typo"])
    streams = [
        mix_misses(
            zipf_stream(paths, STEPS_PER_CLIENT, seed),
            [step["path"] for step in request["sequence"]],
            MIXED_MISS_SHARE,
            seed,
        )
        for seed, request in enumerate(miss["requests"])
    ]
    return {"requests": _sequence_requests(streams)}


PREPARATIONS = {"search-miss": _prepare_miss, "search-mixed": _prepare_mixed}


def prepare(name: str, clients: int) -> dict:
    """The request streams for one scenario (or {"skip": reason}); every popular search (the first few of
    search-miss) is checked once in-process."""
    from bench.scenarios_cases import _check

    prepared = PREPARATIONS[name](clients) if name in PREPARATIONS else _prepare_popular(name, clients)
    if not prepared.get("skip"):
        first = prepared["requests"][0]
        distinct = POPULAR.get(name) or [step["path"] for step in first["sequence"][:3]]
        prepared["check"] = _check([{**first, "path": distinct[0], "sequence": [{"path": path} for path in distinct]}])
    return prepared


def main(argv: list[str]) -> int:
    """`prepare <name> --clients N --out FILE` (run by the bench runner)."""
    return prepare_cli.main(
        argv, prog="python -m bench.scenarios_search", names=[*POPULAR, *PREPARATIONS], prepare=prepare
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
