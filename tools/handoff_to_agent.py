"""handoff_to_agent: route the live interaction to a human, with a briefing."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from tools.base import (
    ActionType,
    Channel,
    Identifier,
    Purpose,
    RiskLevel,
    ToolArgs,
    ToolCallBase,
    ToolSpec,
)

__all__ = ["HandoffToAgent", "HandoffToAgentArgs", "Priority"]

Priority = Literal["low", "normal", "high", "urgent"]


class HandoffToAgentArgs(ToolArgs):
    queue: Identifier = Field(description="Skill queue to route to, e.g. billing or retention.")
    priority: Priority = Field(default="normal", description="Routing priority.")
    channel: Literal[Channel.CHAT, Channel.PHONE] | None = Field(
        default=None, description="Live channel to hand off on; omit to keep the current one."
    )
    with_briefing: bool = Field(
        default=True, description="Attach a handoff briefing for the agent."
    )
    reason: str = Field(min_length=1, max_length=200, description="Why a human should take over.")


class HandoffToAgent(ToolCallBase):
    """Hand the customer to a human agent with a briefing, so they never repeat their story."""

    spec = ToolSpec(
        name=ActionType.HANDOFF_TO_AGENT,
        description="Hand the customer to a human agent with a briefing.",
        purpose=Purpose.SERVICE,
        risk=RiskLevel.LOW,
        base_cost=Decimal("6.00"),
        reversible=True,
        contacts_customer=False,
        promises=(
            "specialist",
            "colleague",
            "transfer you",
            "put you through",
            "bringing in",
            "bring in",
        ),
    )
    type: Literal[ActionType.HANDOFF_TO_AGENT] = Field(
        default=ActionType.HANDOFF_TO_AGENT,
        description="Which action this is: always handoff_to_agent.",
    )
    args: HandoffToAgentArgs = Field(description="The action's arguments.")

    def plain(self) -> str:
        team = self.args.queue.replace("_", " ").replace("-", " ")
        how = f" on {self.args.channel}" if self.args.channel else ""
        return f"hand over to the {team} team{how} ({self.args.priority} priority)"
