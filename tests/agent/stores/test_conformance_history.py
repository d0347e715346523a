"""DecisionLog conformance, history snapshots for guards: contacts and incentives given."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from agent.stores.decision_log import DecisionLog
from policies.context import ContactFact, IncentiveFact
from policies.verdict import Outcome
from tests.factories import NOW
from tools import ActionType, Channel, Purpose, parse_action

if TYPE_CHECKING:
    from tests.agent.stores.conftest import MakeRecord

WEEK = timedelta(days=7)


def test_contacts_are_chosen_permitted_actions_on_a_channel(
    decisions: DecisionLog, make_record: MakeRecord
) -> None:
    counted = [
        make_record(channel=Channel.SMS, purpose=Purpose.MARKETING),
        make_record(action_type=ActionType.OFFER_INCENTIVE, channel=Channel.PUSH),
        make_record(outcome=Outcome.MODIFY, created_at=NOW + timedelta(minutes=1)),
    ]
    not_counted = [
        make_record(outcome=Outcome.DENY),
        make_record(outcome=Outcome.REQUIRE_APPROVAL, approval_required=True),
        make_record(action_type=ActionType.HANDOFF_TO_AGENT),  # no customer contact
        make_record(action_type=ActionType.RECOMMEND_ARTICLE),  # not a contact per the catalog
        make_record(action_type=ActionType.APPLY_GOODWILL_CREDIT),
        make_record(action_type=ActionType.NO_ACTION),
        make_record(customer_id="cus_other"),
    ]
    for record in counted + not_counted:
        decisions.append(record)

    assert decisions.contact_history("cus_1", since=NOW - WEEK) == [
        ContactFact(
            ts=NOW, action_type=ActionType.SEND_MESSAGE, channel=Channel.SMS, purpose="marketing"
        ),
        ContactFact(
            ts=NOW,
            action_type=ActionType.OFFER_INCENTIVE,
            channel=Channel.PUSH,
            purpose=Purpose.MARKETING,
        ),
        ContactFact(
            ts=NOW + timedelta(minutes=1),
            action_type=ActionType.SEND_MESSAGE,
            channel=Channel.EMAIL,
            purpose=Purpose.SERVICE,
        ),
    ]


def test_contact_time_is_when_it_takes_effect(
    decisions: DecisionLog, make_record: MakeRecord
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

    facts = decisions.contact_history("cus_1", since=NOW - WEEK)
    assert [(f.ts, f.action_type, f.channel) for f in facts] == [
        (NOW + timedelta(hours=2), ActionType.SCHEDULE_CALLBACK, Channel.PHONE),
        (send_at, ActionType.SEND_MESSAGE, Channel.EMAIL),
    ]


def test_contact_history_window(decisions: DecisionLog, make_record: MakeRecord) -> None:
    since = NOW - WEEK
    decisions.append(make_record(created_at=since - timedelta(microseconds=1)))
    decisions.append(make_record(created_at=since))
    decisions.append(make_record(created_at=NOW))
    # decided before the window, but it reaches the customer inside it
    decisions.append(
        make_record(action_type=ActionType.SCHEDULE_CALLBACK, created_at=since - timedelta(hours=1))
    )

    facts = decisions.contact_history("cus_1", since=since)
    assert [f.ts for f in facts] == [since, since + timedelta(hours=1), NOW]
    assert decisions.contact_history("cus_1", since=NOW + timedelta(seconds=1)) == []


def test_incentive_history_lists_offers_and_credits(
    decisions: DecisionLog, make_record: MakeRecord
) -> None:
    amount = parse_action(
        {
            "type": "offer_incentive",
            "args": {
                "kind": "amount_discount",
                "value": "20.50",
                "currency": "EUR",
                "channel": "email",
                "offer_id": "off_20",
            },
        }
    )
    decisions.append(make_record(action_type=ActionType.OFFER_INCENTIVE))
    decisions.append(
        make_record(
            action_type=ActionType.APPLY_GOODWILL_CREDIT,
            created_at=NOW + timedelta(minutes=1),
            outcome=Outcome.REQUIRE_APPROVAL,
            approval_required=True,  # pending credits still count against budgets
        )
    )
    decisions.append(make_record(call=amount, created_at=NOW + timedelta(minutes=2)))
    decisions.append(make_record(action_type=ActionType.OFFER_INCENTIVE, outcome=Outcome.DENY))
    decisions.append(make_record())  # a message is no incentive
    decisions.append(make_record(action_type=ActionType.OFFER_INCENTIVE, customer_id="cus_2"))

    assert decisions.incentive_history("cus_1", since=NOW - WEEK) == [
        IncentiveFact(
            ts=NOW,
            action_type=ActionType.OFFER_INCENTIVE,
            kind="percent_discount",
            value=Decimal("10"),
            currency=None,
        ),
        IncentiveFact(
            ts=NOW + timedelta(minutes=1),
            action_type=ActionType.APPLY_GOODWILL_CREDIT,
            kind="goodwill_credit",
            value=Decimal("15.00"),
            currency="EUR",
        ),
        IncentiveFact(
            ts=NOW + timedelta(minutes=2),
            action_type=ActionType.OFFER_INCENTIVE,
            kind="amount_discount",
            value=Decimal("20.50"),
            currency="EUR",
        ),
    ]


def test_incentive_history_window(decisions: DecisionLog, make_record: MakeRecord) -> None:
    since = NOW - timedelta(days=30)
    for created_at in (since - timedelta(microseconds=1), since, NOW):
        decisions.append(
            make_record(action_type=ActionType.APPLY_GOODWILL_CREDIT, created_at=created_at)
        )
    assert [f.ts for f in decisions.incentive_history("cus_1", since=since)] == [since, NOW]


@pytest.mark.parametrize("history", ["contact_history", "incentive_history"])
def test_history_of_unknown_customer_is_empty(decisions: DecisionLog, history: str) -> None:
    assert getattr(decisions, history)("cus_nobody", since=NOW - WEEK) == []
