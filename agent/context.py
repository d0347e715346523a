"""The context of the current interaction, as the caller states it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools import Channel, Identifier

__all__ = ["Direction", "RequestContext"]

Direction = Literal["inbound", "outbound"]


class RequestContext(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel | None = Field(
        default=None, description="Channel of the current interaction, if the customer is here now."
    )
    direction: Direction = Field(
        default="outbound",
        description="inbound: the customer reached out now; outbound: a journey or batch trigger.",
    )
    reason: str | None = Field(
        default=None, max_length=1000, description="Stated reason for contact."
    )
    journey: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="The journey this interaction belongs to, when the caller knows it.",
    )
    agent_id: str | None = Field(
        default=None, max_length=64, description="The human agent handling it, if any."
    )
    interaction_id: Identifier | None = Field(
        default=None,
        description="The caller's id of this conversation (call, chat session). Decisions that "
        "share it count as one contact in the repeat-contact and first-contact-resolution KPIs.",
    )
