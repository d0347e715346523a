"""Reviews: CX governance's verdict on a decision, and the list of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import AwareDatetime, BaseModel, Field

from agent.errors import ErrorCode, NextbestError
from agent.reviews import LoggedReview, ReviewIn, ReviewRecordV1, Verdict
from agent.reviews.models import Tag
from agent.reviews.store import ReviewQuery
from api.auth import CallerDep
from api.deps import DeciderDep
from api.openapi import DECISION_ID_PATTERN, errors, ok

__all__ = ["router"]

router = APIRouter(tags=["reviews"])


class ReviewPage(BaseModel):
    items: list[LoggedReview] = Field(
        description="Up to `limit` reviews, newest first (`erased: true` when the customer was "
        "erased: verdict and tags remain, action and note are gone)."
    )
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


@router.post(
    "/v1/decisions/{decision_id}/reviews",
    response_model=ReviewRecordV1,
    status_code=status.HTTP_201_CREATED,
    responses={**ok("review", 201), **errors(401, 403, 429, 404, 410, 413, 422)},
)
async def review_decision(
    decision_id: Annotated[
        str, Path(pattern=DECISION_ID_PATTERN, description="The decision reviewed (dec_…).")
    ],
    body: ReviewIn,
    decider: DeciderDep,
    caller: CallerDep,
) -> ReviewRecordV1:
    """Annotate a decision: good, poor or harmful, the action you would have taken (a typed
    tool call, validated like the agent's own: 422 naming the field when it is not one), tags
    and a note. The decision is never changed; the review is a row of its own, in the hash
    chain, written under your key's name. `nextbest eval import-reviews` turns reviewed
    decisions into regression scenarios with your action as the expected one."""
    return await decider.add_review(decision_id, body, caller=caller.asker)


@router.get(
    "/v1/reviews",
    response_model=ReviewPage,
    responses={**ok("review_page"), **errors(400, 401, 403, 429, 422, variants=("unknown_query",))},
)
async def list_reviews(
    decider: DeciderDep,
    decision_id: Annotated[
        str | None, Query(pattern=DECISION_ID_PATTERN, description="Only this decision's.")
    ] = None,
    verdict: Annotated[Verdict | None, Query(description="Only this verdict.")] = None,
    tag: Annotated[Tag | None, Query(description="Only reviews with this tag.")] = None,
    reviewer: Annotated[
        str | None, Query(max_length=64, description="Only this reviewer's (the key's name).")
    ] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Written at or after this moment.")
    ] = None,
    until: Annotated[AwareDatetime | None, Query(description="Written before this moment.")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size, 1-200.")] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description="`next_cursor` of the previous page (400 if invalid)."),
    ] = None,
) -> ReviewPage:
    """Reviews, newest first, filtered by decision, verdict, tag, reviewer and time."""
    if since is not None and until is not None and since >= until:
        raise NextbestError(
            "since must be before until", ErrorCode.INVALID_INPUT, field="query.since"
        )
    query = ReviewQuery(
        decision_id=decision_id,
        verdict=verdict,
        tag=tag,
        reviewer=reviewer,
        since=since,
        until=until,
    )
    page = await decider.list_reviews(query, limit=limit, cursor=cursor)
    return ReviewPage(items=page.items, next_cursor=page.next_cursor)
