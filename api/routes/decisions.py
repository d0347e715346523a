"""GET /v1/decisions[/{id}]: the decision log for CX governance."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from agent.errors import ErrorCode, NextbestError
from agent.outcomes import DecisionState, Lifecycle
from agent.record import DecisionRecordV1, Mode
from agent.stores.decision_log import DecisionQuery
from api.deps import DeciderDep
from tools import ActionType

__all__ = ["DecisionDetail", "DecisionPage", "DecisionSummary", "router"]

router = APIRouter(tags=["decisions"])


class DecisionSummary(BaseModel):
    decision_id: str
    created_at: datetime
    customer_id: str
    kind: str
    action_type: ActionType
    mode: Mode
    safe_default: bool
    approval_required: bool
    state: DecisionState

    @classmethod
    def from_record(cls, record: DecisionRecordV1, state: DecisionState) -> DecisionSummary:
        return cls(
            decision_id=record.decision_id,
            created_at=record.created_at,
            customer_id=record.customer_id,
            kind=record.kind,
            action_type=record.chosen.call.type,
            mode=record.mode,
            safe_default=record.safe_default,
            approval_required=record.approval_required,
            state=state,
        )


class DecisionDetail(DecisionRecordV1):
    """The record as logged, with its life after the response."""

    lifecycle: Lifecycle = Field(
        description="State (recommended, executed, declined, expired), the reported outcomes "
        "and the outcomes the customer's later behaviour implies."
    )


class DecisionPage(BaseModel):
    items: list[DecisionSummary]
    next_cursor: str | None


@router.get("/v1/decisions", response_model=DecisionPage)
async def list_decisions(
    decider: DeciderDep,
    customer_id: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
    ] = None,
    action_type: ActionType | None = None,
    mode: Mode | None = None,
    kind: Annotated[str | None, Query(pattern="^(decision|briefing)$")] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> DecisionPage:
    """Newest first. ``since``/``until`` need a timezone (e.g. ``2026-11-20T00:00:00Z``)."""
    try:
        query = DecisionQuery(
            customer_id=customer_id,
            action_type=action_type,
            mode=mode,
            kind=kind,
            since=since,
            until=until,
        )
    except ValidationError as exc:  # rules across parameters, e.g. since after until
        error = exc.errors()[0]
        field = ".".join(["query", *(str(p) for p in error["loc"])])
        raise NextbestError(error["msg"], ErrorCode.INVALID_INPUT, field=field) from None
    page = await decider.list_decisions(query, limit=limit, cursor=cursor)
    states = await decider.decision_states(page.items)
    return DecisionPage(
        items=[DecisionSummary.from_record(r, states[r.decision_id]) for r in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/v1/decisions/{decision_id}", response_model=DecisionDetail)
async def get_decision(decision_id: str, decider: DeciderDep) -> DecisionDetail:
    """The full record (inputs as seen, signals, playbooks, every proposal and verdict, what
    the guards counted, timings) and its lifecycle: state, reported and derived outcomes."""
    record = await decider.get_decision(decision_id)
    lifecycle = await decider.decision_lifecycle(decision_id)
    return DecisionDetail(**dict(record), lifecycle=lifecycle)
