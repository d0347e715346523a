"""A proposal: a typed tool call a planner puts forward, with where it came from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools import ActionCall

__all__ = ["PlannerNote", "Proposal", "Source"]

Source = Literal["rules", "llm", "safe_default"]


class Proposal(BaseModel):
    model_config = ConfigDict(frozen=True)

    call: ActionCall
    playbook_id: str | None = None
    playbook_version: int | None = None
    rationale: str
    propensity: float = Field(ge=0, le=1, description="Estimated chance the action succeeds.")
    value: float = Field(ge=0, description="Relative business value if it succeeds.")
    lever: float = Field(default=1.0, gt=0, description="Business priority of the playbook.")
    source: Source = Field(
        default="rules",
        description="Who proposed it: the rules planner, the LLM, or the safe default.",
    )


class PlannerNote(BaseModel):
    """Something the planner skipped and why (invalid default args, unmet condition)."""

    model_config = ConfigDict(frozen=True)

    playbook_id: str = Field(
        description="The playbook as id@version, e.g. billing-dispute-acknowledge@1, or llm."
    )
    action_type: str = Field(
        description="The action skipped, e.g. offer_incentive, or * for the whole playbook."
    )
    note: str = Field(description="Why it was skipped.")
