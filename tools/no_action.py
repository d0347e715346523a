"""no_action: decide, on purpose, to do nothing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tools.base import ActionType, Purpose, RiskLevel, ToolArgs, ToolCallBase, ToolSpec

__all__ = ["NoAction", "NoActionArgs"]


class NoActionArgs(ToolArgs):
    reason: str = Field(min_length=1, max_length=200, description="Why nothing is the best action.")


class NoAction(ToolCallBase):
    """Do nothing now; the best action is sometimes none."""

    spec = ToolSpec(
        name=ActionType.NO_ACTION,
        description="Do nothing now; the best action is sometimes none.",
        purpose=Purpose.SERVICE,
        risk=RiskLevel.LOW,
        reversible=True,
        contacts_customer=False,
        promises=(),
    )
    type: Literal[ActionType.NO_ACTION] = Field(
        default=ActionType.NO_ACTION, description="Which action this is: always no_action."
    )
    args: NoActionArgs = Field(description="The action's arguments.")

    def plain(self) -> str:
        return "take no action"
