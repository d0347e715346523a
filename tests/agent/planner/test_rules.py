from __future__ import annotations

from typing import Any

import pytest

from agent.context import RequestContext
from agent.planner.rules import RELATIVE_FLOOR, check_conditions, fit, plan_rules
from agent.playbooks.conditions import build_activation
from agent.playbooks.model import Playbook, PlaybookAction, PlaybookHit
from policies import CaseFact
from tests.factories import CALIBRATION, NOW, profile, signals
from tools import ActionType


def _playbook(
    pid: str,
    *,
    journey: str = "tech_support",
    conditions: list[str] | None = None,
    actions: list[PlaybookAction] | None = None,
) -> Playbook:
    return Playbook(
        id=pid,
        version=1,
        title=f"Playbook {pid}",
        journey=journey,
        intents=["app_crash"],
        owner="qa@example.com",
        conditions=conditions or [],
        actions=actions
        or [
            PlaybookAction(
                type=ActionType.RECOMMEND_ARTICLE,
                weight=0.8,
                args={"article_id": "kb-1", "channel": "web"},
            )
        ],
    )


def _plan(  # type: ignore[no-untyped-def]
    hits: list[PlaybookHit],
    open_cases: tuple[CaseFact, ...] = (),
    said: bool = False,
    runner_up: tuple[str, float] | None = None,
    **signal_args: Any,
):
    sig = signals(**signal_args)
    if said:  # the customer's words were read: intent candidates exist
        candidates = [(sig.intent.name, 0.7), *([runner_up] if runner_up else [])]
        words = sig.intent.model_copy(update={"candidates": candidates})
        sig = sig.model_copy(update={"intent": words})
    context = RequestContext(direction="inbound", channel="chat")
    activation = build_activation(profile(), sig, context, NOW)
    return plan_rules(
        check_conditions(hits, activation),
        activation=activation,
        profile=profile(),
        signals=sig,
        context=context,
        now=NOW,
        calibration=CALIBRATION,
        open_cases=open_cases,
    )


def test_one_proposal_per_action_with_its_playbook() -> None:
    proposals, notes = _plan([PlaybookHit(playbook=_playbook("pa"), score=0.6)])
    assert notes == []
    (proposal,) = proposals
    assert proposal.call.type is ActionType.RECOMMEND_ARTICLE
    assert (proposal.playbook_id, proposal.playbook_version) == ("pa", 1)
    assert proposal.propensity == 0.8  # full fit at similarity 0.6


def test_fit_rewards_journey_and_intent_agreement() -> None:
    hit = PlaybookHit(playbook=_playbook("pa"), score=0.3)
    assert fit(hit, signals(), CALIBRATION) == pytest.approx(0.5)
    assert fit(hit, signals(journey="tech_support"), CALIBRATION) == pytest.approx(0.7)
    assert fit(
        hit, signals(journey="tech_support", intent="app_crash"), CALIBRATION
    ) == pytest.approx(0.9)
    assert (
        fit(
            PlaybookHit(playbook=_playbook("pa"), score=0.9),
            signals(journey="tech_support"),
            CALIBRATION,
        )
        == 1.0
    )


def test_unmet_and_failing_conditions_are_noted_not_raised() -> None:
    hits = [
        PlaybookHit(
            playbook=_playbook("high", conditions=['signals.effort.level == "high"']), score=0.6
        ),
        PlaybookHit(
            playbook=_playbook("broken", conditions=["profile.churn_risk > 0.5"]), score=0.6
        ),
    ]
    proposals, notes = _plan(hits, effort="low")
    assert proposals == []
    assert notes[0].note == "conditions not met"
    assert "profile.churn_risk > 0.5" in notes[1].note


def test_weak_matches_are_dropped_unless_their_conditions_target_the_customer() -> None:
    hits = [
        PlaybookHit(playbook=_playbook("strong"), score=0.6),
        PlaybookHit(
            playbook=_playbook(
                "weak", actions=[PlaybookAction(type=ActionType.NO_ACTION, args={"reason": "r"})]
            ),
            score=0.6 * RELATIVE_FLOOR - 0.01,
        ),
        PlaybookHit(
            playbook=_playbook(
                "targeted",
                conditions=['context.direction == "inbound"'],
                actions=[
                    PlaybookAction(type=ActionType.HOLD_OUTREACH, args={"hours": 2, "reason": "r"})
                ],
            ),
            score=0.2,
        ),
    ]
    proposals, notes = _plan(hits)
    assert [p.playbook_id for p in proposals] == ["strong", "targeted"]
    assert notes[0].note.startswith("weak match")


def test_action_when_and_invalid_defaults_are_skipped_with_a_note() -> None:
    playbook = _playbook(
        "pa",
        actions=[
            PlaybookAction(
                type=ActionType.HOLD_OUTREACH,
                when='context.direction == "outbound"',
                args={"hours": 2, "reason": "r"},
            ),
            PlaybookAction(type=ActionType.HOLD_OUTREACH, args={"hours": 0, "reason": "r"}),
            PlaybookAction(
                type=ActionType.OPEN_CASE,
                args={"case_type": "technical", "queue": "t2", "summary": "s"},
            ),
        ],
    )
    proposals, notes = _plan([PlaybookHit(playbook=playbook, score=0.6)])
    assert [p.call.type for p in proposals] == [ActionType.OPEN_CASE]
    assert "when not met" in notes[0].note
    assert notes[1].note.startswith(
        "hold_outreach.args.hours: Input should be greater than or equal to 1"
    )


