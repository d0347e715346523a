"""POST /v1/briefings: a decision plus a handoff briefing for a human agent."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from agent.briefing.models import Briefing
from agent.briefing.render import render_markdown
from agent.record import DecideRequest
from api.auth import CallerDep
from api.deps import DeciderDep
from api.openapi import errors
from api.routes.decide import IdempotencyKey

__all__ = ["BriefingResponse", "router"]

router = APIRouter(tags=["briefings"])


class BriefingResponse(BaseModel):
    briefing_id: str = Field(description="Sortable id, e.g. brf_01KAG4Z4W3QJ8RM5Y2N6T7V9XC.")
    decision_id: str = Field(description="The decision recorded with it (kind briefing).")
    briefing: Briefing = Field(description="The briefing, every claim citing its facts.")
    markdown: str = Field(description="The same briefing as Markdown, ready to show an agent.")


@router.post(
    "/v1/briefings",
    response_model=BriefingResponse,
    responses={
        200: {"content": {"text/markdown": {}}},
        **errors(
            401,
            403,
            429,
            404,
            409,
            413,
            422,
            variants=("customer_not_found", "idempotency_mismatch"),
        ),
    },
)
async def create_briefing(
    body: DecideRequest,
    decider: DeciderDep,
    request: Request,
    response: Response,
    caller: CallerDep,
    idempotency_key: IdempotencyKey = None,
    format: Literal["json", "markdown"] = Query(
        default="json",
        description="json (default), or markdown for the briefing alone as text/markdown.",
    ),
) -> BriefingResponse | Response:
    """What the customer tried, what went wrong, how they feel, what to do and not to do."""
    result = await decider.brief(body, idempotency_key=idempotency_key, caller=caller.asker)
    request.state.decision_id = result.record.decision_id  # for the request log
    briefing = result.record.briefing
    assert briefing is not None  # brief() always composes one
    markdown = render_markdown(briefing)
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    if format == "markdown":
        return PlainTextResponse(markdown, media_type="text/markdown", headers=headers)
    response.headers.update(headers)
    return BriefingResponse(
        briefing_id=briefing.briefing_id,
        decision_id=result.record.decision_id,
        briefing=briefing,
        markdown=markdown,
    )
