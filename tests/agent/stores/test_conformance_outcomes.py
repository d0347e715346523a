"""OutcomeStore conformance: append-only reports, replays, conflicts, batches, follow-ups."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from agent.config import OutcomeConfig
from agent.events import Event
from agent.outcomes import OutcomeIn, OutcomeType
from agent.outcomes.store import OutcomesRejected, OutcomeStore
from agent.stores.customers import CustomerStore
from agent.stores.decision_log import DecisionLog
from tests.factories import NOW, profile
from tools import ActionType, Channel

if TYPE_CHECKING:
    from tests.agent.conftest import MakeRecord
    from tests.agent.stores.conftest import Backend

LATER = NOW + timedelta(minutes=30)


def _in(oid: str, kind: str, **extra: Any) -> OutcomeIn:
    return OutcomeIn.model_validate({"id": oid, "type": kind, **extra})


@pytest.fixture
def decision_id(decisions: DecisionLog, make_record: MakeRecord) -> str:
    return decisions.append(make_record()).decision_id


def test_a_report_is_stored_as_sent(outcomes: OutcomeStore, decision_id: str) -> None:
    value = {"amount": "49.90", "currency": "EUR"}
    report = _in("o-1", "converted", value=value, source="shop", note="order 5531")
    [appended] = outcomes.append([(decision_id, report)], now=LATER)

    assert not appended.replayed
    record = appended.record
    assert (record.decision_id, record.customer_id, record.type) == (
        decision_id,
        "cus_1",
        OutcomeType.CONVERTED,
    )
    assert record.ts == record.recorded_at == LATER  # no ts: when it was received
    assert record.value is not None
    assert record.value.amount == Decimal("49.90")
    assert (record.source, record.note) == ("shop", "order 5531")
    assert outcomes.outcomes_of([decision_id]) == {decision_id: [record]}


def test_the_same_report_again_is_replayed_never_doubled(
    outcomes: OutcomeStore, decision_id: str
) -> None:
    report = _in("o-1", "executed", source="crm")
    [first] = outcomes.append([(decision_id, report)], now=LATER)
    [again] = outcomes.append([(decision_id, report)], now=LATER + timedelta(hours=1))

    assert again.replayed
    assert again.record == first.record
    assert len(outcomes.outcomes_of([decision_id])[decision_id]) == 1


def test_a_reused_id_with_other_content_is_refused(
    outcomes: OutcomeStore, decision_id: str
) -> None:
    outcomes.append([(decision_id, _in("o-1", "executed"))], now=LATER)
    with pytest.raises(OutcomesRejected) as refused:
        outcomes.append([(decision_id, _in("o-1", "declined"))], now=LATER)
    [problem] = refused.value.problems
    assert (problem.index, problem.field, problem.kind) == (0, "id", "mismatch")


def test_an_unknown_decision_is_refused(outcomes: OutcomeStore) -> None:
    with pytest.raises(OutcomesRejected) as refused:
        outcomes.append([("dec_nope", _in("o-1", "executed"))], now=LATER)
    [problem] = refused.value.problems
    assert (problem.field, problem.kind) == ("decision_id", "not_found")
    assert "dec_nope" in problem.message


@pytest.mark.parametrize(
    ("first", "second", "says"),
    [
        pytest.param("declined", "converted", "reported declined", id="converted-after-declined"),
        pytest.param("executed", "declined", "reported executed", id="declined-after-executed"),
        pytest.param("accepted", "rejected", "contradicts", id="rejected-after-accepted"),
        pytest.param("rejected", "converted", "contradicts", id="converted-after-rejected"),
        pytest.param("accepted", "no_response", "responded", id="no-response-after-accepted"),
        pytest.param("executed", "executed", "already reported", id="executed-twice"),
    ],
)
def test_a_contradiction_is_refused(
    outcomes: OutcomeStore, decision_id: str, first: str, second: str, says: str
) -> None:
    outcomes.append([(decision_id, _in("o-1", first))], now=LATER)
    with pytest.raises(OutcomesRejected) as refused:
        outcomes.append([(decision_id, _in("o-2", second))], now=LATER)
    [problem] = refused.value.problems
    assert (problem.field, problem.kind) == ("type", "conflict")
    assert says in problem.message
    assert "'o-1'" in problem.message
    assert len(outcomes.outcomes_of([decision_id])[decision_id]) == 1


def test_conversions_add_up_and_a_late_response_is_taken(
    outcomes: OutcomeStore, decision_id: str
) -> None:
    reports = [
        _in("o-1", "executed"),
        _in("o-2", "no_response"),
        _in("o-3", "converted", value={"amount": "10", "currency": "EUR"}),
        _in("o-4", "converted", value={"amount": "5", "currency": "EUR"}),
    ]
    outcomes.append([(decision_id, r) for r in reports], now=LATER)
    stored = outcomes.outcomes_of([decision_id])[decision_id]
    assert [o.outcome_id for o in stored] == ["o-1", "o-2", "o-3", "o-4"]


def test_an_outcome_dated_before_its_decision_is_refused(
    outcomes: OutcomeStore, decision_id: str
) -> None:
    with pytest.raises(OutcomesRejected) as refused:
        outcomes.append(
            [(decision_id, _in("o-1", "executed", ts=NOW - timedelta(seconds=1)))], now=LATER
        )
    [problem] = refused.value.problems
    assert problem.kind == "conflict"
    assert "before its decision" in problem.message


def test_an_outcome_dated_in_the_future_is_invalid(
    outcomes: OutcomeStore, decision_id: str
) -> None:
    with pytest.raises(OutcomesRejected) as refused:
        outcomes.append(
            [(decision_id, _in("o-1", "executed", ts=LATER + timedelta(hours=1)))], now=LATER
        )
    assert [(p.field, p.kind) for p in refused.value.problems] == [("ts", "invalid")]


def test_a_batch_is_all_or_nothing(outcomes: OutcomeStore, decision_id: str) -> None:
    batch = [
        (decision_id, _in("o-1", "executed")),
        ("dec_nope", _in("o-2", "executed")),
        (decision_id, _in("o-3", "accepted")),
        (decision_id, _in("o-4", "rejected")),  # contradicts o-3 in the same batch
    ]
    with pytest.raises(OutcomesRejected) as refused:
        outcomes.append(batch, now=LATER)
    assert [(p.index, p.kind) for p in refused.value.problems] == [
        (1, "not_found"),
        (3, "conflict"),
    ]
    assert outcomes.outcomes_of([decision_id]) == {decision_id: []}


def test_a_batch_replays_what_it_repeats(outcomes: OutcomeStore, decision_id: str) -> None:
    report = _in("o-1", "executed")
    results = outcomes.append([(decision_id, report), (decision_id, report)], now=LATER)
    assert [r.replayed for r in results] == [False, True]
    assert len(outcomes.outcomes_of([decision_id])[decision_id]) == 1


def test_outcomes_survive_reopening(backend: Backend, decision_id: str) -> None:
    store = backend.outcomes()
    [appended] = store.append([(decision_id, _in("o-1", "executed"))], now=LATER)
    store.close()
    assert backend.outcomes().outcomes_of([decision_id])[decision_id] == [appended.record]


def test_concurrent_retries_store_one_row(outcomes: OutcomeStore, decision_id: str) -> None:
    report = _in("o-1", "executed", source="crm")

    def send(_: int) -> bool:
        return outcomes.append([(decision_id, report)], now=LATER)[0].replayed

    with ThreadPoolExecutor(max_workers=8) as pool:
        replayed = list(pool.map(send, range(16)))
    assert replayed.count(False) == 1
    assert len(outcomes.outcomes_of([decision_id])[decision_id]) == 1


# -- facts and follow-ups ----------------------------------------------------------------------

INBOUND = {"direction": "inbound", "channel": "chat"}


def _store_customer(customers: CustomerStore, *events: Event) -> None:
    customers.put_profile(profile(customer_id="cus_1"))
    customers.append_events("cus_1", list(events))


def _event(event_id: str, ts: datetime, type: str, **properties: Any) -> Event:
    return Event(id=event_id, ts=ts, channel=Channel.CHAT, type=type, properties=properties)


def test_decision_facts_say_what_counts_as_a_contact(
    decisions: DecisionLog, outcomes: OutcomeStore, make_record: MakeRecord
) -> None:
    contact = make_record(context=INBOUND, intent="double_charge")
    cases = {
        "contact": contact,
        "by-journey": make_record(context=INBOUND, journey="billing_dispute"),
        "no-topic": make_record(context=INBOUND),
        "outbound": make_record(intent="double_charge"),
        "briefing": make_record(context=INBOUND, intent="double_charge", kind="briefing"),
        "first-of-chat": make_record(
            context={**INBOUND, "interaction_id": "chat-9"}, intent="x", created_at=NOW
        ),
        "later-in-chat": make_record(
            context={**INBOUND, "interaction_id": "chat-9"},
            intent="x",
            created_at=NOW + timedelta(minutes=2),
        ),
    }
    for record in cases.values():
        decisions.append(record)
    facts = {name: outcomes.decision_facts(r.decision_id) for name, r in cases.items()}
    assert {name: f.is_contact for name, f in facts.items() if f is not None} == {
        "contact": True,
        "by-journey": True,
        "no-topic": False,
        "outbound": False,
        "briefing": False,
        "first-of-chat": True,
        "later-in-chat": False,
    }
    first = facts["contact"]
    assert first is not None
    assert (first.topic, first.direction, first.created_at) == ("double_charge", "inbound", NOW)
    assert facts["by-journey"] is not None
    assert facts["by-journey"].topic == "billing_dispute"
    assert outcomes.decision_facts("dec_nope") is None


def test_followups_find_the_repeat_contact(
    decisions: DecisionLog, outcomes: OutcomeStore, make_record: MakeRecord
) -> None:
    config = OutcomeConfig(repeat_contact_days=30)
    chat = {**INBOUND, "interaction_id": "chat-1"}
    first = decisions.append(make_record(context=chat, intent="double_charge"))
    decisions.append(  # the same conversation: not a repeat
        make_record(context=chat, intent="double_charge", created_at=NOW + timedelta(minutes=5))
    )
    decisions.append(  # another topic
        make_record(context=INBOUND, intent="lost_card", created_at=NOW + timedelta(days=1))
    )
    decisions.append(  # outbound
        make_record(intent="double_charge", created_at=NOW + timedelta(days=2))
    )
    repeat = decisions.append(
        make_record(context=INBOUND, intent="double_charge", created_at=NOW + timedelta(days=3))
    )
    decisions.append(
        make_record(context=INBOUND, intent="double_charge", created_at=NOW + timedelta(days=4))
    )
    facts = outcomes.decision_facts(first.decision_id)
    assert facts is not None
    found = outcomes.followups(facts, config)
    assert found.repeat == (repeat.decision_id, NOW + timedelta(days=3))
    assert outcomes.followups(facts, OutcomeConfig(repeat_contact_days=2)).repeat is None


def test_followups_find_transfers_and_linked_events(
    customers: CustomerStore,
    decisions: DecisionLog,
    outcomes: OutcomeStore,
    make_record: MakeRecord,
) -> None:
    handoff = decisions.append(
        make_record(action_type=ActionType.HANDOFF_TO_AGENT, context=INBOUND, intent="x")
    )
    message = decisions.append(make_record(created_at=NOW + timedelta(minutes=1)))
    _store_customer(
        customers,
        _event("t1", NOW + timedelta(minutes=10), "transfer"),
        _event("t2", NOW + timedelta(minutes=50), "transfer"),
        _event("t3", NOW + timedelta(hours=3), "transfer"),  # past the window
        _event("m1", NOW + timedelta(minutes=4), "message_sent", decision_id=message.decision_id),
        _event("m2", NOW + timedelta(minutes=2), "page_view", decision_id=message.decision_id),
    )
    config = OutcomeConfig(transfer_window_minutes=60)

    handoff_facts = outcomes.decision_facts(handoff.decision_id)
    assert handoff_facts is not None
    found = outcomes.followups(handoff_facts, config)
    assert found.transfers == (
        ("t1", NOW + timedelta(minutes=10)),
        ("t2", NOW + timedelta(minutes=50)),
    )
    assert found.executed_by_event is None

    message_facts = outcomes.decision_facts(message.decision_id)
    assert message_facts is not None
    linked = outcomes.followups(message_facts, config).executed_by_event
    assert linked == ("m1", NOW + timedelta(minutes=4))
    assert outcomes.linked_executions([message.decision_id, handoff.decision_id]) == {
        message.decision_id: NOW + timedelta(minutes=4)
    }
