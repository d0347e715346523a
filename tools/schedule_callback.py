"""schedule_callback: a human calls the customer back at an agreed time."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field

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

__all__ = ["ScheduleCallback", "ScheduleCallbackArgs"]


class ScheduleCallbackArgs(ToolArgs):
    channel: Literal[Channel.PHONE] = Field(default=Channel.PHONE, description="Always phone.")
    purpose: Literal["service"] = Field(
        default="service", description="Callbacks are service contacts."
    )
    at: AwareDatetime = Field(description="Callback time (timezone-aware).")
    queue: Identifier = Field(description="Team queue that owns the callback.")
    topic: str = Field(min_length=1, max_length=200, description="What the callback is about.")


class ScheduleCallback(ToolCallBase):
    """Schedule a phone callback from a human agent."""

    spec = ToolSpec(
        name=ActionType.SCHEDULE_CALLBACK,
        description="Schedule a phone callback from a human agent.",
        purpose=Purpose.SERVICE,
        risk=RiskLevel.LOW,
        base_cost=Decimal("4.00"),
        reversible=True,
        contacts_customer=True,
        promises=("call you", "callback", "call back", "ring you"),
    )
    type: Literal[ActionType.SCHEDULE_CALLBACK] = Field(
        default=ActionType.SCHEDULE_CALLBACK,
        description="Which action this is: always schedule_callback.",
    )
    args: ScheduleCallbackArgs = Field(description="The action's arguments.")

    def plain(self) -> str:
        team = self.args.queue.replace("_", " ").replace("-", " ")
        return f"book a phone callback from the {team} team ({self.args.at:%a %d %b %H:%M} UTC)"
