"""POST /v1/briefings: a decision plus a handoff briefing for a human agent."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from agent.briefing.models import Briefing
from agent.briefing.render import render_markdown
from agent.record import DecideRequest
from api.deps import DeciderDep
from api.routes.decide import IdempotencyKey

__all__ = ["BriefingResponse", "router"]

router = APIRouter(tags=["briefings"])


class BriefingResponse(BaseModel):
    briefing_id: str
    decision_id: str
    briefing: Briefing
    markdown: str


@router.post(
    "/v1/briefings",
    response_model=BriefingResponse,
    responses={200: {"content": {"text/markdown": {}}}},
)
async def create_briefing(
    body: DecideRequest,
    decider: DeciderDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    format: Literal["json", "markdown"] = Query(default="json"),
) -> BriefingResponse | Response:
    """What the customer tried, what went wrong, how they feel, what to do and not to do."""
    result = await decider.brief(body, idempotency_key=idempotency_key)
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
