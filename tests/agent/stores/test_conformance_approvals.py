"""ApprovalStore conformance: each step once (a retry finds the first), the queue and its
filters, what the sweep looks for, the webhook outbox, and bodies sealed per customer."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from agent.approvals import approval_id_for, released_id_for
from agent.approvals.store import ApprovalStore, StepTaken
from agent.privacy.sealing import KeyDestroyed
from agent.record import DecisionRecordV1
from agent.stores.decision_log import DecisionLog
from agent.stores.page import InvalidCursor
from policies.verdict import Outcome
from tests.agent.stores.approval_steps import open_approval
from tests.factories import NOW
from tools import ActionType

if TYPE_CHECKING:
    from tests.agent.conftest import MakeRecord

HOUR = timedelta(hours=1)


def _waiting(
    decisions: DecisionLog, make_record: MakeRecord, **overrides: object
) -> DecisionRecordV1:
    return decisions.append(
        make_record(
            action_type=ActionType.APPLY_GOODWILL_CREDIT,
            outcome=Outcome.REQUIRE_APPROVAL,
            approval_required=True,
            **overrides,  # type: ignore[arg-type]
        )
    )


def test_steps_happen_once_and_build_the_approval(
    decisions: DecisionLog, approvals: ApprovalStore, make_record: MakeRecord
) -> None:
    record = _waiting(decisions, make_record)
    approval_id = open_approval(approvals, record)
    open_approval(approvals, record)  # opened again (a retry): the same approval
    approval = approvals.get(approval_id)
    assert approval is not None
    assert (approval.status, approval.decision_id, approval.action) == (
        "pending",
        record.decision_id,
        record.chosen.call,
    )
    assert approval.why == ["approval: credit 40 GBP is above 25"]
    assert approvals.get_by_decision(record.decision_id) == approval

    approvals.decide(approval_id, "approved", "lead", "fine", NOW + HOUR)
    with pytest.raises(StepTaken) as taken:
        approvals.decide(approval_id, "rejected", "other", "no", NOW + 2 * HOUR)
    assert (taken.value.existing.kind, taken.value.existing.actor) == ("approved", "lead")
    with pytest.raises(LookupError):
        approvals.decide("apr_unknown", "approved", "lead", "fine", NOW)

    released_id = released_id_for(record.decision_id)
    for _ in range(2):  # a retried release finds the first
        approvals.release(
            approval_id,
            decision_id=released_id,
            action=record.chosen.call,
            reason="still permitted",
            at=NOW + HOUR,
            deliver=True,
        )
    approval = approvals.get(approval_id)
    assert approval is not None
    assert [s.kind for s in approval.steps] == ["requested", "approved", "released"]
    assert (approval.status, approval.decided_by, approval.reason) == ("approved", "lead", "fine")
    assert (approval.released_decision_id, approval.released_action) == (
        released_id,
        record.chosen.call,
    )
    assert [d.approval_id for d in approvals.undelivered()] == [approval_id]


def test_a_release_needs_a_verdict(
    decisions: DecisionLog, approvals: ApprovalStore, make_record: MakeRecord
) -> None:
    approval_id = open_approval(approvals, _waiting(decisions, make_record))
    with pytest.raises(LookupError):
        approvals.release(
            approval_id, decision_id=None, action=None, reason="", at=NOW, deliver=False
        )


def test_the_queue_oldest_first_others_newest_first(
    decisions: DecisionLog, approvals: ApprovalStore, make_record: MakeRecord
) -> None:
    ids = [
        open_approval(approvals, _waiting(decisions, make_record, created_at=NOW + n * HOUR))
        for n in range(3)
    ]
    other = open_approval(
        approvals, _waiting(decisions, make_record, customer_id="cus_2", created_at=NOW)
    )
    approvals.decide(ids[1], "rejected", "lead", "no", NOW + 5 * HOUR)
    pending = approvals.query(status="pending", customer_id="cus_1")
    assert [a.approval_id for a in pending.items] == [ids[0], ids[2]]
    everything = approvals.query(status=None, customer_id=None)
    assert [a.approval_id for a in everything.items][:2] == [ids[2], ids[1]]
    assert {a.approval_id for a in everything.items} == {*ids, other}
    rejected = approvals.query(status="rejected", customer_id=None)
    assert [a.approval_id for a in rejected.items] == [ids[1]]

    first = approvals.query(status="pending", customer_id=None, limit=1)
    assert first.next_cursor is not None
    rest = approvals.query(status="pending", customer_id=None, limit=5, cursor=first.next_cursor)
    seen = [a.approval_id for a in first.items + rest.items]
    assert sorted(seen) == sorted([ids[0], ids[2], other])
    assert len(set(seen)) == 3
    with pytest.raises(InvalidCursor):
        approvals.query(status="approved", customer_id=None, cursor=first.next_cursor)


def test_what_the_sweep_finds(
    decisions: DecisionLog, approvals: ApprovalStore, make_record: MakeRecord
) -> None:
    overdue = _waiting(decisions, make_record)
    fresh = _waiting(decisions, make_record, created_at=NOW + 3 * HOUR)
    decided = _waiting(decisions, make_record)
    unopened = _waiting(decisions, make_record)
    briefing = _waiting(decisions, make_record, kind="briefing")
    for record in (overdue, fresh, decided):
        open_approval(approvals, record)
    approvals.decide(approval_id_for(decided.decision_id), "approved", "lead", "ok", NOW)

    at = NOW + 4 * HOUR
    assert approvals.overdue(at) == [(approval_id_for(overdue.decision_id), "cus_1")]
    assert approvals.unreleased() == [(approval_id_for(decided.decision_id), "cus_1")]
    assert approvals.unopened() == [(unopened.decision_id, "cus_1")]
    assert briefing.decision_id not in [d for d, _ in approvals.unopened()]


def test_the_webhook_outbox(
    decisions: DecisionLog, approvals: ApprovalStore, make_record: MakeRecord
) -> None:
    record = _waiting(decisions, make_record)
    approval_id = open_approval(approvals, record)
    approvals.decide(approval_id, "approved", "lead", "ok", NOW)
    approvals.release(
        approval_id,
        decision_id=released_id_for(record.decision_id),
        action=record.chosen.call,
        reason="ok",
        at=NOW,
        deliver=True,
    )
    approvals.failed(approval_id, "503")
    [delivery] = approvals.undelivered()
    assert delivery.attempts == 1
    assert approvals.undelivered(max_attempts=1) == []  # given up after that many
    approvals.delivered(approval_id, NOW)
    assert approvals.undelivered() == []


def test_an_erased_customers_approvals_cannot_be_read(
    decisions: DecisionLog, approvals: ApprovalStore, make_record: MakeRecord
) -> None:
    record = _waiting(decisions, make_record)
    approval_id = open_approval(approvals, record)
    kept = open_approval(approvals, _waiting(decisions, make_record, customer_id="cus_2"))
    assert [a.approval_id for a in approvals.of_customer("cus_1")] == [approval_id]
    decisions.shred("cus_1")
    with pytest.raises(KeyDestroyed):
        approvals.get(approval_id)
    assert approvals.of_customer("cus_1") == []
    listed = approvals.query(status=None, customer_id=None)
    assert [a.approval_id for a in listed.items] == [kept]
    with pytest.raises(KeyDestroyed):
        approvals.decide(approval_id, "approved", "lead", "late", NOW)
