from __future__ import annotations

import pytest

from evals.metrics import group_metrics, percentile
from tests.evals.builders import result, scenario


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        pytest.param([], 50, 0.0, id="empty"),
        pytest.param([7.0], 95, 7.0, id="one"),
        pytest.param([1.0, 2.0, 3.0, 4.0], 50, 2.5, id="p50-even-interpolates"),
        pytest.param([3.0, 1.0, 2.0], 50, 2.0, id="p50-odd-unsorted"),
        pytest.param([float(i) for i in range(1, 11)], 95, 9.55, id="p95-of-1-to-10"),
        pytest.param([float(i) for i in range(1, 101)], 95, 95.05, id="p95-of-1-to-100"),
        pytest.param([1.0, 100.0], 100, 100.0, id="p100-is-max"),
        pytest.param([1.0, 100.0], 0, 1.0, id="p0-is-min"),
    ],
)
def test_percentile(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_refuses_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"not in 0\.\.100"):
        percentile([1.0], 101)


def test_group_metrics_rates_and_counts() -> None:
    group = group_metrics(
        [
            scenario("a", latency=10),
            scenario("b", accepted=False, latency=20),
            scenario("c", violation=True, latency=30),
            scenario("d", mode="fallback_rules", recall=0.5, claims=2, latency=40),
        ]
    )
    assert group.scenarios == 4
    assert group.passed == 1  # b missed, c violated, d has recall 0.5 and 2 claims
    assert group.action_accuracy == 0.75
    assert group.forbidden_rate == 0.25
    assert group.violations == 1
    assert group.violation_rate == 0.25
    assert group.fallback_rate == 0.25
    assert group.briefing_fact_recall == 0.5
    assert group.unsupported_claims == 2
    assert group.latency_p50_ms == 25.0
    assert group.latency_p95_ms == pytest.approx(38.5)


def test_a_crashed_scenario_is_neither_accurate_nor_timed() -> None:
    group = group_metrics([scenario("a", latency=10), scenario("b", error="boom", latency=999)])
    assert group.errors == 1
    assert group.action_accuracy == 0.5
    assert group.latency_p95_ms == 10.0
    assert group.briefing_fact_recall is None


def test_metrics_per_journey_and_per_tag() -> None:
    run = result(
        scenario("a", journey="renewal", tags=("consent", "edge")),
        scenario("b", journey="renewal", accepted=False, tags=("edge",)),
        scenario("c", journey="cart_recovery"),
    )
    m = run.metrics
    assert list(m.by_journey) == ["cart_recovery", "renewal"]
    assert m.by_journey["renewal"].action_accuracy == 0.5
    assert m.by_journey["cart_recovery"].action_accuracy == 1.0
    assert m.overall.action_accuracy == pytest.approx(0.6667)
    assert m.by_tag["edge"].scenarios == 2
    assert m.by_tag["consent"].action_accuracy == 1.0
    assert "cart_recovery" not in m.by_tag
