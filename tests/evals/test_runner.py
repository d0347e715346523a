"""The runner end to end: the tiny suite through the real graph, Chroma and embedder."""

from __future__ import annotations

from evals.result import EvalResultV1
from evals.runner import Execution


def test_every_tiny_scenario_runs_and_is_judged(tiny_result: EvalResultV1) -> None:
    by_id = {s.id: s for s in tiny_result.scenarios}
    assert list(by_id) == [
        "tiny-briefing-double-charge",
        "tiny-sms-consent-denied",
        "tiny-sms-cap-reached",
    ]
    for s in tiny_result.scenarios:
        assert s.error is None
        assert not s.violation
        assert s.evaluator("policy_violation") is not None
        assert s.evaluator("action_acceptable").passed, s.evaluators  # type: ignore[union-attr]
        assert s.trace is not None
        assert s.latency_ms > 0
    assert by_id["tiny-sms-consent-denied"].passed
    assert by_id["tiny-sms-cap-reached"].passed
    assert by_id["tiny-briefing-double-charge"].evaluator("briefing_fact_recall").score == 1.0  # type: ignore[union-attr]


def test_metrics_and_run_info(tiny_result: EvalResultV1) -> None:
    m = tiny_result.metrics
    assert m.overall.scenarios == 3
    assert m.overall.action_accuracy == 1.0
    assert m.overall.violations == 0
    assert m.overall.fallback_rate == 0.0
    assert m.overall.briefing_fact_recall == 1.0
    assert set(m.by_journey) == {"billing_dispute", "trial_conversion"}
    assert m.by_tag["outbound"].scenarios == 2
    assert m.overall.latency_p95_ms >= m.overall.latency_p50_ms > 0
    run = tiny_result.run
    assert (run.suite, run.mode, run.playbooks) == ("tiny", "rules", 41)
    assert run.policy_pack.startswith("default@")


def test_the_clock_is_pinned_and_stores_are_per_scenario(
    executions: dict[str, Execution],
) -> None:
    for execution in executions.values():
        assert execution.record.created_at == execution.prepared.snapshot.now
    cap = executions["tiny-sms-cap-reached"]
    # the two seeded SMS are in the snapshot, and in no other scenario's
    assert len(cap.prepared.snapshot.recent_contacts) == 2
    assert executions["tiny-sms-consent-denied"].prepared.snapshot.recent_contacts == []


def test_a_demo_fixture_is_stored_with_its_history(executions: dict[str, Execution]) -> None:
    brief = executions["tiny-briefing-double-charge"]
    assert brief.record.profile_source == "store"
    assert brief.record.kind == "briefing"
    assert brief.record.briefing is not None
    assert any(e.id.startswith("evt_c13_") for e in brief.record.events)
    assert brief.prepared.context.direction == "inbound"  # the fixture's context: none given
