"""The report maths: nearest-rank percentiles, throughput, ratios to the ceilings."""

import math

import pytest

from bench.stats import ceiling_ratios, percentile, ratio, skipped, summarise


def test_percentile_nearest_rank_on_one_to_hundred():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile(values, 0) == 1.0


def test_percentile_of_small_sample_is_a_real_value_not_an_interpolation():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 20.0  # rank ceil(0.5*4)=2
    assert percentile(values, 95) == 40.0  # rank ceil(3.8)=4
    assert percentile(values, 26) == 20.0  # rank ceil(1.04)=2


def test_percentile_of_single_value_and_empty():
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_percentile_rejects_out_of_range_q():
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_ratio_divides_and_refuses_missing_ceiling():
    assert ratio(250.0, 1000.0) == 0.25
    assert math.isnan(ratio(250.0, 0.0))
    assert math.isnan(ratio(250.0, math.nan))
    assert math.isnan(ratio(math.nan, 1000.0))


def test_summarise_counts_every_request_and_converts_to_milliseconds():
    latencies = [0.001 * v for v in range(1, 201)]  # 1..200 ms, 200 requests
    result = summarise(
        scenario="home",
        concurrency=8,
        latencies_s=latencies,
        error_kinds={"HTTP 500": 3, "ConnectionResetError": 1},
        elapsed_s=4.0,
    )
    assert result.requests == 200
    assert result.rps == 50.0
    assert result.errors == 4
    assert result.p50_ms == pytest.approx(100.0)
    assert result.p95_ms == pytest.approx(190.0)
    assert result.p99_ms == pytest.approx(198.0)


def test_summarise_with_unsorted_input_sorts_first():
    result = summarise(scenario="x", concurrency=1, latencies_s=[0.3, 0.1, 0.2], error_kinds={}, elapsed_s=1.0)
    assert result.p50_ms == pytest.approx(200.0)
    assert result.p99_ms == pytest.approx(300.0)


def _result(name, concurrency, requests, elapsed=1.0):
    return summarise(
        scenario=name, concurrency=concurrency, latencies_s=[0.01] * requests, error_kinds={}, elapsed_s=elapsed
    )


def test_ceiling_ratios_compare_at_the_same_concurrency_only():
    results = [
        _result("ceiling-constant", 8, 1000),
        _result("ceiling-insert", 8, 400),
        _result("home", 8, 200),
        _result("ceiling-constant", 32, 2000),
        _result("ceiling-insert", 32, 500),
        _result("home", 32, 100),
    ]
    ratios = ceiling_ratios(results)
    assert ratios[("home", 8)] == (0.2, 0.5)
    assert ratios[("home", 32)] == (0.05, 0.2)
    assert ratios[("ceiling-constant", 8)] == (1.0, 2.5)


def test_ceiling_ratios_without_a_ceiling_are_nan_and_skipped_rows_are_nan():
    results = [_result("home", 8, 200), skipped(scenario="api-regions", concurrency=8, reason="404")]
    ratios = ceiling_ratios(results)
    assert all(math.isnan(value) for value in ratios[("home", 8)])
    assert all(math.isnan(value) for value in ratios[("api-regions", 8)])
