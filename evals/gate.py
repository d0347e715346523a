"""The regression gate: compare a run with a stored baseline, and refuse any policy violation.

The gate fails when

- any final action is one a policy forbids (always, with or without a baseline);
- overall action accuracy is below the floor ``min_accuracy`` (default 0.90; always);
- any scenario that passed in the baseline fails now: a scenario passes only when every check
  on it passes (action, forbidden actions, verdicts, safe default, approval, briefing fact
  recall, unsupported claims), so each of them gates, whatever the journey's size;
- overall action accuracy dropped by more than ``tolerance`` (default 0.02: new scenarios
  that fail);
- a journey's action accuracy dropped by more than ``journey_tolerance`` (default 0.10: journeys
  hold few scenarios, so one flip moves them a lot);
- a scenario the baseline has is missing from the run (a suite that shrinks hides regressions);
- a scenario's run raised (a crash is a bug, as a 500 is);
- in LLM mode, more than ``max_fallback`` of the scenarios (default 0.20) fell back to the rules
  planner: the model was absent, and the run measured the rules planner instead (``None``,
  ``--allow-fallback``, accepts it).

It lists the scenarios that flipped from pass to fail (and those fixed), so a reviewer sees what
regressed, not only by how much. A change that is meant to change an outcome updates the
baseline (``--save-baseline``) in the same commit, where a reviewer sees it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from evals.result import EvalResultV1

__all__ = [
    "DEFAULT_JOURNEY_TOLERANCE",
    "DEFAULT_MIN_ACCURACY",
    "DEFAULT_TOLERANCE",
    "GateReport",
    "check",
]

DEFAULT_MIN_ACCURACY = 0.90
DEFAULT_MAX_FALLBACK = 0.20
DEFAULT_TOLERANCE = 0.02
DEFAULT_JOURNEY_TOLERANCE = 0.10
_EPSILON = 1e-9  # rates are rounded to 4 places; a drop equal to the tolerance passes


class GateReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    passed: bool
    reasons: list[str] = Field(description="Why the gate failed, one line each.")
    violations: list[str] = Field(description="Scenarios whose final action a policy forbids.")
    flipped: list[str] = Field(description="Scenarios that passed in the baseline and fail now.")
    fixed: list[str] = Field(description="Scenarios that failed in the baseline and pass now.")
    missing: list[str] = Field(description="Baseline scenarios the run did not have.")
    new: list[str] = Field(description="Scenarios the baseline did not have.")
    accuracy: float
    baseline_accuracy: float | None = None


def _accuracy_reasons(
    current: EvalResultV1, baseline: EvalResultV1, tolerance: float, journey_tolerance: float
) -> list[str]:
    reasons = []
    now, before = current.metrics.overall.action_accuracy, baseline.metrics.overall.action_accuracy
    if before - now > tolerance + _EPSILON:
        reasons.append(
            f"overall action accuracy dropped {before:.2%} -> {now:.2%} "
            f"(more than the tolerance of {tolerance:.2%})"
        )
    for journey, old in baseline.metrics.by_journey.items():
        new = current.metrics.by_journey.get(journey)
        if new is None:
            continue
        if old.action_accuracy - new.action_accuracy > journey_tolerance + _EPSILON:
            reasons.append(
                f"journey {journey}: action accuracy dropped {old.action_accuracy:.2%} -> "
                f"{new.action_accuracy:.2%} (more than {journey_tolerance:.2%})"
            )
    return reasons


def check(
    current: EvalResultV1,
    baseline: EvalResultV1 | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    journey_tolerance: float = DEFAULT_JOURNEY_TOLERANCE,
    min_accuracy: float = DEFAULT_MIN_ACCURACY,
    max_fallback: float | None = DEFAULT_MAX_FALLBACK,
) -> GateReport:
    """Judge ``current``; without a baseline, violations, errors, the floor and (in LLM mode)
    the fallback rate are checked."""
    violations = [s.id for s in current.scenarios if s.violation]
    reasons: list[str] = []
    if violations:
        reasons.append(
            f"policy violation in {len(violations)} scenario(s): {', '.join(violations)}"
        )
    errors = [s.id for s in current.scenarios if s.error is not None]
    if errors:
        reasons.append(f"{len(errors)} scenario(s) raised: {', '.join(errors)}")
    accuracy = current.metrics.overall.action_accuracy
    if accuracy < min_accuracy - _EPSILON:
        reasons.append(
            f"overall action accuracy {accuracy:.2%} is below the floor of {min_accuracy:.2%}"
        )
    fallback = current.metrics.overall.fallback_rate
    if (
        current.run.mode == "llm"
        and max_fallback is not None
        and fallback > max_fallback + _EPSILON
    ):
        reasons.append(
            f"the LLM was absent: {fallback:.0%} of the scenarios fell back to the rules planner "
            f"(at most {max_fallback:.0%}; --allow-fallback accepts it)"
        )
    flipped: list[str] = []
    fixed: list[str] = []
    missing: list[str] = []
    new: list[str] = []
    if baseline is not None:
        reasons += _accuracy_reasons(current, baseline, tolerance, journey_tolerance)
        before = {s.id: s.passed for s in baseline.scenarios}
        after = {s.id: s.passed for s in current.scenarios}
        flipped = sorted(i for i in after if before.get(i) is True and not after[i])
        fixed = sorted(i for i in after if before.get(i) is False and after[i])
        missing = sorted(set(before) - set(after))
        new = sorted(set(after) - set(before))
        if flipped:
            reasons.append(
                f"{len(flipped)} scenario(s) passed in the baseline and fail now: "
                f"{', '.join(flipped)}"
            )
        if missing:
            reasons.append(f"{len(missing)} baseline scenario(s) missing: {', '.join(missing)}")
    return GateReport(
        passed=not reasons,
        reasons=reasons,
        violations=violations,
        flipped=flipped,
        fixed=fixed,
        missing=missing,
        new=new,
        accuracy=accuracy,
        baseline_accuracy=None if baseline is None else baseline.metrics.overall.action_accuracy,
    )
