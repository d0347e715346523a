"""The safe default when no proposal survives the guards."""

from __future__ import annotations

from agent.context import RequestContext
from agent.planner.proposal import Proposal
from agent.signals.models import Signals
from tools import Channel, HandoffToAgent, HandoffToAgentArgs, NoAction, NoActionArgs

__all__ = ["safe_defaults"]

_QUEUES = {
    "billing_dispute": "billing",
    "account_access": "account_security",
    "insurance_claim": "claims",
    "travel_prearrival": "travel",
    "tech_support": "tech_support",
    "renewal": "retention",
    "cancellation": "retention",
    "order_delivery": "deliveries",
    "complaint": "complaints",
}


def safe_defaults(
    context: RequestContext, signals: Signals, why: str, *, likely_journey: str | None = None
) -> list[Proposal]:
    """What to do when nothing survived, most helpful first; the guards judge each in turn.

    Inbound: a human takes over with a briefing (on the live channel, then on any), and doing
    nothing is the last resort. Otherwise: do nothing, on purpose. The handoff goes to the
    queue of the journey, or of ``likely_journey`` when none is known (the closest playbook's,
    for a contact not understood well enough to act on it).
    """
    reason = f"Safe default: {why}"[:200]
    proposals = []
    if context.direction == "inbound":
        journey = signals.journey.journey or likely_journey or ""
        live = context.channel if context.channel in (Channel.CHAT, Channel.PHONE) else None
        channels = [live, None] if live is not None else [None]
        proposals = [
            Proposal(
                call=HandoffToAgent(
                    args=HandoffToAgentArgs(
                        queue=_QUEUES.get(journey, "general"),
                        priority="high" if signals.effort.level == "high" else "normal",
                        channel=channel,
                        reason=reason,
                    )
                ),
                rationale=f"safe default ({why})",
                propensity=1.0,
                value=0.1,
                source="safe_default",
            )
            for channel in channels
        ]
    nothing = NoAction(args=NoActionArgs(reason=reason))
    proposals.append(
        Proposal(
            call=nothing,
            rationale=f"safe default ({why})",
            propensity=1.0,
            value=0.1,
            source="safe_default",
        )
    )
    return proposals
