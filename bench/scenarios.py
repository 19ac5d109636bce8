"""The scenarios the bench can drive: one HTTP request each, repeated by every simulated client.

Add a scenario by adding one `Scenario(...)` to SCENARIOS. A scenario whose route answers 404 (a feature not built yet)
is reported as skipped, not as errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.scenarios_cases import CASE_SCENARIOS
from bench.scenarios_licences import LICENCE_SCENARIOS
from bench.scenarios_review import REVIEW_SCENARIOS
from bench.scenarios_search import POPULAR

CEILING_PREFIX = "/__bench__/"


@dataclass(frozen=True)
class Scenario:
    """One request shape to repeat: method, path, and what it stands for."""

    name: str
    path: str
    description: str
    method: str = "GET"
    ceiling: bool = False
    # A preparation (bench/scenarios_cases.py) that signs people in and writes per-client requests: headers, bodies.
    prepare: str = ""
    # The module whose `prepare <name>` command makes those requests (bench/scenarios_review.py has its own).
    prepare_module: str = "bench.scenarios_cases"


CEILING_CONSTANT = Scenario(
    name="ceiling-constant",
    path=f"{CEILING_PREFIX}constant",
    description="裸 Django 视图返回常量 / bare Django view returning a constant (same middleware)",
    ceiling=True,
)
CEILING_INSERT = Scenario(
    name="ceiling-insert",
    path=f"{CEILING_PREFIX}insert",
    method="POST",
    description="单条 INSERT 事务 / one INSERT in a transaction into a bench-only table",
    ceiling=True,
)

# Catalogue search and guide (issue 4). The region is the demo county; the guide is the demo county's
# 食品经营许可证核发 (its code is fixed by the demo data). Searches run over whatever the database holds: the figures in
# docs/performance.md were taken after `manage.py catalog_generate --items 50000`. The search scenarios rotate over
# popular queries of their kind with Zipf weights, a stream per client (bench/scenarios_search.py): searches are
# cached per query, and one repeated string would measure one cache entry; search-miss never repeats a search.
DEMO_FOOD_LICENCE = "11330122002500017D4000117001000"


def _search(name: str, description: str) -> Scenario:
    path = POPULAR[name][0] if name in POPULAR else POPULAR["search-colloquial"][0]
    return Scenario(
        name=name, path=path, description=description, prepare=name, prepare_module="bench.scenarios_search"
    )


CATALOG_SCENARIOS = (
    _search(
        "search-colloquial",
        "事项搜索 API：群众说法（同义词）+ 所在地，20 个常见问法轮换 / search API, 20 colloquial queries, region",
    ),
    _search("search-initials", "事项搜索 API：拼音首字母，15 个轮换 / search API, 15 pinyin-initials queries, region"),
    _search(
        "search-typo",
        "事项搜索 API：错别字、全国不限地区，8 个轮换 / search API, 8 queries with a wrong character, nationwide",
    ),
    _search("search-page", "搜索结果页，19 个常见问法轮换 / portal search results page, 19 colloquial queries"),
    _search(
        "search-miss",
        "事项搜索 API：每次不同的问法和县（不命中缓存）/ search API, a new (query, county) each time (misses)",
    ),
    _search(
        "search-mixed",
        "事项搜索 API：常见问法中三成换成从未搜过的 / search API, popular queries with 30% never-seen ones",
    ),
    Scenario(
        name="guide-page",
        path=f"/services/items/{DEMO_FOOD_LICENCE}/",
        description="办事指南页 / guide page of one item",
    ),
    Scenario(
        name="api-item",
        path=f"/api/v1/catalog/items/{DEMO_FOOD_LICENCE}",
        description="办事指南 API / guide API of one item",
    ),
)


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(name="home", path="/", description="首页 / home page (template render)"),
        Scenario(name="healthz", path="/healthz", description="存活探针 / liveness probe (SELECT 1)"),
        Scenario(name="api-regions", path="/api/v1/core/regions", description="区划列表 API / regions list API"),
        *CATALOG_SCENARIOS,
        *(Scenario(**fields) for fields in CASE_SCENARIOS),
        *(Scenario(**fields) for fields in REVIEW_SCENARIOS),
        *(Scenario(**fields) for fields in LICENCE_SCENARIOS),
        CEILING_CONSTANT,
        CEILING_INSERT,
    )
}
CEILINGS = (CEILING_CONSTANT, CEILING_INSERT)


def select_scenarios(names: list[str]) -> list[Scenario]:
    """The scenarios to run, ceilings first (the ratios need them), each once; "all" means every scenario."""
    if not names or "all" in names:
        wanted = list(SCENARIOS.values())
    else:
        unknown = [name for name in names if name not in SCENARIOS]
        if unknown:
            raise ValueError(
                f"未知场景 / unknown scenario: {', '.join(unknown)}; 可选 / choose from: {', '.join(SCENARIOS)}"
            )
        wanted = [SCENARIOS[name] for name in names]
    ordered = [*CEILINGS, *(s for s in wanted if not s.ceiling)]
    return list(dict.fromkeys(ordered))
