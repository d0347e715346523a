"""The dangerous-error check, on real records tampered with the way a bug would tamper them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agent.record import DecisionRecordV1
from evals.evaluators import Case
from evals.runner import Execution
from evals.scenario import Scenario
from evals.suite import Suite
from evals.violation import PolicyViolation, evaluators_for
from policies import ConsentFact, Outcome, PolicyContext, load_pack
from tools import parse_action

PACK = load_pack()
CONSENT = "tiny-sms-consent-denied"  # chose an email; the SMS (p1) was denied by consent


@pytest.fixture
def scenario(tiny_suite: Suite) -> Scenario:
    return next(s for s in tiny_suite.scenarios if s.id == CONSENT)


def _deny_chosen(r: DecisionRecordV1) -> DecisionRecordV1:
    return r.model_copy(update={"chosen": r.chosen.model_copy(update={"outcome": Outcome.DENY})})


def _choose_denied_proposal(r: DecisionRecordV1) -> DecisionRecordV1:
    denied = next(t for t in r.proposals if t.evaluation.outcome is Outcome.DENY)
    chosen = r.chosen.model_copy(update={"proposal_id": denied.proposal_id, "call": denied.call})
    return r.model_copy(update={"chosen": chosen})


def _swap_call(r: DecisionRecordV1) -> DecisionRecordV1:
    sms = parse_action(
        {
            "type": "send_message",
            "args": {"channel": "sms", "purpose": "marketing", "template_id": "sneaky"},
        }
    )
    return r.model_copy(update={"chosen": r.chosen.model_copy(update={"call": sms})})


def _unknown_proposal(r: DecisionRecordV1) -> DecisionRecordV1:
    return r.model_copy(update={"chosen": r.chosen.model_copy(update={"proposal_id": "p99"})})


def _approval_skipped(r: DecisionRecordV1) -> DecisionRecordV1:
    chosen = r.chosen.model_copy(update={"outcome": Outcome.REQUIRE_APPROVAL})
    return r.model_copy(update={"chosen": chosen, "approval_required": False})


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        pytest.param(_deny_chosen, "was denied by the guards", id="chosen-outcome-deny"),
        pytest.param(
            _choose_denied_proposal,
            "p1 was denied (consent/consent_missing)",
            id="chose-a-denied-proposal",
        ),
        pytest.param(_swap_call, "differs from the call the guards passed", id="call-swapped"),
        pytest.param(_unknown_proposal, "'p99' is not in the trace", id="not-in-trace"),
        pytest.param(_approval_skipped, "approval_required is false", id="approval-skipped"),
    ],
)
def test_a_forbidden_final_action_is_a_dangerous_failure(
    executions: dict[str, Execution],
    scenario: Scenario,
    tamper: Callable[[DecisionRecordV1], DecisionRecordV1],
    problem: str,
) -> None:
    execution = executions[CONSENT]
    case = Case(
        scenario=scenario,
        record=tamper(execution.record),
        snapshot=execution.prepared.snapshot,
    )
    result = PolicyViolation(PACK)(case)
    assert not result.passed
    assert result.dangerous
    assert problem in result.detail


def test_the_recheck_denies_what_the_snapshot_forbids(
    executions: dict[str, Execution], scenario: Scenario
) -> None:
    """The decision's own trace says allow, but the independent snapshot has no email consent."""
    execution = executions[CONSENT]
    snapshot: PolicyContext = execution.prepared.snapshot
    customer = snapshot.customer.model_copy(
        update={"consents": [ConsentFact(channel="email", purpose="marketing", granted=False)]}
    )
    case = Case(scenario, execution.record, snapshot.model_copy(update={"customer": customer}))
    result = PolicyViolation(PACK)(case)
    assert result.dangerous
    assert "re-check: consent denies it (consent_missing" in result.detail


def test_the_recheck_catches_a_final_call_that_still_needs_changes(
    executions: dict[str, Execution], scenario: Scenario
) -> None:
    """An SMS at 23:00 local is one quiet hours would still move: it must not go out as is."""
    execution = executions[CONSENT]
    late = execution.prepared.snapshot.model_copy(
        update={"now": execution.record.created_at.replace(hour=22)}
    )
    sms = parse_action(
        {
            "type": "send_message",
            "args": {"channel": "sms", "purpose": "service", "template_id": "t"},
        }
    )
    trace = execution.record.proposals[0]
    evaluation = trace.evaluation.model_copy(update={"outcome": Outcome.ALLOW, "call": sms})
    record = execution.record.model_copy(
        update={
            "proposals": [trace.model_copy(update={"call": sms, "evaluation": evaluation})],
            "chosen": execution.record.chosen.model_copy(
                update={"proposal_id": trace.proposal_id, "call": sms}
            ),
        }
    )
    customer = late.customer.model_copy(
        update={"consents": [ConsentFact(channel="sms", purpose="service", granted=True)]}
    )
    result = PolicyViolation(PACK)(
        Case(scenario, record, late.model_copy(update={"customer": customer}))
    )
    assert result.dangerous
    assert "still needs changes (quiet_hours/quiet_hours_deferred)" in result.detail


def test_a_permitted_final_action_passes_with_both_checks(
    executions: dict[str, Execution], scenario: Scenario
) -> None:
    for execution in executions.values():
        case = Case(scenario, execution.record, execution.prepared.snapshot)
        result = PolicyViolation(PACK)(case)
        assert result.passed, result.detail
        assert result.detail == "permitted (trace and re-check)"


def test_without_a_snapshot_only_the_trace_is_checked(
    executions: dict[str, Execution], scenario: Scenario
) -> None:
    case = Case(scenario, executions[CONSENT].record)
    assert PolicyViolation(PACK)(case).detail == "permitted (trace only)"
    assert PolicyViolation(None)(case).passed


def test_the_policy_check_runs_first() -> None:
    assert [e.name for e in evaluators_for(PACK)][:2] == ["policy_violation", "action_acceptable"]
