"""open_case: open a tracked case so the issue has an owner."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from tools.base import ActionType, Identifier, Purpose, RiskLevel, ToolArgs, ToolCallBase, ToolSpec

__all__ = ["OpenCase", "OpenCaseArgs"]


class OpenCaseArgs(ToolArgs):
    case_type: Identifier = Field(
        description="Case type, e.g. technical, billing_dispute, complaint."
    )
    priority: Literal["low", "normal", "high", "urgent"] = Field(
        default="normal", description="How urgently the owning team should act."
    )
    queue: Identifier = Field(description="Team queue that owns the case.")
    summary: str = Field(min_length=1, max_length=500, description="What the case is about.")


class OpenCase(ToolCallBase):
    """Open a tracked case with an owning team."""

    spec = ToolSpec(
        name=ActionType.OPEN_CASE,
        description="Open a tracked case with an owning team.",
        purpose=Purpose.SERVICE,
        risk=RiskLevel.LOW,
        base_cost=Decimal("2.00"),
        reversible=True,
        contacts_customer=False,
        promises=("open a case", "opened a case", "raise a case", "ticket", "investigat"),
    )
    type: Literal[ActionType.OPEN_CASE] = Field(
        default=ActionType.OPEN_CASE, description="Which action this is: always open_case."
    )
    args: OpenCaseArgs = Field(description="The action's arguments.")

    def plain(self) -> str:
        kind = self.args.case_type.replace("_", " ").replace("-", " ")
        team = self.args.queue.replace("_", " ").replace("-", " ")
        return f"open a {kind} case for the {team} team ({self.args.priority} priority)"
