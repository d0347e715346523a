"""KpiReader conformance: the KPIs of a fixed timeline, figure by figure, and their agreement
with each decision's own lifecycle."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from agent.approvals.store import ApprovalStore
from agent.config import OutcomeConfig
from agent.events import Event
from agent.kpis import KpiGroup, KpiQuery, KpiReport
from agent.kpis.store import KpiReader
from agent.outcomes import OutcomeIn, lifecycle
from agent.outcomes.store import OutcomeStore
from agent.record import DecisionRecordV1
from agent.stores.customers import CustomerStore
from agent.stores.decision_log import DecisionLog
from policies.verdict import Outcome
from tests.agent.stores.approval_steps import open_approval
from tests.factories import NOW, profile
from tools import ActionType, Channel

if TYPE_CHECKING:
    from tests.agent.conftest import MakeRecord

CONFIG = OutcomeConfig()
DAY = timedelta(days=1)
CHAT = {"direction": "inbound", "channel": "chat"}


class Timeline:
    """Decisions, outcomes and events of one customer, as a journey owner would read them."""

    def __init__(
        self,
        customers: CustomerStore,
        decisions: DecisionLog,
        outcomes: OutcomeStore,
        approvals: ApprovalStore,
        make_record: MakeRecord,
    ) -> None:
        self.decisions, self.outcomes, self.make = decisions, outcomes, make_record
        self.approvals = approvals
        customers.put_profile(profile(customer_id="cus_1"))
        self.customers = customers
        self.records: dict[str, DecisionRecordV1] = {}

    def decide(self, name: str, at: datetime, **overrides: Any) -> str:
        record = self.decisions.append(self.make(created_at=at, **overrides))
        self.records[name] = record
        return record.decision_id

    def report(self, name: str, kind: str, after: timedelta, **extra: Any) -> None:
        record = self.records[name]
        ts = record.created_at + after
        report = OutcomeIn.model_validate({"id": f"{name}-{kind}", "type": kind, "ts": ts, **extra})
        self.outcomes.append([(record.decision_id, report)], now=ts)

    def approve(self, name: str, after: timedelta) -> None:
        """A reviewer approves the decision's action ``after`` it was decided."""
        record = self.records[name]
        approval_id = open_approval(self.approvals, record)
        self.approvals.decide(approval_id, "approved", "lead", "fine", record.created_at + after)

    def event(self, event_id: str, type: str, at: datetime, **properties: Any) -> None:
        event = Event(id=event_id, ts=at, channel=Channel.CHAT, type=type, properties=properties)
        self.customers.append_events("cus_1", [event])


@pytest.fixture
def timeline(
    customers: CustomerStore,
    decisions: DecisionLog,
    outcomes: OutcomeStore,
    approvals: ApprovalStore,
    make_record: MakeRecord,
) -> Timeline:
    t = Timeline(customers, decisions, outcomes, approvals, make_record)
    handoff = ActionType.HANDOFF_TO_AGENT
    billing = {"context": CHAT, "intent": "double_charge", "journey": "billing_dispute"}
    # two contacts on one topic five days apart: the first is repeated, the second resolved
    t.decide("first_call", NOW - 40 * DAY, action_type=handoff, **billing)
    t.report("first_call", "executed", timedelta(minutes=1))
    t.decide("second_call", NOW - 35 * DAY, action_type=handoff, **billing)
    t.report("second_call", "executed", timedelta(minutes=1))
    t.event("transfer-1", "transfer", NOW - 35 * DAY + timedelta(minutes=20))
    t.event("transfer-late", "transfer", NOW - 35 * DAY + timedelta(hours=5))
    # contacts whose repeat window is still open: not judged yet, even the one already repeated
    access = {"context": CHAT, "intent": "lost_card", "journey": "access"}
    t.decide("open_call", NOW - 20 * DAY, **access)
    t.decide("open_repeat", NOW - 12 * DAY, **access)
    # outbound cart e-mails: converted, declined, expired, silent, and one just decided
    cart = {"journey": "cart_recovery"}
    t.decide("converted", NOW - 10 * DAY, **cart)
    t.report("converted", "executed", timedelta(hours=1))
    value = {"amount": "49.90", "currency": "EUR"}
    t.report("converted", "converted", timedelta(days=2), value=value)
    t.decide("declined", NOW - 9 * DAY, **cart)
    t.report("declined", "declined", timedelta(minutes=2))
    t.decide("expired", NOW - 8 * DAY, **cart)
    t.decide("silent", NOW - 9 * DAY, **cart)
    t.report("silent", "executed", timedelta(hours=1))
    t.decide("fresh", NOW - timedelta(minutes=5), **cart)
    sent = t.decide("by_event", NOW - 3 * DAY, **cart)
    t.event("esp-1", "message_sent", NOW - 3 * DAY + timedelta(minutes=3), decision_id=sent)
    # governance: a denied proposal, and a credit that waited two hours for approval
    t.decide("denied", NOW - 2 * DAY, outcome=Outcome.DENY, journey="retention")
    t.decide(
        "approved",
        NOW - 3 * DAY,
        action_type=ActionType.APPLY_GOODWILL_CREDIT,
        outcome=Outcome.REQUIRE_APPROVAL,
        approval_required=True,
        journey="retention",
    )
    t.approve("approved", timedelta(hours=2))
    t.report("approved", "executed", timedelta(hours=3))
    return t


