"""GET /v1/kpis: journey KPIs over the decision log, its outcomes and follow-up events."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, ValidationError

from agent.errors import ErrorCode, NextbestError
from agent.kpis import GroupBy, KpiQuery, KpiReport
from api.deps import DeciderDep
from api.openapi import errors, ok

__all__ = ["DEFAULT_WINDOW", "router"]

router = APIRouter(tags=["kpis"])

DEFAULT_WINDOW = timedelta(days=90)
_MICROSECOND = timedelta(microseconds=1)


@router.get(
    "/v1/kpis",
    response_model=KpiReport,
    responses={
        **ok("kpis"),
        **errors(401, 403, 429, 422, variants=("unknown_query",)),
    },
)
async def kpis(
    decider: DeciderDep,
    since: Annotated[
        AwareDatetime | None, Query(description="Window start (default: 90 days before until).")
    ] = None,
    until: Annotated[
        AwareDatetime | None,
        Query(description="Window end, exclusive (default: now, decisions made now included)."),
    ] = None,
    journey: Annotated[
        str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="Only this journey.")
    ] = None,
    kind: Annotated[
        Literal["decision", "briefing"] | None,
        Query(description="Only decisions or only briefings (default: both)."),
    ] = None,
    group_by: Annotated[GroupBy, Query(description="One row per value of this.")] = "journey",
) -> KpiReport:
    """Decisions, execution, acceptance and conversion rates and value, repeat contacts,
    first-contact resolution, transfers per contact, effort, guard denials, safe defaults and
    approval turnaround: each rate with its n and a Wilson 95% interval.

    ``channel`` groups by where the touchpoint happened: the customer's channel for inbound
    decisions, the action's channel for outbound ones."""
    end = until or decider.deps.clock() + _MICROSECOND
    try:
        query = KpiQuery(
            since=since or end - DEFAULT_WINDOW,
            until=end,
            journey=journey,
            kind=kind,
            group_by=group_by,
        )
    except ValidationError as exc:
        raise NextbestError(
            exc.errors()[0]["msg"].removeprefix("Value error, "),
            ErrorCode.INVALID_INPUT,
            field="query.since",
        ) from None
    return await decider.kpis(query)
