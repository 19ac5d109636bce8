"""The scenarios the bench can drive: one HTTP request each, repeated by every simulated client.

Add a scenario by adding one `Scenario(...)` to SCENARIOS. A scenario whose route answers 404 (a feature not built yet)
is reported as skipped, not as errors.
"""

from __future__ import annotations

from dataclasses import dataclass

CEILING_PREFIX = "/__bench__/"


@dataclass(frozen=True)
class Scenario:
    """One request shape to repeat: method, path, and what it stands for."""

    name: str
    path: str
    description: str
    method: str = "GET"
    ceiling: bool = False


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

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(name="home", path="/", description="首页 / home page (template render)"),
        Scenario(name="healthz", path="/healthz", description="存活探针 / liveness probe (SELECT 1)"),
        Scenario(name="api-regions", path="/api/v1/core/regions", description="区划列表 API / regions list API"),
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
