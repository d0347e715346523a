"""POST /v1/decide: the next best action for one customer, now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict

from agent.record import DecideRequest, DecisionRecordV1, Mode, RankedAction
from api.deps import DeciderDep

__all__ = ["DecideResponse", "IdempotencyKey", "router"]

router = APIRouter(tags=["decide"])

IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
]


class ActionOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: str
    args: dict[str, Any]


class AlternativeOut(ActionOut):
    score: float
    probability: float
    outcome: str
    playbook_id: str | None

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
    id: str
    version: int
    title: str
    score: float


class VerdictOut(BaseModel):
    proposal_id: str
    type: str
    policy_id: str
    policy_version: str
    outcome: str
    reason_code: str
    message: str


class DecideResponse(BaseModel):
    decision_id: str
    created_at: datetime
    customer_id: str
    action: ActionOut
    approval_required: bool
    alternatives: list[AlternativeOut]
    rationale: str
    playbooks: list[PlaybookOut]
    verdicts: list[VerdictOut]
    mode: Mode
    mode_reason: str
    safe_default: bool
    policy_pack_version: str
    timings_ms: dict[str, float]

    @classmethod
    def from_record(cls, record: DecisionRecordV1) -> DecideResponse:
        chosen = record.chosen.call
        return cls(
            decision_id=record.decision_id,
            created_at=record.created_at,
            customer_id=record.customer_id,
            action=ActionOut(type=chosen.type, args=chosen.args.model_dump(mode="json")),
            approval_required=record.approval_required,
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


@router.post("/v1/decide", response_model=DecideResponse)
async def decide(
    body: DecideRequest,
    decider: DeciderDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> DecideResponse:
    """Decide the next best action; a retry with the same ``Idempotency-Key`` replays it."""
    result = await decider.decide(body, idempotency_key=idempotency_key)
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return DecideResponse.from_record(result.record)
