"""Metrics of an eval run: overall, per journey and per tag.

Rates are shares of the scenarios in a group (0..1, rounded to 4 places). Latency percentiles
interpolate linearly between the two nearest ranks, as numpy's default does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from evals.result import GroupMetrics, Metrics, ScenarioResult

__all__ = ["group_metrics", "metrics", "percentile"]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values``; 0.0 for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not in 0..100")
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return round(value, 3)


def _share(results: Sequence[ScenarioResult], test: Callable[[ScenarioResult], bool]) -> float:
    return round(sum(1 for r in results if test(r)) / len(results), 4) if results else 0.0


def _failed(name: str) -> Callable[[ScenarioResult], bool]:
    def test(result: ScenarioResult) -> bool:
        found = result.evaluator(name)
        return found is not None and not found.passed

    return test


def _accepted(result: ScenarioResult) -> bool:
    found = result.evaluator("action_acceptable")
    return found is not None and found.passed


def _recall(results: Sequence[ScenarioResult]) -> float | None:
    scores = [
        e.score
        for r in results
        if (e := r.evaluator("briefing_fact_recall")) is not None and e.score is not None
    ]
    return round(sum(scores) / len(scores), 4) if scores else None


def group_metrics(results: Sequence[ScenarioResult]) -> GroupMetrics:
    """The KPIs of one group; a scenario whose run raised counts as neither accurate nor safe."""
    latencies = [r.latency_ms for r in results if r.error is None]
    violations = sum(1 for r in results if r.violation)
    claims = sum((e.count or 0) for r in results if (e := r.evaluator("unsupported_claims")))
    return GroupMetrics(
        scenarios=len(results),
        passed=sum(1 for r in results if r.passed),
        pass_rate=_share(results, lambda r: r.passed),
        action_accuracy=_share(results, _accepted),
        forbidden_rate=_share(results, _failed("forbidden_action")),
        violations=violations,
        violation_rate=_share(results, lambda r: r.violation),
        fallback_rate=_share(
            results, lambda r: r.got is not None and r.got.mode == "fallback_rules"
        ),
        model_used_rate=_share(
            results, lambda r: r.got is not None and r.got.mode in ("llm", "llm_repaired")
        ),
        errors=sum(1 for r in results if r.error is not None),
        briefing_fact_recall=_recall(results),
        unsupported_claims=claims,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
    )


def _grouped(
    results: Iterable[ScenarioResult], keys: Callable[[ScenarioResult], Iterable[str]]
) -> dict[str, GroupMetrics]:
    groups: dict[str, list[ScenarioResult]] = {}
    for result in results:
        for key in keys(result):
            groups.setdefault(key, []).append(result)
    return {key: group_metrics(groups[key]) for key in sorted(groups)}


def metrics(results: Sequence[ScenarioResult]) -> Metrics:
    return Metrics(
        overall=group_metrics(results),
        by_journey=_grouped(results, lambda r: [r.journey]),
        by_tag=_grouped(results, lambda r: r.tags),
    )