def _query(**overrides: Any) -> KpiQuery:
    return KpiQuery.model_validate({"since": NOW - 60 * DAY, "until": NOW, **overrides})


def _group(report: KpiReport, key: str) -> KpiGroup:
    return next(g for g in report.groups if g.key == key)


def test_contact_kpis_by_journey(timeline: Timeline, kpis: KpiReader) -> None:
    report = kpis.kpis(_query(), now=NOW, config=CONFIG)
    billing = _group(report, "billing_dispute")
    assert billing.decisions == 2
    assert (billing.repeat_contact.k, billing.repeat_contact.n) == (1, 2)
    assert (billing.first_contact_resolution.k, billing.first_contact_resolution.n) == (1, 2)
    assert billing.repeat_contact.value == 0.5
    assert billing.transfers_per_contact.n == 2
    assert billing.transfers_per_contact.value == 0.5  # one transfer, within the window
    access = _group(report, "access")
    assert (access.repeat_contact.n, access.first_contact_resolution.n) == (0, 0)
    assert access.repeat_contact.value is None
    assert access.transfers_per_contact.n == 2


def test_execution_response_and_value_kpis(timeline: Timeline, kpis: KpiReader) -> None:
    cart = _group(kpis.kpis(_query(), now=NOW, config=CONFIG), "cart_recovery")
    assert cart.decisions == 6
    # executed: converted, silent, by_event; declined: 1; expired: 1; fresh: not judged
    assert (cart.execution.k, cart.execution.n) == (3, 5)
    assert (cart.conversion.k, cart.conversion.n) == (1, 3)
    assert (cart.acceptance.k, cart.acceptance.n) == (1, 3)
    # silent's 7-day window closed with no response; by_event's is still open
    assert (cart.no_response.k, cart.no_response.n) == (1, 2)
    assert [(v.currency, v.amount) for v in cart.value] == [("EUR", Decimal("49.90"))]
    assert cart.execution.ci_low is not None
    assert cart.execution.ci_high is not None
    assert 0 < cart.execution.ci_low < 0.6 < cart.execution.ci_high < 1


def test_governance_kpis(timeline: Timeline, kpis: KpiReader) -> None:
    report = kpis.kpis(_query(), now=NOW, config=CONFIG)
    retention = _group(report, "retention")
    assert [(d.policy_id, d.reason_code, d.proposals, d.decisions) for d in retention.denials] == [
        ("consent", "rule_matched", 1, 1)
    ]
    assert (retention.approval.required.k, retention.approval.released) == (1, 1)
    assert retention.approval.turnaround_median_s == 7200
    overall = report.overall
    assert overall.decisions == sum(g.decisions for g in report.groups) == 12
    assert overall.denials == retention.denials
    assert overall.effort.value == pytest.approx(0.1)
    assert (overall.safe_default.k, overall.safe_default.n) == (0, 12)


