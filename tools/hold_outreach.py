"""hold_outreach: deliberately pause proactive contact."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tools.base import ActionType, Purpose, RiskLevel, ToolArgs, ToolCallBase, ToolSpec

__all__ = ["HoldOutreach", "HoldOutreachArgs"]


class HoldOutreachArgs(ToolArgs):
    hours: int = Field(ge=1, le=24 * 90, description="How long to hold proactive outreach.")
    reason: str = Field(min_length=1, max_length=200, description="Why outreach is held.")


class HoldOutreach(ToolCallBase):
    """Pause proactive outreach to this customer for a while."""

    spec = ToolSpec(
        name=ActionType.HOLD_OUTREACH,
        description="Pause proactive outreach to this customer for a while.",
        purpose=Purpose.SERVICE,
        risk=RiskLevel.LOW,
        reversible=True,
        contacts_customer=False,
        promises=("won't contact", "will not contact", "hold off", "pause our"),
    )
    type: Literal[ActionType.HOLD_OUTREACH] = Field(
        default=ActionType.HOLD_OUTREACH, description="Which action this is: always hold_outreach."
    )
    args: HoldOutreachArgs = Field(description="The action's arguments.")

    def plain(self) -> str:
        return f"hold all outreach for {self.args.hours} hours"
