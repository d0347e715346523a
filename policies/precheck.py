"""What the policies allow for this customer right now, before anything is proposed.

Planners use it to avoid proposing what is forbidden anyway (and an LLM is never offered it);
the guards still check every call afterwards. It probes the guards with representative calls,
so the rules live in one place only. A probe is the mildest form of its tool (a 1% discount,
a message sent now, a callback in an hour): what even that cannot do is forbidden outright.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from policies.context import CaseFact, PolicyContext
from policies.evaluate import evaluate
from policies.pack import PolicyPack
from tools import (
    ActionCall,
    ActionType,
    Channel,
    OfferIncentive,
    OfferIncentiveArgs,
    Purpose,
    ScheduleCallback,
    ScheduleCallbackArgs,
    SendMessage,
    SendMessageArgs,
)

__all__ = ["Precheck", "precheck"]

_MESSAGE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.IN_APP)
_OFFER_CHANNELS = (*_MESSAGE_CHANNELS, Channel.CHAT, Channel.PHONE)
_PROBE = "precheck"


class Precheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    forbidden: list[ActionType] = Field(
        description="Contact tools no call of which is permitted for this customer right now."
    )
    channels: dict[Purpose, list[Channel]] = Field(
        description="Per purpose, the channels some contact tool may use now (consent, caps, "
        "suppression, quiet hours and rules all applied)."
    )
    max_percent: Decimal = Field(description="The tier's largest percent discount.")
    max_amount: Decimal = Field(description="The tier's largest amount discount, in currency.")
    max_free_months: int = Field(description="The tier's most free months.")
    currency: str = Field(description="The customer's currency: amount discounts use it.")
    open_cases: list[CaseFact] = Field(
        default_factory=list,
        description="Cases open now, from the profile, events or our decisions: a case of one "
        "of these types is updated (update_case), never opened again.",
    )


def _probes(ctx: PolicyContext) -> list[ActionCall]:
    messages: list[ActionCall] = [
        SendMessage(args=SendMessageArgs(channel=channel, purpose=purpose, template_id=_PROBE))
        for purpose in Purpose
        for channel in _MESSAGE_CHANNELS
    ]
    offers: list[ActionCall] = [
        OfferIncentive(
            args=OfferIncentiveArgs(
                kind="percent_discount", value=Decimal(1), channel=channel, offer_id=_PROBE
            )
        )
        for channel in _OFFER_CHANNELS
    ]
    callback = ScheduleCallback(
        args=ScheduleCallbackArgs(at=ctx.now + timedelta(hours=1), queue=_PROBE, topic=_PROBE)
    )
    return [*messages, *offers, callback]


def precheck(ctx: PolicyContext, pack: PolicyPack) -> Precheck:
    """For this customer right now: forbidden contact tools, usable channels, tier maxima, and
    the cases that are open."""
    permitted = [call for call in _probes(ctx) if evaluate(call, ctx, pack).permitted]
    usable = {(call.purpose, call.channel) for call in permitted}
    channels = {
        purpose: [channel for channel in Channel if (purpose, channel) in usable]
        for purpose in Purpose
    }
    probed = (ActionType.SEND_MESSAGE, ActionType.OFFER_INCENTIVE, ActionType.SCHEDULE_CALLBACK)
    allowed_types = {call.type for call in permitted}
    limits = pack.tier_limits(ctx.customer.tier)
    return Precheck(
        forbidden=[t for t in probed if t not in allowed_types],
        channels=channels,
        max_percent=limits.percent,
        max_amount=limits.amount,
        max_free_months=limits.free_months,
        currency=ctx.customer.currency,
        open_cases=ctx.customer.open_cases,
    )
