"""The decision graph's state, declared up front; each field says how updates merge."""

from __future__ import annotations

import operator
from datetime import datetime
from typing import Annotated, Literal, TypedDict

from agent.briefing.models import Briefing
from agent.events import Event
from agent.llm import LLMCallTrace
from agent.outcomes import Accounting
from agent.planner.llm import LLMSession
from agent.planner.proposal import PlannerNote, Proposal
from agent.playbooks.model import PlaybookHit
from agent.profile import Profile
from agent.record import DecideRequest, DecisionRecordV1, Mode, ProposalTrace, RankedAction
from agent.signals.derive import Reading
from agent.signals.models import Signals
from policies import PolicyContext

__all__ = ["DecisionState", "Kind", "add_timings"]

Kind = Literal["decision", "briefing"]


def add_timings(left: dict[str, float], right: dict[str, float]) -> dict[str, float]:
    """Merge node durations; a node that runs twice (guard after a repair) adds up."""
    merged = dict(left)
    for name, ms in right.items():
        merged[name] = round(merged.get(name, 0.0) + ms, 3)
    return merged


class DecisionState(TypedDict, total=False):
    # set by run_decision
    request: DecideRequest
    kind: Kind
    decision_id: str
    now: datetime
    idempotency_key: str | None
    fingerprint: str
    caller: str | None
    deadline: float
    """Monotonic seconds (``Deps.monotonic``) after which the LLM is not waited for."""
    # load_context
    profile: Profile
    profile_source: Literal["store", "inline"]
    events: list[Event]
    signals: Signals
    reading: Reading
    """``signals`` with the texts they embedded (retrieve reuses the vectors)."""
    policy_context: PolicyContext
    activation: dict[str, object]
    accounting: Accounting
    # retrieve
    hits: list[PlaybookHit]
    # plan (+ repair, fallback) + guard; proposals and notes accumulate across those nodes
    proposals: list[Proposal]
    notes: list[PlannerNote]
    traces: list[ProposalTrace]
    mode: Mode
    mode_reason: str
    low_confidence: str
    """Set when the contact was not understood well enough to act on a playbook: why."""
    llm_session: LLMSession | None
    llm_calls: Annotated[list[LLMCallTrace], operator.add]
    redactions: list[str]
    fetched_events: list[Event]
    # arbitrate
    ranked: list[RankedAction]
    chosen: RankedAction
    safe_default: bool
    rationale: str
    # brief
    briefing: Briefing | None
    # record
    record: DecisionRecordV1
    """As stored: identities tokenized, free text scrubbed."""
    shown: DecisionRecordV1
    """As made: what the caller receives (a briefing keeps the customer's name for the agent)."""
    # every node adds its own duration
    timings_ms: Annotated[dict[str, float], add_timings]
