from __future__ import annotations

import re
from datetime import timedelta

from agent.briefing.compose import compose_briefing
from agent.briefing.render import render_markdown
from agent.context import RequestContext
from agent.events import Event
from agent.playbooks.model import Playbook, PlaybookAction, PlaybookHit
from agent.record import ProposalTrace, RankedAction
from agent.signals.models import Evidence, IntentSignal, SentimentSignal
from policies import CaseFact
from policies.verdict import Evaluation, Outcome, ReasonCode, Verdict
from tests.factories import NOW, profile, signals
from tools import ActionCall, ActionType, parse_action

HANDOFF = parse_action(
    {"type": "handoff_to_agent", "args": {"queue": "billing", "reason": "dispute"}}
)
OFFER = parse_action(
    {
        "type": "offer_incentive",
        "args": {"kind": "percent_discount", "value": 20, "channel": "email", "offer_id": "RET-20"},
    }
)
PLAYBOOK = Playbook(
    id="billing-dispute-acknowledge",
    version=3,
    title="Acknowledge a disputed charge",
    journey="billing_dispute",
    intents=["unexpected_charge"],
    owner="billing@example.com",
    actions=[PlaybookAction(type=ActionType.HANDOFF_TO_AGENT, args={"queue": "billing"})],
    talk_track="I can see the second charge; a billing specialist will take it from here.",
)
CUSTOMER = profile(
    name="Asha Mehta",
    open_cases=[
        {
            "id": "case-77",
            "type": "billing_dispute",
            "opened_at": "2026-11-18T09:00:00Z",
            "summary": "Charged twice for order 5512",
        }
    ],
    vulnerability_flags=["financial_hardship"],
    nps=3,
)
EVENTS = [
    Event(
        id="evt-0",
        ts=NOW - timedelta(hours=4),
        channel="web",
        type="page_view",
        properties={
            "page": "/help/billing/duplicate-charges",
            "page_type": "help",
            "dwell_seconds": 190,
        },
    ),
    Event(
        id="evt-1",
        ts=NOW - timedelta(hours=3),
        channel="web",
        type="invoice_viewed",
        properties={"invoice_id": "INV-9"},
    ),
    Event(
        id="evt-2",
        ts=NOW - timedelta(hours=2),
        channel="chat",
        type="contact",
        text="You charged me twice!",
    ),
    Event(
        id="evt-3",
        ts=NOW - timedelta(hours=1),
        channel="chat",
        type="transfer",
        properties={"from_queue": "shop", "to_queue": "billing"},
    ),
]


def _trace(
    pid: str, call: ActionCall, outcome: Outcome, code: ReasonCode, policy: str
) -> ProposalTrace:
    verdict = Verdict(
        policy_id=policy,
        policy_version="2026.11.1",
        outcome=outcome,
        reason_code=code,
        message=f"{policy} says {code}",
    )
    return ProposalTrace(
        proposal_id=pid,
        call=call,
        playbook_id=PLAYBOOK.id,
        playbook_version=3,
        rationale="r",
        propensity=0.5,
        value=1.0,
        evaluation=Evaluation(outcome=outcome, call=call, verdicts=[verdict]),
    )


def _compose(  # type: ignore[no-untyped-def]
    chosen_playbook: str | None = PLAYBOOK.id,
    events: list[Event] = EVENTS,
    open_cases: tuple[CaseFact, ...] = (),
):
    traces = [
        _trace("p1", HANDOFF, Outcome.ALLOW, ReasonCode.OK, "consent"),
        _trace("p2", OFFER, Outcome.DENY, ReasonCode.SUPPRESSED_OPEN_DISPUTE, "suppression"),
    ]
    chosen = RankedAction(
        proposal_id="p1",
        call=HANDOFF,
        score=0.5,
        probability=1.0,
        outcome=Outcome.ALLOW,
        playbook_id=chosen_playbook,
    )
    return compose_briefing(
        decision_id="dec_1",
        now=NOW,
        profile=CUSTOMER,
        events=events,
        context=RequestContext(direction="inbound", channel="chat", reason="double charge"),
        signals=signals(
            intent="unexpected_charge",
            journey="billing_dispute",
            sentiment="negative",
            effort="high",
        ),
        hits=[PlaybookHit(playbook=PLAYBOOK, score=0.6)],
        traces=traces,
        chosen=chosen,
        open_cases=open_cases,
    )


