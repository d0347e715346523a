"""Short, human-readable summaries of what a scenario expects and what a decision did."""

from __future__ import annotations

from agent.briefing.compose import describe_call
from agent.record import DecisionRecordV1, ProposalTrace
from evals.evaluators import call_args, describe_expectation
from evals.result import GotAction, ProposalSummary, TraceSummary
from evals.scenario import Scenario
from policies import Outcome

__all__ = ["expected_lines", "got_action", "trace_summary"]


def expected_lines(scenario: Scenario) -> list[str]:
    """The scenario's expectations, one line each."""
    expect = scenario.expect
    lines = ["acceptable: " + " | ".join(describe_expectation(e) for e in expect.acceptable)]
    if expect.forbidden:
        lines.append("forbidden: " + " | ".join(describe_expectation(e) for e in expect.forbidden))
    for verdict in expect.verdicts:
        parts = [verdict.policy, verdict.outcome, verdict.reason_code, verdict.action_type]
        lines.append("verdict: " + "/".join(str(p) for p in parts if p is not None))
    if expect.safe_default is not None:
        lines.append(f"safe_default: {expect.safe_default}")
    if expect.approval_required is not None:
        lines.append(f"approval_required: {expect.approval_required}")
    if expect.briefing is not None:
        if expect.briefing.facts:
            lines.append("briefing facts: " + "; ".join(expect.briefing.facts))
        if expect.briefing.not_claims:
            lines.append("briefing must not claim: " + "; ".join(expect.briefing.not_claims))
    return lines


def got_action(record: DecisionRecordV1) -> GotAction:
    call = record.chosen.call
    return GotAction(
        type=call.type.value,
        args=call_args(call),
        description=describe_call(call),
        outcome=record.chosen.outcome.value,
        mode=record.mode,
        mode_reason=record.mode_reason,
        safe_default=record.safe_default,
        approval_required=record.approval_required,
    )


def _proposal(trace: ProposalTrace) -> ProposalSummary:
    playbook = (
        f"{trace.playbook_id}@{trace.playbook_version}" if trace.playbook_id is not None else None
    )
    return ProposalSummary(
        proposal_id=trace.proposal_id,
        call=describe_call(trace.call),
        playbook=playbook,
        outcome=trace.evaluation.outcome.value,
        verdicts=[
            f"{v.policy_id}/{v.outcome.value}/{v.reason_code.value}: {v.message}"
            for v in trace.evaluation.verdicts
            if v.outcome is not Outcome.ALLOW
        ],
    )


def trace_summary(record: DecisionRecordV1) -> TraceSummary:
    return TraceSummary(
        decision_id=record.decision_id,
        rationale=record.rationale,
        playbooks=[f"{p.id}@{p.version} ({p.score:.2f})" for p in record.playbooks],
        proposals=[_proposal(t) for t in record.proposals],
        chosen=f"{record.chosen.proposal_id}: {describe_call(record.chosen.call)}",
        planner_notes=[f"{n.playbook_id} {n.action_type}: {n.note}" for n in record.planner_notes],
    )
