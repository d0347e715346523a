from __future__ import annotations

import pytest

from agent.arbitrate import APPROVAL_PENALTY, answers_nothing, context_weight, rank
from agent.context import RequestContext
from agent.record import ProposalTrace
from policies.verdict import Evaluation, Outcome, ReasonCode, Verdict
from tests.factories import profile, signals
from tools import ActionCall, parse_action

HANDOFF = parse_action({"type": "handoff_to_agent", "args": {"queue": "billing", "reason": "r"}})
ARTICLE = parse_action(
    {"type": "recommend_article", "args": {"article_id": "a1", "channel": "web"}}
)
PROMO = parse_action(
    {
        "type": "send_message",
        "args": {"channel": "email", "purpose": "marketing", "template_id": "promo"},
    }
)
CREDIT = parse_action(
    {
        "type": "apply_goodwill_credit",
        "args": {"amount": 40, "currency": "EUR", "reason_code": "outage"},
    }
)
INBOUND = RequestContext(direction="inbound", channel="chat")


def trace(
    pid: str,
    call: ActionCall,
    *,
    propensity: float = 0.5,
    value: float = 1.0,
    lever: float = 1.0,
    outcome: Outcome = Outcome.ALLOW,
) -> ProposalTrace:
    verdict = Verdict(
        policy_id="test",
        policy_version="1",
        outcome=outcome,
        reason_code=ReasonCode.OK,
        message="m",
    )
    return ProposalTrace(
        proposal_id=pid,
        call=call,
        playbook_id="pb",
        playbook_version=1,
        rationale="r",
        propensity=propensity,
        value=value,
        lever=lever,
        evaluation=Evaluation(outcome=outcome, call=call, verdicts=[verdict]),
    )


@pytest.mark.parametrize(
    ("call", "sig", "ctx", "expected"),
    [
        pytest.param(
            HANDOFF, signals(effort="high"), INBOUND, 1.3, id="handoff-struggling-inbound"
        ),
        pytest.param(HANDOFF, signals(), INBOUND, 1.0, id="handoff-calm-inbound"),
        pytest.param(HANDOFF, signals(), RequestContext(), 0.5, id="handoff-without-live-contact"),
        pytest.param(
            ARTICLE, signals(stage="escalating"), INBOUND, 0.6, id="article-after-escalation"
        ),
        pytest.param(
            PROMO,
            signals(sentiment="negative"),
            RequestContext(),
            0.7 * 1.1,
            id="marketing-to-upset-customer-on-preferred-channel",
        ),
        pytest.param(
            CREDIT, signals(risk="high"), RequestContext(), 1.2, id="retention-lever-high-risk"
        ),
    ],
)
def test_context_weight(
    call: ActionCall, sig: object, ctx: RequestContext, expected: float
) -> None:
    weight, reasons = context_weight(call, sig, ctx, profile())  # type: ignore[arg-type]
    assert weight == pytest.approx(expected)
    assert bool(reasons) == (expected != 1.0)


def test_rank_orders_by_score_and_skips_denied() -> None:
    traces = [
        trace("p1", ARTICLE, propensity=0.4),
        trace("p2", HANDOFF, propensity=0.6),
        trace("p3", PROMO, propensity=0.9, outcome=Outcome.DENY),
    ]
    ranking = rank(traces, signals(), INBOUND, profile())
    assert [r.proposal_id for r in ranking.ranked] == ["p2", "p1"]
    assert ranking.ranked[0].score == pytest.approx(0.6)
    assert sum(r.probability for r in ranking.ranked) == pytest.approx(1.0)
    assert ranking.ranked[0].probability > ranking.ranked[1].probability


def test_value_and_lever_multiply() -> None:
    traces = [trace("p1", ARTICLE, propensity=0.5, value=2.0, lever=1.5)]
    assert rank(traces, signals(), INBOUND, profile()).ranked[0].score == pytest.approx(1.5)


def test_approval_penalty_can_reorder() -> None:
    traces = [
        trace("p1", CREDIT, propensity=0.8, outcome=Outcome.REQUIRE_APPROVAL),
        trace("p2", ARTICLE, propensity=0.7),
    ]
    ranking = rank(traces, signals(), INBOUND, profile())
    assert [r.proposal_id for r in ranking.ranked] == ["p2", "p1"]
    assert ranking.ranked[1].score == pytest.approx(0.8 * APPROVAL_PENALTY)
    assert "needs human approval before it runs" in ranking.weights["p1"][1]


def test_ties_keep_planner_order() -> None:
    traces = [trace("p1", ARTICLE), trace("p2", PROMO)]
    ranked = rank(traces, signals(), RequestContext(), profile(preferred_channel=None)).ranked
    assert [r.proposal_id for r in ranked] == ["p1", "p2"]


def test_nothing_permitted_ranks_nothing() -> None:
    assert (
        rank([trace("p1", PROMO, outcome=Outcome.DENY)], signals(), INBOUND, profile()).ranked == []
    )


IDLE = parse_action({"type": "no_action", "args": {"reason": "nothing helps"}})
OUTBOUND = RequestContext(direction="outbound")


def test_doing_nothing_weighs_less_when_the_customer_reached_out() -> None:
    inbound, reasons = context_weight(IDLE, signals(), INBOUND, profile())
    assert inbound == 0.5
    assert reasons == ["the customer reached out: doing nothing leaves them unanswered"]
    assert context_weight(IDLE, signals(), OUTBOUND, profile()) == (1.0, [])


def test_only_doing_nothing_answers_nothing_on_an_inbound_contact() -> None:
    idle = rank([trace("p1", IDLE)], signals(), INBOUND, profile()).ranked
    helped = rank([trace("p1", IDLE), trace("p2", ARTICLE)], signals(), INBOUND, profile()).ranked
    assert answers_nothing([], INBOUND)
    assert answers_nothing(idle, INBOUND)
    assert not answers_nothing(helped, INBOUND)
    assert answers_nothing([], OUTBOUND)
    assert not answers_nothing(idle, OUTBOUND)  # doing nothing is a decision when we reach out