def test_open_cases_include_those_events_and_our_decisions_opened() -> None:
    reported = CaseFact(
        case_id="BIL-9", case_type="billing_dispute", opened_at=NOW, source="event", ref="evt-9"
    )
    ours = CaseFact(
        case_id="dec_5",
        case_type="technical",
        opened_at=NOW,
        source="decision",
        ref="dec_5",
        status="reserved",
    )
    profiles = CaseFact(
        case_id="case-77", case_type="billing_dispute", opened_at=NOW, source="profile", ref="x"
    )
    briefing = _compose(open_cases=(profiles, reported, ours))
    texts = [item.text for item in briefing.open_cases]
    assert texts == [
        "billing_dispute case case-77 (open, opened 2026-11-18): Charged twice for order 5512",
        "billing_dispute case BIL-9 (open, reported by the case system, 2026-11-20)",
        "technical case dec_5 (opening, opened by our decision, 2026-11-20)",
    ]
    facts = {f.id: (f.source, f.ref) for f in briefing.facts}
    assert [facts[item.fact_ids[0]] for item in briefing.open_cases] == [
        ("case", "case-77"),
        ("event", "evt-9"),
        ("case", "dec_5"),
    ]


def test_every_item_cites_facts_that_exist() -> None:
    briefing = _compose()
    fact_ids = {f.id for f in briefing.facts}
    assert len(fact_ids) == len(briefing.facts)
    assert len(briefing.sections) == 7
    for section in briefing.sections:
        assert section
        for item in section:
            assert set(item.fact_ids) <= fact_ids, item


def test_facts_point_at_their_sources() -> None:
    facts = {(f.source, f.ref) for f in _compose().facts}
    assert ("event", "evt-2") in facts
    assert ("event", "evt-3") in facts
    assert ("case", "case-77") in facts
    assert ("playbook", "billing-dispute-acknowledge@3") in facts
    assert ("profile", "profile.vulnerability_flags") in facts
    assert ("context", "context.reason") in facts


def test_what_went_wrong_keeps_problems_not_browsing() -> None:
    texts = " ".join(item.text for item in _compose().what_went_wrong)
    assert "You charged me twice!" in texts
    assert "transfer" in texts
    assert "invoice_viewed" not in texts


def test_do_not_says_the_action_and_the_reason_in_plain_words() -> None:
    briefing = _compose()
    (item,) = briefing.do_not
    assert item.text == "Do not offer 20% off: Suppression says suppressed_open_dispute."
    (fact,) = [f for f in briefing.facts if f.id in item.fact_ids]
    assert fact.ref == "suppression@2026.11.1:p2"  # the policy and version, for the audit


def test_agent_facing_text_has_no_tool_syntax() -> None:
    briefing = _compose()
    texts = [item.text for section in briefing.sections for item in section]
    texts += [briefing.talk_track or "", briefing.narrative]
    for text in texts:
        assert not re.search(r"\w+=\w|\b[a-z]+_[a-z_]+\(|with_briefing", text), text
    assert briefing.recommended_action[0].text.startswith(
        "Next: Hand over to the billing team (normal priority)"
    )


def test_the_pages_read_are_listed_with_their_time() -> None:
    pages = [item.text for item in _compose().trying_to_do if item.text.startswith("Read ")]
    assert pages == [
        f"Read /help/billing/duplicate-charges for 3 min 10 s "
        f"(web, {EVENTS[0].ts:%Y-%m-%d %H:%M} UTC)."
    ]


