"""The decision graph's state, declared up front; each field says how updates merge."""

from __future__ import annotations

import operator
from datetime import datetime
from typing import Annotated, Literal, TypedDict

from agent.briefing.models import Briefing
from agent.events import Event
from agent.planner.proposal import PlannerNote, Proposal
from agent.playbooks.model import PlaybookHit
from agent.profile import Profile
from agent.record import DecideRequest, DecisionRecordV1, ProposalTrace, RankedAction
from agent.signals.models import Signals
from policies import PolicyContext

__all__ = ["DecisionState", "Kind"]

Kind = Literal["decision", "briefing"]


class DecisionState(TypedDict, total=False):
    # set by run_decision
    request: DecideRequest
    kind: Kind
    decision_id: str
    now: datetime
    idempotency_key: str | None
    fingerprint: str
    # load_context
    profile: Profile
    profile_source: Literal["store", "inline"]
    events: list[Event]
    signals: Signals
    policy_context: PolicyContext
    activation: dict[str, object]
    # retrieve
    hits: list[PlaybookHit]
    # plan + guard
    proposals: list[Proposal]
    notes: list[PlannerNote]
    traces: list[ProposalTrace]
    # arbitrate
    ranked: list[RankedAction]
    chosen: RankedAction
    safe_default: bool
    rationale: str
    # brief
    briefing: Briefing | None
    # record
    record: DecisionRecordV1
    # every node adds its own duration
    timings_ms: Annotated[dict[str, float], operator.or_]
