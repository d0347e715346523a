"""The decision record: one append-only row per decision, holding its full trace."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from agent.briefing.models import Briefing
from agent.context import RequestContext
from agent.events import Event
from agent.llm import LLMCallTrace
from agent.outcomes.accounting import Accounting
from agent.planner.proposal import PlannerNote
from agent.profile import CustomerId, Profile
from agent.signals.models import Signals
from policies.verdict import Evaluation, Outcome
from tools import ActionCall

__all__ = [
    "DecideRequest",
    "DecisionRecordV1",
    "Mode",
    "PlaybookRef",
    "ProposalTrace",
    "RankedAction",
]

Mode = Literal["rules", "llm", "llm_repaired", "fallback_rules"]


class DecideRequest(BaseModel):
    """What a caller sends: a stored customer or an inline profile, recent events, context."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: CustomerId | None = None
    profile: Profile | None = None
    events: list[Event] = Field(default_factory=list, max_length=500)
    context: RequestContext = Field(default_factory=RequestContext)

    @model_validator(mode="after")
    def _one_customer(self) -> DecideRequest:
        if self.customer_id is None and self.profile is None:
            raise ValueError("give either customer_id or profile")
        if self.customer_id and self.profile and self.customer_id != self.profile.customer_id:
            raise ValueError("customer_id and profile.customer_id differ")
        return self


class PlaybookRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    version: int
    title: str
    score: float
    conditions_met: bool
    condition_errors: list[str] = Field(default_factory=list)


class ProposalTrace(BaseModel):
    """One proposal as planned, and what the guards made of it."""

    model_config = ConfigDict(frozen=True)

    proposal_id: str = Field(description="p1, p2, ... within the decision.")
    call: ActionCall = Field(description="The call as proposed.")
    playbook_id: str | None
    playbook_version: int | None
    rationale: str
    propensity: float = Field(ge=0, le=1)
    value: float = Field(ge=0)
    lever: float = Field(default=1.0, gt=0, description="Business priority of its playbook.")
    evaluation: Evaluation


class RankedAction(BaseModel):
    model_config = ConfigDict(frozen=True)

    proposal_id: str
    call: ActionCall = Field(description="The call after policy modifications.")
    score: float
    probability: float = Field(ge=0, le=1, description="Probability this action would be chosen.")
    outcome: Outcome
    playbook_id: str | None


class DecisionRecordV1(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    decision_id: str
    kind: Literal["decision", "briefing"] = "decision"
    created_at: AwareDatetime
    customer_id: CustomerId
    idempotency_key: str | None = None
    # inputs as seen
    profile: Profile
    events: list[Event]
    context: RequestContext
    profile_source: Literal["store", "inline"]
    # trace
    signals: Signals
    playbooks: list[PlaybookRef]
    proposals: list[ProposalTrace]
    planner_notes: list[PlannerNote] = Field(default_factory=list)
    chosen: RankedAction
    alternatives: list[RankedAction]
    approval_required: bool
    rationale: str
    safe_default: bool = Field(
        description="True when no proposal survived and a safe default was used."
    )
    mode: Mode
    mode_reason: str = Field(description="Why this mode: the LLM's error or what was repaired.")
    llm_calls: list[LLMCallTrace] = Field(
        default_factory=list, description="Each LLM call: purpose, model, tokens, latency."
    )
    fetched_events: list[Event] = Field(
        default_factory=list,
        description="Events the LLM fetched beyond `events` (inputs as seen, kept for replay).",
    )
    model: str | None = Field(default=None, description="The LLM that answered, if one did.")
    prompt_version: str | None = Field(
        default=None, description="Hash of the prompt templates and base tool schemas used."
    )
    policy_pack_version: str
    embedding_model: str
    timings_ms: dict[str, float]
    redactions: list[str] = Field(
        default_factory=list, description="Field paths masked before storing."
    )
    request_fingerprint: str | None = Field(
        default=None, description="sha256 of the request, to tell a retry from a different request."
    )
    briefing: Briefing | None = None
    accounting: Accounting | None = Field(
        default=None,
        description="What the guards counted: earlier contacts and spends (executed or "
        "reserved, from decisions or events), cases opened by events, withdrawn consents.",
    )
