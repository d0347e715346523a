"""OutcomeStore conformance, the ledger: the contacts and spends contact accounting reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from agent.approvals.store import ApprovalStore
from agent.outcomes import OutcomeIn, OutcomeType
from agent.outcomes.store import OutcomeStore
from agent.stores.decision_log import DecisionLog
from policies.verdict import Outcome
from tests.agent.stores.approval_steps import open_approval
from tests.factories import NOW
from tools import ActionType, Channel, Purpose, parse_action

if TYPE_CHECKING:
    from tests.agent.conftest import MakeRecord

WEEK = timedelta(days=7)


def _report(outcomes: OutcomeStore, decision_id: str, kind: str, ts: datetime) -> None:
    outcomes.append([(decision_id, OutcomeIn(id="o1", type=OutcomeType(kind), ts=ts))], now=ts)


def test_ledger_holds_chosen_contacts_and_spends(
    decisions: DecisionLog, outcomes: OutcomeStore, make_record: MakeRecord
) -> None:
    listed = [
        make_record(channel=Channel.SMS, purpose=Purpose.MARKETING),
        make_record(action_type=ActionType.OFFER_INCENTIVE, channel=Channel.PUSH),
        make_record(action_type=ActionType.APPLY_GOODWILL_CREDIT),  # a spend, no contact
        make_record(outcome=Outcome.REQUIRE_APPROVAL, approval_required=True),
        make_record(kind="briefing"),
        make_record(action_type=ActionType.OPEN_CASE),  # a case that is open: none twice
    ]
    left_out = [
        make_record(action_type=ActionType.UPDATE_CASE),
        make_record(outcome=Outcome.DENY),
        make_record(action_type=ActionType.HANDOFF_TO_AGENT),
        make_record(action_type=ActionType.RECOMMEND_ARTICLE),
        make_record(action_type=ActionType.NO_ACTION),
        make_record(customer_id="cus_other"),
    ]
    for record in listed + left_out:
        decisions.append(record)

    entries = outcomes.ledger("cus_1", since=NOW - WEEK, as_of=NOW)
    assert sorted(e.decision_id for e in entries) == sorted(r.decision_id for r in listed)
    by_id = {e.decision_id: e for e in entries}
    sms = by_id[listed[0].decision_id]
    assert (sms.channel, sms.purpose, sms.contacts_customer) == (
        Channel.SMS,
        Purpose.MARKETING,
        True,
    )
    assert (sms.executed_at, sms.declined, sms.unsubscribed_at) == (None, False, None)
    credit = by_id[listed[2].decision_id]
    assert (credit.contacts_customer, credit.incentive_kind, credit.incentive_value) == (
        False,
        "goodwill_credit",
        Decimal("15.00"),
    )
    assert by_id[listed[4].decision_id].kind == "briefing"
    case = by_id[listed[5].decision_id]
    assert (case.case_type, case.contacts_customer, case.incentive_kind) == (
        "technical",
        False,
        None,
    )
    assert {e.case_type for e in entries if e is not case} == {None}


def test_ledger_carries_what_was_reported(
    decisions: DecisionLog, outcomes: OutcomeStore, make_record: MakeRecord
) -> None:
    executed, declined, accepted, unsubscribed = (make_record() for _ in range(4))
    for record in (executed, declined, accepted, unsubscribed):
        decisions.append(record)
    _report(outcomes, executed.decision_id, "executed", NOW + timedelta(minutes=3))
    _report(outcomes, declined.decision_id, "declined", NOW + timedelta(minutes=1))
    _report(outcomes, accepted.decision_id, "accepted", NOW + timedelta(minutes=2))
    _report(outcomes, unsubscribed.decision_id, "unsubscribed", NOW + timedelta(minutes=4))

    later = NOW + timedelta(hours=1)
    by_id = {e.decision_id: e for e in outcomes.ledger("cus_1", since=NOW - WEEK, as_of=later)}
    assert by_id[executed.decision_id].executed_at == NOW + timedelta(minutes=3)
    assert by_id[declined.decision_id].declined
    assert by_id[declined.decision_id].executed_at is None
    assert by_id[accepted.decision_id].executed_at == NOW + timedelta(minutes=2)  # implied
    assert by_id[unsubscribed.decision_id].unsubscribed_at == NOW + timedelta(minutes=4)
    assert by_id[unsubscribed.decision_id].executed_at == NOW + timedelta(minutes=4)


def test_ledger_as_of_leaves_out_later_reports_and_decisions(
    decisions: DecisionLog, outcomes: OutcomeStore, make_record: MakeRecord
) -> None:
    first = make_record()
    decisions.append(first)
    decisions.append(make_record(created_at=NOW + timedelta(hours=2)))
    _report(outcomes, first.decision_id, "executed", NOW + timedelta(hours=1))

    entries = outcomes.ledger("cus_1", since=NOW - WEEK, as_of=NOW + timedelta(minutes=30))
    assert [(e.decision_id, e.executed_at) for e in entries] == [(first.decision_id, None)]


def test_ledger_contact_time_is_when_it_takes_effect(
    decisions: DecisionLog, outcomes: OutcomeStore, make_record: MakeRecord
) -> None:
    send_at = NOW + timedelta(hours=9)
    deferred = parse_action(
        {
            "type": "send_message",
            "args": {
                "channel": "email",
                "purpose": "service",
                "template_id": "tpl_help",
                "send_at": send_at,
            },
        }
    )
    decisions.append(make_record(call=deferred))
    decisions.append(make_record(action_type=ActionType.SCHEDULE_CALLBACK))  # at = NOW + 2h

    entries = outcomes.ledger("cus_1", since=NOW - WEEK, as_of=NOW)
    assert [(e.effective_at, e.action_type) for e in entries] == [
        (NOW + timedelta(hours=2), ActionType.SCHEDULE_CALLBACK),
        (send_at, ActionType.SEND_MESSAGE),
    ]


def test_ledger_window(
    decisions: DecisionLog, outcomes: OutcomeStore, make_record: MakeRecord
) -> None:
    since = NOW - WEEK
    decisions.append(make_record(created_at=since - timedelta(microseconds=1)))
    decisions.append(make_record(created_at=since))
    # decided before the window, but it reaches the customer inside it
    decisions.append(
        make_record(action_type=ActionType.SCHEDULE_CALLBACK, created_at=since - timedelta(hours=1))
    )
    decisions.append(make_record(created_at=NOW))

    entries = outcomes.ledger("cus_1", since=since, as_of=NOW)
    assert [e.effective_at for e in entries] == [since, since + timedelta(hours=1), NOW]
    assert outcomes.ledger("cus_nobody", since=since, as_of=NOW) == []


def test_a_decision_waiting_for_approval_holds_its_place_until_the_verdict(
    decisions: DecisionLog,
    outcomes: OutcomeStore,
    approvals: ApprovalStore,
    make_record: MakeRecord,
) -> None:
    """While it waits it reserves, like any recommendation; from the verdict on, what the
    approval released counts instead, so the released action is not counted twice."""
    record = decisions.append(
        make_record(
            action_type=ActionType.APPLY_GOODWILL_CREDIT,
            outcome=Outcome.REQUIRE_APPROVAL,
            approval_required=True,
        )
    )
    approval_id = open_approval(approvals, record)
    later = NOW + timedelta(hours=1)
    assert [e.decision_id for e in outcomes.ledger("cus_1", since=NOW - WEEK, as_of=later)] == [
        record.decision_id
    ]
    approvals.decide(approval_id, "approved", "lead", "ok", later)
    assert outcomes.ledger("cus_1", since=NOW - WEEK, as_of=later) == []
    before = outcomes.ledger("cus_1", since=NOW - WEEK, as_of=later - timedelta(minutes=1))
    assert [e.decision_id for e in before] == [record.decision_id]  # as of before the verdict
