"""The report maths: percentiles, throughput and ratios to the ceilings. Pure functions, unit-tested."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100): the smallest value with at least q% at or below it.

    Nearest rank (not interpolation) so every reported latency is one that a request really had.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def ratio(value: float, ceiling: float) -> float:
    """value ÷ ceiling, or NaN when the ceiling is missing or zero (a ratio to nothing means nothing)."""
    if not ceiling or math.isnan(ceiling) or math.isnan(value):
        return math.nan
    return value / ceiling


@dataclass
class ScenarioResult:
    """What one scenario measured at one concurrency."""

    scenario: str
    concurrency: int
    requests: int
    errors: int
    elapsed_s: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    error_kinds: dict[str, int] = field(default_factory=dict)
    loadgen_cpu: float = math.nan
    skipped: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(
    *,
    scenario: str,
    concurrency: int,
    latencies_s: list[float],
    error_kinds: dict[str, int],
    elapsed_s: float,
    loadgen_cpu: float = math.nan,
) -> ScenarioResult:
    """Turn raw latencies (seconds, one per finished request, errors included) into the reported figures.

    req/s counts every finished request, failed ones too, as wrk does; the error count is beside it so a fast
    stream of errors is never read as good throughput.
    """
    ordered = sorted(latencies_s)
    requests = len(ordered)
    return ScenarioResult(
        scenario=scenario,
        concurrency=concurrency,
        requests=requests,
        errors=sum(error_kinds.values()),
        elapsed_s=elapsed_s,
        rps=requests / elapsed_s if elapsed_s > 0 else math.nan,
        p50_ms=percentile(ordered, 50) * 1000,
        p95_ms=percentile(ordered, 95) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        error_kinds=dict(error_kinds),
        loadgen_cpu=loadgen_cpu,
    )


def skipped(*, scenario: str, concurrency: int, reason: str) -> ScenarioResult:
    """A scenario not measured (its route is missing): no figures, only the reason."""
    return ScenarioResult(
        scenario=scenario,
        concurrency=concurrency,
        requests=0,
        errors=0,
        elapsed_s=0.0,
        rps=math.nan,
        p50_ms=math.nan,
        p95_ms=math.nan,
        p99_ms=math.nan,
        skipped=reason,
    )


def ceiling_ratios(results: list[ScenarioResult]) -> dict[tuple[str, int], tuple[float, float]]:
    """For each (scenario, concurrency): req/s ÷ ceiling-constant req/s and ÷ ceiling-insert req/s at that concurrency.

    Ratios compare like with like: same server, same run, same number of clients.
    """
    by_key = {(result.scenario, result.concurrency): result for result in results}
    ratios = {}
    for result in results:
        constant = by_key.get(("ceiling-constant", result.concurrency))
        insert = by_key.get(("ceiling-insert", result.concurrency))
        ratios[(result.scenario, result.concurrency)] = (
            ratio(result.rps, constant.rps if constant else math.nan),
            ratio(result.rps, insert.rps if insert else math.nan),
        )
    return ratios
