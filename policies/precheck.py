"""What the policies allow for this customer right now, before anything is proposed.

Planners use it to avoid proposing what is forbidden anyway (and an LLM is never offered it);
the guards still check every call afterwards.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from policies.context import PolicyContext
from policies.evaluate import evaluate
from policies.pack import PolicyPack
from tools import (
    ActionType,
    Channel,
    OfferIncentive,
    OfferIncentiveArgs,
    Purpose,
    SendMessage,
    SendMessageArgs,
)

__all__ = ["Precheck", "precheck"]

_MESSAGE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.IN_APP)
_OFFER_CHANNELS = (*_MESSAGE_CHANNELS, Channel.CHAT, Channel.PHONE)


class Precheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    forbidden: list[ActionType]
    channels: dict[Purpose, list[Channel]]
    max_percent: Decimal
    max_amount: Decimal
    max_free_months: int


def precheck(ctx: PolicyContext, pack: PolicyPack) -> Precheck:
    """Probe the guards with representative calls: the same rules, no second copy of them."""
    channels: dict[Purpose, list[Channel]] = {}
    for purpose in Purpose:
        channels[purpose] = [
            channel
            for channel in _MESSAGE_CHANNELS
            if evaluate(
                SendMessage(
                    args=SendMessageArgs(channel=channel, purpose=purpose, template_id="precheck")
                ),
                ctx,
                pack,
            ).permitted
        ]
    offers = (
        OfferIncentive(
            args=OfferIncentiveArgs(
                kind="percent_discount", value=Decimal(1), channel=channel, offer_id="precheck"
            )
        )
        for channel in _OFFER_CHANNELS
    )
    can_offer = any(evaluate(o, ctx, pack).permitted for o in offers)
    forbidden = [] if can_offer else [ActionType.OFFER_INCENTIVE]
    limits = pack.tier_limits(ctx.customer.tier)
    return Precheck(
        forbidden=forbidden,
        channels=channels,
        max_percent=limits.percent,
        max_amount=limits.amount,
        max_free_months=limits.free_months,
    )
