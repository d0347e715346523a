"""Property: whatever the guards decided, a briefing never puts forward, as something to do or
say, an action whose verdict denied it. Denied actions appear under "do not", each with its
reason; the talk track keeps only what speaks of the chosen action or a permitted one."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.briefing.compose import compose_briefing
from agent.context import RequestContext
from agent.playbooks.model import Playbook, PlaybookAction, PlaybookHit
from agent.record import ProposalTrace, RankedAction
from policies.verdict import Evaluation, Outcome, ReasonCode, Verdict
from tests.factories import NOW, profile, signals
from tools import CATALOG, ActionCall, ActionType, parse_action

CALLS: dict[ActionType, ActionCall] = {
    call.type: call
    for call in map(
        parse_action,
        [
            {"type": "send_message", "args": {"channel": "email", "purpose": "service",
                                              "template_id": "claim-update"}},
            {"type": "offer_incentive", "args": {"kind": "free_months", "value": 1,
                                                 "channel": "email", "offer_id": "RET-1M"}},
            {"type": "apply_goodwill_credit", "args": {"amount": "40", "currency": "GBP",
                                                       "reason_code": "claim_delay"}},
            {"type": "schedule_callback", "args": {"at": (NOW + timedelta(hours=2)).isoformat(),
                                                   "queue": "claims", "topic": "claim date"}},
            {"type": "handoff_to_agent", "args": {"queue": "claims", "reason": "upset",
                                                  "with_briefing": True}},
            {"type": "recommend_article", "args": {"article_id": "kb-claims", "channel": "web"}},
            {"type": "open_case", "args": {"case_type": "claim_delay", "queue": "claims",
                                           "summary": "Chasing a late claim"}},
            {"type": "hold_outreach", "args": {"hours": 72, "reason": "grieving"}},
        ],
    )
}  # fmt: skip
"""One valid call of every action but no_action (which promises nothing)."""

SAID = {
    action: f"I will {tool.spec.promises[0]} today."
    for action, tool in CATALOG.items()
    if tool.spec.promises
}
"""A talk-track sentence that speaks of each action."""

OPENING = "I'm sorry you've had to chase us."


def _trace(n: int, call: ActionCall, outcome: Outcome) -> ProposalTrace:
    verdict = Verdict(
        policy_id="guard",
        policy_version="1",
        outcome=outcome,
        reason_code=ReasonCode.OK if outcome is Outcome.ALLOW else ReasonCode.CONTACT_CAP_REACHED,
        message="3 phone contacts in the last 7 days (cap 3)",
    )
    return ProposalTrace(
        proposal_id=f"p{n}",
        call=call,
        playbook_id="claims-plan",
        playbook_version=1,
        rationale="r",
        propensity=0.5,
        value=1.0,
        evaluation=Evaluation(outcome=outcome, call=call, verdicts=[verdict]),
    )


OUTCOMES = st.sampled_from([Outcome.ALLOW, Outcome.MODIFY, Outcome.DENY, Outcome.REQUIRE_APPROVAL])


@settings(max_examples=300, deadline=None)
@given(
    proposals=st.lists(st.tuples(st.sampled_from(sorted(CALLS)), OUTCOMES), min_size=1, max_size=6),
    track=st.lists(st.sampled_from(sorted(SAID)), max_size=5),
    quoted=st.booleans(),
    pick=st.integers(min_value=0),
)
def test_no_briefing_puts_forward_a_denied_action(
    proposals: list[tuple[ActionType, Outcome]],
    track: list[ActionType],
    quoted: bool,
    pick: int,
) -> None:
    traces = [_trace(n, CALLS[action], outcome) for n, (action, outcome) in enumerate(proposals)]
    candidates = [t for t in traces if t.evaluation.outcome is not Outcome.DENY]
    if candidates:
        chosen_trace = candidates[pick % len(candidates)]
        chosen = RankedAction(
            proposal_id=chosen_trace.proposal_id,
            call=chosen_trace.call,
            score=0.5,
            probability=1.0,
            outcome=chosen_trace.evaluation.outcome,
            playbook_id="claims-plan",
        )
    else:  # everything denied: the safe default
        chosen = RankedAction(
            proposal_id="safe",
            call=CALLS[ActionType.HANDOFF_TO_AGENT],
            score=0.0,
            probability=1.0,
            outcome=Outcome.ALLOW,
            playbook_id=None,
        )
    talk = " ".join([OPENING, *(SAID[action] for action in track)])
    playbook = Playbook(
        id="claims-plan",
        version=1,
        title="A late claim",
        journey="insurance_claim",
        intents=["claim_status"],
        owner="claims@example.com",
        actions=[PlaybookAction(type=action) for action in dict.fromkeys(a for a, _ in proposals)],
        talk_track=f'"{talk}"' if quoted else talk,
    )
    briefing = compose_briefing(
        decision_id="dec_1",
        now=NOW,
        profile=profile(),
        events=[],
        context=RequestContext(direction="inbound", channel="chat", reason="where is my claim"),
        signals=signals(intent="claim_status", journey="insurance_claim"),
        hits=[PlaybookHit(playbook=playbook, score=0.7)],
        traces=traces,
        chosen=chosen,
    )

    permitted = {chosen.call.type} | {
        t.call.type for t in traces if t.evaluation.outcome in (Outcome.ALLOW, Outcome.MODIFY)
    }
    denied = {t.call.type for t in traces if t.evaluation.outcome is Outcome.DENY} - permitted
    put_forward = " ".join(
        [item.text for item in briefing.recommended_action] + [briefing.talk_track or ""]
    ).lower()
    for action in denied:
        assert not any(phrase in put_forward for phrase in CATALOG[action].spec.promises), action
        assert CALLS[action].plain() not in put_forward
    # each denied action is under "do not", in words, unless it may still be taken as it is
    do_not = " ".join(item.text for item in briefing.do_not)
    for trace in traces:
        if trace.evaluation.outcome is Outcome.DENY and trace.call.type in denied:
            assert f"Do not {trace.call.plain()}: 3 phone contacts" in do_not
    # what may be said of the chosen action is kept
    if chosen.playbook_id is not None and chosen.call.type in track:
        assert briefing.talk_track is not None
        assert SAID[chosen.call.type] in briefing.talk_track
