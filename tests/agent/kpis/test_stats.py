"""Wilson intervals, mean intervals and percentiles against reference values."""

from __future__ import annotations

import pytest

from agent.kpis import mean_interval, wilson
from agent.kpis.report import percentile, rate


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Wilson score intervals, z = 1.96; 81/263 and 0/10 are worked examples in
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion"
        pytest.param(0, 10, 0.0, 0.2775, id="none-of-ten"),
        pytest.param(5, 10, 0.2366, 0.7634, id="half"),
        pytest.param(10, 10, 0.7225, 1.0, id="all-of-ten"),
        pytest.param(81, 263, 0.2553, 0.3662, id="larger-n"),
        pytest.param(1, 1, 0.2065, 1.0, id="one"),
    ],
)
def test_wilson_matches_reference_values(k: int, n: int, low: float, high: float) -> None:
    interval = wilson(k, n)
    assert interval is not None
    assert interval == pytest.approx((low, high), abs=1e-4)


def test_wilson_needs_trials_and_a_sane_count() -> None:
    assert wilson(0, 0) is None
    with pytest.raises(ValueError, match=r"within 0\.\.n"):
        wilson(3, 2)
    empty = rate(0, 0)
    assert (empty.n, empty.value, empty.ci_low, empty.ci_high) == (0, None, None, None)


def test_mean_interval() -> None:
    values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]  # mean 5, sample sd 2.138
    found = mean_interval(sum(values), sum(v * v for v in values), len(values))
    assert found is not None
    mean, low, high = found
    assert mean == 5.0
    assert (high - mean) == pytest.approx(1.959964 * 2.13809 / 8**0.5, rel=1e-4)
    assert low == pytest.approx(2 * mean - high)
    assert mean_interval(3.0, 9.0, 1) == (3.0, 3.0, 3.0)
    assert mean_interval(0.0, 0.0, 0) is None


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 0.0, 20.0, 30.0, 40.0], 0.9) == pytest.approx(36.0)
