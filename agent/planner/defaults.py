"""Fill the arguments a playbook leaves to the moment: channel, send time, currency, case.

On a live interaction (an inbound chat or call) the actions that reach the customer use that
channel, whatever the playbook wrote: an offer is made, an article shared and a handoff done in
the conversation the customer is in. An article on a call goes to their e-mail, the one way to
put a link in their hands.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from agent.context import RequestContext
from agent.profile import Profile
from tools import ActionType, Channel

__all__ = ["MESSAGE_CHANNELS", "fill_defaults", "next_business_slot"]

MESSAGE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.IN_APP)
_LIVE_CHANNELS = (Channel.CHAT, Channel.PHONE)
_OPEN, _CLOSE = time(9, 0), time(18, 0)


def _message_channel(profile: Profile) -> Channel:
    preferred = profile.preferred_channel
    return preferred if preferred in MESSAGE_CHANNELS else Channel.EMAIL


def _live_channel(context: RequestContext) -> Channel | None:
    if context.direction == "inbound" and context.channel in _LIVE_CHANNELS:
        return context.channel
    return None


def next_business_slot(
    now: datetime, profile: Profile, *, lead: timedelta = timedelta(hours=2)
) -> datetime:
    """The first half hour at least ``lead`` ahead that falls in 09:00-18:00 local on a weekday."""
    local = (now + lead).astimezone(profile.zone)
    local = local.replace(second=0, microsecond=0)
    if local.minute not in (0, 30):
        local += timedelta(minutes=30 - local.minute % 30)
    for _ in range(14):
        if local.weekday() < 5 and _OPEN <= local.time() < _CLOSE:
            return local
        day = local.date() + timedelta(days=0 if local.time() < _OPEN else 1)
        local = datetime.combine(day, _OPEN, tzinfo=profile.zone)
    return local


def fill_defaults(
    action: ActionType,
    args: dict[str, Any],
    profile: Profile,
    context: RequestContext,
    now: datetime,
) -> dict[str, Any]:
    """A copy of ``args`` with what the playbook left open filled from this customer and moment."""
    filled = dict(args)
    live = _live_channel(context)
    match action:
        case ActionType.SEND_MESSAGE:
            filled.setdefault("channel", _message_channel(profile))
        case ActionType.OFFER_INCENTIVE:
            filled["channel"] = live or filled.get("channel") or _message_channel(profile)
            if filled.get("kind") == "amount_discount":
                filled.setdefault("currency", profile.currency)
        case ActionType.APPLY_GOODWILL_CREDIT:
            filled.setdefault("currency", profile.currency)
            if profile.active_cases:
                filled.setdefault("case_id", profile.active_cases[0].id)
        case ActionType.SCHEDULE_CALLBACK:
            filled.setdefault("at", next_business_slot(now, profile))
        case ActionType.HANDOFF_TO_AGENT:
            if live is not None:
                filled["channel"] = live
        case ActionType.RECOMMEND_ARTICLE:
            if live is not None:
                filled["channel"] = Channel.CHAT if live == Channel.CHAT else Channel.EMAIL
        case _:
            pass
    return filled