def test_the_latest_words_are_under_what_went_wrong() -> None:
    said = [
        Event(
            id=f"msg-{n}",
            ts=NOW - timedelta(minutes=50 - n),
            channel="chat",
            type="chat_message",
            text=f"message {n}",
        )
        for n in range(5)
    ]
    wrong = [item.text for item in _compose(events=[*EVENTS, *said]).what_went_wrong]
    quoted = [text for text in wrong if text.startswith("Said on chat")]
    assert [text.rsplit(" ", 1)[-1] for text in quoted] == ["2\u201d", "3\u201d", "4\u201d"]
    assert any("transfer" in text for text in wrong)


def test_recommended_action_carries_the_talk_track() -> None:
    briefing = _compose()
    assert "billing" in briefing.recommended_action[0].text
    assert briefing.talk_track == PLAYBOOK.talk_track


def test_safe_default_is_cited_as_policy() -> None:
    briefing = _compose(chosen_playbook=None)
    fact = next(f for f in briefing.facts if f.id == briefing.recommended_action[0].fact_ids[0])
    assert fact.ref == "safe_default"
    assert briefing.talk_track is None


def test_narrative_cites_every_sentence() -> None:
    narrative = _compose().narrative
    sentences = [s for s in narrative.split(". ") if s.strip()]
    assert all("[f" in sentence for sentence in sentences), narrative


def test_markdown_has_sections_talk_track_and_facts() -> None:
    markdown = render_markdown(_compose())
    for heading in ("## Customer", "## What went wrong", "## Do not", "**Talk track**", "## Facts"):
        assert heading in markdown
    assert "> I can see the second charge" in markdown


def _compose_with(signals_update: dict[str, object]):  # type: ignore[no-untyped-def]
    """The standard briefing, with some signals replaced."""
    base = signals(
        intent="unexpected_charge", journey="billing_dispute", sentiment="negative", effort="high"
    )
    return compose_briefing(
        decision_id="dec_1",
        now=NOW,
        profile=CUSTOMER,
        events=EVENTS,
        context=RequestContext(direction="inbound", channel="chat", reason="double charge"),
        signals=base.model_copy(update=signals_update),
        hits=[PlaybookHit(playbook=PLAYBOOK, score=0.6)],
        traces=[],
        chosen=RankedAction(
            proposal_id="p1",
            call=HANDOFF,
            score=0.5,
            probability=1.0,
            outcome=Outcome.ALLOW,
            playbook_id=PLAYBOOK.id,
        ),
    )


INTENT_FROM_EVT2 = IntentSignal(
    name="unexpected_charge",
    journey="billing_dispute",
    score=0.7,
    evidence=[Evidence(source="event", ref="evt-2", detail="closest to 'charged again': 0.61")],
)
"""An intent that evt-2 ("You charged me twice!") showed."""


def test_an_event_that_shows_intent_is_cited_by_its_own_content() -> None:
    briefing = _compose_with({"intent": INTENT_FROM_EVT2})
    facts = {(f.source, f.ref): f.text for f in briefing.facts}
    assert "You charged me twice!" in facts[("event", "evt-2")]
    assert "0.61" in facts[("signal", "signals.intent.evidence[evt-2]")]


def test_every_number_an_item_states_is_in_a_fact_it_cites() -> None:
    briefing = _compose_with({"intent": INTENT_FROM_EVT2})
    texts = {f.id: f.text for f in briefing.facts}
    for item in (item for section in briefing.sections for item in section):
        cited = " ".join(texts[f] for f in item.fact_ids)
        for number in re.findall(r"\d+(?:\.\d+)?", item.text):
            assert number in cited, (number, item.text, cited)


def test_praise_with_high_effort_is_not_reported_as_positive_mood() -> None:
    sentiment = SentimentSignal(compound=0.48, label="positive", texts_scored=3)
    briefing = _compose_with({"sentiment": sentiment})
    mood = briefing.sentiment_and_effort[0]
    assert "sentiment positive" not in mood.text.lower()
    assert "frustration" in mood.text
    effort_fact = next(f for f in briefing.facts if f.ref == "signals.effort")
    assert effort_fact.id in mood.fact_ids
