"""A decision's life after the response, and the outcomes behaviour implies, on fixed
timelines."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from agent.config import OutcomeConfig
from agent.outcomes import (
    DecisionFacts,
    DecisionState,
    Followups,
    OutcomeRecordV1,
    OutcomeType,
    conflict,
    lifecycle,
    state_of,
)
from tests.factories import NOW
from tools import ActionType

CONFIG = OutcomeConfig(reservation_ttl_s=900, repeat_contact_days=30)


def facts(**overrides: Any) -> DecisionFacts:
    data: dict[str, Any] = {
        "decision_id": "dec_1",
        "customer_id": "cus_1",
        "kind": "decision",
        "created_at": NOW,
        "effective_at": NOW,
        "action_type": ActionType.SEND_MESSAGE,
        "direction": "outbound",
        "topic": None,
        "is_contact": False,
    }
    data.update(overrides)
    return DecisionFacts(**data)


def outcome(kind: str, ts: datetime, oid: str | None = None) -> OutcomeRecordV1:
    return OutcomeRecordV1(
        outcome_id=oid or kind,
        decision_id="dec_1",
        customer_id="cus_1",
        type=OutcomeType(kind),
        ts=ts,
        recorded_at=ts,
        fingerprint="f",
    )


@pytest.mark.parametrize(
    ("reported", "at", "state"),
    [
        pytest.param([], NOW + timedelta(minutes=14), DecisionState.RECOMMENDED, id="fresh"),
        pytest.param([], NOW + timedelta(minutes=15), DecisionState.EXPIRED, id="ttl-passed"),
        pytest.param(
            ["executed"], NOW + timedelta(minutes=1), DecisionState.EXECUTED, id="executed"
        ),
        pytest.param(["accepted"], NOW + timedelta(days=9), DecisionState.EXECUTED, id="implied"),
        pytest.param(
            ["declined"], NOW + timedelta(minutes=1), DecisionState.DECLINED, id="declined"
        ),
        pytest.param(
            ["complained"], NOW + timedelta(days=1), DecisionState.EXECUTED, id="complaint"
        ),
    ],
)
def test_state(reported: list[str], at: datetime, state: DecisionState) -> None:
    rows = [outcome(kind, NOW + timedelta(minutes=1)) for kind in reported]
    assert state_of(NOW, rows, at, CONFIG) is state


def test_an_event_naming_the_decision_executes_it() -> None:
    later = NOW + timedelta(hours=2)
    assert state_of(NOW, [], later, CONFIG) is DecisionState.EXPIRED
    assert state_of(NOW, [], later, CONFIG, linked_execution=later) is DecisionState.EXECUTED
    linked = Followups(executed_by_event=("evt_1", NOW + timedelta(minutes=3)))
    assert lifecycle(facts(), [], linked, later, CONFIG).state is DecisionState.EXECUTED


def test_no_response_is_derived_when_the_window_closes() -> None:
    executed = [outcome("executed", NOW + timedelta(hours=1))]
    closes = NOW + timedelta(days=7)  # send_message's window, counted from when it takes effect
    before = lifecycle(facts(), executed, Followups(), closes - timedelta(seconds=1), CONFIG)
    after = lifecycle(facts(), executed, Followups(), closes, CONFIG)
    assert before.derived == []
    assert before.response_window_closes_at == closes
    assert [(d.type, d.ts) for d in after.derived] == [("no_response", closes)]


@pytest.mark.parametrize(
    ("reported", "action"),
    [
        pytest.param(["executed", "accepted"], ActionType.SEND_MESSAGE, id="responded"),
        pytest.param(["executed", "no_response"], ActionType.SEND_MESSAGE, id="reported"),
        pytest.param([], ActionType.SEND_MESSAGE, id="never-executed"),
        pytest.param(["executed"], ActionType.NO_ACTION, id="no-window"),
    ],
)
def test_no_response_is_not_derived(reported: list[str], action: ActionType) -> None:
    rows = [outcome(kind, NOW + timedelta(hours=1)) for kind in reported]
    later = NOW + timedelta(days=60)
    derived = lifecycle(facts(action_type=action), rows, Followups(), later, CONFIG).derived
    assert derived == []


def test_first_contact_resolution_on_a_timeline() -> None:
    contact = facts(direction="inbound", topic="double_charge", is_contact=True)
    window_closes = NOW + timedelta(days=30)
    open_ = lifecycle(contact, [], Followups(), window_closes - timedelta(seconds=1), CONFIG)
    closed = lifecycle(contact, [], Followups(), window_closes, CONFIG)
    repeat = Followups(repeat=("dec_2", NOW + timedelta(days=3)))
    repeated = lifecycle(contact, [], repeat, NOW + timedelta(days=4), CONFIG)

    assert open_.first_contact_resolution is None
    assert closed.first_contact_resolution is True
    assert repeated.first_contact_resolution is False
    assert [(d.type, d.ts, d.evidence) for d in repeated.derived] == [
        ("repeat_contact", NOW + timedelta(days=3), "decision dec_2 on double_charge")
    ]
    assert lifecycle(facts(), [], repeat, NOW, CONFIG).first_contact_resolution is None


def test_a_transfer_after_a_handoff_or_a_contact() -> None:
    transfers = Followups(transfers=(("evt_t", NOW + timedelta(minutes=8)),))
    handoff = facts(action_type=ActionType.HANDOFF_TO_AGENT)
    contact = facts(direction="inbound", topic="x", is_contact=True)
    for subject in (handoff, contact):
        derived = lifecycle(subject, [], transfers, NOW + timedelta(hours=1), CONFIG).derived
        assert [(d.type, d.evidence) for d in derived] == [("transferred", "event evt_t")]
    assert lifecycle(facts(), [], transfers, NOW + timedelta(hours=1), CONFIG).derived == []


def test_briefings_reserve_nothing() -> None:
    decision = lifecycle(facts(), [], Followups(), NOW, CONFIG)
    briefing = lifecycle(facts(kind="briefing"), [], Followups(), NOW, CONFIG)
    assert decision.reservation_expires_at == NOW + timedelta(minutes=15)
    assert briefing.reservation_expires_at is None


def test_conflict_names_the_earlier_report() -> None:
    declined = outcome("declined", NOW + timedelta(minutes=1), oid="crm-1")
    problem = conflict(facts(), [declined], OutcomeType.CONVERTED, NOW + timedelta(hours=1))
    assert problem == (
        "the decision was reported declined, so it cannot be converted (outcome 'crm-1')"
    )
    assert conflict(facts(), [], OutcomeType.EXECUTED, NOW) is None