def test_the_same_call_from_two_playbooks_is_proposed_once() -> None:
    hits = [
        PlaybookHit(playbook=_playbook("pa"), score=0.6),
        PlaybookHit(playbook=_playbook("pb"), score=0.5),
    ]
    proposals, _ = _plan(hits)
    assert [p.playbook_id for p in proposals] == ["pa"]


def test_a_case_of_a_type_already_open_is_updated_not_opened_again() -> None:
    opening = PlaybookAction(
        type=ActionType.OPEN_CASE,
        weight=0.7,
        args={
            "case_type": "technical",
            "queue": "tech",
            "summary": "crash on start",
            "priority": "high",
        },
    )
    hits = [PlaybookHit(playbook=_playbook("pa", actions=[opening]), score=0.6)]
    (fresh,), _ = _plan(hits)
    assert fresh.call.type is ActionType.OPEN_CASE
    open_case = CaseFact(
        case_id="CS-7", case_type="technical", opened_at=NOW, source="profile", ref="CS-7"
    )
    other = open_case.model_copy(update={"case_id": "CS-8", "case_type": "complaint"})
    (update,), _ = _plan(hits, open_cases=(other, open_case))
    assert update.call.model_dump(mode="json") == {
        "type": "update_case",
        "args": {
            "case_id": "CS-7",
            "case_type": "technical",
            "note": "crash on start",
            "priority": "high",
        },
    }
    assert update.rationale.endswith("not a second case")
    assert (update.playbook_id, update.propensity) == ("pa", fresh.propensity)


def test_a_playbook_selected_by_its_conditions_acts_whenever_they_hold() -> None:
    hold = PlaybookAction(
        type=ActionType.HOLD_OUTREACH, weight=0.9, args={"hours": 720, "reason": "care"}
    )
    care = _playbook("care", journey="general", conditions=["true"], actions=[hold])
    near = _playbook("near")
    hits = [PlaybookHit(playbook=near, score=0.6), PlaybookHit(playbook=care, score=0.01)]
    proposals, notes = _plan(hits, said=True, intent="app_crash")  # words: cut-offs apply
    assert [p.playbook_id for p in proposals] == ["near"]
    assert "unrelated" in notes[0].note

    targeted = care.model_copy(update={"selected_by": "conditions"})
    hits[1] = PlaybookHit(playbook=targeted, score=0.01)
    proposals, _ = _plan(hits, said=True, intent="app_crash")
    by_id = {p.playbook_id: p for p in proposals}
    assert by_id["care"].propensity == 0.9  # a full fit: its conditions are its target
    failing = targeted.model_copy(update={"conditions": ["false"]})
    proposals, _ = _plan([PlaybookHit(playbook=failing, score=0.01)], said=True, intent="app_crash")
    assert proposals == []


def test_selected_by_conditions_needs_conditions() -> None:
    with pytest.raises(ValueError, match="needs at least one condition"):
        Playbook.model_validate(
            {**_playbook("px").model_dump(), "selected_by": "conditions", "conditions": []}
        )


def test_words_that_fit_two_intents_get_no_automated_answer_to_one_of_them() -> None:
    handoff = PlaybookAction(
        type=ActionType.HANDOFF_TO_AGENT, weight=0.5, args={"queue": "tech", "reason": "r"}
    )
    crash_only = _playbook("crash", actions=[_playbook("px").actions[0], handoff])
    article = PlaybookAction(
        type=ActionType.RECOMMEND_ARTICLE, weight=0.8, args={"article_id": "kb-2", "channel": "web"}
    )
    both = _playbook("both", actions=[article]).model_copy(
        update={"intents": ["app_crash", "slow_performance"]}
    )
    hits = [PlaybookHit(playbook=crash_only, score=0.6), PlaybookHit(playbook=both, score=0.6)]

    close = ("slow_performance", 0.7 - CALIBRATION.ambiguous_margin / 2)
    proposals, notes = _plan(hits, said=True, intent="app_crash", runner_up=close)
    kept = {(p.playbook_id, p.call.type) for p in proposals}
    assert kept == {("crash", ActionType.HANDOFF_TO_AGENT), ("both", ActionType.RECOMMEND_ARTICLE)}
    assert [(n.playbook_id, n.action_type, n.note) for n in notes] == [
        (
            "crash@1",
            ActionType.RECOMMEND_ARTICLE,
            "held back: the words fit app_crash and slow_performance almost equally",
        )
    ]

    clear = ("slow_performance", 0.7 - CALIBRATION.ambiguous_margin * 2)
    proposals, notes = _plan(hits, said=True, intent="app_crash", runner_up=clear)
    assert len(proposals) == 3
    assert notes == []
