"""Synthetic eval results, for metrics, gate and report tests that need no decisions."""

from __future__ import annotations

from datetime import UTC, datetime

from evals.metrics import metrics
from evals.result import EvalResultV1, EvaluatorResult, GotAction, RunInfo, ScenarioResult


def scenario(
    sid: str,
    *,
    journey: str = "billing_dispute",
    accepted: bool = True,
    violation: bool = False,
    latency: float = 10.0,
    tags: tuple[str, ...] = (),
    mode: str = "rules",
    recall: float | None = None,
    claims: int | None = None,
    title: str = "A scenario",
    error: str | None = None,
) -> ScenarioResult:
    evaluators = [
        EvaluatorResult(
            name="policy_violation",
            passed=not violation,
            dangerous=violation,
            detail="re-check: consent denies it" if violation else "permitted",
        ),
        EvaluatorResult(
            name="action_acceptable", passed=accepted, detail="" if accepted else "got x"
        ),
        EvaluatorResult(name="forbidden_action", passed=accepted),
    ]
    if recall is not None:
        evaluators.append(
            EvaluatorResult(name="briefing_fact_recall", passed=recall == 1, score=recall)
        )
    if claims is not None:
        evaluators.append(
            EvaluatorResult(name="unsupported_claims", passed=not claims, count=claims)
        )
    got = GotAction(
        type="send_message",
        args={"channel": "email"},
        description="send_message (channel=email)",
        outcome="allow",
        mode=mode,
        safe_default=False,
        approval_required=False,
    )
    return ScenarioResult(
        id=sid,
        title=title,
        journey=journey,
        tags=list(tags),
        kind="decision",
        passed=error is None and all(e.passed for e in evaluators),
        violation=violation,
        expected=["acceptable: send_message"],
        got=None if error else got,
        evaluators=[] if error else evaluators,
        latency_ms=latency,
        error=error,
    )


def result(*scenarios: ScenarioResult, suite: str = "tiny") -> EvalResultV1:
    run = RunInfo(
        suite=suite,
        mode="rules",
        started_at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
        duration_s=1.5,
        policy_pack="default@2026.11.1",
        embedding_model="minilm",
        playbooks=27,
    )
    return EvalResultV1(run=run, metrics=metrics(list(scenarios)), scenarios=list(scenarios))
