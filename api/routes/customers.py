"""Customers: profiles and their interaction events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field

from agent.errors import ErrorCode, NextbestError
from agent.events import Event
from agent.profile import Profile
from api.deps import DeciderDep

__all__ = ["router"]

router = APIRouter(tags=["customers"])

CustomerPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")]


class ProfilePage(BaseModel):
    items: list[Profile]
    next_cursor: str | None


class EventsIn(BaseModel):
    events: list[Event] = Field(min_length=1, max_length=500)


class EventsAccepted(BaseModel):
    accepted: int
    new: int


@router.get("/v1/customers", response_model=ProfilePage)
async def list_customers(
    decider: DeciderDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> ProfilePage:
    page = await decider.list_customers(limit=limit, cursor=cursor)
    return ProfilePage(items=page.items, next_cursor=page.next_cursor)


@router.get("/v1/customers/{customer_id}", response_model=Profile)
async def get_customer(customer_id: CustomerPath, decider: DeciderDep) -> Profile:
    return await decider.get_customer(customer_id)


@router.put(
    "/v1/customers/{customer_id}",
    response_model=Profile,
    responses={201: {"description": "Created"}, 200: {"description": "Replaced"}},
)
async def put_customer(
    customer_id: CustomerPath, body: Profile, decider: DeciderDep, response: Response
) -> Profile:
    """Create or replace a profile (201 when created, 200 when replaced)."""
    if body.customer_id != customer_id:
        raise NextbestError(
            f"body.customer_id {body.customer_id!r} differs from the path {customer_id!r}",
            ErrorCode.INVALID_INPUT,
            field="body.customer_id",
        )
    created = await decider.put_customer(body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return body


@router.post(
    "/v1/customers/{customer_id}/events",
    response_model=EventsAccepted,
    status_code=status.HTTP_202_ACCEPTED,
)
async def add_events(
    customer_id: CustomerPath, body: EventsIn, decider: DeciderDep
) -> EventsAccepted:
    """Append events; an event id sent twice is stored once (``new`` counts the first time)."""
    new = await decider.add_events(customer_id, body.events)
    return EventsAccepted(accepted=len(body.events), new=new)
