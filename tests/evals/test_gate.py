from __future__ import annotations

import pytest

from evals.gate import check
from evals.result import ScenarioResult
from tests.evals.builders import result, scenario


def _run(failing: int, total: int = 50, journey: str = "renewal") -> list[ScenarioResult]:
    return [scenario(f"s{i:02d}", journey=journey, accepted=i >= failing) for i in range(total)]


BASE = result(*_run(failing=1))  # 98% accurate


def _with_new_failing(count: int) -> list[ScenarioResult]:
    """The baseline's scenarios as they were, and ``count`` new ones that fail."""
    return [*_run(failing=1), *(scenario(f"new{i}", accepted=False) for i in range(count))]


@pytest.mark.parametrize(
    ("new_failing", "tolerance", "passed"),
    [
        pytest.param(0, 0.02, True, id="unchanged"),
        pytest.param(1, 0.02, True, id="drop-1.9pt-within-tolerance"),
        pytest.param(2, 0.02, False, id="drop-3.8pt-beyond-tolerance"),
        pytest.param(2, 0.05, True, id="drop-3.8pt-within-a-wider-tolerance"),
    ],
)
def test_overall_accuracy_drop_beyond_tolerance_fails(
    new_failing: int, tolerance: float, passed: bool
) -> None:
    now = result(*_with_new_failing(new_failing))
    gate = check(now, BASE, tolerance=tolerance, journey_tolerance=1.0)
    assert gate.passed is passed
    if not passed:
        assert "overall action accuracy dropped 98.00% -> 94.23%" in gate.reasons[0]


def test_one_scenario_flipped_fails_the_gate_whatever_the_accuracy() -> None:
    """One flip in a big journey moves accuracy by less than any tolerance: it still fails."""
    base = result(*_run(failing=1, total=200))
    gate = check(result(*_run(failing=2, total=200)), base, tolerance=0.5, journey_tolerance=1.0)
    assert not gate.passed
    assert gate.reasons == ["1 scenario(s) passed in the baseline and fail now: s01"]


def test_accuracy_below_the_floor_fails_even_without_a_baseline() -> None:
    gate = check(result(*_run(failing=6)))  # 88%
    assert not gate.passed
    assert gate.reasons == ["overall action accuracy 88.00% is below the floor of 90.00%"]
    assert check(result(*_run(failing=6)), min_accuracy=0.85).passed


def test_flipped_and_fixed_scenarios_are_listed() -> None:
    now = [*_run(failing=3), scenario("new-one")]
    now[0] = scenario("s00")  # failed in the baseline, passes now
    gate = check(result(*now), BASE)
    assert not gate.passed
    assert gate.flipped == ["s01", "s02"]
    assert gate.fixed == ["s00"]
    assert gate.new == ["new-one"]


def test_any_violation_fails_even_without_a_baseline() -> None:
    gate = check(result(scenario("a"), scenario("b", violation=True)))
    assert not gate.passed
    assert gate.violations == ["b"]
    assert gate.reasons == ["policy violation in 1 scenario(s): b"]


def test_a_violation_fails_even_when_accuracy_is_unchanged() -> None:
    now = _run(failing=1)
    now[10] = scenario("s10", violation=True, accepted=True)
    assert not check(result(*now), BASE).passed


def test_a_journey_drop_beyond_its_tolerance_fails() -> None:
    base = result(*_run(0, 40, "renewal"), *_run(0, 10, "cart_recovery"))
    now = result(*_run(0, 40, "renewal"), *_run(2, 10, "cart_recovery"))  # overall -4pt, cart -20pt
    gate = check(now, base, tolerance=0.05, journey_tolerance=0.10)
    assert not gate.passed
    assert (
        "journey cart_recovery: action accuracy dropped 100.00% -> 80.00% (more than 10.00%)"
        in gate.reasons
    )


def test_missing_scenarios_and_crashes_fail() -> None:
    now = _run(failing=1)[:-1]
    now[5] = scenario("s05", error="RuntimeError: boom")
    gate = check(result(*now), BASE, tolerance=1.0, journey_tolerance=1.0)
    assert not gate.passed
    assert gate.missing == ["s49"]
    assert any("raised: s05" in r for r in gate.reasons)


def test_a_clean_run_without_a_baseline_passes() -> None:
    gate = check(result(*(scenario(f"s{n}") for n in range(9)), scenario("b", accepted=False)))
    assert gate.passed  # 90%: at the floor
    assert gate.baseline_accuracy is None
