"""Contact accounting: what caps, budgets and suppression count, on fixed timelines."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from agent.events import Event
from agent.outcomes import ConsentWithdrawal, LedgerEntry, account, effective_consents
from agent.profile import Consent
from tests.factories import NOW
from tools import ActionType, Channel, Purpose

TTL = timedelta(minutes=15)


def entry(decision_id: str = "dec_1", **overrides: Any) -> LedgerEntry:
    data: dict[str, Any] = {
        "decision_id": decision_id,
        "kind": "decision",
        "created_at": NOW - timedelta(days=1),
        "effective_at": NOW - timedelta(days=1),
        "action_type": ActionType.SEND_MESSAGE,
        "channel": Channel.EMAIL,
        "purpose": Purpose.MARKETING,
        "contacts_customer": True,
        "incentive_kind": None,
        "incentive_value": None,
        "incentive_currency": None,
        "executed_at": None,
        "declined": False,
        "unsubscribed_at": None,
    }
    data.update(overrides)
    return LedgerEntry(**data)


def event(event_id: str, type: str, ts: datetime, channel: str = "email", **props: Any) -> Event:
    return Event(id=event_id, ts=ts, channel=Channel(channel), type=type, properties=props)


def run(entries: list[LedgerEntry], events: list[Event] | None = None):  # type: ignore[no-untyped-def]
    return account(
        entries,
        events or [],
        now=NOW,
        reservation_ttl=TTL,
        contacts_since=NOW - timedelta(days=30),
        incentives_since=NOW - timedelta(days=365),
    )


@pytest.mark.parametrize(
    ("overrides", "counted"),
    [
        pytest.param({"executed_at": NOW - timedelta(days=1)}, "executed", id="executed"),
        pytest.param({}, None, id="recommended-long-ago-expired"),
        pytest.param(
            {"created_at": NOW - timedelta(minutes=14, seconds=59)}, "reserved", id="reserved"
        ),
        pytest.param({"created_at": NOW - TTL}, None, id="reservation-ends-at-ttl"),
        pytest.param(
            {"created_at": NOW - timedelta(minutes=1), "declined": True}, None, id="declined"
        ),
        pytest.param(
            {"created_at": NOW - timedelta(minutes=1), "kind": "briefing"},
            None,
            id="briefing-reserves-nothing",
        ),
        pytest.param(
            {"kind": "briefing", "executed_at": NOW - timedelta(hours=3)},
            "executed",
            id="briefing-reported-executed",
        ),
    ],
)
def test_what_a_logged_contact_counts_as(overrides: dict[str, Any], counted: str | None) -> None:
    result = run([entry(**overrides)])
    assert [c.status for c in result.contacts] == ([counted] if counted else [])
    if counted:
        [fact] = result.contacts
        assert (fact.source, fact.ref, fact.channel) == ("decision", "dec_1", Channel.EMAIL)


def test_contacts_count_when_they_take_effect_within_the_window() -> None:
    scheduled = entry(
        "dec_cb",
        action_type=ActionType.SCHEDULE_CALLBACK,
        channel=Channel.PHONE,
        created_at=NOW - timedelta(days=31),
        effective_at=NOW - timedelta(days=29),
        executed_at=NOW - timedelta(days=29),
    )
    old = entry(
        "dec_old",
        created_at=NOW - timedelta(days=31),
        effective_at=NOW - timedelta(days=31),
        executed_at=NOW - timedelta(days=31),
    )
    assert [c.ref for c in run([old, scheduled]).contacts] == ["dec_cb"]


def test_contacts_other_systems_report_count_once() -> None:
    linked = entry("dec_9")  # unreported, expired: the event says it went out
    events = [
        event("e1", "message_sent", NOW - timedelta(days=2), template_id="promo"),
        event("e2", "message_sent", NOW - timedelta(days=1), decision_id="dec_9"),
        event("e3", "call_made", NOW - timedelta(hours=5), "phone"),
        event("e4", "renewal_notice_sent", NOW - timedelta(days=3), purpose="marketing"),
        event("e5", "message_sent", NOW + timedelta(hours=1)),  # not yet happened
        event("e6", "page_view", NOW - timedelta(hours=1)),
    ]
    facts = run([linked], events).contacts
    assert [(f.source, f.ref, f.status, f.channel, f.purpose) for f in facts] == [
        ("event", "e4", "executed", Channel.EMAIL, Purpose.MARKETING),
        ("event", "e1", "executed", Channel.EMAIL, Purpose.SERVICE),
        ("decision", "dec_9", "executed", Channel.EMAIL, Purpose.MARKETING),
        ("event", "e3", "executed", Channel.PHONE, Purpose.SERVICE),
    ]


def test_incentives_from_decisions_and_events() -> None:
    offer = entry(
        "dec_offer",
        action_type=ActionType.OFFER_INCENTIVE,
        incentive_kind="percent_discount",
        incentive_value=Decimal("10"),
        created_at=NOW - timedelta(minutes=5),
    )
    events = [
        event(
            "e1",
            "incentive_offered",
            NOW - timedelta(days=40),
            offer_id="o-77",
            kind="amount_discount",
            value="20",
            currency="EUR",
        ),
        event("e2", "incentive_redeemed", NOW - timedelta(days=38), offer_id="o-77"),
        event("e3", "incentive_redeemed", NOW - timedelta(days=10), kind="free_months", value=1),
        event("e4", "credit_applied", NOW - timedelta(days=5), amount="15.00", currency="EUR"),
    ]
    facts = run([offer], events).incentives
    assert [(f.ref, f.status, f.action_type, f.kind, f.value) for f in facts] == [
        ("e1", "executed", ActionType.OFFER_INCENTIVE, "amount_discount", Decimal("20")),
        ("e3", "executed", ActionType.OFFER_INCENTIVE, "free_months", Decimal("1")),
        ("e4", "executed", ActionType.APPLY_GOODWILL_CREDIT, "goodwill_credit", Decimal("15.00")),
        ("dec_offer", "reserved", ActionType.OFFER_INCENTIVE, "percent_discount", Decimal("10")),
    ]
    # an offer is also a contact on its channel (within the contact window)
    recent = event("e9", "incentive_offered", NOW - timedelta(days=2), "sms", offer_id="o-9")
    assert [(c.ref, c.channel) for c in run([], [*events, recent]).contacts] == [
        ("e9", Channel.SMS)
    ]


def test_cases_opened_by_events_stay_open_until_closed() -> None:
    events = [
        event("e1", "case_opened", NOW - timedelta(days=3), case_id="C-1", case_type="complaint"),
        event(
            "e2", "case_opened", NOW - timedelta(days=2), case_id="C-2", case_type="billing_dispute"
        ),
        event("e3", "case_closed", NOW - timedelta(days=1), case_id="C-1"),
    ]
    assert [(c.case_id, c.case_type, c.ref) for c in run([], events).open_cases] == [
        ("C-2", "billing_dispute", "e2")
    ]


def case_entry(decision_id: str, **overrides: Any) -> LedgerEntry:
    return entry(
        decision_id,
        action_type=ActionType.OPEN_CASE,
        channel=None,
        purpose=Purpose.SERVICE,
        contacts_customer=False,
        case_type="billing_dispute",
        **overrides,
    )


def test_cases_our_decisions_opened_count_as_open() -> None:
    entries = [
        case_entry("dec_fresh", created_at=NOW - timedelta(minutes=2)),  # reserved
        case_entry("dec_done", executed_at=NOW - timedelta(days=1)),  # reported opened
        case_entry("dec_stale"),  # nobody said so, and the reservation ended
        case_entry("dec_no", created_at=NOW - timedelta(minutes=1), declined=True),
    ]
    opened = [(c.case_id, c.source, c.status) for c in run(entries).open_cases]
    assert opened == [("dec_done", "decision", "executed"), ("dec_fresh", "decision", "reserved")]
    assert run(entries).contacts == []  # a case reaches nobody: it is no contact


def test_the_case_system_names_our_case_and_closes_it() -> None:
    entries = [case_entry("dec_1", created_at=NOW - timedelta(hours=3))]
    named = event(
        "e1", "case_opened", NOW - timedelta(hours=2), case_id="CS-9", decision_id="dec_1"
    )
    cases = run(entries, [named]).open_cases
    assert [(c.case_id, c.case_type, c.source, c.status) for c in cases] == [
        ("CS-9", "billing_dispute", "decision", "executed")  # opened, long after the TTL
    ]
    closed = event("e2", "case_closed", NOW - timedelta(hours=1), case_id="CS-9")
    assert run(entries, [named, closed]).open_cases == []
    by_decision = event("e3", "case_closed", NOW - timedelta(hours=1), case_id="dec_1")
    fresh = [case_entry("dec_1", created_at=NOW - timedelta(minutes=5))]
    assert run(fresh, [by_decision]).open_cases == []


def test_unsubscribes_withdraw_marketing_consent() -> None:
    unsubscribed = entry(
        "dec_u", executed_at=NOW - timedelta(days=2), unsubscribed_at=NOW - timedelta(days=2)
    )
    events = [event("e1", "unsubscribed", NOW - timedelta(days=1), "sms")]
    withdrawals = run([unsubscribed], events).withdrawn_consents
    assert [(w.channel, w.purpose, w.source, w.ref) for w in withdrawals] == [
        (Channel.EMAIL, Purpose.MARKETING, "decision", "dec_u"),
        (Channel.SMS, Purpose.MARKETING, "event", "e1"),
    ]


def test_a_consent_given_after_the_unsubscribe_stands() -> None:
    withdrawal = ConsentWithdrawal(
        channel=Channel.EMAIL,
        purpose=Purpose.MARKETING,
        ts=NOW - timedelta(days=2),
        source="event",
        ref="e1",
    )
    consents = [
        Consent(
            channel=Channel.EMAIL,
            purpose=Purpose.MARKETING,
            granted=True,
            updated_at=NOW - timedelta(days=10),
        ),
        Consent(channel=Channel.EMAIL, purpose=Purpose.SERVICE, granted=True),
    ]
    regranted = Consent(
        channel=Channel.EMAIL,
        purpose=Purpose.MARKETING,
        granted=True,
        updated_at=NOW - timedelta(days=1),
    )
    assert [c.granted for c in effective_consents(consents, [withdrawal])] == [False, True]
    assert [c.granted for c in effective_consents([regranted], [withdrawal])] == [True]
