"""GET /metrics: Prometheus' text format (no auth, like the probes: counts, no personal data)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from agent.metrics import CONTENT_TYPE, exposition
from api.openapi import errors, example_text

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text exposition format.",
            "content": {"text/plain": {"example": example_text("metrics.txt")}},
        },
        **errors(422, variants=("unknown_query",), plain_route=True),
    },
)
async def metrics() -> Response:
    """For Prometheus to scrape: decisions by kind, action, mode and outcome; guard verdicts by
    policy, outcome and reason code; a latency histogram per graph step; LLM calls, tokens,
    retries and the circuit breaker. With several workers, set `PROMETHEUS_MULTIPROC_DIR` to
    a directory they share, and every worker's figures are added up."""
    return Response(exposition(), media_type=CONTENT_TYPE)
