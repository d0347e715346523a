"""Arbitration: rank the permitted proposals by propensity x value x context weight x lever."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from agent.context import RequestContext
from agent.profile import Profile
from agent.record import ProposalTrace, RankedAction
from agent.signals.models import Signals
from policies import Outcome
from tools import ActionCall, ActionType, Purpose

__all__ = ["APPROVAL_PENALTY", "Ranking", "answers_nothing", "context_weight", "rank"]

APPROVAL_PENALTY = 0.7
"""An action that waits for a human is worth less now than one that can run."""

_TEMPERATURE = 0.1
"""Softmax temperature for the recorded choice probabilities (for off-policy evaluation)."""


@dataclass(frozen=True, slots=True)
class Ranking:
    ranked: list[RankedAction]
    weights: dict[str, tuple[float, list[str]]]
    """proposal_id -> (context weight, the reasons behind it)."""


def context_weight(
    call: ActionCall, signals: Signals, context: RequestContext, profile: Profile
) -> tuple[float, list[str]]:
    """A multiplier from the moment, with the reasons (each is a short, stable phrase)."""
    weight, reasons = 1.0, []
    inbound = context.direction == "inbound"
    struggling = signals.effort.level == "high" or signals.journey.stage == "escalating"
    upset = signals.sentiment.label == "negative"
    if call.type is ActionType.HANDOFF_TO_AGENT and inbound and (struggling or upset):
        weight *= 1.3
        reasons.append("customer is struggling or upset: a human helps most")
    if call.type is ActionType.RECOMMEND_ARTICLE and struggling:
        weight *= 0.6
        reasons.append("high effort already: self-service is less likely to help")
    if call.purpose is Purpose.MARKETING and upset:
        weight *= 0.7
        reasons.append("negative sentiment: marketing is less welcome")
    if call.type is ActionType.NO_ACTION and inbound:
        weight *= 0.5
        reasons.append("the customer reached out: doing nothing leaves them unanswered")
    if call.type is ActionType.HANDOFF_TO_AGENT and not inbound:
        weight *= 0.5
        reasons.append("no live interaction to hand off")
    if call.channel is not None and call.channel == profile.preferred_channel:
        weight *= 1.1
        reasons.append("customer's preferred channel")
    if signals.risk.level == "high" and call.type in (
        ActionType.OFFER_INCENTIVE,
        ActionType.SCHEDULE_CALLBACK,
        ActionType.APPLY_GOODWILL_CREDIT,
    ):
        weight *= 1.2
        reasons.append("high churn risk: retention levers matter more")
    return round(weight, 4), reasons


def answers_nothing(ranked: Sequence[RankedAction], context: RequestContext) -> bool:
    """True when no permitted action answers the contact: none at all, or, for a customer who
    reached out, nothing but doing nothing (which the safe default's person then outranks)."""
    if context.direction != "inbound":
        return not ranked
    return all(r.call.type is ActionType.NO_ACTION for r in ranked)


def _softmax(scores: Sequence[float]) -> list[float]:
    if not scores:
        return []
    top = max(scores)
    exps = [math.exp((s - top) / _TEMPERATURE) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def rank(
    traces: Sequence[ProposalTrace], signals: Signals, context: RequestContext, profile: Profile
) -> Ranking:
    """Permitted proposals best first; ties keep planner order. Denied ones are not ranked."""
    scored: list[tuple[float, int, ProposalTrace]] = []
    weights: dict[str, tuple[float, list[str]]] = {}
    for order, trace in enumerate(traces):
        evaluation = trace.evaluation
        if not evaluation.permitted:
            continue
        weight, reasons = context_weight(evaluation.call, signals, context, profile)
        if evaluation.outcome is Outcome.REQUIRE_APPROVAL:
            weight *= APPROVAL_PENALTY
            reasons.append("needs human approval before it runs")
        weights[trace.proposal_id] = (round(weight, 4), reasons)
        score = trace.propensity * trace.value * weight * trace.lever
        scored.append((round(score, 6), order, trace))
    scored.sort(key=lambda item: (-item[0], item[1]))
    probabilities = _softmax([s for s, _, _ in scored])
    ranked = [
        RankedAction(
            proposal_id=trace.proposal_id,
            call=trace.evaluation.call,
            score=score,
            probability=round(p, 6),
            outcome=trace.evaluation.outcome,
            playbook_id=trace.playbook_id,
        )
        for (score, _, trace), p in zip(scored, probabilities, strict=True)
    ]
    return Ranking(ranked=ranked, weights=weights)
