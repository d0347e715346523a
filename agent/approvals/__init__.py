"""Approvals: decisions whose action needs a human's yes pause in the approval graph until a
reviewer approves or rejects (or the approval expires); the guards then run again and the
release is a decision of its own."""

from agent.approvals.models import (
    Approval,
    ApprovalStatus,
    ApprovalStep,
    ApprovalVerdictIn,
    approval_id_for,
    released_id_for,
)

__all__ = [
    "Approval",
    "ApprovalStatus",
    "ApprovalStep",
    "ApprovalVerdictIn",
    "approval_id_for",
    "released_id_for",
]
