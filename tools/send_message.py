"""send_message: a templated message on a customer channel."""

from __future__ import annotations

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

__all__ = ["SendMessage", "SendMessageArgs"]

MessageChannel = Literal[Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.IN_APP]


class SendMessageArgs(ToolArgs):
    channel: MessageChannel = Field(description="Channel to send on.")
    purpose: Purpose = Field(
        description="service for account/transactional help, marketing for offers."
    )
    template_id: Identifier = Field(description="Approved message template id.")
    send_at: AwareDatetime | None = Field(
        default=None, description="When to send (timezone-aware); omit to send now."
    )
    variables: dict[str, str] = Field(
        default_factory=dict, max_length=20, description="Template variables."
    )


class SendMessage(ToolCallBase):
    """Send the customer a message from an approved template."""

    spec = ToolSpec(
        name=ActionType.SEND_MESSAGE,
        description="Send the customer a message from an approved template.",
        purpose=Purpose.SERVICE,
        risk=RiskLevel.LOW,
        reversible=False,
        contacts_customer=True,
        promises=("send you", "email you", "text you", "message you"),
    )
    type: Literal[ActionType.SEND_MESSAGE] = Field(
        default=ActionType.SEND_MESSAGE, description="Which action this is: always send_message."
    )
    args: SendMessageArgs = Field(description="The action's arguments.")

    def plain(self) -> str:
        channel = str(self.args.channel).replace("_", "-")
        return f"send a {self.args.purpose} message by {channel}"
