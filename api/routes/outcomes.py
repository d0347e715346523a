"""Outcomes: what happened after a decision, reported one at a time or in batches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from agent.outcomes import DecisionState, OutcomeIn, OutcomeRecordV1
from api.auth import CallerDep
from api.deps import DeciderDep
from api.openapi import DECISION_ID_PATTERN, errors

__all__ = ["router"]

router = APIRouter(tags=["outcomes"])

DecisionPath = Annotated[
    str, Path(pattern=DECISION_ID_PATTERN, description="The decision's id (dec_…).")
]


class OutcomeAck(BaseModel):
    outcome: OutcomeRecordV1 = Field(description="The stored outcome (the first one on a replay).")
    replayed: bool = Field(description="True when this report was stored before.")
    decision_state: DecisionState = Field(description="The decision's state after the report.")


class BatchOutcomeIn(OutcomeIn):
    """One report of a batch: the decision it is about, and the report."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decision_id": "dec_01KAG4Z4W3QJ8RM5Y2N6T7V9XB", "id": "o-1", "type": "executed"}
            ]
        },
    )

    decision_id: str = Field(pattern=DECISION_ID_PATTERN, description="The decision it is about.")

    def report(self) -> OutcomeIn:
        return OutcomeIn.model_validate(self.model_dump(exclude={"decision_id"}))


class OutcomeBatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcomes": [
                        {
                            "decision_id": "dec_01KAG4Z4W3QJ8RM5Y2N6T7V9XB",
                            "id": "braze-5512-sent",
                            "type": "executed",
                            "source": "braze",
                        },
                        {
                            "decision_id": "dec_01KAG4Z4W3QJ8RM5Y2N6T7V9XB",
                            "id": "shop-order-5531",
                            "type": "converted",
                            "value": {"amount": "49.90", "currency": "EUR"},
                        },
                    ]
                }
            ]
        },
    )

    outcomes: list[BatchOutcomeIn] = Field(
        min_length=1, max_length=500, description="Up to 500 reports; all are stored or none."
    )


class BatchItemOut(BaseModel):
    decision_id: str = Field(description="The decision the report is about.")
    id: str = Field(description="The report's id.")
    type: str = Field(description="The report's outcome type.")
    replayed: bool = Field(description="True when this report was stored before.")


class OutcomeBatchOut(BaseModel):
    created: int = Field(description="Reports stored by this request.")
    replayed: int = Field(description="Reports that were stored before (not counted again).")
    items: list[BatchItemOut] = Field(description="One per report, in the order sent.")


@router.post(
    "/v1/decisions/{decision_id}/outcomes",
    response_model=OutcomeAck,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Replayed: this report was stored before", "model": OutcomeAck},
        **errors(401, 403, 429, 404, 409, 413, 422),
    },
)
async def report_outcome(
    decision_id: DecisionPath,
    body: OutcomeIn,
    decider: DeciderDep,
    response: Response,
    caller: CallerDep,
) -> OutcomeAck:
    """Report what happened after a decision: executed, declined, accepted, converted, …

    The decision record is never changed; the report is a row of its own. A report whose `id`
    was used before for this decision replays the first result (200, `Idempotent-Replayed`);
    one that contradicts what was reported (converted after declined, dated before the
    decision) is a 409 saying why.
    """
    result = await decider.record_outcome(decision_id, body, caller=caller.asker)
    if result.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return OutcomeAck(outcome=result.record, replayed=result.replayed, decision_state=result.state)


@router.post(
    "/v1/outcomes",
    response_model=OutcomeBatchOut,
    responses=errors(401, 403, 429, 413, 422),
)
async def report_outcomes(
    body: OutcomeBatchIn, decider: DeciderDep, caller: CallerDep
) -> OutcomeBatchOut:
    """Report up to 500 outcomes at once. All are stored or none: one unknown decision, a
    contradiction or a reused id with other content is a 422 naming the item's index."""
    reports = [(o.decision_id, o.report()) for o in body.outcomes]
    appended = await decider.record_outcomes(reports, caller=caller.asker)
    items = [
        BatchItemOut(
            decision_id=a.record.decision_id,
            id=a.record.outcome_id,
            type=a.record.type,
            replayed=a.replayed,
        )
        for a in appended
    ]
    replayed = sum(1 for item in items if item.replayed)
    return OutcomeBatchOut(created=len(items) - replayed, replayed=replayed, items=items)
