"""Opening an approval for a logged decision that waits for one, as the approval desk does."""

from __future__ import annotations

from datetime import timedelta

from agent.approvals import approval_id_for
from agent.approvals.store import ApprovalRequest, ApprovalStore
from agent.record import DecisionRecordV1


def open_approval(
    approvals: ApprovalStore, record: DecisionRecordV1, ttl: timedelta = timedelta(hours=4)
) -> str:
    """Step 0 for ``record``; its approval id."""
    approval_id = approval_id_for(record.decision_id)
    approvals.open(
        ApprovalRequest(
            approval_id=approval_id,
            decision_id=record.decision_id,
            customer_id=record.customer_id,
            action=record.chosen.call,
            why=["approval: credit 40 GBP is above 25"],
            requested_at=record.created_at,
            expires_at=record.created_at + ttl,
        )
    )
    return approval_id
