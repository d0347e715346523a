from __future__ import annotations

from agent.rationale import explain
from agent.record import ProposalTrace, RankedAction
from policies.verdict import Evaluation, Outcome, ReasonCode, Verdict
from tools import ActionCall, parse_action

SMS = parse_action(
    {
        "type": "send_message",
        "args": {"channel": "sms", "purpose": "marketing", "template_id": "cart"},
    }
)
EMAIL = parse_action(
    {
        "type": "send_message",
        "args": {"channel": "email", "purpose": "marketing", "template_id": "cart"},
    }
)


def _trace(
    pid: str, call: ActionCall, outcome: Outcome, code: ReasonCode, message: str
) -> ProposalTrace:
    verdict = Verdict(
        policy_id="consent",
        policy_version="2026.11.1",
        outcome=outcome,
        reason_code=code,
        message=message,
    )
    return ProposalTrace(
        proposal_id=pid,
        call=call,
        playbook_id="cart",
        playbook_version=1,
        rationale="Cart reminder (fit 0.90, similarity 0.55)",
        propensity=0.5,
        value=1.0,
        evaluation=Evaluation(outcome=outcome, call=call, verdicts=[verdict]),
    )


def test_rationale_explains_choice_score_and_denials() -> None:
    traces = [
        _trace("p1", SMS, Outcome.DENY, ReasonCode.CONSENT_MISSING, "no marketing consent on sms"),
        _trace("p2", EMAIL, Outcome.ALLOW, ReasonCode.OK, "ok"),
    ]
    chosen = RankedAction(
        proposal_id="p2",
        call=EMAIL,
        score=0.55,
        probability=1.0,
        outcome=Outcome.ALLOW,
        playbook_id="cart",
    )
    text = explain(
        chosen, traces, {"p2": (1.1, ["customer's preferred channel"])}, safe_default=False
    )
    assert text.startswith("Chose send_message on email from Cart reminder")
    assert (
        "score 0.550 = propensity 0.50 x value 1.00 x context 1.10 (customer's preferred channel)"
        in text
    )
    assert "Denied 1 of 2: send_message on sms (consent/consent_missing)." in text


def test_rationale_names_modifications_of_the_chosen_action() -> None:
    trace = _trace(
        "p1", EMAIL, Outcome.MODIFY, ReasonCode.QUIET_HOURS_DEFERRED, "moved to 08:00 local"
    )
    chosen = RankedAction(
        proposal_id="p1",
        call=EMAIL,
        score=0.5,
        probability=1.0,
        outcome=Outcome.MODIFY,
        playbook_id="cart",
    )
    text = explain(chosen, [trace], {}, safe_default=False)
    assert "Policies: consent modify: moved to 08:00 local." in text
