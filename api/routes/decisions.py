"""GET /v1/decisions[/{id}]: the decision log for CX governance."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from agent.approvals import Approval
from agent.errors import ErrorCode, NextbestError
from agent.outcomes import DecisionState, Lifecycle
from agent.record import DecisionRecordV1, Mode
from agent.reviews import ReviewRecordV1
from agent.reviews.store import ReviewQuery
from agent.stores.decision_log import DecisionQuery, ErasedDecision, LoggedDecision
from api.deps import DeciderDep
from api.openapi import CUSTOMER_ID_PATTERN, errors, ok
from tools import ActionType

__all__ = ["DecisionDetail", "DecisionPage", "DecisionSummary", "router"]

router = APIRouter(tags=["decisions"])


class DecisionSummary(BaseModel):
    decision_id: str = Field(description="Sortable id, e.g. dec_01KAG4Z4W3QJ8RM5Y2N6T7V9XB.")
    created_at: datetime = Field(description="When it was decided (UTC).")
    customer_id: str = Field(description="The customer, e.g. c13_amehta.")
    kind: str = Field(description="decision or briefing.")
    action_type: ActionType = Field(description="The chosen action.")
    mode: Mode = Field(description="Planner that ran: rules, llm, llm_repaired or fallback_rules.")
    safe_default: bool = Field(description="True when no proposal survived the guards.")
    approval_required: bool = Field(description="True when the action waits for approval.")
    state: DecisionState = Field(description="recommended, executed, declined or expired, now.")
    erased: bool = Field(
        default=False,
        description="True when its customer was erased: the record can no longer be read.",
    )

    @classmethod
    def from_record(cls, record: LoggedDecision, state: DecisionState) -> DecisionSummary:
        if isinstance(record, ErasedDecision):
            return cls.model_validate(record.model_dump() | {"state": state})
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
    reviews: list[ReviewRecordV1] = Field(
        default_factory=list, description="What reviewers said of it, newest first."
    )
    approval: Approval | None = Field(
        default=None,
        description="When its action waited for approval: the approval's steps, the verdict "
        "and the decision released (whose own record says what went out, and why).",
    )


class DecisionPage(BaseModel):
    items: list[DecisionSummary] = Field(description="Up to `limit` decisions, newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


@router.get(
    "/v1/decisions",
    response_model=DecisionPage,
    responses={
        **ok("decision_page"),
        **errors(400, 401, 403, 429, 422, variants=("unknown_query",)),
    },
)
async def list_decisions(
    decider: DeciderDep,
    customer_id: Annotated[
        str | None,
        Query(pattern=CUSTOMER_ID_PATTERN, description="Only this customer's, e.g. c13_amehta."),
    ] = None,
    action_type: Annotated[
        ActionType | None, Query(description="Only those whose chosen action is this.")
    ] = None,
    mode: Annotated[Mode | None, Query(description="Only those decided in this mode.")] = None,
    kind: Annotated[
        str | None,
        Query(pattern="^(decision|briefing)$", description="Only decisions or only briefings."),
    ] = None,
    since: Annotated[
        AwareDatetime | None,
        Query(description="Created at or after this moment, e.g. 2026-11-20T00:00:00Z."),
    ] = None,
    until: Annotated[
        AwareDatetime | None,
        Query(description="Created before this moment (timezone required, like since)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size, 1-200.")] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description="`next_cursor` of the previous page (400 if invalid)."),
    ] = None,
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


@router.get(
    "/v1/decisions/{decision_id}",
    response_model=DecisionDetail,
    responses={
        **ok("decision"),
        **errors(401, 403, 404, 410, 422, 429, variants=("unknown_query",)),
    },
)
async def get_decision(
    decision_id: Annotated[
        str, Path(description="The decision's id, e.g. dec_01KAG4Z4W3QJ8RM5Y2N6T7V9XB.")
    ],
    decider: DeciderDep,
) -> DecisionDetail:
    """The full record (inputs as seen, signals, playbooks, every proposal and verdict, what
    the guards counted, timings), its lifecycle (state, reported and derived outcomes) and
    its reviews and, when its action waited for approval, the approval."""
    record = await decider.get_decision(decision_id)
    lifecycle = await decider.decision_lifecycle(decision_id)
    reviews = await decider.list_reviews(ReviewQuery(decision_id=decision_id), limit=200)
    return DecisionDetail(
        **dict(record),
        lifecycle=lifecycle,
        reviews=[r for r in reviews.items if isinstance(r, ReviewRecordV1)],
        approval=await decider.approvals.of_decision(decision_id),
    )
