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
    "Released",
]

Mode = Literal["rules", "llm", "llm_repaired", "fallback_rules"]


class DecideRequest(BaseModel):
    """What a caller sends: a stored customer or an inline profile, recent events, context."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "c13_amehta",
                    "events": [
                        {
                            "id": "evt_c13_011",
                            "ts": "2026-11-20T20:25:00Z",
                            "channel": "chat",
                            "type": "chat_message",
                            "text": "You've taken 189 euro twice for the same order. I want "
                            "the duplicate back, today.",
                        }
                    ],
                    "context": {
                        "channel": "chat",
                        "direction": "inbound",
                        "reason": "Charged twice for the same order",
                        "interaction_id": "chat-20261120-7781",
                    },
                }
            ]
        },
    )

    customer_id: CustomerId | None = Field(
        default=None,
        description="A stored customer, e.g. c13_amehta (404 when unknown and no `profile` is "
        "sent). Give this, `profile`, or both with the same id.",
    )
    profile: Profile | None = Field(
        default=None, description="An inline profile, used instead of the stored one."
    )
    events: list[Event] = Field(
        default_factory=list,
        max_length=500,
        description="Recent events, merged by id with the customer's stored ones (these win).",
    )
    context: RequestContext = Field(
        default_factory=RequestContext, description="The interaction this decision is for."
    )

    @model_validator(mode="after")
    def _one_customer(self) -> DecideRequest:
        if self.customer_id is None and self.profile is None:
            raise ValueError("give either customer_id or profile")
        if self.customer_id and self.profile and self.customer_id != self.profile.customer_id:
            raise ValueError("customer_id and profile.customer_id differ")
        return self


class PlaybookRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Playbook id, e.g. billing-double-charge-open-case.")
    version: int = Field(description="The playbook version retrieved.")
    title: str = Field(description="Playbook title.")
    score: float = Field(description="Cosine similarity to the retrieval query, 0..1.")
    conditions_met: bool = Field(description="True when all its CEL conditions held.")
    condition_errors: list[str] = Field(
        default_factory=list, description="Conditions that could not be evaluated, and why."
    )


class ProposalTrace(BaseModel):
    """One proposal as planned, and what the guards made of it."""

    model_config = ConfigDict(frozen=True)

    proposal_id: str = Field(description="p1, p2, ... within the decision.")
    call: ActionCall = Field(description="The call as proposed.")
    playbook_id: str | None = Field(description="The playbook it came from, if any.")
    playbook_version: int | None = Field(description="That playbook's version.")
    rationale: str = Field(description="Why the planner proposed it.")
    propensity: float = Field(ge=0, le=1, description="Estimated chance it succeeds, 0..1.")
    value: float = Field(ge=0, description="Relative business value if it succeeds.")
    lever: float = Field(default=1.0, gt=0, description="Business priority of its playbook.")
    source: Literal["rules", "llm", "safe_default"] = Field(
        default="rules",
        description="Who proposed it: the rules planner, the LLM (ranked beside the rules "
        "planner's proposals), or the safe default.",
    )
    evaluation: Evaluation = Field(description="What the guards said about it.")


class RankedAction(BaseModel):
    model_config = ConfigDict(frozen=True)

    proposal_id: str = Field(description="The proposal it ranks (p1, p2, ...).")
    call: ActionCall = Field(description="The call after policy modifications.")
    score: float = Field(
        description="Arbitration score: propensity x value x context weight x lever."
    )
    probability: float = Field(ge=0, le=1, description="Probability this action would be chosen.")
    outcome: Outcome = Field(description="The guards' combined outcome for it.")
    playbook_id: str | None = Field(description="The playbook it came from, if any.")


class Released(BaseModel):
    """Where a released decision comes from: the approval whose verdict released it."""

    model_config = ConfigDict(frozen=True)

    approval_id: str = Field(description="The approval, apr_….")
    decision_id: str = Field(description="The decision that waited for it.")
    verdict: Literal["approved", "rejected", "expired", "cancelled"] = Field(
        description="What released it."
    )
    by: str = Field(description="Who gave the verdict (system for expiry).")
    reason: str = Field(description="Their reason.")


class DecisionRecordV1(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = Field(default=1, description="Version of the record's shape.")
    decision_id: str = Field(description="Sortable id, e.g. dec_01KAG4Z4W3QJ8RM5Y2N6T7V9XB.")
    kind: Literal["decision", "briefing"] = Field(
        default="decision", description="decision (POST /v1/decide) or briefing."
    )
    created_at: AwareDatetime = Field(description="When it was decided (UTC).")
    customer_id: CustomerId = Field(description="The customer, e.g. c13_amehta.")
    idempotency_key: str | None = Field(
        default=None, description="The caller's Idempotency-Key header, if sent."
    )
    # inputs as seen
    profile: Profile = Field(description="The profile as the agent saw it.")
    events: list[Event] = Field(description="The events as the agent saw them, oldest first.")
    context: RequestContext = Field(description="The interaction context as sent.")
    profile_source: Literal["store", "inline"] = Field(
        description="store: loaded by customer_id; inline: sent in the request."
    )
    # trace
    signals: Signals = Field(description="What the agent derived from profile and events.")
    playbooks: list[PlaybookRef] = Field(description="The playbooks retrieved, best first.")
    proposals: list[ProposalTrace] = Field(description="Every proposal and its verdicts.")
    planner_notes: list[PlannerNote] = Field(
        default_factory=list, description="Actions the planner skipped, and why."
    )
    chosen: RankedAction = Field(description="The action returned.")
    alternatives: list[RankedAction] = Field(description="The other permitted actions, best first.")
    approval_required: bool = Field(
        description="True when the chosen action waits for a human's approval."
    )
    approval_id: str | None = Field(
        default=None,
        description="When a decision's action waits for approval: the approval to approve or "
        "reject (GET /v1/approvals/{id}). Briefings are previews and open none.",
    )
    released_from: Released | None = Field(
        default=None,
        description="Set on the decision an approval released (id <decision_id>.released): "
        "what waited, and the verdict. Its outcomes are reported on this decision.",
    )
    rationale: str = Field(description="Why this action won, for humans.")
    safe_default: bool = Field(
        description="True when no proposal survived and a safe default was used."
    )
    mode: Mode = Field(
        description="Planner that ran: rules, llm, llm_repaired (after one repair round) or "
        "fallback_rules (the LLM failed)."
    )
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
    policy_pack_version: str = Field(
        description="The policy pack the guards ran under, e.g. default@2026.11.1."
    )
    embedding_model: str = Field(description="The embedding model used for retrieval.")
    timings_ms: dict[str, float] = Field(
        description="Milliseconds per step: load_context, retrieve, plan, guard, ..."
    )
    redactions: list[str] = Field(
        default_factory=list, description="Field paths masked before storing."
    )
    request_fingerprint: str | None = Field(
        default=None, description="sha256 of the request, to tell a retry from a different request."
    )
    briefing: Briefing | None = Field(
        default=None, description="For kind=briefing: the briefing composed."
    )
    caller: str | None = Field(
        default=None,
        description="The name of the API key that asked for it (anonymous without keys).",
    )
    accounting: Accounting | None = Field(
        default=None,
        description="What the guards counted: earlier contacts and spends (executed or "
        "reserved, from decisions or events), cases opened by events, withdrawn consents.",
    )
