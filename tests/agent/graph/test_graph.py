"""The decision graph end to end, on real stores, with the demo data and a pinned clock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.config import AgentConfig
from agent.demo import demo_now, load_demo_customers, seed
from agent.graph import build_graph
from agent.privacy.redact import redact_record
from agent.record import DecideRequest, DecisionRecordV1
from agent.service import Decider

SNAPSHOT = Path(__file__).with_name("graph.mmd")


@pytest.fixture(scope="module")
def demo_decider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Decider]:
    now = demo_now()
    decider = Decider.build(
        AgentConfig(data_dir=tmp_path_factory.mktemp("graph")), clock=lambda: now
    )
    asyncio.run(seed(decider, now))
    yield decider
    decider.close()


def _decide(decider: Decider, customer_id: str) -> DecisionRecordV1:
    customer = next(
        c for c in load_demo_customers(demo_now()) if c.profile.customer_id == customer_id
    )
    request = DecideRequest(customer_id=customer_id, context=customer.context)
    return asyncio.run(decider.decide(request)).record


def test_graph_shape_matches_the_snapshot() -> None:
    mermaid = build_graph().get_graph().draw_mermaid()
    if not SNAPSHOT.exists():  # first run writes it; review and commit it
        SNAPSHOT.write_text(mermaid)
    assert mermaid == SNAPSHOT.read_text()


def test_every_decision_is_recorded_before_it_returns(demo_decider: Decider) -> None:
    record = _decide(demo_decider, "c08_dokafor")
    stored = asyncio.run(demo_decider.get_decision(record.decision_id))
    assert stored == redact_record(record, demo_decider.deps.privacy.tokenizer)
    assert stored.profile.name != record.profile.name  # the log keeps a token
    assert record.mode == "rules"
    assert record.policy_pack_version
    assert record.embedding_model == "use-multilingual-v3"
    assert list(record.timings_ms) == [
        "load_context",
        "retrieve",
        "plan",
        "guard",
        "arbitrate",
        "record",
    ]


def test_chosen_action_is_always_permitted(demo_decider: Decider) -> None:
    for customer in load_demo_customers(demo_now()):
        record = _decide(demo_decider, customer.profile.customer_id)
        chosen = next(p for p in record.proposals if p.proposal_id == record.chosen.proposal_id)
        assert chosen.evaluation.permitted, customer.profile.customer_id
        assert chosen.evaluation.call == record.chosen.call


def test_push_in_quiet_hours_is_moved_to_the_morning(demo_decider: Decider) -> None:
    record = _decide(demo_decider, "c01_hweber")
    modified = [
        v
        for p in record.proposals
        for v in p.evaluation.verdicts
        if v.reason_code == "quiet_hours_deferred"
    ]
    assert modified
    call = record.chosen.call
    if call.type == "send_message" and call.args.channel in ("push", "sms"):
        assert call.args.send_at is not None
        local = call.args.send_at.astimezone(record.profile.zone)
        assert local.hour == 8


def test_incentive_is_withheld_during_a_billing_dispute(demo_decider: Decider) -> None:
    record = _decide(demo_decider, "c04_mbell")
    offers = [p for p in record.proposals if p.call.type == "offer_incentive"]
    assert offers
    assert all(not p.evaluation.permitted for p in offers)
    assert any(
        v.reason_code == "suppressed_open_dispute" for p in offers for v in p.evaluation.verdicts
    )
    assert record.chosen.call.type != "offer_incentive"


def test_safe_default_when_no_playbook_applies(tmp_path: Path) -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    decider = Decider.build(
        AgentConfig(data_dir=tmp_path), clock=lambda: now
    )  # no playbooks ingested
    try:
        inbound = DecideRequest.model_validate(
            {
                "profile": {"customer_id": "p1"},
                "context": {"direction": "inbound", "channel": "phone", "reason": "help"},
            }
        )
        record = asyncio.run(decider.decide(inbound)).record
        assert record.safe_default
        assert record.chosen.call.type == "handoff_to_agent"
        assert "low confidence" in record.rationale  # "help" names no intent
        outbound = DecideRequest.model_validate({"profile": {"customer_id": "p1"}})
        assert asyncio.run(decider.decide(outbound)).record.chosen.call.type == "no_action"
    finally:
        decider.close()


def test_concurrent_decisions_for_one_customer_respect_the_contact_cap(
    demo_decider: Decider,
) -> None:
    customers = load_demo_customers(demo_now())
    customer = next(c for c in customers if c.profile.customer_id == "c07_pnair")
    request = DecideRequest(customer_id="c07_pnair", context=customer.context)

    async def burst() -> list[DecisionRecordV1]:
        results = await asyncio.gather(*(demo_decider.decide(request) for _ in range(6)))
        return [r.record for r in results]

    records = asyncio.run(burst())
    assert sum(1 for r in records if r.chosen.call.channel == "sms") <= 2  # the pack's 7-day cap
    verdicts = [v for r in records for p in r.proposals for v in p.evaluation.verdicts]
    assert any(v.reason_code == "contact_cap_reached" for v in verdicts)


def test_safe_default_falls_back_when_the_handoff_is_refused(tmp_path: Path) -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    decider = Decider.build(AgentConfig(data_dir=tmp_path), clock=lambda: now)
    try:
        request = DecideRequest.model_validate(
            {
                "profile": {"customer_id": "dnc1", "attributes": {"do_not_call": True}},
                "context": {"direction": "inbound", "channel": "phone"},
            }
        )
        record = asyncio.run(decider.decide(request)).record
        assert record.safe_default
        assert record.chosen.call.type == "handoff_to_agent"
        assert record.chosen.call.channel is None  # the phone handoff was refused by do_not_call
        assert [p.proposal_id for p in record.proposals] == ["default1", "default2"]
        assert not record.proposals[0].evaluation.permitted
    finally:
        decider.close()
