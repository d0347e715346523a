"""Approvals: a decided action that needs a human's yes before it goes out, the steps of its
life (requested, the verdict, the release), and what each caller sees of it."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tools import ActionCall

__all__ = [
    "Approval",
    "ApprovalStatus",
    "ApprovalStep",
    "ApprovalVerdictIn",
    "StepKind",
    "Verdict",
    "approval_id_for",
    "released_id_for",
]

ApprovalStatus = Literal["pending", "approved", "rejected", "expired", "cancelled"]
Verdict = Literal["approved", "rejected", "expired", "cancelled"]
"""Step 1: a human's approve or reject, the clock's expiry, or erasure's cancel."""
StepKind = Literal["requested", "approved", "rejected", "expired", "cancelled", "released"]


def approval_id_for(decision_id: str) -> str:
    """The approval of a decision: one per decision, its id known before it is stored."""
    return "apr_" + decision_id.removeprefix("dec_")


def released_id_for(decision_id: str) -> str:
    """The decision that an approval releases: known in advance, so a retried release finds
    the one it wrote before instead of writing a second."""
    return f"{decision_id}.released"


class ApprovalVerdictIn(BaseModel):
    """A reviewer's approve or reject."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Loyal customer, third claim delay this year: worth it."}]
        },
    )

    reason: str = Field(
        min_length=1, max_length=1000, description="Why, for the record (scrubbed like notes)."
    )


class ApprovalStep(BaseModel):
    """One step of an approval's life, as appended (never changed)."""

    model_config = ConfigDict(frozen=True)

    kind: StepKind = Field(
        description="requested; then approved, rejected, expired or cancelled; then released."
    )
    at: AwareDatetime = Field(description="When.")
    actor: str = Field(description="The API key's name, or system (expiry, recovery).")
    reason: str = Field(default="", description="The human's reason, or why the system acted.")
    released_decision_id: str | None = Field(
        default=None, description="On released: the decision that went out instead of waiting."
    )
    released_action: ActionCall | None = Field(
        default=None, description="On released: the action that went out."
    )


class Approval(BaseModel):
    """An approval as callers see it: what waits, why, and what became of it."""

    model_config = ConfigDict(frozen=True)

    approval_id: str = Field(description="apr_…, one per decision that needs approval.")
    decision_id: str = Field(description="The decision whose chosen action waits.")
    customer_id: str = Field(description="Its customer.")
    status: ApprovalStatus = Field(
        description="pending; approved or rejected (by a reviewer), expired (nobody decided "
        "in time) or cancelled (the customer was erased)."
    )
    action: ActionCall = Field(description="The action that waits for approval.")
    why: list[str] = Field(description="The policy rules that asked for approval, and why.")
    requested_at: AwareDatetime = Field(description="When the decision asked for approval.")
    expires_at: AwareDatetime = Field(
        description="When, without a verdict, it expires and the safe default is released."
    )
    decided_at: AwareDatetime | None = Field(default=None, description="When the verdict came.")
    decided_by: str | None = Field(default=None, description="Who gave it (system for expiry).")
    reason: str | None = Field(default=None, description="The verdict's reason.")
    released_decision_id: str | None = Field(
        default=None,
        description="The decision released after the verdict: GET /v1/decisions/{id} has its "
        "trace (the guards run again) and takes its outcomes.",
    )
    released_action: ActionCall | None = Field(default=None, description="The action released.")
    steps: list[ApprovalStep] = Field(description="Every step, oldest first.")