def test_filters_and_groupings(timeline: Timeline, kpis: KpiReader) -> None:
    only_cart = kpis.kpis(_query(journey="cart_recovery"), now=NOW, config=CONFIG)
    assert [g.key for g in only_cart.groups] == ["cart_recovery"]
    by_action = kpis.kpis(_query(group_by="action_type"), now=NOW, config=CONFIG)
    assert {g.key: g.decisions for g in by_action.groups} == {
        "send_message": 9,
        "handoff_to_agent": 2,
        "apply_goodwill_credit": 1,
    }
    by_channel = kpis.kpis(_query(group_by="channel"), now=NOW, config=CONFIG)
    assert {g.key: g.decisions for g in by_channel.groups}["chat"] == 4  # the inbound contacts
    by_playbook = kpis.kpis(_query(group_by="playbook"), now=NOW, config=CONFIG)
    assert [g.key for g in by_playbook.groups] == ["pb_help"]
    window = kpis.kpis(_query(since=NOW - 11 * DAY, until=NOW - 8 * DAY), now=NOW, config=CONFIG)
    assert window.overall.decisions == 3


def test_kpis_agree_with_each_decisions_lifecycle(
    timeline: Timeline, outcomes: OutcomeStore, kpis: KpiReader
) -> None:
    report = kpis.kpis(_query(), now=NOW, config=CONFIG)
    lives = []
    for record in timeline.records.values():
        facts = outcomes.decision_facts(record.decision_id)
        assert facts is not None
        rows = outcomes.outcomes_of([record.decision_id])[record.decision_id]
        lives.append(lifecycle(facts, rows, outcomes.followups(facts, CONFIG), NOW, CONFIG))
    closed = NOW - timedelta(days=CONFIG.repeat_contact_days)
    fcr = [life.first_contact_resolution for life in lives]
    judged = [
        life.first_contact_resolution
        for life, record in zip(lives, timeline.records.values(), strict=True)
        if record.created_at <= closed
    ]
    overall = report.overall
    assert overall.first_contact_resolution.k == judged.count(True) == fcr.count(True)
    assert overall.repeat_contact.k == judged.count(False) == fcr.count(False) - 1
    assert overall.execution.k == sum(life.state == "executed" for life in lives)
    assert overall.no_response.k == sum(
        any(d.type == "no_response" for d in life.derived) for life in lives
    )


def test_a_release_belongs_to_the_contact_that_asked_for_it(
    customers: CustomerStore,
    decisions: DecisionLog,
    outcomes: OutcomeStore,
    approvals: ApprovalStore,
    make_record: MakeRecord,
    kpis: KpiReader,
) -> None:
    """A decision that waited for approval is neither expired unreported nor a second contact
    once its approval released another decision: no repeat, no extra contact."""
    t = Timeline(customers, decisions, outcomes, approvals, make_record)
    claim = {"context": CHAT, "intent": "claim_delay", "journey": "insurance_claim"}
    waited = t.decide(
        "waited",
        NOW - 40 * DAY,
        action_type=ActionType.APPLY_GOODWILL_CREDIT,
        outcome=Outcome.REQUIRE_APPROVAL,
        approval_required=True,
        **claim,
    )
    t.approve("waited", timedelta(hours=1))
    t.decide(
        "released",
        NOW - 40 * DAY + timedelta(hours=1),
        action_type=ActionType.APPLY_GOODWILL_CREDIT,
        decision_id=f"{waited}.released",
        **claim,
    )
    t.report("released", "executed", timedelta(minutes=5))
    group = _group(kpis.kpis(_query(), now=NOW, config=CONFIG), "insurance_claim")
    assert group.decisions == 2
    assert (group.execution.k, group.execution.n) == (1, 1)  # the original is not "expired"
    assert (group.repeat_contact.k, group.repeat_contact.n) == (0, 1)  # one contact, no repeat
