"""update_case: add to a case that is already open instead of opening a second one."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from tools.base import ActionType, Identifier, Purpose, RiskLevel, ToolArgs, ToolCallBase, ToolSpec

__all__ = ["UpdateCase", "UpdateCaseArgs"]


class UpdateCaseArgs(ToolArgs):
    case_id: Identifier = Field(description="The open case to update, as the case system names it.")
    case_type: Identifier = Field(description="Its type, e.g. billing_dispute, complaint.")
    note: str = Field(
        min_length=1, max_length=500, description="What happened since, for the case's owner."
    )
    priority: Literal["low", "normal", "high", "urgent"] | None = Field(
        default=None, description="A new priority for the case, or null to leave it as it is."
    )


class UpdateCase(ToolCallBase):
    """Add a note (and a new priority) to a case that is already open."""

    spec = ToolSpec(
        name=ActionType.UPDATE_CASE,
        description="Add to a case that is already open, instead of opening a second one.",
        purpose=Purpose.SERVICE,
        risk=RiskLevel.LOW,
        base_cost=Decimal("0.50"),
        reversible=True,
        contacts_customer=False,
        promises=(
            "existing case",
            "added today's details",
            "added a note",
            "add a note",
            "updated your case",
        ),
        stands_for=ActionType.OPEN_CASE,
    )
    type: Literal[ActionType.UPDATE_CASE] = Field(
        default=ActionType.UPDATE_CASE, description="Which action this is: always update_case."
    )
    args: UpdateCaseArgs = Field(description="The action's arguments.")

    def plain(self) -> str:
        kind = self.args.case_type.replace("_", " ").replace("-", " ")
        priority = f", at {self.args.priority} priority" if self.args.priority else ""
        return f"add to the {kind} case already open ({self.args.case_id}){priority}"
