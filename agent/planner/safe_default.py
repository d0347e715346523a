"""The safe default when no proposal survives the guards."""

from __future__ import annotations

from agent.context import RequestContext
from agent.planner.proposal import Proposal
from agent.signals.models import Signals
from tools import Channel, HandoffToAgent, HandoffToAgentArgs, NoAction, NoActionArgs

__all__ = ["safe_default"]

_QUEUES = {
    "billing_dispute": "billing",
    "account_access": "account_security",
    "insurance_claim": "claims",
    "travel_prearrival": "travel",
    "tech_support": "tech_support",
    "renewal": "retention",
    "cancellation": "retention",
}


def safe_default(context: RequestContext, signals: Signals, why: str) -> Proposal:
    """Inbound: a human takes over with a briefing. Otherwise: do nothing, on purpose."""
    if context.direction == "inbound":
        journey = signals.journey.journey or ""
        live = context.channel if context.channel in (Channel.CHAT, Channel.PHONE) else None
        call: HandoffToAgent | NoAction = HandoffToAgent(
            args=HandoffToAgentArgs(
                queue=_QUEUES.get(journey, "general"),
                priority="high" if signals.effort.level == "high" else "normal",
                channel=live,
                reason=f"Safe default: {why}"[:200],
            )
        )
    else:
        call = NoAction(args=NoActionArgs(reason=f"Safe default: {why}"[:200]))
    return Proposal(call=call, rationale=f"safe default ({why})", propensity=1.0, value=0.1)
