"""POST /v1/decide: the next best action for one customer, now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from agent.record import DecideRequest, DecisionRecordV1, Mode, RankedAction
from api.auth import CallerDep
from api.deps import DeciderDep
from api.openapi import errors

__all__ = ["DecideResponse", "IdempotencyKey", "router"]

router = APIRouter(tags=["decide"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Your key for this request, 1-200 chars, e.g. journey-run-8812:c13_amehta. "
        "A retry with the same key and body replays the first answer (Idempotent-Replayed: "
        "true); the same key with another body is a 409.",
    ),
]


class ActionOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: str = Field(description="The action, e.g. send_message or handoff_to_agent.")
    args: dict[str, Any] = Field(
        description="Its arguments, as the action's tool takes them (after policy changes)."
    )


class AlternativeOut(ActionOut):
    score: float = Field(
        description="Arbitration score: propensity x value x context weight x lever."
    )
    probability: float = Field(description="Probability this action would be chosen, 0..1.")
    outcome: str = Field(description="The guards' combined outcome: allow, modify, ...")
    playbook_id: str | None = Field(description="The playbook it came from, if any.")

    @classmethod
    def from_ranked(cls, ranked: RankedAction) -> AlternativeOut:
        return cls(
            type=ranked.call.type,
            args=ranked.call.args.model_dump(mode="json"),
            score=ranked.score,
            probability=ranked.probability,
            outcome=ranked.outcome,
            playbook_id=ranked.playbook_id,
        )


class PlaybookOut(BaseModel):
    id: str = Field(description="Playbook id, e.g. billing-double-charge-open-case.")
    version: int = Field(description="The version retrieved.")
    title: str = Field(description="Playbook title.")
    score: float = Field(description="Cosine similarity to the retrieval query, 0..1.")


class VerdictOut(BaseModel):
    proposal_id: str = Field(description="The proposal judged: p1, p2, ...")
    type: str = Field(description="The proposed action, e.g. send_message.")
    policy_id: str = Field(description="The guard, e.g. consent or quiet_hours.")
    policy_version: str = Field(description="Version of the policy pack it ran under.")
    outcome: str = Field(description="allow, deny, modify or require_approval.")
    reason_code: str = Field(description="Stable reason code, e.g. consent_missing.")
    message: str = Field(description="The reason, for humans.")


class DecideResponse(BaseModel):
    decision_id: str = Field(description="Sortable id, e.g. dec_01KAG4Z4W3QJ8RM5Y2N6T7V9XB.")
    created_at: datetime = Field(description="When it was decided (UTC).")
    customer_id: str = Field(description="The customer, e.g. c13_amehta.")
    action: ActionOut = Field(description="The next best action: carry this out.")
    approval_required: bool = Field(
        description="True when a human must approve the action before it runs."
    )
    approval_id: str | None = Field(
        default=None,
        description="When approval is required: the approval that waits for a reviewer "
        "(GET /v1/approvals/{id}). Carry out nothing yet: on the verdict, the guards run again "
        "and what goes out is released as a decision of its own (the approval's "
        "released_decision_id, also sent to the approval webhook).",
    )
    alternatives: list[AlternativeOut] = Field(
        description="The other permitted actions, best first."
    )
    rationale: str = Field(description="Why this action won, for humans.")
    playbooks: list[PlaybookOut] = Field(description="The playbooks retrieved, best first.")
    verdicts: list[VerdictOut] = Field(description="Every guard's verdict on every proposal.")
    mode: Mode = Field(description="Planner that ran: rules, llm, llm_repaired or fallback_rules.")
    mode_reason: str = Field(description="Why this mode: the LLM's error or what was repaired.")
    safe_default: bool = Field(
        description="True when no proposal survived the guards and a safe default was used."
    )
    policy_pack_version: str = Field(
        description="The policy pack the guards ran under, e.g. default@2026.11.1."
    )
    timings_ms: dict[str, float] = Field(
        description="Milliseconds per step: load_context, retrieve, plan, guard, ..."
    )

    @classmethod
    def from_record(cls, record: DecisionRecordV1) -> DecideResponse:
        chosen = record.chosen.call
        return cls(
            decision_id=record.decision_id,
            created_at=record.created_at,
            customer_id=record.customer_id,
            action=ActionOut(type=chosen.type, args=chosen.args.model_dump(mode="json")),
            approval_required=record.approval_required,
            approval_id=record.approval_id,
            alternatives=[AlternativeOut.from_ranked(a) for a in record.alternatives],
            rationale=record.rationale,
            playbooks=[
                PlaybookOut(id=p.id, version=p.version, title=p.title, score=p.score)
                for p in record.playbooks
            ],
            verdicts=[
                VerdictOut(
                    proposal_id=t.proposal_id,
                    type=t.call.type,
                    policy_id=v.policy_id,
                    policy_version=v.policy_version,
                    outcome=v.outcome,
                    reason_code=v.reason_code,
                    message=v.message,
                )
                for t in record.proposals
                for v in t.evaluation.verdicts
            ],
            mode=record.mode,
            mode_reason=record.mode_reason,
            safe_default=record.safe_default,
            policy_pack_version=record.policy_pack_version,
            timings_ms=record.timings_ms,
        )


@router.post(
    "/v1/decide",
    response_model=DecideResponse,
    responses=errors(
        401, 403, 404, 409, 413, 422, 429, variants=("customer_not_found", "idempotency_mismatch")
    ),
)
async def decide(
    body: DecideRequest,
    decider: DeciderDep,
    request: Request,
    response: Response,
    caller: CallerDep,
    idempotency_key: IdempotencyKey = None,
) -> DecideResponse:
    """Decide the next best action; a retry with the same ``Idempotency-Key`` replays it."""
    result = await decider.decide(body, idempotency_key=idempotency_key, caller=caller.asker)
    request.state.decision_id = result.record.decision_id  # for the request log
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return DecideResponse.from_record(result.record)
